"""The recommender model (`local_models/recommender`): shapes, learning a pattern popularity cannot see, repeats,
determinism, save/load, filters and fallbacks. Synthetic purchases with a known pattern, trained in seconds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from local_models.recommender.model import PAD, UNKNOWN, RecommenderConfig, RecommenderModel
from local_models.recommender.train import (
    RecommenderTrainConfig,
    fit_recommender,
    load_recommender,
    make_examples,
    purchase_lines,
    save_recommender,
)

START = pd.Timestamp("2025-01-01")
DAYS = 210
GROUPS = 4
PER_GROUP = 6  # products per taste group; group g owns products P{g}00..P{g}05
TEST_DAYS = 28


def synthetic(customers: int = 240, seed: int = 0) -> pd.DataFrame:
    """Each customer keeps to one taste group and buys one of its products every ~10 days, with their own favourite
    bought again and again; one product outside every group is the best seller overall, bought by everyone once in
    a while. Popularity ranks the best seller and the biggest group first for everyone; the pattern is personal."""
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(customers):
        group = c % GROUPS
        favourite = int(rng.integers(PER_GROUP))
        day = int(rng.integers(0, 10))
        while day < DAYS:
            product = favourite if rng.random() < 0.5 else int(rng.integers(PER_GROUP))
            rows.append((f"C{c:04d}", START + pd.Timedelta(days=day), f"P{group}{product:02d}", 1.0, 10.0))
            if rng.random() < 0.3:
                rows.append((f"C{c:04d}", START + pd.Timedelta(days=day), "BEST", 1.0, 5.0))
            day += int(rng.integers(5, 15))
    return pd.DataFrame(rows, columns=["customer_id", "date", "product_id", "quantity", "amount"])


def recall_at(ranked: list[list[str]], truth: list[set[str]], k: int) -> float:
    hits = [len(set(r[:k]) & t) / len(t) for r, t in zip(ranked, truth, strict=True) if t]
    return float(np.mean(hits))


TRAIN = RecommenderTrainConfig(max_seconds=60, max_epochs=12, patience=3, threads=1, seed=0, batch_size=128)


@pytest.fixture(scope="module")
def split() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = synthetic()
    cut = START + pd.Timedelta(days=DAYS - TEST_DAYS)
    return data[data["date"] < cut], data[data["date"] >= cut]


@pytest.fixture(scope="module")
def fitted(split: tuple[pd.DataFrame, pd.DataFrame]):  # type: ignore[no-untyped-def]
    return fit_recommender(split[0], train=TRAIN)


def test_the_model_scores_every_product_and_never_pad_or_unknown() -> None:
    config = RecommenderConfig(items=12, categories=3, price_bands=4, max_events=5, max_repeats=4, d_model=16)
    model = RecommenderModel(config, torch.zeros(12, dtype=torch.long), torch.zeros(12, dtype=torch.long))
    logits = model(
        items=torch.randint(2, 12, (3, 5)),
        events=torch.randn(3, 5, 3),
        mask=torch.ones(3, 5, dtype=torch.bool),
        customer=torch.randn(3, 4),
        repeat_items=torch.randint(0, 12, (3, 4)),
        repeat=torch.randn(3, 4, 6),
    )
    assert logits.shape == (3, 12)
    assert torch.isinf(logits[:, [PAD, UNKNOWN]]).all()
    assert torch.isfinite(logits[:, 2:]).all()


def test_examples_describe_the_past_and_label_the_window(split: tuple[pd.DataFrame, pd.DataFrame], fitted) -> None:  # type: ignore[no-untyped-def]
    lines = purchase_lines(split[0])
    cutoff = START + pd.Timedelta(days=120)
    examples = make_examples(lines, cutoff, fitted.vocabulary, fitted.model.config, window_days=28)
    row = int(np.flatnonzero(examples.customer_ids == "C0001")[0])
    past = lines[(lines["customer_id"] == "C0001") & (lines["date"] < cutoff)]
    after = lines[(lines["customer_id"] == "C0001") & (lines["date"] >= cutoff)]
    after = after[after["date"] < cutoff + pd.Timedelta(days=28)]
    assert examples.mask[row].sum() == min(len(past), fitted.model.config.max_events)
    assert {fitted.vocabulary.product(int(i)) for i in examples.targets(row)} == set(after["product_id"])
    # the most recent purchase line comes first
    assert fitted.vocabulary.product(int(examples.items[row, 0])) in set(
        past[past["date"] == past["date"].max()]["product_id"]
    )


def test_a_trained_model_beats_popularity_on_a_personal_pattern(
    split: tuple[pd.DataFrame, pd.DataFrame],
    fitted,  # type: ignore[no-untyped-def]
) -> None:
    past, future = split
    truth = future.groupby("customer_id")["product_id"].agg(set)
    customers = list(truth.index)
    ours = [[p for p, _ in top] for top in fitted.top_k(customers, 5)]
    popular = past.groupby("product_id")["customer_id"].nunique().sort_values(ascending=False).index[:5].tolist()
    ours_recall = recall_at(ours, list(truth), 5)
    popular_recall = recall_at([popular] * len(customers), list(truth), 5)
    assert ours_recall > popular_recall + 0.2, (ours_recall, popular_recall)
    # each customer's favourite, bought again and again, is among their first picks
    favourite = past[past["product_id"] != "BEST"].groupby("customer_id")["product_id"].agg(lambda p: p.mode()[0])
    assert np.mean([favourite[c] in top[:2] for c, top in zip(customers, ours, strict=True)]) > 0.9
    own_group = [f"P{int(c[1:]) % GROUPS}" for c in customers]
    in_group = [p.startswith(g) or p == "BEST" for top, g in zip(ours, own_group, strict=True) for p in top]
    assert np.mean(in_group) > 0.95


def test_training_is_deterministic_for_a_seed(split: tuple[pd.DataFrame, pd.DataFrame], fitted) -> None:  # type: ignore[no-untyped-def]
    again = fit_recommender(split[0], train=TRAIN)
    customers = ["C0000", "C0007", "C0100"]
    assert again.top_k(customers, 5) == fitted.top_k(customers, 5)


def test_a_saved_recommender_loads_and_recommends_the_same(fitted, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    save_recommender(tmp_path / "rec", fitted)
    loaded, manifest = load_recommender(tmp_path / "rec")
    customers = ["C0003", "C0042"]
    assert loaded.top_k(customers, 6) == fitted.top_k(customers, 6)
    assert manifest["kind"] == "recommender" and manifest["as_of"] == fitted.as_of
    assert loaded.reason("C0003", loaded.top_k(["C0003"], 1)[0][0][0]) == fitted.reason(
        "C0003", fitted.top_k(["C0003"], 1)[0][0][0]
    )


def test_reasons_say_repeat_for_what_they_buy_again(fitted) -> None:  # type: ignore[no-untyped-def]
    row = fitted.row("C0005")
    top = fitted.top_k(["C0005"], 3)[0]
    bought = {fitted.vocabulary.product(int(i)) for i in fitted.bought(row)}
    for product, _ in top:
        reason = fitted.reason("C0005", product)
        assert (reason.kind == "repeat") == (product in bought)
        if reason.kind == "repeat":
            assert reason.times >= 1 and reason.days_since >= 1


def test_filters_leave_out_bought_and_disallowed_products(fitted) -> None:  # type: ignore[no-untyped-def]
    row = fitted.row("C0002")
    bought = {fitted.vocabulary.product(int(i)) for i in fitted.bought(row)}
    fresh = fitted.top_k(["C0002"], 5, exclude_purchased=True)[0]
    assert fresh and not {p for p, _ in fresh} & bought
    allowed = np.zeros(fitted.vocabulary.size, bool)
    allowed[fitted.vocabulary.index(["BEST", "P301"])] = True
    assert {p for p, _ in fitted.top_k(["C0002"], 5, allowed=allowed)[0]} == {"BEST", "P301"}


def test_customers_and_products_it_has_not_seen_fall_back(fitted) -> None:  # type: ignore[no-untyped-def]
    unseen = fitted.top_k(["NOBODY"], 3)[0]
    assert [p for p, _ in unseen] == fitted.popular(3) and all(score == 0.0 for _, score in unseen)
    assert fitted.popular(1) == ["BEST"]
    assert fitted.reason("C0001", "NEVER-SOLD").kind == "popular"


def test_too_little_history_is_a_clear_error() -> None:
    short = synthetic(customers=20)
    short = short[short["date"] < START + pd.Timedelta(days=40)]
    with pytest.raises(ValueError, match="not enough history"):
        fit_recommender(short, train=TRAIN)
    with pytest.raises(ValueError, match="no purchase lines"):
        fit_recommender(short.iloc[:0], train=TRAIN)
