"""Segments a marketer can read: clustering customer embeddings, choosing how many segments, and describing
each segment from the data (size, RFM profile, predicted value, what sets it apart) with a name made by rules
whose thresholds scale with the data (its end date and its typical gap between purchases; see `segment_name`).
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


def segment_space(rfm: np.ndarray, expected_purchases: np.ndarray, expected_spend: np.ndarray) -> np.ndarray:
    """What segments are clustered on: standardised log recency, frequency and spend (`rfm_matrix`) beside the
    customer model's standardised log expected purchases and spend, one row per customer (rows of `rfm`). Every
    axis means the same whatever the model's seed, so retraining moves customers little; the model's summary
    vector does not (its axes rotate between seeds: adjusted Rand index 0.44 between seeds on CDNOW)."""
    raw = np.stack([expected_purchases, expected_spend], axis=1).astype(np.float64)
    # A briefly trained model can overflow float32 (inf spend): cap it, so k-means still gets finite numbers.
    raw = np.nan_to_num(raw, nan=0.0, posinf=float(np.finfo(np.float32).max))
    forecast = np.log1p(np.maximum(raw, 0.0))
    scaled = (forecast - forecast.mean(axis=0)) / np.maximum(forecast.std(axis=0), 1e-9)
    space: np.ndarray = np.hstack([rfm, scaled])
    return space


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


# Segment names are "<status> <worth>", each word judged against yardsticks taken from the data itself, so that a word
# means the same on any store. Time is measured from the data's end (recency and tenure count days to the day after
# the last transaction) in units of the typical gap between purchases: the median, over customers who bought on two
# or more days, of their mean gap ((tenure - recency) / (purchase days - 1)). Spend and frequency are judged by where
# the segment's median falls among all customers (its quantile), never by a ratio to the overall median, which hides
# a base that has mostly lapsed. The odds quoted below are for a customer buying at random at the typical pace (a
# Poisson process): the chance of going n gaps without a purchase is e^-n.
ACTIVE_WITHIN_GAPS = 1.0  # bought within one typical gap: "active"
NEW_WITHIN_GAPS = 2.0  # first purchase within two gaps: "new" (too soon to tell: 14% would not be back yet)
LAPSING_AFTER_GAPS = 2.0  # silent more than two gaps: "lapsing" (14% of typical-pace buyers go that long)
LAPSED_AFTER_GAPS = 4.0  # silent more than four gaps: "lapsed" (2% of typical-pace buyers go that long)
HIGH_QUANTILE = 0.75  # a segment median in the top quarter of customers: "high spenders", "frequent buyers"
LOW_QUANTILE = 0.25  # in the bottom quarter: "low spenders", "occasional buyers"
MIN_REPEAT_CUSTOMERS = 20  # fewer repeat customers than this: the gap is not measured and FALLBACK_GAP_DAYS is used
FALLBACK_GAP_DAYS = 45.0  # lapsed after 180 days, new within 90: a quarter-based default for data without repeats
STATUSES = ("new", "active", "steady", "lapsing", "lapsed")
WORTHS = (
    "first-time buyers",
    "one-time buyers",
    "high spenders",
    "frequent buyers",
    "low spenders",
    "occasional buyers",
    "mid spenders",
)


@dataclass(frozen=True)
class PurchasePace:
    """The data's typical gap between purchase days, and the recency and tenure thresholds it sets (in days)."""

    typical_gap_days: float
    repeat_customers: int  # the customers the gap was measured on; 0 when FALLBACK_GAP_DAYS stands in

    @property
    def active_within_days(self) -> float:
        return ACTIVE_WITHIN_GAPS * self.typical_gap_days

    @property
    def new_within_days(self) -> float:
        return NEW_WITHIN_GAPS * self.typical_gap_days

    @property
    def lapsing_after_days(self) -> float:
        return LAPSING_AFTER_GAPS * self.typical_gap_days

    @property
    def lapsed_after_days(self) -> float:
        return LAPSED_AFTER_GAPS * self.typical_gap_days

    def status(self, recency_days: float, tenure_days: float, frequency: float) -> str:
        """new, lapsed, lapsing, active or steady, first match wins: new when the first purchase (or, for a one-time
        buyer, the only one) is within NEW_WITHIN_GAPS gaps; lapsed after LAPSED_AFTER_GAPS gaps without a purchase,
        lapsing after LAPSING_AFTER_GAPS; active when the last purchase is within one gap, steady otherwise."""
        if tenure_days <= self.new_within_days or (frequency <= 1 and recency_days <= self.new_within_days):
            return "new"
        if recency_days > self.lapsed_after_days:
            return "lapsed"
        if recency_days > self.lapsing_after_days:
            return "lapsing"
        return "active" if recency_days <= self.active_within_days else "steady"


def purchase_pace(customers: pd.DataFrame) -> PurchasePace:
    """The typical gap between purchase days, from a customer table with recency_days, tenure_days and frequency
    (purchase days): the median of repeat customers' mean gaps, at least a day."""
    repeat = customers[customers["frequency"] >= 2]
    gaps = (repeat["tenure_days"] - repeat["recency_days"]) / (repeat["frequency"] - 1)
    gaps = gaps[np.isfinite(gaps.to_numpy(dtype=np.float64))]
    if len(gaps) < MIN_REPEAT_CUSTOMERS:
        return PurchasePace(FALLBACK_GAP_DAYS, 0)
    return PurchasePace(max(float(gaps.median()), 1.0), len(gaps))


def segment_name(customers: pd.DataFrame, members: np.ndarray, pace: PurchasePace | None = None) -> str:
    """ "<status> <worth>" from the segment's own medians, e.g. "lapsed one-time buyers", "active high spenders".

    Status (PurchasePace.status on the median recency, tenure and purchase days) is new, lapsed, lapsing, active or
    steady, in typical gaps between purchases (see the thresholds above). Worth, first match wins: "one-time buyers"
    when the median customer bought on one day only ("first-time buyers" when new); "high spenders" when the median
    spend, past (monetary) or expected next period, is in the top quarter of all customers; "frequent buyers" when
    the median purchase days are; "low spenders" when both spends are in the bottom quarter; "occasional buyers" when
    purchase days are; otherwise "mid spenders". New customers are never called frequent or occasional: they have not
    been customers long enough to count. `pace` defaults to the whole table's (pass it to name many segments).
    """
    pace = pace or purchase_pace(customers)

    def median(column: str) -> float:
        inside = customers[column].to_numpy(dtype=np.float64)[members]
        inside = inside[np.isfinite(inside)]
        return float(np.median(inside)) if len(inside) else math.nan

    frequency = median("frequency")
    status = pace.status(median("recency_days"), median("tenure_days"), frequency)
    if frequency <= 1:
        return f"{status} {'first-time' if status == 'new' else 'one-time'} buyers"
    value = max(_standing(customers, c, members) for c in ("monetary", "expected_spend") if c in customers)
    often = 0.5 if status == "new" else _standing(customers, "frequency", members)
    if value >= HIGH_QUANTILE:
        worth = "high spenders"
    elif often >= HIGH_QUANTILE:
        worth = "frequent buyers"
    elif value <= LOW_QUANTILE:
        worth = "low spenders"
    elif often <= LOW_QUANTILE:
        worth = "occasional buyers"
    else:
        worth = "mid spenders"
    return f"{status} {worth}"


def _standing(customers: pd.DataFrame, column: str, members: np.ndarray) -> float:
    """Where the segment's median falls among all customers' values, 0-1 (the share below it, ties counting half)."""
    values = customers[column].to_numpy(dtype=np.float64)
    everyone = values[np.isfinite(values)]
    inside = values[members]
    inside = inside[np.isfinite(inside)]
    if not len(everyone) or not len(inside):
        return 0.5
    middle = float(np.median(inside))
    return float((np.sum(everyone < middle) + 0.5 * np.sum(everyone == middle)) / len(everyone))


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
