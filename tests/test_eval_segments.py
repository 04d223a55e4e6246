"""The segments suite's split (issue 20): both data sets go through the same holdout count and BG/NBD peer, so a
timestamped log (The Complete Journey's purchases carry hours) must be counted by distinct day, its holdout's last
day included whatever the hour, the day after it excluded, and only customers with a calibration purchase scored."""

from __future__ import annotations

import numpy as np
import pandas as pd

from eval.suites.segments import JOURNEY_HOLDOUT_WEEKS, DataSet, _bgnbd, _holdout_counts, repeat_summary
from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.train import daily_events

CALIBRATION_END = pd.Timestamp("2024-03-31")  # a Sunday
HOLDOUT_END = CALIBRATION_END + pd.Timedelta(weeks=JOURNEY_HOLDOUT_WEEKS)


def timestamped_log() -> pd.DataFrame:
    rows = [
        ("a", "2024-01-05 09:00"),
        ("a", "2024-01-05 17:30"),  # the same day: one purchase day
        ("a", "2024-03-31 23:59"),  # calibration's last day
        ("a", "2024-04-01 08:00"),  # holdout's first day
        ("a", "2024-04-01 19:00"),
        ("a", f"{HOLDOUT_END:%Y-%m-%d} 21:15"),  # holdout's last day, late
        ("a", f"{HOLDOUT_END + pd.Timedelta(days=1):%Y-%m-%d} 01:00"),  # after the holdout
        ("b", "2024-02-10 12:00"),  # calibration only: scored with 0
        ("c", "2024-05-01 12:00"),  # holdout only: not scored
    ]
    # A population for BG/NBD to fit: gamma-distributed rates, each customer leaving for good at a random day.
    rng = np.random.default_rng(0)
    start, span = pd.Timestamp("2024-01-01"), (HOLDOUT_END - pd.Timestamp("2024-01-01")).days + 1
    for i in range(300):
        rate, leaves = rng.gamma(0.8, 1 / 15), rng.integers(1, span * 2)
        days = np.flatnonzero(rng.random(min(span, leaves)) < rate)
        hours = rng.integers(8, 22, size=len(days))
        rows += [
            (f"r{i}", f"{start + pd.Timedelta(days=int(d), hours=int(h)):%Y-%m-%d %H:%M}")
            for d, h in zip(days, hours, strict=True)
        ]
    frame = pd.DataFrame(rows, columns=["customer_id", "date"])
    frame["date"] = pd.to_datetime(frame["date"])
    frame["amount"] = 5.0
    return frame


def test_holdout_counts_distinct_days_up_to_the_last_holdout_day() -> None:
    log = timestamped_log()
    data = DataSet("log", "customers", log, CALIBRATION_END, HOLDOUT_END, SegmenterConfig(product_buckets=0))
    assert data.holdout_days == 7 * JOURNEY_HOLDOUT_WEEKS and data.as_of.day_name() == "Monday"
    events = daily_events(log)
    calibration = events[events["date"] <= data.calibration_end]
    actual = _holdout_counts(data, events, calibration)
    assert "c" not in actual.index
    assert actual["a"] == 2.0 and actual["b"] == 0.0
    # The peer reads the same days: lifetimes' own holdout count agrees with ours for every customer.
    summary = repeat_summary(data, events)
    assert np.array_equal(summary["frequency_holdout"].reindex(actual.index).to_numpy(), actual.to_numpy())
    predicted = _bgnbd(data, events, actual.index.to_numpy())
    assert list(predicted.index) == list(actual.index) and bool(np.isfinite(predicted).all())
    busiest = str(calibration.groupby("customer_id").size().drop(["a", "b"]).idxmax())
    assert predicted["b"] < predicted[busiest]  # one early purchase, then silence: fewer expected than the busiest
