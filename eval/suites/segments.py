"""The segments suite on CDNOW (69,659 real CD purchases by 23,570 customers, Jan 1997 - Jun 1998), the classic
split: the first 39 weeks (to 1997-09-30) are calibration, the next 39 weeks (to 1998-06-30) the holdout.

Our customer model is trained on calibration data only (label windows of at most 182 days, all the 39 weeks allow),
then predicts each customer's holdout purchases (purchase days): its forecast at the longest trained window, grown to
39 weeks by the ratio of a BG/NBD fitted on the calibration data inside the product (`forecast_customers`). BG/NBD
(lifetimes) is fitted on the same calibration summary in the same run as the peer. Then segment quality: silhouette
on the space segments are clustered on (our forecasts + RFM), on our embedding alone and on RFM + k-means, and
stability across 3 seeds (adjusted Rand index).
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

CALIBRATION_END = pd.Timestamp("1997-09-30")
HOLDOUT_END = pd.Timestamp("1998-06-30")
REFERENCE = {"MAE": 0.819, "RMSE": 1.733, "predicted": 16_874, "actual": 19_684}


@dataclass(frozen=True)
class Sizes:
    customers: int | None
    seeds: tuple[int, ...]
    train_seconds: float


SIZES = ByMode(quick=Sizes(3000, (0, 1), 30.0), full=Sizes(None, (0, 1, 2), 180.0))


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


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    if cdnow_path() is None:
        report.skipped = "lifetimes (which ships CDNOW) is not installed; install the eval extras"
        return
    sizes = SIZES.pick(quick)
    transactions = load_cdnow(sizes.customers)
    events = daily_events(transactions)
    calibration = events[events["date"] <= CALIBRATION_END]
    actual = _holdout_counts(events, calibration)
    with console.status("BG/NBD (lifetimes)"):
        bgnbd, bg_seconds = _timed(lambda: _bgnbd(transactions, calibration["customer_id"].unique()))
    ours = []
    for seed in sizes.seeds:
        with console.status(f"Customer model, seed {seed}"):
            forecast, seconds = _timed(lambda s=seed: _ours(calibration, sizes, s))
        ours.append((forecast, seconds))
    _prediction_table(report, actual, bgnbd, bg_seconds, ours)
    _segment_table(report, calibration, [forecast for forecast, _ in ours], sizes)


def _holdout_counts(events: pd.DataFrame, calibration: pd.DataFrame) -> pd.Series:
    customers = np.sort(calibration["customer_id"].unique())
    holdout = events[(events["date"] > CALIBRATION_END) & (events["date"] <= HOLDOUT_END)]
    return holdout.groupby("customer_id").size().reindex(customers, fill_value=0).astype(float)


def _ours(calibration: pd.DataFrame, sizes: Sizes, seed: int) -> Any:
    config = SegmenterConfig(product_buckets=0)  # CDNOW has no product ids or channels
    fitted = fit_segmenter(calibration, config, SegmenterTrainConfig(max_seconds=sizes.train_seconds, seed=seed))
    window = (HOLDOUT_END - CALIBRATION_END).days
    return forecast_customers(fitted, calibration, CALIBRATION_END + pd.Timedelta(days=1), window)


def _bgnbd(transactions: pd.DataFrame, customers: np.ndarray) -> pd.Series:
    """BG/NBD on lifetimes' calibration/holdout summary (weekly time unit, purchases per distinct day)."""
    from lifetimes import BetaGeoFitter
    from lifetimes.utils import calibration_and_holdout_data

    summary = calibration_and_holdout_data(
        transactions,
        "customer_id",
        "date",
        calibration_period_end=CALIBRATION_END,
        observation_period_end=HOLDOUT_END,
        freq="D",
        monetary_value_col="amount",
    )
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
    report: SuiteReport, actual: pd.Series, bgnbd: pd.Series, bg_seconds: float, ours: list[tuple[Any, float]]
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
    report.tables.append(
        Table(
            title=f"CDNOW holdout purchases (39 weeks after 1997-09-30), {len(actual):,} customers",
            columns=["model", "MAE", "RMSE", "predicted total", "actual total", "fit s"],
            rows=rows,
            note="Purchases are counted per distinct purchase day. Both models see calibration data only and "
            f"predict expected counts. Reference BG/NBD figures on this split: {REFERENCE}.",
        )
    )
    report.target("CDNOW holdout MAE ours minus BG/NBD (same run)", float(mean[0] - bg_row[0]), at_most=0.0)
    report.target("CDNOW holdout RMSE ours minus BG/NBD (same run)", float(mean[1] - bg_row[1]), at_most=0.0)
    report.target(
        "CDNOW holdout total: |ours / actual - 1| (mean of seeds)", float(abs(mean[2] / mean[3] - 1)), at_most=0.1
    )


def _errors(actual: pd.Series, predicted: np.ndarray) -> list[float]:
    error = predicted - actual.to_numpy()
    return [float(np.abs(error).mean()), float(np.sqrt((error**2).mean())), float(predicted.sum()), float(actual.sum())]


def _segment_table(report: SuiteReport, calibration: pd.DataFrame, forecasts: list[Any], sizes: Sizes) -> None:
    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from tools.segment_profiles import choose_segment_count, cluster_embeddings, rfm_matrix, segment_space

    rfm = rfm_matrix(calibration, CALIBRATION_END + pd.Timedelta(days=1))
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
            title=f"Segment quality on CDNOW calibration data ({len(rfm):,} customers, k={k} chosen by silhouette)",
            columns=["segmentation", "k", "silhouette (mean over seeds)", "ARI between seeds (mean)", "ARI (min)"],
            rows=rows,
            note="For ours, each seed retrains the model and re-clusters; for RFM only k-means' seed changes. Our "
            "segments are clustered on the standardised log RFM matrix beside our standardised log forecast "
            "purchases and spend (tools/segment_profiles.py `segment_space`). "
            "Silhouette is computed on each method's own space (5,000-customer sample), so compare stability, "
            "not silhouettes, across rows.",
        )
    )
    report.target("segment stability: ARI between seeds (ours, min)", stability[0], at_least=0.8)


def _timed(fn: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start
