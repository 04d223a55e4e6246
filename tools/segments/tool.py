"""segment_customers: who the customers are. A Transformer over each customer's purchases gives an embedding
(clustered into segments) and a forecast of purchases and spend over the next period; classic RFM runs
alongside. Segments come with size, RFM profile, predicted value, the features that set them apart and a
rule-made name. Only customer ids ever leave this module: names, emails and phones are dropped at read time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from core.errors import DataError, DataProblem, ModelNotTrainedError
from core.model_card import card_reference, write_card
from core.workspace import Workspace
from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.train import (
    SegmenterFit,
    SegmenterTrainConfig,
    daily_events,
    events_fingerprint,
    fit_segmenter,
    forecast_customers,
    load_segmenter,
    save_segmenter,
)
from tools.catalogue import catalogue_names
from tools.model_cache import ModelCache
from tools.rfm import SEGMENT_WHY, rfm_features, rfm_segments
from tools.segment_profiles import (
    PurchasePace,
    choose_segment_count,
    cluster_embeddings,
    distinguishing_features,
    purchase_pace,
    rfm_matrix,
    segment_name,
    segment_space,
    unique_names,
)
from tools.segments.card import segmenter_card
from tools.transactions_data import NegativePolicy, TransactionsTable, read_transactions_file
from tools.unit import fields_of

PERIOD_DAYS = 90  # "the next period": a quarter
AT_RISK_RFM = {"At Risk", "Cannot Lose Them", "About To Sleep"}
FILTERS = ("at_risk", "best", "new", "lapsed")


# ----------------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class SegmentationReport:
    folder: Path
    customers: int
    segments: int
    metrics: dict[str, float]
    warnings: list[str]


def train_segmenter(
    path: str | Path | None = None,
    *,
    table: TransactionsTable | None = None,
    k: int | None = None,
    negative: NegativePolicy = "error",
    column_map: dict[str, str] | None = None,
    max_seconds: float = 120.0,
    seed: int = 0,
    workspace: str | Path | Workspace | None = None,
) -> SegmentationReport:
    """Validate a transactions file (or table), train the customer model and segment every customer."""
    if table is None:
        if path is None:
            raise ValueError("pass a transactions file path or a table")
        table = read_transactions_file(path, column_map=column_map, negative=negative)
    events = daily_events(table.frame)
    span = (table.end - table.start).days
    if span < 2 * PERIOD_DAYS // 3:
        raise DataError(
            table.source,
            [
                DataProblem(
                    f"the transactions span {span} days; the customer model needs at least {2 * PERIOD_DAYS // 3} "
                    "(it learns from what customers did after earlier dates)"
                )
            ],
        )
    windows = tuple(w for w in (PERIOD_DAYS, 126, 182) if w < span)
    config = SegmenterConfig()
    train = SegmenterTrainConfig(windows_days=windows, max_seconds=max_seconds, seed=seed)
    fitted = fit_segmenter(events, config, train)
    as_of = events["date"].max() + pd.Timedelta(days=1)
    forecast = forecast_customers(fitted, events, as_of, PERIOD_DAYS)
    customers = _customer_table(table, forecast, as_of)
    space = segment_space(
        rfm_matrix(events, as_of), forecast.expected_purchases, forecast.expected_spend
    )  # rows: customers sorted by id, as the forecast's
    chosen_k = k or choose_segment_count(space, seed=seed)
    labels = cluster_embeddings(space, chosen_k, seed=seed)
    ws = Workspace.open(workspace).ensure()
    folder = ws.models_dir / "segmenter"
    fingerprint = events_fingerprint(events)
    save_segmenter(
        folder,
        fitted,
        extra={
            "data_fingerprint": fingerprint,
            "as_of": as_of.date().isoformat(),
            "period_days": PERIOD_DAYS,
            "k": chosen_k,
            "k_chosen_by": "user" if k else "silhouette",
            "source": table.source,
        },
        arrays=_customer_arrays(customers, forecast.embedding, space, labels)
        | _purchase_arrays(table, customers.index),
    )
    card = segmenter_card(
        folder, ws.root, table=table, config=config, train=train, metrics=fitted.metrics, fingerprint=fingerprint,
        as_of=as_of, period_days=PERIOD_DAYS, k=chosen_k, k_chosen_by="user" if k else "silhouette",
    )  # fmt: skip
    write_card(folder, card)
    _cache.forget(folder)
    return SegmentationReport(folder, len(customers), chosen_k, fitted.metrics, list(table.warnings))


def _customer_table(table: TransactionsTable, forecast: Any, as_of: pd.Timestamp) -> pd.DataFrame:
    features = rfm_segments(rfm_features(table, as_of=as_of))
    frame = features.reindex(forecast.customer_ids)
    frame["expected_purchases"] = forecast.expected_purchases
    frame["expected_spend"] = forecast.expected_spend
    return frame


_NUMERIC = (
    "recency_days",
    "frequency",
    "monetary",
    "avg_order_value",
    "tenure_days",
    "return_rate",
    "expected_purchases",
    "expected_spend",
)


def _purchase_arrays(table: TransactionsTable, customer_ids: pd.Index) -> dict[str, np.ndarray]:
    """Spend and orders per (customer, product), for "what do these customers buy most". None without product ids."""
    frame = table.frame[table.frame["product_id"] != ""]
    position = pd.Series(np.arange(len(customer_ids)), index=customer_ids)
    frame = frame[frame["customer_id"].isin(position.index)]
    if frame.empty:
        return {}
    bought = frame.groupby(["customer_id", "product_id"], sort=True)["amount"].agg(["sum", "size"]).reset_index()
    return {
        "purchase.customer": position[bought["customer_id"]].to_numpy(dtype=np.int64),
        "purchase.product": bought["product_id"].to_numpy(dtype=str),
        "purchase.spend": bought["sum"].to_numpy(dtype=np.float64),
        "purchase.orders": bought["size"].to_numpy(dtype=np.int64),
    }


def _customer_arrays(
    customers: pd.DataFrame, embedding: np.ndarray, space: np.ndarray, labels: np.ndarray
) -> dict[str, np.ndarray]:
    arrays = {f"customer.{c}": customers[c].to_numpy(dtype=np.float64) for c in _NUMERIC}
    arrays["customer.id"] = customers.index.to_numpy(dtype=str)
    arrays["customer.rfm_segment"] = customers["rfm_segment"].to_numpy(dtype=str)
    arrays["customer.embedding"] = embedding.astype(np.float32)
    arrays["customer.segment_space"] = space.astype(np.float32)  # what segments are clustered on
    arrays["customer.segment"] = labels
    return arrays


# ----------------------------------------------------------------------------------------------------
# The tool


class SegmentCustomersInput(BaseModel):
    """Segment the workspace's customers (or a transactions file), optionally filtered or for one customer."""

    model_config = ConfigDict(extra="forbid")

    k: int | None = Field(None, ge=2, le=12, description="Number of segments (default: chosen from the data).")
    file: str | None = Field(None, description="A transactions CSV to train on first (default: the workspace's model).")
    filter: str | None = Field(
        None,
        description="at_risk, best, new or lapsed, or a segment name: also list matching customers. new and lapsed "
        "are judged as segment names are, in typical gaps between purchases (see `thresholds` in the result).",
    )
    customer_id: str | None = Field(None, max_length=200, description="Look up one customer.")
    limit: int = Field(20, ge=1, le=1000, description="Customers listed for a filter.")


class RfmProfile(BaseModel):
    """Medians over the segment's customers."""

    recency_days: float
    frequency: float
    monetary: float
    avg_order_value: float
    tenure_days: float


class SegmentFeature(BaseModel):
    feature: str
    description: str
    effect: float = Field(description="Standardised difference from all customers (positive = higher).")


class ProductShare(BaseModel):
    """A product a group of customers buys, by spend."""

    product_id: str
    product_name: str = ""
    buyers: int = Field(description="Customers in the group who bought it.")
    orders: int
    spend: float
    share_of_spend: float = Field(description="Its share of the group's spend, 0-1.")


class Segment(BaseModel):
    name: str
    size: int
    share: float
    description: str
    rfm_profile: RfmProfile
    predicted_purchases_per_customer: float = Field(description="Mean expected purchases in the next period.")
    predicted_value: float = Field(description="Total expected spend of the segment in the next period.")
    predicted_value_per_customer: float
    distinguishing_features: list[SegmentFeature]
    rfm_mix: dict[str, float] = Field(description="Share of the segment in each classic RFM segment (top 3).")
    example_customer_ids: list[str]
    top_products: list[ProductShare] = Field(
        default_factory=list, description="What the segment buys most, by spend (empty without product ids)."
    )


class CustomerLookup(BaseModel):
    customer_id: str
    segment: str
    rfm_segment: str
    recency_days: float
    frequency: float
    monetary: float
    expected_purchases: float
    expected_spend: float


class NameThresholds(BaseModel):
    """What the words in segment names mean on this data (tools/segment_profiles.py), in days to the data's end."""

    typical_gap_days: float = Field(description="Median gap between purchase days of customers who bought twice+.")
    active_within_days: float = Field(description="Active: last purchase within one typical gap.")
    new_within_days: float = Field(description="New (and the `new` filter): first purchase within two gaps.")
    lapsing_after_days: float = Field(description="Lapsing: no purchase for more than two gaps.")
    lapsed_after_days: float = Field(description="Lapsed (and the `lapsed` filter): no purchase for more than four.")

    @classmethod
    def of(cls, pace: PurchasePace) -> NameThresholds:
        return cls(
            typical_gap_days=round(pace.typical_gap_days, 1),
            active_within_days=round(pace.active_within_days, 1),
            new_within_days=round(pace.new_within_days, 1),
            lapsing_after_days=round(pace.lapsing_after_days, 1),
            lapsed_after_days=round(pace.lapsed_after_days, 1),
        )


class SegmentCustomersResult(BaseModel):
    segments: list[Segment]
    customers_total: int
    period_days: int
    as_of: str
    k_chosen_by: str
    customers: list[CustomerLookup] = Field(default_factory=list, description="Customers matching the filter.")
    customer: CustomerLookup | None = None
    filter: str | None = Field(None, description="The filter or segment the customers were listed for, if any.")
    top_products: list[ProductShare] = Field(
        default_factory=list,
        description="Most bought products by spend among the customers matching the filter (all customers "
        "without one); empty when the transactions had no product ids.",
    )
    thresholds: NameThresholds | None = Field(None, description="What new, active, lapsing and lapsed mean here.")
    summary: str
    warnings: list[str] = Field(default_factory=list)
    model: dict[str, Any] = Field(default_factory=dict)


@dataclass
class _Loaded:
    manifest: dict[str, Any]
    customers: pd.DataFrame
    segment_space: np.ndarray  # what segments are clustered on (see `segment_space`)
    labels: np.ndarray
    purchases: pd.DataFrame | None  # customer (row position), product, spend, orders; None without product ids


def _read_segmenter(folder: Path) -> _Loaded:
    _, manifest, arrays = load_segmenter(folder)
    customers = pd.DataFrame({c: arrays[f"customer.{c}"] for c in _NUMERIC}, index=arrays["customer.id"])
    customers["rfm_segment"] = arrays["customer.rfm_segment"]
    purchases = None
    if "purchase.customer" in arrays:
        purchases = pd.DataFrame({c: arrays[f"purchase.{c}"] for c in ("customer", "product", "spend", "orders")})
    space = arrays.get("customer.segment_space", arrays["customer.embedding"])  # older checkpoints: the embedding
    return _Loaded(manifest, customers, space, arrays["customer.segment"], purchases)


_cache = ModelCache(
    _read_segmenter,
    what="customer model",
    train_hint="Train one with `marketing-agent segment transactions.csv` (or build the demo: `marketing-agent demo`).",
)


def _load(ws: Workspace) -> _Loaded:
    return _cache.get(ws.models_dir / "segmenter", ws.root)


def _read_model(folder: Path) -> tuple[SegmenterFit, dict[str, Any]]:
    fitted, manifest, _ = load_segmenter(folder)
    return fitted, manifest


_models = ModelCache(_read_model, what="customer model", train_hint=_cache.train_hint)


def scoring_events(table: TransactionsTable) -> tuple[pd.DataFrame, pd.Timestamp]:
    """Transactions as the customer model reads them (one event per customer and purchase day), and the day after
    the last one: the date scores are made as of, as training does."""
    events = daily_events(table.frame)
    return events, events["date"].max() + pd.Timedelta(days=1)


def score_customers(
    events: pd.DataFrame, *, as_of: pd.Timestamp, workspace: str | Path | Workspace | None = None
) -> pd.DataFrame:
    """Each customer's expected purchases and spend over the next period (a quarter) as of `as_of`, from the trained
    customer model and the daily events given (see `scoring_events`): what training stored for every customer, for
    any transactions (a batch job rescoring them in chunks). The model loads once per process. Columns:
    customer_id, expected_purchases, expected_spend; one row per customer with a purchase before `as_of`."""
    ws = Workspace.open(workspace)
    fitted, manifest = _models.get(ws.models_dir / "segmenter", ws.root)
    period = int(manifest.get("period_days", PERIOD_DAYS))
    forecast = forecast_customers(fitted, events, as_of, period)
    return pd.DataFrame(
        {
            "customer_id": forecast.customer_ids.astype(str),
            "expected_purchases": forecast.expected_purchases.astype(np.float64),
            "expected_spend": forecast.expected_spend.astype(np.float64),
        }
    )


def known_customer_ids(workspace: str | Path | Workspace | None = None) -> frozenset[str]:
    """The customer ids the workspace's customer model knows (none when no model is trained): what the LLM router
    keeps from a remote model."""
    try:
        return frozenset(str(c) for c in _load(Workspace.open(workspace)).customers.index)
    except ModelNotTrainedError:
        return frozenset()


def targeted_customers(result: Mapping[str, Any], workspace: str | Path | Workspace | None = None) -> list[str]:
    """Every customer a filtered result stands for (its whole membership, not the few listed): what a targeting
    audit checks. None without a filter."""
    chosen = result.get("filter")
    return segment_members(str(chosen), workspace=workspace) if chosen else []


def expected_spend(workspace: str | Path | Workspace | None = None) -> pd.Series:
    """Each known customer's predicted spend in the next period (customer id -> amount), from the customer model."""
    return _load(Workspace.open(workspace)).customers["expected_spend"].rename("expected_spend")


def segment_customers(
    *,
    k: int | None = None,
    file: str | None = None,
    filter: str | None = None,
    customer_id: str | None = None,
    limit: int = 20,
    workspace: str | Path | Workspace | None = None,
) -> SegmentCustomersResult:
    """Segment customers from their purchase histories: each segment with its size, RFM profile, predicted
    value over the next quarter, what sets it apart and a readable name; filters such as "at_risk" or
    "best" list matching customers (by id only), and customer_id looks one up."""
    request = SegmentCustomersInput.model_validate(fields_of(locals()))
    ws = Workspace.open(workspace)
    warnings: list[str] = []
    if request.file:
        report = train_segmenter(request.file, k=request.k, workspace=ws)
        warnings += report.warnings
    loaded = _load(ws)
    labels = loaded.labels
    k_by = str(loaded.manifest.get("k_chosen_by", "silhouette"))
    if request.k:  # the user chose k, even when it is the one silhouette chose at training
        k_by = "user"
        if request.k != int(loaded.manifest.get("k", 0)):
            labels = cluster_embeddings(loaded.segment_space, request.k, seed=0)
    customers = loaded.customers
    pace = purchase_pace(customers)
    segments = describe_segments(customers, labels, pace)
    segment_of = _segment_of(customers, labels, segments)
    catalogue = catalogue_names(ws)
    for label, segment in enumerate(segments):
        segment.top_products = _top_products(loaded.purchases, labels == label, catalogue, 3)
    listed: list[CustomerLookup] = []
    matching = np.ones(len(customers), dtype=bool)
    if request.filter:
        mask, order = _matching(customers, segment_of, request.filter, pace)
        matching = mask.to_numpy()
        chosen = order[mask].sort_values(ascending=False).index[: request.limit]
        listed = [_lookup(customers, segment_of, str(c)) for c in chosen]
    lookup = _lookup(customers, segment_of, request.customer_id) if request.customer_id else None
    top = _top_products(loaded.purchases, matching, catalogue, 5)
    thresholds = NameThresholds.of(pace)
    if loaded.purchases is None:
        warnings.append("the transactions had no product ids, so no top products (retrain with a product_id column)")
    return SegmentCustomersResult(
        filter=request.filter,
        segments=sorted(segments, key=lambda s: -s.predicted_value),
        customers_total=len(customers),
        period_days=int(loaded.manifest.get("period_days", PERIOD_DAYS)),
        as_of=str(loaded.manifest.get("as_of", "")),
        k_chosen_by=k_by,
        customers=listed,
        customer=lookup,
        top_products=top,
        thresholds=thresholds,
        summary=_summary(segments, request.filter, int(matching.sum()), top, thresholds),
        warnings=warnings,
        model={
            "trained_on": loaded.manifest.get("source", ""),
            "saved_at": loaded.manifest.get("saved_at", ""),
            **loaded.manifest.get("metrics", {}),
            **card_reference(ws.models_dir / "segmenter", ws.root),
        },
    )


def segment_members(segment: str, workspace: str | Path | Workspace | None = None) -> list[str]:
    """The ids of the customers in a segment (by its name) or matching a filter (at_risk, best, new, lapsed), most
    valuable first; a clear error for a segment that does not exist, naming the ones that do."""
    loaded = _load(Workspace.open(workspace))
    customers = loaded.customers
    pace = purchase_pace(customers)
    segment_of = _segment_of(customers, loaded.labels, describe_segments(customers, loaded.labels, pace))
    mask, order = _matching(customers, segment_of, segment, pace)
    return [str(c) for c in order[mask].sort_values(ascending=False, kind="stable").index]


def _segment_of(customers: pd.DataFrame, labels: np.ndarray, segments: list[Segment]) -> pd.Series:
    """Each customer's segment name (segments as `describe_segments` returns them, in label order)."""
    names = {i: s.name for i, s in enumerate(segments)}
    return pd.Series([names[int(label)] for label in labels], index=customers.index)


def describe_segments(customers: pd.DataFrame, labels: np.ndarray, pace: PurchasePace | None = None) -> list[Segment]:
    """One Segment per cluster label (0..k-1), with names made unique across segments (named on `pace`, by default
    the whole table's)."""
    pace = pace or purchase_pace(customers)
    groups = [np.flatnonzero(labels == label) for label in range(int(labels.max()) + 1)]
    differences = [distinguishing_features(customers, members) for members in groups]
    names = unique_names([segment_name(customers, members, pace) for members in groups], differences)
    return [
        _segment(customers, members, name, diffs)
        for members, name, diffs in zip(groups, names, differences, strict=True)
    ]


def _segment(customers: pd.DataFrame, members: np.ndarray, name: str, diffs: list[Any]) -> Segment:
    part = customers.iloc[members]
    profile = RfmProfile(**{c: round(float(part[c].median()), 2) for c in RfmProfile.model_fields})
    mix = part["rfm_segment"].value_counts(normalize=True).head(3)
    examples = part.sort_values("expected_spend", ascending=False).index[:5]
    features = [SegmentFeature(feature=d.feature, description=d.describe(), effect=round(d.effect, 2)) for d in diffs]
    value = float(part["expected_spend"].sum())
    description = f"{len(part):,} customers; " + "; ".join(f.description for f in features)
    return Segment(
        name=name,
        size=len(part),
        share=round(len(part) / len(customers), 4),
        description=description,
        rfm_profile=profile,
        predicted_purchases_per_customer=round(float(part["expected_purchases"].mean()), 3),
        predicted_value=round(value, 2),
        predicted_value_per_customer=round(value / max(len(part), 1), 2),
        distinguishing_features=features,
        rfm_mix={str(k): round(float(v), 3) for k, v in mix.items()},
        example_customer_ids=[str(c) for c in examples],
    )


def _matching(
    customers: pd.DataFrame, segment_of: pd.Series, rule: str, pace: PurchasePace
) -> tuple[pd.Series, pd.Series]:
    """Which customers a filter selects, and the order to list them in (most valuable first). new and lapsed use the
    thresholds segment names use, so a "lapsed ..." segment's members are lapsed customers."""
    key = rule.strip().lower().replace(" ", "_").replace("-", "_")
    if key == "at_risk":
        # Valuable before, fading now: an RFM at-risk label, or a forecast well below their own past rate.
        past_rate = customers["frequency"] / np.maximum(customers["tenure_days"], PERIOD_DAYS) * PERIOD_DAYS
        fading = (customers["expected_purchases"] < 0.5 * past_rate) & (customers["frequency"] >= 2)
        return customers["rfm_segment"].isin(AT_RISK_RFM) | fading, customers["monetary"]
    if key == "best":
        return customers["expected_spend"] >= customers["expected_spend"].quantile(0.9), customers["expected_spend"]
    if key == "new":
        return customers["tenure_days"] <= pace.new_within_days, customers["expected_spend"]
    if key == "lapsed":
        return customers["recency_days"] > pace.lapsed_after_days, customers["monetary"]
    mask = segment_of.str.lower() == rule.strip().lower()
    if not mask.any():
        known = ", ".join(sorted(set(segment_of)))
        raise DataError(
            "filter", [DataProblem(f"no filter or segment {rule!r}; use {', '.join(FILTERS)} or one of: {known}")]
        )
    return mask, customers["expected_spend"]


def _top_products(
    purchases: pd.DataFrame | None, members: np.ndarray, catalogue: dict[str, str], n: int
) -> list[ProductShare]:
    """The `n` products with most spend among the customers where `members` (a boolean per customer) is true."""
    if purchases is None:
        return []
    bought = purchases[members[purchases["customer"].to_numpy()]]
    if bought.empty:
        return []
    totals = bought.groupby("product")[["spend", "orders"]].sum()
    totals["buyers"] = bought.groupby("product")["customer"].nunique()
    total_spend = float(totals["spend"].clip(lower=0).sum()) or 1.0
    top = totals.sort_values(["spend", "buyers"], ascending=False).head(n)
    return [
        ProductShare(
            product_id=str(pid),
            product_name=catalogue.get(str(pid), ""),
            buyers=int(row["buyers"]),
            orders=int(row["orders"]),
            spend=round(float(row["spend"]), 2),
            share_of_spend=round(max(float(row["spend"]), 0.0) / total_spend, 4),
        )
        for pid, row in top.iterrows()
    ]


def _lookup(customers: pd.DataFrame, segment_of: pd.Series, customer_id: str) -> CustomerLookup:
    if customer_id not in customers.index:
        raise DataError("customer_id", [DataProblem(f"no customer {customer_id!r} in the segmented data")])
    row = {str(k): v for k, v in customers.loc[customer_id].to_dict().items()}
    return CustomerLookup(
        customer_id=customer_id,
        segment=str(segment_of[customer_id]),
        rfm_segment=str(row["rfm_segment"]),
        recency_days=float(row["recency_days"]),
        frequency=float(row["frequency"]),
        monetary=round(float(row["monetary"]), 2),
        expected_purchases=round(float(row["expected_purchases"]), 3),
        expected_spend=round(float(row["expected_spend"]), 2),
    )


def _summary(
    segments: list[Segment], rule: str | None, matched: int, top: list[ProductShare], thresholds: NameThresholds
) -> str:
    ranked = sorted(segments, key=lambda s: -s.predicted_value_per_customer)
    best = ranked[0]
    parts = [
        f"{len(segments)} segments. Most valuable per customer: {best.name} ({best.size:,} customers, "
        f"${best.predicted_value_per_customer:,.0f} expected each next quarter)."
    ]
    fading = [s for s in segments if s.name.startswith("lapsing")]
    if fading:
        parts.append("About to lapse: " + ", ".join(f"{s.name} ({s.size:,})" for s in fading) + ".")
    gone = [s for s in segments if s.name.startswith("lapsed")]
    if gone:
        parts.append("Lapsed: " + ", ".join(f"{s.name} ({s.size:,})" for s in gone) + ".")
    parts.append(
        f"Names count time in typical gaps between purchases ({thresholds.typical_gap_days:,.0f} days here): lapsed "
        f"after {thresholds.lapsed_after_days:,.0f} days without a purchase."
    )
    if rule:
        parts.append(f"{matched:,} customers match '{rule}'.")
    if top:
        who = f"customers matching '{rule}'" if rule else "all customers"
        product = top[0].product_name or top[0].product_id
        parts.append(f"Top product among {who}: {product} ({top[0].share_of_spend:.0%} of their spend).")
    return " ".join(parts)


RFM_SEGMENT_WHY = SEGMENT_WHY  # re-exported for renderers that explain the classic RFM labels
