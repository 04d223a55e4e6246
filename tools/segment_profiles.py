"""Segments a marketer can read: clustering customer embeddings, choosing how many segments, and describing
each segment from the data (size, RFM profile, predicted value, what sets it apart) with a name made by rules.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

K_RANGE = range(3, 9)  # segment counts considered when the user does not set one
PROFILE_FEATURES = {  # column -> (label, unit, compared on a log scale)
    "recency_days": ("days since last purchase", "days", True),
    "frequency": ("purchase days", "", True),
    "monetary": ("total spend", "$", True),
    "tenure_days": ("days as a customer", "days", True),
    "avg_order_value": ("average order", "$", True),
    "expected_purchases": ("expected purchases next period", "", True),
    "expected_spend": ("expected spend next period", "$", True),
    "return_rate": ("share of returns", "%", False),
}


def rfm_matrix(events: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Standardised log recency, frequency and monetary value per customer (sorted by id): the classic
    RFM + k-means baseline's feature space."""
    grouped = events[events["date"] < as_of].groupby("customer_id")
    table = pd.DataFrame(
        {
            "recency": (as_of - grouped["date"].max()).dt.days,
            "frequency": grouped.size(),
            "monetary": grouped["amount"].sum().clip(lower=0.0),
        }
    ).sort_index()
    values = np.log1p(table.to_numpy(dtype=np.float64))
    standardised: np.ndarray = (values - values.mean(axis=0)) / np.maximum(values.std(axis=0), 1e-9)
    return standardised


def cluster_embeddings(matrix: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """k-means labels, renumbered by cluster size (0 = largest) so runs are easy to compare."""
    from sklearn.cluster import KMeans

    k = max(1, min(k, len(matrix)))
    labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(matrix)
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    remap = np.empty(k, dtype=np.int64)
    remap[order] = np.arange(k)
    renumbered: np.ndarray = remap[labels]
    return renumbered


def choose_segment_count(matrix: np.ndarray, seed: int = 0, sample: int = 4000) -> int:
    """The k in 3..8 with the best silhouette on a sample; small data gets fewer segments."""
    from sklearn.metrics import silhouette_score

    if len(matrix) < 30:
        return max(1, min(3, len(matrix)))
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(matrix), min(sample, len(matrix)), replace=False)
    best_k, best = K_RANGE.start, -math.inf
    for k in K_RANGE:
        if k >= len(pick):
            break
        labels = cluster_embeddings(matrix[pick], k, seed)
        score = float(silhouette_score(matrix[pick], labels))
        if score > best + 0.01:  # prefer fewer segments unless more are clearly better
            best_k, best = k, score
    return best_k


@dataclass(frozen=True)
class Difference:
    feature: str
    label: str
    segment_value: float
    overall_value: float
    effect: float  # standardised difference of means (log scale where noted)

    def describe(self) -> str:
        unit = PROFILE_FEATURES[self.feature][1]
        return f"{self.label}: {_fmt(self.segment_value, unit)} vs {_fmt(self.overall_value, unit)} overall"


def distinguishing_features(customers: pd.DataFrame, members: np.ndarray, top: int = 3) -> list[Difference]:
    """The features whose segment mean differs most from everyone's, in standard deviations (computed on
    log values for skewed amounts), with medians to show a marketer."""
    differences = []
    for feature, (label, _, logged) in PROFILE_FEATURES.items():
        if feature not in customers:
            continue
        values = customers[feature].to_numpy(dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)  # e.g. no order value for a returns-only customer
        scaled = np.log1p(np.maximum(values, 0.0)) if logged else values
        inside = scaled[members]
        if np.isnan(scaled).all() or np.isnan(inside).all():
            continue
        spread = float(np.nanstd(scaled))
        if spread <= 1e-9:
            continue
        effect = (np.nanmean(inside) - np.nanmean(scaled)) / spread
        differences.append(
            Difference(feature, label, float(np.nanmedian(values[members])), float(np.nanmedian(values)), float(effect))
        )
    return sorted(differences, key=lambda d: -abs(d.effect))[:top]


def segment_name(customers: pd.DataFrame, members: np.ndarray) -> str:
    """A short name from rules on recency, tenure, value and frequency, e.g. "lapsing high spenders"."""

    def ratio(column: str) -> float:
        values = customers[column].to_numpy(dtype=np.float64)
        values = np.where(np.isfinite(values), values, np.nan)
        overall = float(np.nanmedian(values)) if not np.isnan(values).all() else 0.0
        inside = values[members]
        if overall <= 0 or np.isnan(inside).all():
            return 1.0
        return float(np.nanmedian(inside)) / overall

    recency, tenure = ratio("recency_days"), ratio("tenure_days")
    value_column = "expected_spend" if "expected_spend" in customers else "monetary"
    spend, frequency = ratio("monetary"), ratio("frequency")
    if tenure < 0.4 and frequency <= 1.0:
        status = "new"
    elif recency >= 2.5:
        status = "lapsed"
    elif recency >= 1.4:
        status = "lapsing"
    elif recency <= 0.6:
        status = "active"
    else:
        status = "steady"
    future = ratio(value_column)
    if max(spend, future) >= 1.8:
        worth = "high spenders"
    elif frequency >= 1.8:
        worth = "frequent buyers"
    elif spend <= 0.5:
        worth = "low spenders"
    elif frequency <= 0.6:
        worth = "occasional buyers"
    else:
        worth = "mid spenders"
    return f"{status} {worth}"


def unique_names(names: list[str], differences: list[list[Difference]]) -> list[str]:
    """Disambiguate equal names with each segment's most distinctive feature."""
    counts = pd.Series(names).value_counts()
    out = []
    for name, diffs in zip(names, differences, strict=True):
        if counts[name] > 1 and diffs:
            direction = "higher" if diffs[0].effect > 0 else "lower"
            out.append(f"{name} ({direction} {diffs[0].label})")
        else:
            out.append(name)
    seen: dict[str, int] = {}
    final = []
    for name in out:
        seen[name] = seen.get(name, 0) + 1
        final.append(name if seen[name] == 1 else f"{name} #{seen[name]}")
    return final


def _fmt(value: float, unit: str) -> str:
    if unit == "$":
        return f"${value:,.0f}" if value >= 10 else f"${value:,.2f}"
    if unit == "%":
        return f"{value:.0%}"
    if unit == "days":
        return f"{value:,.0f} days"
    return f"{value:,.1f}"
