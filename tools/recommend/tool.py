"""recommend_products: what to recommend to whom. A Transformer over each customer's purchase sequence
(`local_models/recommender`) scores every product for their next four weeks; products they already buy get a
second score from their own repeat pattern, so each recommendation says whether it is a repeat or new for them, and
why. Three modes: products for customers, the audience for a product (who to target), products to feature for a
segment. Only customer ids ever leave this module.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.errors import DataError, DataProblem, ModelNotTrainedError
from core.model_card import card_reference, write_card
from core.workspace import Workspace
from local_models.recommender.model import UNKNOWN
from local_models.recommender.train import (
    FittedRecommender,
    Reason,
    RecommenderTrainConfig,
    fit_recommender,
    lines_fingerprint,
    load_recommender,
    purchase_lines,
    save_recommender,
)
from tools.catalogue import catalogue_table, resolve_product
from tools.model_cache import ModelCache
from tools.recommend.card import recommender_card
from tools.transactions_data import NegativePolicy, TransactionsTable, read_transactions_file
from tools.unit import fields_of

MAX_CUSTOMERS = 1000  # customers per call (a CRM batch); more go through `marketing-agent batch`
DUE_SHARE = 0.8  # a repeat is "due" once this share of the customer's usual gap has passed

CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


# ----------------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class RecommenderReport:
    folder: Path
    customers: int
    products: int
    metrics: dict[str, float]
    warnings: list[str]


def train_recommender(
    path: str | Path | None = None,
    *,
    table: TransactionsTable | None = None,
    negative: NegativePolicy = "error",
    column_map: dict[str, str] | None = None,
    max_seconds: float = 300.0,
    seed: int = 0,
    progress: bool = False,
    workspace: str | Path | Workspace | None = None,
) -> RecommenderReport:
    """Validate a transactions file (or table) with product ids and train the workspace's recommender on it;
    the catalogue's categories and prices, when there is one, become the products' side features."""
    if table is None:
        if path is None:
            raise ValueError("pass a transactions file path or a table")
        table = read_transactions_file(path, column_map=column_map, negative=negative)
    if not (table.frame["product_id"] != "").any():
        raise DataError(
            table.source,
            [DataProblem("no product ids: the recommender learns which products each customer buys")],
            "Add a product_id column (or map yours with --column product_id=YOUR_COLUMN).",
        )
    ws = Workspace.open(workspace).ensure()
    warnings = list(table.warnings)
    without = int((table.frame["product_id"] == "").sum())
    if without:
        warnings.append(f"{without:,} transactions without a product id were left out")
    side_facts = _side_facts(ws)
    try:
        fitted = fit_recommender(
            table.frame,
            side_facts,
            RecommenderTrainConfig(max_seconds=max_seconds, seed=seed, progress=progress),
        )
    except ValueError as exc:
        raise DataError(table.source, [DataProblem(str(exc))]) from None
    folder = ws.models_dir / "recommender"
    lines = purchase_lines(table.frame)
    fingerprint = lines_fingerprint(lines)
    save_recommender(folder, fitted, extra={"data_fingerprint": fingerprint, "source": table.source})
    card = recommender_card(
        folder, ws.root, fitted=fitted, lines=lines, side_facts=side_facts is not None, source=table.source,
        fingerprint=fingerprint,
    )  # fmt: skip
    write_card(folder, card)
    _cache.forget(folder)
    return RecommenderReport(folder, len(fitted.customer_ids), fitted.vocabulary.size - 2, fitted.metrics, warnings)


def _side_facts(ws: Workspace) -> pd.DataFrame | None:
    """product_id, category, price from the workspace's catalogue (None without one)."""
    catalogue = catalogue_table(ws)
    if catalogue is None:
        return None
    facts = catalogue[["product_id"]].copy()
    facts["category"] = catalogue.get("category", "")
    facts["price"] = pd.to_numeric(catalogue["price"], errors="coerce") if "price" in catalogue else np.nan
    return facts


# ----------------------------------------------------------------------------------------------------
# The tool's models


class RecommendProductsInput(BaseModel):
    """Recommend products to customers, find the audience for a product, or pick products for a segment."""

    model_config = ConfigDict(extra="forbid")

    customer_ids: list[CustomerId] | None = Field(
        None, max_length=MAX_CUSTOMERS, description="Customers to recommend products to (ids)."
    )
    product: str | None = Field(
        None, max_length=200, description="A product id or name: the customers most likely to buy it next."
    )
    segment: str | None = Field(
        None,
        max_length=200,
        description="A segment name, or at_risk, best, new or lapsed: the products to feature for its customers "
        "(with `product`: the audience among them).",
    )
    k: int = Field(10, ge=1, le=100, description="Products per customer or segment.")
    exclude_purchased: bool = Field(
        False, description="Leave out products the customer bought before (for a product: customers who bought it)."
    )
    category: str | None = Field(None, max_length=200, description="Only products in this category or subcategory.")
    catalogue_only: bool = Field(True, description="Only products in the catalogue (when the workspace has one).")
    audience_size: int = Field(50, ge=1, le=10_000, description="Customers listed in a product's audience.")

    @model_validator(mode="after")
    def _something_asked(self) -> RecommendProductsInput:
        if not (self.customer_ids or self.product or self.segment):
            raise ValueError("say who or what to recommend for: customer_ids, a product or a segment")
        return self


class RecommendedItem(BaseModel):
    product_id: str
    product_name: str = ""
    category: str = ""
    score: float = Field(description="The model's share of the customer's next-4-weeks purchases for it, 0-1.")
    repeat: bool = Field(description="True when the customer bought it before (a repeat); False when new to them.")
    reasons: list[str] = Field(default_factory=list, description="Why, in words: their repeats or co-purchases.")


class CustomerRecommendations(BaseModel):
    customer_id: str
    known: bool = Field(description="False when the model has no purchase of theirs to go on (best sellers shown).")
    items: list[RecommendedItem]


class AudienceMember(BaseModel):
    customer_id: str
    score: float = Field(description="The model's share of the customer's next-4-weeks purchases for the product.")
    bought_before: bool
    reasons: list[str] = Field(default_factory=list)


class FeaturedProduct(BaseModel):
    """A product to feature for a segment."""

    product_id: str
    product_name: str = ""
    category: str = ""
    score: float = Field(description="Its share of the segment's predicted next-4-weeks purchases, 0-1.")
    buyers: int = Field(description="Customers of the segment who bought it before.")
    repeat_share: float = Field(description="Share of the score from customers who bought it before, 0-1.")


class ProductRef(BaseModel):
    product_id: str
    product_name: str = ""
    category: str = ""
    known: bool = Field(description="False when too few customers bought it for the model to score it directly.")


class RecommendProductsResult(BaseModel):
    mode: Literal["customers", "audience", "segment"]
    customers: list[CustomerRecommendations] = Field(default_factory=list)
    audience: list[AudienceMember] = Field(default_factory=list)
    featured: list[FeaturedProduct] = Field(default_factory=list)
    product: ProductRef | None = None
    segment: str | None = None
    population: int = Field(description="Customers considered (the audience's pool, the segment's size).")
    window_days: int = Field(description="How far ahead the model scores purchases.")
    as_of: str
    summary: str
    warnings: list[str] = Field(default_factory=list)
    model: dict[str, Any] = Field(default_factory=dict)


# ----------------------------------------------------------------------------------------------------
# The tool


def _read(folder: Path) -> tuple[FittedRecommender, dict[str, Any]]:
    return load_recommender(folder)


_cache = ModelCache(
    _read,
    what="recommender",
    train_hint="Train one with `marketing-agent train-recommender transactions.csv` (or build the demo: "
    "`marketing-agent demo`).",
)


def known_customer_ids(workspace: str | Path | Workspace | None = None) -> frozenset[str]:
    """The customer ids the workspace's recommender knows (none when none is trained)."""
    ws = Workspace.open(workspace)
    try:
        fitted, _ = _cache.get(ws.models_dir / "recommender", ws.root)
    except ModelNotTrainedError:
        return frozenset()
    return frozenset(str(c) for c in fitted.customer_ids)


def recommend_products(
    *,
    customer_ids: list[str] | None = None,
    product: str | None = None,
    segment: str | None = None,
    k: int = 10,
    exclude_purchased: bool = False,
    category: str | None = None,
    catalogue_only: bool = True,
    audience_size: int = 50,
    workspace: str | Path | Workspace | None = None,
) -> RecommendProductsResult:
    """Recommend products from customers' purchase histories: for customer_ids, the k products each is most
    likely to buy next, marked repeat or new with the reasons; for a product, the customers most likely to buy it
    (who to target); for a segment (a name, or at_risk, best, new, lapsed), the products to feature. Filters:
    category, exclude_purchased, catalogue_only."""
    request = RecommendProductsInput.model_validate(fields_of(locals()))
    ws = Workspace.open(workspace)
    fitted, manifest = _cache.get(ws.models_dir / "recommender", ws.root)
    shelf = _Shelf.of(fitted, catalogue_table(ws))
    warnings: list[str] = []
    allowed = shelf.allowed(request.category, request.catalogue_only, warnings)
    ids = _customer_ids(fitted, request.customer_ids) if request.customer_ids else None
    members: list[str] | None = None
    if request.segment and ids is not None:
        warnings.append(f"customers were named, so the segment {request.segment!r} was not used")
    elif request.segment:
        members = _segment_customers(request.segment, fitted, ws)
    common: dict[str, Any] = {
        "segment": request.segment if ids is None else None,
        "window_days": fitted.train.window_days,
        "as_of": fitted.as_of,
        "model": {
            "trained_on": manifest.get("source", ""),
            "saved_at": manifest.get("saved_at", ""),
            **manifest.get("metrics", {}),
            **card_reference(ws.models_dir / "recommender", ws.root),
        },
    }
    if request.product:
        pool = ids if ids is not None else members
        ref, audience = _audience(fitted, shelf, request, pool, warnings)
        population = len(pool) if pool is not None else len(fitted.customer_ids)
        summary = _audience_summary(ref, audience, population, request.segment if ids is None else None)
        return RecommendProductsResult(
            mode="audience", audience=audience, product=ref, population=population, summary=summary,
            warnings=warnings, **common,
        )  # fmt: skip
    if ids is not None:
        recommendations = _for_customers(fitted, shelf, ids, request, allowed, warnings)
        return RecommendProductsResult(
            mode="customers", customers=recommendations, population=len(ids),
            summary=_customers_summary(recommendations), warnings=warnings, **common,
        )  # fmt: skip
    assert members is not None and request.segment is not None
    featured = _for_segment(fitted, shelf, members, request.k, allowed)
    return RecommendProductsResult(
        mode="segment", featured=featured, population=len(members),
        summary=_segment_summary(request.segment, len(members), featured), warnings=warnings, **common,
    )  # fmt: skip


# ---- products: names, categories, what may be recommended ----------------------------------------------------


@dataclass
class _Shelf:
    """The products the model knows, with names and categories from the catalogue (when there is one)."""

    fitted: FittedRecommender
    names: dict[str, str]
    labels: dict[str, set[str]]  # product id -> its category and subcategory, lower case
    category: dict[str, str]  # product id -> its category as written
    listed: set[str] | None  # product ids in the catalogue (None without one)

    @classmethod
    def of(cls, fitted: FittedRecommender, catalogue: pd.DataFrame | None) -> _Shelf:
        names: dict[str, str] = {}
        labels: dict[str, set[str]] = {}
        category: dict[str, str] = {}
        for index, pid in enumerate(fitted.vocabulary.products, start=2):
            if text := fitted.category_of(index):
                category[pid] = text
                labels[pid] = {text.lower()}
        listed = None
        if catalogue is not None:
            listed = set(catalogue["product_id"])
            names = dict(zip(catalogue["product_id"], catalogue["name"], strict=True))
            for column in ("category", "subcategory"):
                if column not in catalogue:
                    continue
                for pid, text in zip(catalogue["product_id"], catalogue[column], strict=True):
                    if text:
                        labels.setdefault(pid, set()).add(text.lower())
                        if column == "category":
                            category[pid] = text
        return cls(fitted, names, labels, category, listed)

    def name(self, product_id: str) -> str:
        return self.names.get(product_id, "")

    def allowed(self, category: str | None, catalogue_only: bool, warnings: list[str]) -> np.ndarray:
        """(V,) True for the products that may be recommended."""
        products = self.fitted.vocabulary.products
        allowed = np.zeros(self.fitted.vocabulary.size, bool)
        allowed[2:] = True
        if catalogue_only and self.listed is not None:
            allowed[2:] &= np.fromiter((p in self.listed for p in products), bool, len(products))
            if not allowed.any():
                warnings.append("none of the products the model knows is in the catalogue, so none was left out")
                allowed[2:] = True
        if category:
            wanted = category.strip().lower()
            allowed[2:] &= np.fromiter((wanted in self.labels.get(p, set()) for p in products), bool, len(products))
            if not allowed.any():
                known = sorted({c for labels in self.labels.values() for c in labels})
                hint = f"; the categories are: {', '.join(known)}" if known else " (the products have no categories)"
                raise DataError("category", [DataProblem(f"no product to recommend in category {category!r}{hint}")])
        return allowed

    def item(self, product_id: str, score: float, reason: Reason, *, popular: bool = False) -> RecommendedItem:
        return RecommendedItem(
            product_id=product_id,
            product_name=self.name(product_id),
            category=self.category.get(product_id, ""),
            score=round(score, 5),
            repeat=reason.kind == "repeat",
            reasons=[self.explain(reason, product_id, popular=popular)],
        )

    def explain(self, reason: Reason, product_id: str, *, popular: bool = False) -> str:
        """A reason in a marketer's words."""
        fitted = self.fitted
        if reason.kind == "repeat":
            if reason.times <= 1:
                when = f", {reason.days_since} days ago" if reason.days_since else ""
                return f"Repeat: they bought it once before{when}"
            text = f"Repeat: they bought it on {reason.times} days"
            if reason.every_days > 0:
                text += f", about every {reason.every_days:.0f} days"
            text += f"; last {reason.days_since} days ago"
            if reason.every_days > 0 and reason.days_since >= DUE_SHARE * reason.every_days:
                text += " (due again)"
            return text
        if reason.kind == "co_purchase":
            anchor = self.name(reason.anchor) or reason.anchor
            return (
                f"New for them: {reason.shared:,} of the {reason.anchor_buyers:,} customers who bought {anchor}, as "
                "they did, also bought it"
            )
        if reason.kind == "category":
            return f"New for them: {reason.category} is a category they buy"
        index = int(fitted.vocabulary.index([product_id])[0])
        recent = int(fitted.recent_buyers[index]) if index > UNKNOWN else 0
        prefix = "Best seller" if popular else "New for them: popular lately"
        return f"{prefix}: {recent:,} customers bought it in the last {fitted.train.window_days} days"


# ---- customers ------------------------------------------------------------------------------------------------


def _customer_ids(fitted: FittedRecommender, given: list[str]) -> list[str]:
    """The ids as the model knows them (case and spacing forgiven); unknown ones are a clear error with close
    matches."""
    known = {str(c).lower(): str(c) for c in fitted.customer_ids}
    found: list[str] = []
    problems: list[DataProblem] = []
    for raw in dict.fromkeys(given):
        match = known.get(raw.strip().lower())
        if match is not None:
            found.append(match)
            continue
        close = difflib.get_close_matches(raw.strip().lower(), list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(known[c] for c in close)}?" if close else ""
        problems.append(DataProblem(f"no customer {raw!r} in the transactions the recommender learned from{hint}"))
    if problems:
        raise DataError(
            "customer_ids",
            problems,
            f"The recommender knows the {len(known):,} customers with a purchase up to {fitted.as_of}; a new customer "
            "appears once the model is retrained on transactions that include them.",
        )
    return found


def _segment_customers(segment: str, fitted: FittedRecommender, ws: Workspace) -> list[str]:
    from tools.segments import segment_members

    members = segment_members(segment, workspace=ws)
    known = [c for c in members if fitted.row(c) is not None]
    if not known:
        raise DataError(
            "segment",
            [DataProblem(f"none of the {len(members):,} customers in {segment!r} is known to the recommender")],
            "Retrain the recommender on the same transactions as the customer model.",
        )
    return known


def _for_customers(
    fitted: FittedRecommender,
    shelf: _Shelf,
    ids: list[str],
    request: RecommendProductsInput,
    allowed: np.ndarray,
    warnings: list[str],
) -> list[CustomerRecommendations]:
    tops = fitted.top_k(ids, request.k, exclude_purchased=request.exclude_purchased, allowed=allowed)
    out: list[CustomerRecommendations] = []
    new: list[str] = []
    for customer_id, top in zip(ids, tops, strict=True):
        row = fitted.row(customer_id)
        known = row is not None and len(fitted.bought(row)) > 0
        if not known:
            new.append(customer_id)
            items = [shelf.item(p, 0.0, Reason("popular"), popular=True) for p in fitted.popular(request.k, allowed)]
        else:
            items = [shelf.item(p, score, fitted.reason(customer_id, p)) for p, score in top]
        out.append(CustomerRecommendations(customer_id=customer_id, known=known, items=items))
    if new:
        shown = ", ".join(new[:5]) + (f" and {len(new) - 5:,} more" if len(new) > 5 else "")
        warnings.append(
            f"no purchase the model knows for {shown}: they get the best sellers of the last "
            f"{fitted.train.window_days} days instead"
        )
    return out


# ---- a product's audience -------------------------------------------------------------------------------------


def _audience(
    fitted: FittedRecommender,
    shelf: _Shelf,
    request: RecommendProductsInput,
    pool: list[str] | None,
    warnings: list[str],
) -> tuple[ProductRef, list[AudienceMember]]:
    assert request.product is not None
    product_id = _resolve_product(request.product, fitted, shelf)
    index = int(fitted.vocabulary.index([product_id])[0])
    rows = (
        np.array([fitted.row(c) for c in pool], dtype=np.int64)
        if pool is not None
        else np.arange(len(fitted.customer_ids))
    )
    ref = ProductRef(
        product_id=product_id,
        product_name=shelf.name(product_id),
        category=shelf.category.get(product_id, ""),
        known=index > UNKNOWN,
    )
    if index > UNKNOWN:
        scores = fitted.scores_for(rows, np.array([index]))[:, 0]
    else:
        # too few buyers to score it: the customers most likely to buy its category instead
        category = shelf.category.get(product_id, "")
        same = np.array(
            [
                j
                for j, p in enumerate(fitted.vocabulary.products, start=2)
                if category and shelf.category.get(p) == category
            ],
            dtype=np.int64,
        )
        if not len(same):
            raise DataError(
                "product",
                [DataProblem(f"too few customers bought {shelf.name(product_id) or product_id} to pick its audience")],
                "Give it a category in the catalogue, so its audience can come from the category's buyers.",
            )
        scores = fitted.scores_for(rows, same).sum(axis=1)
        warnings.append(
            f"{shelf.name(product_id) or product_id} is new or rarely bought, so its audience is the customers most "
            f"likely to buy from its category, {category}"
        )
    buyers = set(fitted.buyers_of(index).tolist()) if index > UNKNOWN else set()
    order = np.argsort(-scores, kind="stable")
    if request.exclude_purchased:
        order = np.array([i for i in order if int(rows[i]) not in buyers], dtype=np.int64)
    audience = []
    for i in order[: request.audience_size]:
        customer_id = str(fitted.customer_ids[rows[i]])
        bought = int(rows[i]) in buyers
        reasons = [shelf.explain(fitted.reason(customer_id, product_id), product_id)] if index > UNKNOWN else []
        audience.append(
            AudienceMember(
                customer_id=customer_id, score=round(float(scores[i]), 5), bought_before=bought, reasons=reasons
            )
        )
    return ref, audience


def _resolve_product(text: str, fitted: FittedRecommender, shelf: _Shelf) -> str:
    """A product id from an id or (fuzzy) name, among the products the model or the catalogue knows."""
    known = dict.fromkeys(fitted.vocabulary.products, 0) | dict.fromkeys(shelf.listed or (), 0)
    if text.strip() in known:
        return text.strip()
    names = {pid: shelf.names.get(pid, pid) for pid in known}
    return resolve_product(text, names, known)


# ---- a segment's products --------------------------------------------------------------------------------------


def _for_segment(
    fitted: FittedRecommender, shelf: _Shelf, members: list[str], k: int, allowed: np.ndarray
) -> list[FeaturedProduct]:
    rows = np.array([fitted.row(c) for c in members], dtype=np.int64)
    totals = np.zeros(fitted.vocabulary.size)
    repeat = np.zeros(fitted.vocabulary.size)
    bought_by = np.zeros(fitted.vocabulary.size)
    for start in range(0, len(rows), 1024):
        part = rows[start : start + 1024]
        p = fitted.probabilities(part).astype(np.float64)
        owned = np.zeros_like(p, dtype=bool)
        for i, row in enumerate(part):
            owned[i, fitted.bought(int(row))] = True
        totals += p.sum(axis=0)
        repeat += (p * owned).sum(axis=0)
        bought_by += owned.sum(axis=0)
    scores = np.where(allowed, totals / max(len(rows), 1), -np.inf)
    order = [int(j) for j in np.argsort(-scores, kind="stable")[:k] if np.isfinite(scores[j])]
    featured = []
    for j in order:
        pid = fitted.vocabulary.product(j)
        featured.append(
            FeaturedProduct(
                product_id=pid,
                product_name=shelf.name(pid),
                category=shelf.category.get(pid, ""),
                score=round(float(scores[j]), 5),
                buyers=int(bought_by[j]),
                repeat_share=round(float(repeat[j] / totals[j]) if totals[j] > 0 else 0.0, 4),
            )
        )
    return featured


# ---- summaries -------------------------------------------------------------------------------------------------


def _label(name: str, product_id: str) -> str:
    return name or product_id


GROUPS = {
    "at_risk": "at-risk customers",
    "best": "best customers",
    "new": "new customers",
    "lapsed": "lapsed customers",
}


def targeted_customers(result: Mapping[str, Any], workspace: Any = None) -> list[str]:
    """The customers a product's audience targets (what a targeting audit checks); none in the other modes."""
    if result.get("mode") != "audience":
        return []
    return [str(m["customer_id"]) for m in result.get("audience", [])]


def group_label(segment: str) -> str:
    """A segment or filter as a marketer says it: "at_risk" -> "at-risk customers"."""
    key = segment.strip().lower().replace(" ", "_").replace("-", "_")
    return GROUPS.get(key, segment)


def _customers_summary(recommendations: list[CustomerRecommendations]) -> str:
    items = [i for r in recommendations for i in r.items]
    if not items:
        return "No product matched the filters."
    repeats = sum(i.repeat for i in items)
    if len(recommendations) == 1:
        first = recommendations[0].items[0]
        return (
            f"Top pick for {recommendations[0].customer_id}: {_label(first.product_name, first.product_id)} "
            f"({'a repeat' if first.repeat else 'new for them'}); {repeats} of {len(items)} picks are repeats."
        )
    return (
        f"{len(items):,} picks for {len(recommendations):,} customers; {repeats:,} are repeats, the rest new to them."
    )


def _audience_summary(ref: ProductRef, audience: list[AudienceMember], population: int, segment: str | None) -> str:
    name = _label(ref.product_name, ref.product_id)
    among = f" among {population:,} {group_label(segment)}" if segment else f" of {population:,} customers"
    if not audience:
        return f"No customer{among} left to target for {name}."
    bought = sum(a.bought_before for a in audience)
    return (
        f"The {len(audience):,} customers{among} most likely to buy {name} next; {bought:,} of them bought it before."
    )


def _segment_summary(segment: str, size: int, featured: list[FeaturedProduct]) -> str:
    if not featured:
        return f"No product matched the filters for {group_label(segment)}."
    top = featured[0]
    return (
        f"Feature {_label(top.product_name, top.product_id)} for {group_label(segment)} ({size:,} customers): "
        f"{top.score:.0%} of their predicted next purchases."
    )
