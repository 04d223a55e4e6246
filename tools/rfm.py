"""Classic RFM: per-customer recency, frequency and monetary features, 1-5 scores and named segments.

RFM is the baseline every CRM team knows, so the segmenter's answers can be explained next to it: a
"Champion" here means the same thing it means in a marketer's spreadsheet. Scores are quintiles of the
customers in the table; segments come from a fixed rule table over (recency score, frequency/monetary
score), kept below as data so it can be shown, tested and changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError, DataProblem
from tools.transactions_data import TransactionsTable

FEATURE_COLUMNS = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "first_purchase",
    "last_purchase",
    "orders",
    "returns",
    "return_rate",
    "main_channel",
    "distinct_products",
)
SCORE_COLUMNS = ("r_score", "f_score", "m_score", "fm_score")
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class SegmentRule:
    """A named block of the (r_score, fm_score) grid; bounds are inclusive, 1-5."""

    name: str
    recency: tuple[int, int]
    fm: tuple[int, int]
    why: str


# The widely used 11-segment RFM table (recency score against the mean of the frequency and monetary
# scores), laid out so that every cell of the 5x5 grid has exactly one segment. First match wins, so the
# narrow blocks (Champions, Need Attention, Lost) come before the wide ones that surround them.
#
#            fm=1          fm=2                 fm=3             fm=4-5
#   r=5      New Customers Potential Loyalists  Loyal Customers  Champions
#   r=4      Promising     Potential Loyalists  Loyal Customers  Champions
#   r=3      Promising     About To Sleep       Need Attention   Loyal Customers
#   r=2      Hibernating   About To Sleep       At Risk          At Risk
#   r=1      Lost          Hibernating          At Risk          Cannot Lose Them
SEGMENT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("Champions", (4, 5), (4, 5), "bought recently, buy often and spend the most"),
    SegmentRule("Need Attention", (3, 3), (3, 3), "average on all three and not recent: they may slip away"),
    SegmentRule("Loyal Customers", (3, 5), (3, 5), "buy regularly and spend well; respond to loyalty perks"),
    SegmentRule("Potential Loyalists", (4, 5), (2, 2), "recent buyers with a few orders: could become loyal"),
    SegmentRule("New Customers", (5, 5), (1, 1), "bought very recently, for the first time or so"),
    SegmentRule("Promising", (3, 4), (1, 1), "fairly recent but have bought little so far"),
    SegmentRule("About To Sleep", (2, 3), (2, 2), "below average on all three and fading"),
    SegmentRule("Cannot Lose Them", (1, 1), (4, 5), "were among the best buyers but have not bought for the longest"),
    SegmentRule("At Risk", (1, 2), (3, 5), "bought often and spent well, but a long time ago"),
    SegmentRule("Lost", (1, 1), (1, 1), "lowest recency, frequency and spend"),
    SegmentRule("Hibernating", (1, 2), (1, 2), "last bought long ago, with few and small orders"),
)
SEGMENT_NAMES: tuple[str, ...] = tuple(rule.name for rule in SEGMENT_RULES)
SEGMENT_WHY: dict[str, str] = {rule.name: rule.why for rule in SEGMENT_RULES}


def _segment_grid(rules: tuple[SegmentRule, ...]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """grid[r - 1, fm - 1] = the first rule's segment name; refuses a table that leaves a cell empty."""
    grid = np.full((5, 5), "", dtype=object)
    for r in range(1, 6):
        for fm in range(1, 6):
            match = next(
                (x for x in rules if x.recency[0] <= r <= x.recency[1] and x.fm[0] <= fm <= x.fm[1]),
                None,
            )
            if match is None:
                raise ValueError(f"the RFM segment table has no segment for r_score={r}, fm_score={fm}")
            grid[r - 1, fm - 1] = match.name
    return grid


SEGMENT_GRID = _segment_grid(SEGMENT_RULES)


# ----------------------------------------------------------------------------------------------------
# Features


def rfm_features(table: TransactionsTable, as_of: pd.Timestamp | date | str | None = None) -> pd.DataFrame:
    """One row per customer (index customer_id, sorted) with the FEATURE_COLUMNS.

    as_of is the day the features are measured on; it defaults to the day after the table's last
    transaction, and transactions after it are left out (so a calibration window can be cut from a table).
    recency_days and tenure_days count days from the last and first purchase to as_of; frequency counts
    distinct purchase days; monetary is net spend (purchases minus returns, floored at 0);
    avg_order_value = monetary / orders; return_rate is the share of gross spend that came back (0-1).
    Returns never count as purchases. A customer with only returns in the window keeps the dates of those
    returns for recency and tenure, with frequency, orders and monetary 0.
    """
    day = _as_of(table, as_of)
    frame = table.frame[table.frame["date"] <= day]
    if frame.empty:
        raise DataError(
            table.source,
            [DataProblem(f"no transactions on or before {day.date().isoformat()}; choose a later as-of date")],
        )
    customers = pd.Index(sorted(frame["customer_id"].unique().tolist()), name="customer_id")
    is_return = frame["is_return"].to_numpy(dtype=bool)
    purchases = frame[~is_return]
    returned = frame[is_return]
    by_customer = purchases.groupby("customer_id", sort=True)
    everything = frame.groupby("customer_id", sort=True)["date"]

    def per_customer(values: pd.Series[Any], fill: Any) -> pd.Series[Any]:
        return values.reindex(customers, fill_value=fill)

    orders = per_customer(by_customer.size(), 0).astype(np.int64)
    frequency = per_customer(by_customer["date"].nunique(), 0).astype(np.int64)
    first = per_customer(by_customer["date"].min(), pd.NaT).fillna(everything.min())
    last = per_customer(by_customer["date"].max(), pd.NaT).fillna(everything.max())
    gross = per_customer(by_customer["amount"].sum(), 0.0).astype(np.float64)
    refunded = -per_customer(returned.groupby("customer_id")["amount"].sum(), 0.0).astype(np.float64)
    returns = per_customer(returned.groupby("customer_id").size(), 0).astype(np.int64)
    # Rounded to a millionth so that sums of cents compare equal (ties matter for the scores).
    monetary = (gross - refunded).clip(lower=0.0).round(6)
    safe_orders = orders.where(orders > 0, 1)
    features = pd.DataFrame(
        {
            "recency_days": _days_between(last, day),
            "frequency": frequency,
            "monetary": monetary,
            "avg_order_value": (monetary / safe_orders).where(orders > 0, 0.0).round(6),
            "tenure_days": _days_between(first, day),
            "first_purchase": first.astype("datetime64[ns]"),
            "last_purchase": last.astype("datetime64[ns]"),
            "orders": orders,
            "returns": returns,
            "return_rate": _return_rate(gross, refunded),
            "main_channel": _main_channel(purchases, customers),
            "distinct_products": _distinct_products(purchases, customers),
        },
        index=customers,
    )
    return features


def _as_of(table: TransactionsTable, as_of: pd.Timestamp | date | str | None) -> pd.Timestamp:
    if as_of is None:
        return table.end + pd.Timedelta(days=1)
    try:
        stamp = pd.Timestamp(as_of.isoformat() if isinstance(as_of, date | datetime) else as_of)
    except ValueError:
        raise DataError(table.source, [DataProblem(f"as-of date {as_of!r} is not a date; use YYYY-MM-DD")]) from None
    if pd.isna(stamp):
        raise DataError(table.source, [DataProblem("the as-of date is empty; use YYYY-MM-DD")])
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _days_between(stamps: pd.Series[Any], day: pd.Timestamp) -> pd.Series[Any]:
    values = stamps.to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end = np.datetime64(day.date().isoformat(), "ns").astype(np.int64)
    return pd.Series((end - values) // _DAY_NS, index=stamps.index, dtype=np.int64)


def _return_rate(gross: pd.Series[Any], refunded: pd.Series[Any]) -> pd.Series[Any]:
    """Refunded / gross spend, capped at 1; 1.0 for refunds without purchases in the window, 0.0 for neither."""
    rate = np.where(
        gross.to_numpy() > 0,
        refunded.to_numpy() / np.where(gross.to_numpy() > 0, gross.to_numpy(), 1.0),
        np.where(refunded.to_numpy() > 0, 1.0, 0.0),
    )
    return pd.Series(np.clip(rate, 0.0, 1.0).round(6), index=gross.index, dtype=np.float64)


def _main_channel(purchases: pd.DataFrame, customers: pd.Index) -> pd.Series[Any]:
    """The channel of most purchases (ties: the alphabetically first); "" when none is known."""
    known = purchases[purchases["channel"] != ""]
    if known.empty:
        return pd.Series([""] * len(customers), index=customers)
    counts = known.groupby(["customer_id", "channel"], sort=True).size().rename("n").reset_index()
    counts["order"] = -counts["n"]
    best = counts.sort_values(["customer_id", "order", "channel"], kind="stable").drop_duplicates("customer_id")
    mapped = pd.Series(best["channel"].to_numpy(dtype=object), index=best["customer_id"].to_numpy(dtype=object))
    return pd.Series([str(mapped.get(c, "")) for c in customers], index=customers)


def _distinct_products(purchases: pd.DataFrame, customers: pd.Index) -> pd.Series[Any]:
    known = purchases[purchases["product_id"] != ""]
    counts = known.groupby("customer_id")["product_id"].nunique()
    return counts.reindex(customers, fill_value=0).astype(np.int64)


# ----------------------------------------------------------------------------------------------------
# Scores and segments


def rfm_segments(features: pd.DataFrame) -> pd.DataFrame:
    """A copy of `features` with r_score, f_score, m_score (1-5), fm_score and rfm_segment added.

    Scores are quintiles of each customer's mid-rank among all customers: tied customers always share a
    score, one customer (or all tied) scores 3, and recency is reversed (more recent = higher). fm_score is
    the mean of f_score and m_score rounded down (both must be high to count as high). rfm_segment comes
    from SEGMENT_RULES, so every customer gets exactly one segment.
    """
    needed = ("recency_days", "frequency", "monetary")
    missing = [c for c in needed if c not in features.columns]
    if missing:
        raise ValueError(f"rfm_segments needs the columns {', '.join(missing)} (from rfm_features)")
    for column in needed:
        if features[column].isna().any():
            raise ValueError(f"rfm_segments: column {column!r} has missing values")
    out = features.copy()
    r = _quintile_scores(-features["recency_days"].to_numpy(dtype=np.float64))
    f = _quintile_scores(features["frequency"].to_numpy(dtype=np.float64))
    m = _quintile_scores(features["monetary"].to_numpy(dtype=np.float64).round(6))
    fm = (f + m) // 2
    out["r_score"] = r
    out["f_score"] = f
    out["m_score"] = m
    out["fm_score"] = fm
    out["rfm_segment"] = SEGMENT_GRID[r - 1, fm - 1] if len(out) else np.array([], dtype=object)
    return out


def _quintile_scores(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """1-5 by mid-rank percentile: score = 1 + floor(5 * (rank - 0.5) / n), with tied values sharing their
    average rank. Integer arithmetic (average ranks are whole or half numbers) keeps the bins exact."""
    n = len(values)
    if n == 0:
        return np.array([], dtype=np.int64)
    ranks = pd.Series(values).rank(method="average").to_numpy()
    twice = np.rint(2 * ranks).astype(np.int64)
    return np.clip(1 + (5 * (twice - 1)) // (2 * n), 1, 5).astype(np.int64)


def segment_summary(segmented: pd.DataFrame) -> pd.DataFrame:
    """Per segment (in SEGMENT_RULES order, empty ones left out): size, share, mean recency_days,
    frequency and monetary, and the rule's why."""
    groups = segmented.groupby("rfm_segment", sort=False)
    summary = pd.DataFrame(
        {
            "size": groups.size(),
            "recency_days": groups["recency_days"].mean(),
            "frequency": groups["frequency"].mean(),
            "monetary": groups["monetary"].mean(),
        }
    )
    summary = summary.reindex([n for n in SEGMENT_NAMES if n in summary.index])
    summary.insert(1, "share", summary["size"] / max(1, len(segmented)))
    summary["why"] = [SEGMENT_WHY[str(n)] for n in summary.index]
    summary.index.name = "rfm_segment"
    return summary


__all__ = [
    "FEATURE_COLUMNS",
    "SCORE_COLUMNS",
    "SEGMENT_GRID",
    "SEGMENT_NAMES",
    "SEGMENT_RULES",
    "SEGMENT_WHY",
    "SegmentRule",
    "rfm_features",
    "rfm_segments",
    "segment_summary",
]
