"""Forecast totals over a window longer than any the customer model trained on (issue 20): a cohort of customers
simulated from a BG/NBD-like process with known rates (Poisson buying at a gamma-distributed rate, dropping out after
any purchase with a beta-distributed chance), all joining in the first weeks as in CDNOW. The model trains briefly
on short windows and is asked for a long one; the calibrated forecast's total must land near the simulated truth,
and the raw extrapolation of the model's count head must land further from it (else this test could not tell them
apart)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.time_scaling import fit_bgnbd, repeat_summary
from local_models.segmenter.train import (
    SegmenterTrainConfig,
    daily_events,
    fit_segmenter,
    forecast_customers,
    make_examples,
    predict_customers,
)

START = pd.Timestamp("2024-01-01")
HISTORY_DAYS = 120  # what the model may learn from
HORIZON_DAYS = 120  # what it is asked for: twice its longest trained window
WINDOWS = (30, 45, 60)
TOLERANCE = 0.15  # calibrated total within 15% of the simulated one
SMALL = SegmenterConfig(d_model=32, n_heads=2, n_layers=1, d_ff=64, embedding_dim=8, max_events=16, product_buckets=0)


def simulate_cohort(customers: int = 3000, seed: int = 0) -> pd.DataFrame:
    """Purchase days over HISTORY_DAYS + HORIZON_DAYS; first purchases spread over the first 30 days."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(shape=0.6, scale=1 / 12.0, size=customers)  # purchases per day: mean one per 20 days
    drop = rng.beta(1.0, 5.0, size=customers)  # chance of leaving after each purchase
    end = HISTORY_DAYS + HORIZON_DAYS
    rows = []
    for cid in range(customers):
        day = float(rng.uniform(0, 30))
        while day < end:
            rows.append((f"c{cid}", int(day), float(rng.lognormal(3.0, 0.5))))
            if rng.random() < drop[cid]:
                break
            day += rng.exponential(1 / rate[cid])
    frame = pd.DataFrame(rows, columns=["customer_id", "day", "amount"])
    frame["date"] = START + pd.to_timedelta(frame["day"], unit="D")
    return frame.drop(columns="day")


@pytest.fixture(scope="module")
def cohort() -> tuple[pd.DataFrame, pd.Timestamp, float]:
    events = daily_events(simulate_cohort())
    as_of = START + pd.Timedelta(days=HISTORY_DAYS)
    history = events[events["date"] < as_of]
    known = set(history["customer_id"])
    later = events[(events["date"] >= as_of) & events["customer_id"].isin(known)]
    return history, as_of, float(len(later))


@pytest.fixture(scope="module")
def fitted(cohort: tuple[pd.DataFrame, pd.Timestamp, float]):  # type: ignore[no-untyped-def]
    history, _, _ = cohort
    train = SegmenterTrainConfig(windows_days=WINDOWS, max_seconds=15.0, max_epochs=8, seed=0, threads=2)
    return fit_segmenter(history, SMALL, train)


def test_bgnbd_recovers_a_simulated_population(cohort: tuple[pd.DataFrame, pd.Timestamp, float]) -> None:
    history, as_of, truth = cohort
    summary = repeat_summary(history, as_of)
    model = fit_bgnbd(summary)
    predicted = float(model.expected_purchases(summary, HORIZON_DAYS).sum())
    assert abs(predicted / truth - 1) < TOLERANCE, (predicted, truth)


def test_calibrated_total_beyond_the_trained_windows(fitted, cohort: tuple[pd.DataFrame, pd.Timestamp, float]) -> None:  # type: ignore[no-untyped-def]
    history, as_of, truth = cohort
    assert fitted.windows_days == WINDOWS
    calibrated = forecast_customers(fitted, history, as_of, HORIZON_DAYS)
    total = float(calibrated.expected_purchases.sum())
    assert abs(total / truth - 1) < TOLERANCE, (total, truth)
    # Spend moves with purchases (the order value is the model's), and a window inside the trained ones is read off
    # directly.
    at_trained = forecast_customers(fitted, history, as_of, max(WINDOWS))
    direct = predict_customers(
        fitted.model, make_examples(history, as_of, max(WINDOWS), SMALL, fitted.vocabulary, with_labels=False)
    )
    np.testing.assert_allclose(at_trained.expected_purchases, direct.expected_purchases)
    grow = calibrated.expected_purchases / np.maximum(at_trained.expected_purchases, 1e-12)
    spend_grow = calibrated.expected_spend / np.maximum(at_trained.expected_spend, 1e-12)
    np.testing.assert_allclose(grow, spend_grow, rtol=1e-3)


def test_uncalibrated_extrapolation_misses_the_total(fitted, cohort: tuple[pd.DataFrame, pd.Timestamp, float]) -> None:  # type: ignore[no-untyped-def]
    history, as_of, truth = cohort
    examples = make_examples(history, as_of, HORIZON_DAYS, SMALL, fitted.vocabulary, with_labels=False)
    total = float(predict_customers(fitted.model, examples).expected_purchases.sum())
    calibrated = float(forecast_customers(fitted, history, as_of, HORIZON_DAYS).expected_purchases.sum())
    # The raw count head is further from the truth than the calibrated forecast. (Training stops on a time budget,
    # so how far it misses depends on the machine's load: compare the two, never against a fixed miss.)
    assert abs(total / truth - 1) > abs(calibrated / truth - 1), (total, calibrated, truth)
