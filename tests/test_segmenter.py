"""The customer model and segment_customers: shapes and masking, examples built from a hand-made history,
a tiny deterministic training run that must tell frequent buyers from rare ones, save/load, the tool on the
demo store (segments, filters, lookup), PII that must never come out, and the CLI's errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from pydantic import ValidationError

from core.errors import DataError, ModelNotTrainedError
from local_models.segmenter.model import CUSTOMER_FEATURES, EVENT_FEATURES, CustomerModel, SegmenterConfig
from local_models.segmenter.train import (
    SegmenterTrainConfig,
    Vocabulary,
    daily_events,
    fit_segmenter,
    load_segmenter,
    make_examples,
    predict_customers,
    save_segmenter,
)
from tools import segment_customers
from tools.registry import TOOLS
from tools.segments import train_segmenter

SMALL = SegmenterConfig(d_model=32, n_heads=2, n_layers=1, d_ff=64, embedding_dim=8, max_events=16)


def test_forward_shapes_and_padding_is_ignored() -> None:
    torch.manual_seed(0)
    model = CustomerModel(SMALL).eval()
    B, E = 3, SMALL.max_events
    events = torch.randn(B, E, EVENT_FEATURES)
    mask = torch.zeros(B, E, dtype=torch.bool)
    mask[:, :5] = True
    inputs = {
        "events": events,
        "channels": torch.zeros(B, E, dtype=torch.long),
        "products": torch.zeros(B, E, dtype=torch.long),
        "mask": mask,
        "customer": torch.randn(B, CUSTOMER_FEATURES),
    }
    out = model(**inputs)
    assert out["embedding"].shape == (B, SMALL.embedding_dim)
    assert torch.allclose(out["embedding"].norm(dim=-1), torch.ones(B), atol=1e-5)
    for name in ("log_count", "aov_mean", "aov_log_sd"):
        assert out[name].shape == (B,)
    # Whatever sits in padded slots must not change the result.
    noisy = dict(inputs, events=torch.where(mask[..., None], events, torch.randn(B, E, EVENT_FEATURES) * 100))
    assert torch.allclose(model(**noisy)["log_count"], out["log_count"], atol=1e-5)
    # A longer window never means fewer expected purchases.
    longer = inputs["customer"].clone()
    longer[:, -1] += 1.0
    assert bool((model(**dict(inputs, customer=longer))["log_count"] >= out["log_count"]).all())


def test_examples_from_a_hand_made_history() -> None:
    transactions = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b", "b"],
            "date": pd.to_datetime(
                ["2024-01-01", "2024-01-01", "2024-01-11", "2024-02-05", "2024-01-20", "2024-03-01"]
            ),
            "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 8.0],
        }
    )
    events = daily_events(transactions)
    assert len(events) == 5  # a's two purchases on Jan 1 are one purchase day
    assert events.loc[events["customer_id"] == "a", "amount"].tolist() == [15.0, 20.0, 30.0]
    cutoff = pd.Timestamp("2024-02-01")
    examples = make_examples(events, cutoff, 40, SMALL, Vocabulary(), with_labels=True)
    assert examples.customer_ids.tolist() == ["a", "b"]
    assert examples.mask.sum(axis=1).tolist() == [2, 1]
    assert examples.count is not None and examples.spend is not None
    assert examples.count.tolist() == [1.0, 1.0]  # Feb 5 and Mar 1 fall inside the 40-day window
    assert examples.spend.tolist() == [30.0, 8.0]
    recency_a = examples.customer[0, 0]
    assert recency_a == pytest.approx(np.log1p(21))  # last purchase Jan 11, cut-off Feb 1
    assert examples.customer[0, -1] == pytest.approx(np.log(40))
    # The most recent event comes first: its "days before cut-off" feature is the smallest.
    assert examples.events[0, 0, 3] == pytest.approx(np.log1p(21))
    assert examples.events[0, 1, 3] == pytest.approx(np.log1p(31))


def synthetic_transactions(n_per_group: int = 60, seed: int = 0) -> pd.DataFrame:
    """Three kinds of customer over one year: weekly buyers, buyers every ~2 months, and customers who
    bought weekly but stopped 6 months ago."""
    rng = np.random.default_rng(seed)
    start, days = pd.Timestamp("2024-01-01"), 365
    rows = []
    for group, gap, stop in (("weekly", 7, days), ("rare", 60, days), ("gone", 7, days - 180)):
        for i in range(n_per_group):
            day = int(rng.integers(0, 20))
            while day < stop:
                rows.append((f"{group}-{i}", start + pd.Timedelta(days=day), float(rng.uniform(20, 60))))
                day += max(1, int(rng.exponential(gap)))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount"])


@pytest.fixture(scope="module")
def tiny_fit():
    events = daily_events(synthetic_transactions())
    train = SegmenterTrainConfig(windows_days=(60, 90), max_seconds=20.0, max_epochs=25, seed=0, threads=1)
    return events, fit_segmenter(events, SMALL, train), train


def test_tiny_training_run_tells_frequent_from_rare_and_gone(tiny_fit) -> None:
    events, fitted, _ = tiny_fit
    as_of = events["date"].max() + pd.Timedelta(days=1)
    forecast = predict_customers(
        fitted.model, make_examples(events, as_of, 90, SMALL, fitted.vocabulary, with_labels=False)
    )
    expected = pd.Series(forecast.expected_purchases, index=forecast.customer_ids)
    by_group = expected.groupby(expected.index.str.split("-").str[0]).mean()
    # Weekly buyers make ~13 purchase days in 90 days, rare ones ~1.5, the gone ones should be near 0.
    assert 6.0 < by_group["weekly"] < 20.0, by_group
    assert by_group["weekly"] > 3 * by_group["rare"], by_group
    assert by_group["gone"] < by_group["rare"], by_group
    assert fitted.metrics["validation_loss"] < 2.0


def test_training_is_deterministic_and_checkpoints_round_trip(tiny_fit, tmp_path: Path) -> None:
    events, fitted, train = tiny_fit
    as_of = events["date"].max() + pd.Timedelta(days=1)
    examples = make_examples(events, as_of, 90, SMALL, fitted.vocabulary, with_labels=False)
    again = fit_segmenter(events, SMALL, SegmenterTrainConfig(**{**train.__dict__, "max_epochs": 2}))
    twice = fit_segmenter(events, SMALL, SegmenterTrainConfig(**{**train.__dict__, "max_epochs": 2}))
    a = predict_customers(again.model, examples).expected_purchases
    b = predict_customers(twice.model, examples).expected_purchases
    np.testing.assert_allclose(a, b, rtol=1e-5)

    save_segmenter(tmp_path / "ck", fitted, extra={"note": "x"}, arrays={"customer.id": np.array(["a", "b"])})
    loaded, manifest, arrays = load_segmenter(tmp_path / "ck")
    assert manifest["note"] == "x"
    assert arrays["customer.id"].tolist() == ["a", "b"]
    np.testing.assert_allclose(
        predict_customers(loaded.model, examples).expected_purchases,
        predict_customers(fitted.model, examples).expected_purchases,
        rtol=1e-6,
    )


def test_demo_segments_are_complete_and_readable(demo_store) -> None:
    result = segment_customers(workspace=demo_store.workspace)
    sizes = [s.size for s in result.segments]
    assert sum(sizes) == result.customers_total > 100
    assert len(result.segments) >= 2
    names = [s.name for s in result.segments]
    assert len(set(names)) == len(names)
    assert result.k_chosen_by == "silhouette"
    values = [s.predicted_value for s in result.segments]
    assert values == sorted(values, reverse=True)
    for s in result.segments:
        assert s.distinguishing_features and s.example_customer_ids
        assert s.predicted_value >= 0 and s.rfm_profile.frequency >= 1
        assert abs(sum(s.rfm_mix.values())) <= 1.0 + 1e-6
    assert "segments" in result.summary

    forced = segment_customers(workspace=demo_store.workspace, k=4)
    assert len(forced.segments) == 4 and forced.k_chosen_by == "user"


def test_top_products_match_the_transactions(demo_store) -> None:
    """What a group buys most, recomputed by hand from the demo's transactions file."""
    result = segment_customers(workspace=demo_store.workspace, filter="best", limit=1000)
    best = {c.customer_id for c in result.customers}
    frame = pd.read_csv(demo_store.files.transactions, dtype={"product_id": str})
    spend = frame[frame["customer_id"].isin(best)].groupby("product_id")["amount"].sum().sort_values()
    top = result.top_products[0]
    assert top.product_id == spend.index[-1] and top.spend == pytest.approx(spend.iloc[-1], abs=0.01)
    assert top.share_of_spend == pytest.approx(spend.iloc[-1] / spend.sum(), abs=1e-3)
    assert top.product_name and top.buyers <= len(best)
    assert f"Top product among customers matching 'best': {top.product_name}" in result.summary
    everyone = segment_customers(workspace=demo_store.workspace)
    assert everyone.top_products and all(s.top_products for s in everyone.segments)
    assert [p.spend for p in everyone.top_products] == sorted((p.spend for p in everyone.top_products), reverse=True)


def test_best_customers_are_mostly_the_loyal_ones(demo_store) -> None:
    """The demo's personas are ground truth the model never sees: the top 10% by predicted spend should be
    loyal customers far more often than customers overall are."""
    personas = pd.read_csv(demo_store.files.customer_personas).set_index("customer_id")["persona"]
    result = segment_customers(workspace=demo_store.workspace, filter="best", limit=1000)
    best = [c.customer_id for c in result.customers]
    assert len(best) >= 10
    lapsed = segment_customers(workspace=demo_store.workspace, filter="lapsed", limit=1000).customers
    loyal_share_best = float((personas.reindex(best) == "loyal").mean())
    loyal_share_all = float((personas == "loyal").mean())
    assert loyal_share_best >= 2 * loyal_share_all, (loyal_share_best, loyal_share_all)
    assert all(c.recency_days >= 180 for c in lapsed)
    assert not {c.customer_id for c in lapsed} & set(best[: len(best) // 2])


def test_filters_lookup_and_their_errors(demo_store) -> None:
    at_risk = segment_customers(workspace=demo_store.workspace, filter="at risk", limit=5)
    assert 0 < len(at_risk.customers) <= 5
    one = at_risk.customers[0]
    looked = segment_customers(workspace=demo_store.workspace, customer_id=one.customer_id)
    assert looked.customer is not None and looked.customer.segment == one.segment
    name = at_risk.segments[0].name
    by_name = segment_customers(workspace=demo_store.workspace, filter=name.upper(), limit=1000)
    assert len(by_name.customers) == min(at_risk.segments[0].size, 1000)
    with pytest.raises(DataError, match="no filter or segment 'vips'"):
        segment_customers(workspace=demo_store.workspace, filter="vips")
    with pytest.raises(DataError, match="no customer 'C99999'"):
        segment_customers(workspace=demo_store.workspace, customer_id="C99999")
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):  # as data: a plan, a request
        TOOLS["segment_customers"].run({"segments": 3}, workspace=demo_store.workspace)
    with pytest.raises(TypeError, match="segments"):  # in Python: the typed signature (and mypy) refuse it
        segment_customers(workspace=demo_store.workspace, segments=3)  # type: ignore[call-arg]


def test_untrained_workspace_says_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(ModelNotTrainedError, match="marketing-agent segment"):
        segment_customers(workspace=tmp_path / "empty")


def _write_with_pii(path: Path) -> None:
    transactions = synthetic_transactions(n_per_group=15, seed=1)
    transactions["full_name"] = "Canary Person-" + transactions["customer_id"]
    transactions["email"] = transactions["customer_id"] + "@canary-mail.example"
    transactions["phone"] = "+1 555 0100"
    transactions.to_csv(path, index=False)


def test_personal_columns_never_reach_results_or_checkpoints(tmp_path: Path) -> None:
    data = tmp_path / "tx.csv"
    _write_with_pii(data)
    ws = tmp_path / "ws"
    report = train_segmenter(data, max_seconds=5.0, workspace=ws)
    assert any("email" in w or "personal" in w for w in report.warnings), report.warnings
    result = segment_customers(workspace=ws, filter="best", limit=1000)
    text = result.model_dump_json()
    stored = b"".join(p.read_bytes() for p in (ws / "models" / "segmenter").rglob("*") if p.is_file())
    for canary in ("Canary Person", "canary-mail", "555 0100"):
        assert canary not in text
        assert canary.encode() not in stored


def test_too_short_history_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "tx.csv"
    data.write_text("customer_id,date,amount\na,2024-01-01,5\nb,2024-01-20,6\na,2024-02-01,7\n")
    with pytest.raises(DataError, match="span 31 days"):
        train_segmenter(data, workspace=tmp_path / "ws")


def test_cli_segment_json_plot_and_bad_files(tmp_path: Path) -> None:
    data = tmp_path / "tx.csv"
    synthetic_transactions(n_per_group=20, seed=2).to_csv(data, index=False)
    ws = str(tmp_path / "ws")
    cli = [sys.executable, "-m", "agent.cli"]
    plot = tmp_path / "segments.png"
    done = subprocess.run(
        [*cli, "segment", str(data), "-k", "3", "--minutes", "0.1", "--json", "--plot", str(plot), "-w", ws],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["segments"]) == 3
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    bad = tmp_path / "bad.csv"
    bad.write_text("customer_id,date,amount\na,yesterday,5\nb,2024-01-20,-6\n")
    failed = subprocess.run(
        [*cli, "segment", str(bad), "-w", ws], capture_output=True, text=True, timeout=300, check=False
    )
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr + failed.stdout
    assert "yesterday" in failed.stderr + failed.stdout
    assert "negative" in failed.stderr + failed.stdout
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    failed = subprocess.run(
        [*cli, "segment", str(empty), "-w", ws], capture_output=True, text=True, timeout=300, check=False
    )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
