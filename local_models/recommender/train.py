"""Turning purchase lines into training examples, training the recommender, recommending, saving and loading.

Examples come from the user's own history: pick a cut-off, describe each customer by what they bought before it,
and label them with the products they bought in the window after it (4 weeks). Cut-offs every two weeks give many
examples per customer. Everything here takes a plain DataFrame of purchase lines (no CSV handling):
customer_id (str), date (datetime64), product_id (str), quantity (float; optional), amount (float; optional,
negative lines are returns and are dropped).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from local_models.recommender.model import (
    CUSTOMER_FEATURES,
    EVENT_FEATURES,
    PAD,
    REPEAT_FEATURES,
    UNKNOWN,
    RecommenderConfig,
    RecommenderModel,
    one_negative_bce_loss,
    softmax_loss,
)

KIND = "recommender"
FORMAT_VERSION = 1
PRIOR_SCALE = 6.0  # the starting weight of log(1 + times bought) in a repeat's score; learnt after


@dataclass
class RecommenderTrainConfig:
    loss: Literal["softmax", "bce"] = "softmax"
    side_features: bool = True
    repeat_features: bool = True
    # start from personal frequency + popularity (a repeat's score from log times bought, every product's bias from
    # log buyers), the baseline a next-basket model must beat (Li et al. 2023), and keep it unless training beats it
    frequency_prior: bool = True
    window_days: int = 28  # "next": the products bought in the 4 weeks after a cut-off
    stride_days: int = 14  # cut-offs every two weeks, back from the data's end
    max_cutoffs: int = 12
    min_buyers: int = 2  # products bought by fewer customers are not recommended (too little to learn from)
    max_items: int = 20_000  # the most-bought products, PAD and UNKNOWN included
    max_categories: int = 512
    max_seconds: float = 480.0
    max_epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-2
    patience: int = 3  # epochs without a validation gain
    validation_share: float = 0.1  # customers held out (all their cut-offs) for early stopping
    seed: int = 0
    threads: int | None = None
    progress: bool = False


# ----------------------------------------------------------------------------------------------------
# Purchase lines and the product vocabulary


def purchase_lines(purchases: pd.DataFrame) -> pd.DataFrame:
    """One row per (customer, day, product) bought, returns dropped: customer_id, date, product_id, quantity, amount."""
    frame = purchases.copy()
    if "quantity" not in frame:
        frame["quantity"] = 1.0
    if "amount" not in frame:
        frame["amount"] = 0.0
    frame["customer_id"] = frame["customer_id"].astype(str)
    frame["product_id"] = frame["product_id"].astype(str)
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    frame = frame[(frame["product_id"] != "") & (frame["amount"] >= 0) & (frame["quantity"] >= 0)]
    if "is_return" in frame:
        frame = frame[~frame["is_return"].astype(bool)]
    lines = frame.groupby(["customer_id", "date", "product_id"], sort=True, observed=True)[["quantity", "amount"]]
    return lines.sum().reset_index()


@dataclass
class Vocabulary:
    """Products (index i+2; 0 = PAD, 1 = UNKNOWN), their categories (index i+1; 0 = unknown) and price bands."""

    products: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    item_category: list[int] = field(default_factory=list)  # per product index
    item_band: list[int] = field(default_factory=list)  # per product index
    band_edges: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._index = {p: i + 2 for i, p in enumerate(self.products)}

    @property
    def size(self) -> int:
        return len(self.products) + 2

    def index(self, products: pd.Series | Sequence[str]) -> np.ndarray:
        """Product ids -> indices (UNKNOWN for products outside the vocabulary)."""
        return np.fromiter((self._index.get(str(p), UNKNOWN) for p in products), dtype=np.int64, count=len(products))

    def product(self, index: int) -> str:
        return self.products[index - 2]


def build_vocabulary(lines: pd.DataFrame, items: pd.DataFrame | None, train: RecommenderTrainConfig) -> Vocabulary:
    """The most-bought products (by distinct buyers), with category and price band from `items` (or, for price,
    the median price paid)."""
    buyers = lines.groupby("product_id")["customer_id"].nunique()
    buyers = buyers[buyers >= train.min_buyers]
    ranked = buyers.reset_index().sort_values(["customer_id", "product_id"], ascending=[False, True])
    products = ranked["product_id"].astype(str).tolist()[: train.max_items - 2]
    facts = pd.DataFrame(index=pd.Index(products, name="product_id"))
    paid = lines[lines["quantity"] > 0].assign(unit=lambda f: f["amount"] / f["quantity"])
    facts["price"] = paid.groupby("product_id")["unit"].median().reindex(facts.index)
    facts["category"] = ""
    if items is not None and len(items):
        known = items.drop_duplicates("product_id").set_index(
            items.drop_duplicates("product_id")["product_id"].astype(str)
        )
        if "category" in known:
            facts["category"] = known["category"].reindex(facts.index).fillna("").astype(str)
        if "price" in known:
            listed = pd.to_numeric(known["price"], errors="coerce").reindex(facts.index)
            facts["price"] = listed.where(listed > 0, facts["price"])
    counts = facts.loc[facts["category"] != "", "category"].value_counts()
    categories = counts.index.astype(str).tolist()[: train.max_categories - 1]
    category_index = {c: i + 1 for i, c in enumerate(categories)}
    prices = facts["price"].to_numpy(dtype=np.float64)
    valid = np.isfinite(prices) & (prices > 0)
    edges = np.unique(np.quantile(prices[valid], np.linspace(0, 1, 9)[1:-1])) if valid.any() else np.zeros(0)
    bands = np.where(valid, 1 + np.searchsorted(edges, np.nan_to_num(prices), side="right"), 0)
    return Vocabulary(
        products=products,
        categories=categories,
        item_category=[0, 0, *(category_index.get(c, 0) for c in facts["category"])],
        item_band=[0, 0, *bands.astype(int).tolist()],
        band_edges=edges.tolist(),
    )


# ----------------------------------------------------------------------------------------------------
# Examples


@dataclass
class Examples:
    """Model inputs for N customers at one cut-off, plus the products they bought after it when known."""

    customer_ids: np.ndarray  # (N,) str
    items: np.ndarray  # (N, E) int64, most recent first
    events: np.ndarray  # (N, E, 3) float32
    mask: np.ndarray  # (N, E) bool
    customer: np.ndarray  # (N, 4) float32
    repeat_items: np.ndarray  # (N, R) int64
    repeat: np.ndarray  # (N, R, 6) float32
    repeat_raw: np.ndarray  # (N, R, 3) float32: days bought, days since last, usual gap (for reasons)
    target_indptr: np.ndarray | None = None  # (N+1,) CSR over target_items
    target_items: np.ndarray | None = None  # products bought in the window (in the vocabulary)

    def __len__(self) -> int:
        return len(self.customer_ids)

    def take(self, index: np.ndarray) -> Examples:
        taken = Examples(
            self.customer_ids[index],
            self.items[index],
            self.events[index],
            self.mask[index],
            self.customer[index],
            self.repeat_items[index],
            self.repeat[index],
            self.repeat_raw[index],
        )
        if self.target_indptr is not None and self.target_items is not None:
            starts, ends = self.target_indptr[index], self.target_indptr[index + 1]
            taken.target_indptr = np.concatenate([[0], np.cumsum(ends - starts)]).astype(np.int64)
            taken.target_items = (
                np.concatenate([self.target_items[s:e] for s, e in zip(starts, ends, strict=True)])
                if len(index)
                else np.zeros(0, np.int64)
            )
        return taken

    def targets(self, row: int) -> np.ndarray:
        assert self.target_indptr is not None and self.target_items is not None
        return self.target_items[self.target_indptr[row] : self.target_indptr[row + 1]]


def make_examples(
    lines: pd.DataFrame,
    cutoff: pd.Timestamp,
    vocabulary: Vocabulary,
    config: RecommenderConfig,
    *,
    window_days: int | None = None,
) -> Examples:
    """Customers who bought before `cutoff`, described by what they bought before it; with `window_days`, labelled
    with the products they bought in the window after it (customers with none are kept, with no targets)."""
    past = lines[lines["date"] < cutoff].sort_values(["customer_id", "date", "product_id"], kind="stable")
    customers = np.asarray(sorted(past["customer_id"].unique()), dtype=str)
    position = pd.Series(np.arange(len(customers)), index=customers)
    N, E, R = len(customers), config.max_events, config.max_repeats
    before = (cutoff - past["date"]).dt.days.to_numpy(dtype=np.float64)  # >= 1
    past = past.assign(before=before, item=vocabulary.index(past["product_id"]))

    # the customer's purchase days, and the gap from each to the previous one
    days = past[["customer_id", "before"]].drop_duplicates()
    days = days.assign(gap=-days.groupby("customer_id")["before"].diff().fillna(0.0))
    past = past.merge(days, on=["customer_id", "before"], how="left")

    items = np.zeros((N, E), np.int64)
    events = np.zeros((N, E, EVENT_FEATURES), np.float32)
    mask = np.zeros((N, E), bool)
    from_end = past.groupby("customer_id").cumcount(ascending=False).to_numpy()
    recent = past[from_end < E]
    row = position[recent["customer_id"]].to_numpy()
    col = from_end[from_end < E]
    items[row, col] = recent["item"].to_numpy()
    events[row, col] = np.stack(
        [np.log1p(recent["before"]), np.log1p(recent["gap"]), np.log1p(recent["quantity"].clip(lower=0))], axis=1
    )
    mask[row, col] = True

    per_customer = days.groupby("customer_id")["before"].agg(["size", "min", "max"])
    distinct = past.groupby("customer_id")["product_id"].nunique()
    customer = np.zeros((N, CUSTOMER_FEATURES), np.float32)
    customer[position[per_customer.index].to_numpy()] = np.log1p(
        np.stack(
            [per_customer["size"], per_customer["min"], distinct.reindex(per_customer.index), per_customer["max"]],
            axis=1,
        )
    )

    repeat_items, repeat, repeat_raw = _repeats(past, per_customer["size"], position, N, R)
    examples = Examples(customers, items, events, mask, customer, repeat_items, repeat, repeat_raw)
    if window_days is not None:
        window = lines[(lines["date"] >= cutoff) & (lines["date"] < cutoff + pd.Timedelta(days=window_days))]
        window = window[window["customer_id"].isin(position.index)]
        pairs = window.assign(item=vocabulary.index(window["product_id"]))[["customer_id", "item"]]
        pairs = pairs[pairs["item"] > UNKNOWN].drop_duplicates()
        pairs = pairs.assign(row=position[pairs["customer_id"]].to_numpy()).sort_values(["row", "item"])
        counts = np.bincount(pairs["row"].to_numpy(), minlength=N)
        examples.target_indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        examples.target_items = pairs["item"].to_numpy(dtype=np.int64)
    return examples


def _repeats(
    past: pd.DataFrame, baskets: pd.Series, position: pd.Series, N: int, R: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The customer's own products (in the vocabulary), most bought first, with what the repeat head reads."""
    known = past[past["item"] > UNKNOWN]
    bought = known.groupby(["customer_id", "item"], sort=False).agg(
        quantity=("quantity", "sum"), times=("before", "size"), last=("before", "min"), first=("before", "max")
    )
    bought = bought.reset_index().sort_values(["customer_id", "times", "last"], ascending=[True, False, True])
    rank = bought.groupby("customer_id").cumcount().to_numpy()
    bought = bought[rank < R]
    rank = rank[rank < R]
    times = bought["times"].to_numpy(dtype=np.float64)
    last = bought["last"].to_numpy(dtype=np.float64)
    gap = np.where(times > 1, (bought["first"].to_numpy(dtype=np.float64) - last) / np.maximum(times - 1, 1), 0.0)
    due = np.where(gap > 0, np.minimum(last / np.maximum(gap, 1e-9), 5.0), 0.0)
    share = times / baskets.reindex(bought["customer_id"]).to_numpy(dtype=np.float64)
    row = position[bought["customer_id"]].to_numpy()
    repeat_items = np.zeros((N, R), np.int64)
    repeat = np.zeros((N, R, REPEAT_FEATURES), np.float32)
    raw = np.zeros((N, R, 3), np.float32)
    repeat_items[row, rank] = bought["item"].to_numpy()
    repeat[row, rank] = np.stack(
        [np.log1p(bought["quantity"].clip(lower=0)), np.log1p(times), np.log1p(last), np.log1p(gap), due, share],
        axis=1,
    )
    raw[row, rank] = np.stack([times, last, gap], axis=1)
    return repeat_items, repeat, raw


def cutoffs(lines: pd.DataFrame, train: RecommenderTrainConfig) -> list[pd.Timestamp]:
    """Training cut-offs, latest first: the data's end less one window, then every `stride_days` back, each with
    at least a window of history before it."""
    end = lines["date"].max() + pd.Timedelta(days=1)
    start = lines["date"].min()
    chosen = []
    for k in range(train.max_cutoffs):
        cutoff = end - pd.Timedelta(days=train.window_days + k * train.stride_days)
        if cutoff - start < pd.Timedelta(days=train.window_days):
            break
        chosen.append(cutoff)
    return chosen


# ----------------------------------------------------------------------------------------------------
# Training


@dataclass
class Reason:
    """Why a product was recommended to a customer, as facts (the tool writes the words)."""

    kind: Literal["repeat", "co_purchase", "category", "popular"]
    times: int = 0  # repeat: how many days they bought it
    days_since: int = 0  # repeat: days since they last did
    every_days: float = 0.0  # repeat: their usual gap (0 when bought once)
    anchor: str = ""  # co_purchase: a product they bought that its buyers also buy
    shared: int = 0  # co_purchase: customers who bought both
    anchor_buyers: int = 0  # co_purchase: customers who bought the anchor
    category: str = ""


@dataclass
class FittedRecommender:
    """A trained model with the state it recommends from: every customer's history as of the data's end."""

    model: RecommenderModel
    vocabulary: Vocabulary
    state: Examples  # every customer as of `as_of`
    history_indptr: np.ndarray  # (N+1,) CSR: products each customer bought (in the vocabulary)
    history_items: np.ndarray
    buyers: np.ndarray  # (V,) customers who bought each product
    recent_buyers: np.ndarray  # (V,) the same over the last window before `as_of`
    as_of: str
    metrics: dict[str, float]
    train: RecommenderTrainConfig = field(default_factory=RecommenderTrainConfig)

    def __post_init__(self) -> None:
        self._row = {str(c): i for i, c in enumerate(self.state.customer_ids)}
        self._buyers_of: dict[int, np.ndarray] | None = None

    @property
    def customer_ids(self) -> np.ndarray:
        return self.state.customer_ids

    def row(self, customer_id: str) -> int | None:
        return self._row.get(str(customer_id))

    def bought(self, row: int) -> np.ndarray:
        return self.history_items[self.history_indptr[row] : self.history_indptr[row + 1]]

    @torch.no_grad()
    def probabilities(self, rows: np.ndarray, batch: int = 1024) -> np.ndarray:
        """P(product | customer) for the customers at `rows` -> (len(rows), V) float32; PAD and UNKNOWN are 0."""
        self.model.eval()
        parts = [
            torch.softmax(self.model(**_tensors(self.state.take(rows[s : s + batch]))), dim=-1).numpy()
            for s in range(0, len(rows), batch)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, self.vocabulary.size), np.float32)

    def popularity(self) -> np.ndarray:
        """A score per product for customers the model has not seen: recent buyers, then all-time buyers."""
        score: np.ndarray = (self.recent_buyers + self.buyers / (self.buyers.max() + 1.0)).astype(np.float64)
        score[[PAD, UNKNOWN]] = -np.inf
        return score

    def top_k(
        self,
        customer_ids: Sequence[str],
        k: int,
        *,
        exclude_purchased: bool = False,
        allowed: np.ndarray | None = None,
    ) -> list[list[tuple[str, float]]]:
        """The `k` most likely products for each customer (product id, probability), most likely first. Customers the
        model has not seen get the most popular products (score 0). `allowed` (V,) bool limits the products."""
        rows = np.array([self._row.get(str(c), -1) for c in customer_ids], dtype=np.int64)
        known = rows >= 0
        scores = np.zeros((len(rows), self.vocabulary.size), np.float64)
        scores[known] = self.probabilities(rows[known])
        fallback = self.popularity()
        out: list[list[tuple[str, float]]] = []
        for i, row in enumerate(rows):
            s = scores[i] if row >= 0 else fallback.copy()
            s[[PAD, UNKNOWN]] = -np.inf
            if allowed is not None:
                s[~allowed] = -np.inf
            if exclude_purchased and row >= 0:
                s[self.bought(int(row))] = -np.inf
            top = _top(s, k)
            out.append([(self.vocabulary.product(int(j)), float(s[j]) if row >= 0 else 0.0) for j in top])
        return out

    def scores_for(self, rows: np.ndarray, items: np.ndarray, batch: int = 1024) -> np.ndarray:
        """P(product | customer) of products `items` for the customers at `rows` -> (len(rows), len(items))."""
        parts = [self.probabilities(rows[s : s + batch])[:, items] for s in range(0, len(rows), batch)]
        return np.concatenate(parts) if parts else np.zeros((0, len(items)), np.float32)

    def popular(self, k: int, allowed: np.ndarray | None = None) -> list[str]:
        """The `k` best sellers (recent buyers first) among `allowed` products: for customers with no history."""
        scores = self.popularity()
        if allowed is not None:
            scores[~allowed] = -np.inf
        return [self.vocabulary.product(int(j)) for j in _top(scores, k)]

    def buyers_of(self, item: int) -> np.ndarray:
        """Rows of the customers who bought product `item`."""
        if self._buyers_of is None:
            rows = np.repeat(np.arange(len(self.state)), np.diff(self.history_indptr))
            order = np.argsort(self.history_items, kind="stable")
            items, rows = self.history_items[order], rows[order]
            bounds = np.flatnonzero(np.diff(items)) + 1
            self._buyers_of = {
                int(group[0]): r
                for group, r in zip(np.split(items, bounds), np.split(rows, bounds), strict=True)
                if len(group)
            }
        return self._buyers_of.get(int(item), np.zeros(0, np.int64))

    def reason(self, customer_id: str, product_id: str) -> Reason:
        """Why `product_id` suits `customer_id`: their own repeat pattern, a product they bought whose buyers buy it
        too, a category they buy, or its popularity."""
        item = int(self.vocabulary.index([product_id])[0])
        row = self.row(customer_id)
        category = self.category_of(item)
        if row is None or item <= UNKNOWN:
            return Reason("popular", category=category)
        repeats = self.state.repeat_items[row]
        hit = np.flatnonzero(repeats == item)
        if len(hit):
            times, since, gap = self.state.repeat_raw[row, hit[0]]
            return Reason("repeat", times=int(times), days_since=int(since), every_days=float(gap), category=category)
        bought = self.bought(row)
        if item in set(bought.tolist()):
            return Reason("repeat", times=1, category=category)
        buyers = self.buyers_of(item)
        best, shared, of, confidence = -1, 0, 0, 0.0
        for anchor in self.state.repeat_items[row][self.state.repeat_items[row] > UNKNOWN][:32]:
            anchor_buyers = self.buyers_of(int(anchor))
            overlap = len(np.intersect1d(buyers, anchor_buyers, assume_unique=True))
            # the product they bought whose buyers most often bought this one too (not the most popular one)
            if overlap >= 2 and overlap / len(anchor_buyers) > confidence:
                best, shared, of, confidence = int(anchor), overlap, len(anchor_buyers), overlap / len(anchor_buyers)
        if best > UNKNOWN:
            return Reason(
                "co_purchase", anchor=self.vocabulary.product(best), shared=shared, anchor_buyers=of, category=category
            )
        own_categories = {self.vocabulary.item_category[int(j)] for j in bought}
        if category and self.vocabulary.item_category[item] in own_categories:
            return Reason("category", category=category)
        return Reason("popular", category=category)

    def category_of(self, item: int) -> str:
        index = self.vocabulary.item_category[item] if 0 <= item < self.vocabulary.size else 0
        return self.vocabulary.categories[index - 1] if index > 0 else ""


def fit_recommender(
    purchases: pd.DataFrame,
    items: pd.DataFrame | None = None,
    train: RecommenderTrainConfig | None = None,
    config: RecommenderConfig | None = None,
) -> FittedRecommender:
    """Train the recommender on purchase lines (see the module docstring); `items` (product_id, category, price)
    adds side features."""
    train = train or RecommenderTrainConfig()
    torch.manual_seed(train.seed)
    torch.set_num_threads(train.threads or os.cpu_count() or 1)
    rng = np.random.default_rng(train.seed)
    generator = torch.Generator().manual_seed(train.seed)
    started = time.perf_counter()
    lines = purchase_lines(purchases)
    if lines.empty:
        raise ValueError("no purchase lines with a product id")
    vocabulary = build_vocabulary(lines, items, train)
    if vocabulary.size <= 2:
        raise ValueError(f"no product was bought by {train.min_buyers} or more customers: nothing to learn from")
    config = replace(
        config or RecommenderConfig(),
        items=vocabulary.size,
        categories=len(vocabulary.categories) + 1,
        price_bands=len(vocabulary.band_edges) + 2,
        side_features=train.side_features,
        repeat_features=train.repeat_features,
        repeat_prior=PRIOR_SCALE if train.frequency_prior else 0.0,
    )
    sets = [make_examples(lines, c, vocabulary, config, window_days=train.window_days) for c in cutoffs(lines, train)]
    sets = [s.take(np.flatnonzero(np.diff(s.target_indptr) > 0)) for s in sets if s.target_indptr is not None]
    sets = [s for s in sets if len(s)]
    if not sets:
        raise ValueError(
            f"not enough history: the recommender learns from what customers bought in the {train.window_days} days "
            f"after earlier dates, and needs at least {2 * train.window_days} days of purchases"
        )
    data = _concat(sets)
    held_out = _held_out_customers(data.customer_ids, train.validation_share, rng)
    fit_part, check_part = data.take(np.flatnonzero(~held_out)), data.take(np.flatnonzero(held_out))
    model = RecommenderModel(config, torch.tensor(vocabulary.item_category), torch.tensor(vocabulary.item_band))
    if train.frequency_prior:
        with torch.no_grad():
            prior = np.log1p(_buyer_counts(lines, vocabulary))
            model.bias.copy_(torch.from_numpy(prior - prior[2:].mean()).float())
    best, epochs, prior = _train(model, fit_part, check_part, train, rng, generator, started)
    model.eval()
    as_of = lines["date"].max() + pd.Timedelta(days=1)
    state = make_examples(lines, as_of, vocabulary, config)
    indptr, history = _history(lines, state.customer_ids, vocabulary)
    recent = lines[lines["date"] >= as_of - pd.Timedelta(days=train.window_days)]
    metrics = {
        "validation_recall_at_20": float(best),
        "validation_recall_at_20_popularity": _popularity_recall(check_part, _buyer_counts(lines, vocabulary), 20),
        "validation_recall_at_20_frequency_prior": prior,
        "validation_customers": float(len(np.unique(check_part.customer_ids))),
        "epochs": float(epochs),
        "examples": float(len(data)),
        "customers": float(len(state)),
        "products": float(vocabulary.size - 2),
        "train_seconds": time.perf_counter() - started,
    }
    return FittedRecommender(
        model=model,
        vocabulary=vocabulary,
        state=state,
        history_indptr=indptr,
        history_items=history,
        buyers=_buyer_counts(lines, vocabulary),
        recent_buyers=_buyer_counts(recent, vocabulary),
        as_of=as_of.date().isoformat(),
        metrics=metrics,
        train=train,
    )


def _train(
    model: RecommenderModel,
    fit_part: Examples,
    check_part: Examples,
    train: RecommenderTrainConfig,
    rng: np.random.Generator,
    generator: torch.Generator,
    started: float,
) -> tuple[float, int, float]:
    """Epochs until held-out recall@20 stops improving or time runs out; leaves the model at its best state.
    Returns that recall, the epochs run and the recall of the frequency prior alone (NaN without one)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    best, best_state, stale, epochs, prior = -math.inf, _state(model), 0, 0, math.nan
    if train.frequency_prior and len(check_part):
        best = prior = _recall(model, check_part, 20)  # the prior alone: training must beat it to replace it
    bar = tqdm(total=train.max_epochs, desc="Training the recommender", unit="epoch", disable=not train.progress)
    while epochs < train.max_epochs:
        epochs += 1
        _epoch(model, optimizer, fit_part, train, rng, generator)
        score = _recall(model, check_part, 20) if len(check_part) else -float(epochs)
        bar.update(1)
        bar.set_postfix(recall_at_20=f"{score:.3f}")
        if score > best + 1e-4:
            best, best_state, stale = score, _state(model), 0
        else:
            stale += 1
        if stale >= train.patience or time.perf_counter() - started > train.max_seconds:
            break
    bar.close()
    model.load_state_dict(best_state)
    return best, epochs, prior


def _history(lines: pd.DataFrame, customers: np.ndarray, vocabulary: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    pairs = lines[["customer_id", "product_id"]].drop_duplicates()
    pairs = pairs.assign(item=vocabulary.index(pairs["product_id"]))
    pairs = pairs[pairs["item"] > UNKNOWN]
    position = pd.Series(np.arange(len(customers)), index=customers)
    pairs = pairs.assign(row=position[pairs["customer_id"]].to_numpy()).sort_values(["row", "item"])
    counts = np.bincount(pairs["row"].to_numpy(), minlength=len(customers))
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), pairs["item"].to_numpy(dtype=np.int64)


def _buyer_counts(lines: pd.DataFrame, vocabulary: Vocabulary) -> np.ndarray:
    per_product = lines.groupby("product_id")["customer_id"].nunique()
    counts = np.zeros(vocabulary.size, np.float64)
    index = vocabulary.index(per_product.index.astype(str).tolist())
    keep = index > UNKNOWN
    counts[index[keep]] = per_product.to_numpy(dtype=np.float64)[keep]
    return counts


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    finite = int(np.isfinite(scores).sum())
    k = min(k, finite)
    if k <= 0:
        return np.zeros(0, np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def _held_out_customers(ids: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Hold out whole customers (all their cut-offs), so validation never sees a trained customer."""
    unique = np.unique(ids)
    size = int(len(unique) * share)
    chosen = set(rng.choice(unique, size=size, replace=False).tolist()) if size > 0 else set()
    return np.array([cid in chosen for cid in ids], dtype=bool)


def _concat(sets: Sequence[Examples]) -> Examples:
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(s, name) for s in sets])

    offsets = np.cumsum([0] + [len(s.target_items) for s in sets if s.target_items is not None])
    indptr = np.concatenate(
        [[0]]
        + [s.target_indptr[1:] + off for s, off in zip(sets, offsets, strict=False) if s.target_indptr is not None]
    )
    data = Examples(
        *(
            joined(n)
            for n in ("customer_ids", "items", "events", "mask", "customer", "repeat_items", "repeat", "repeat_raw")
        )
    )
    data.target_indptr = indptr.astype(np.int64)
    data.target_items = joined("target_items")
    return data


def _tensors(batch: Examples) -> dict[str, torch.Tensor]:
    return {
        "items": torch.from_numpy(batch.items),
        "events": torch.from_numpy(batch.events),
        "mask": torch.from_numpy(batch.mask),
        "customer": torch.from_numpy(batch.customer),
        "repeat_items": torch.from_numpy(batch.repeat_items),
        "repeat": torch.from_numpy(batch.repeat),
    }


def _pairs(batch: Examples) -> tuple[torch.Tensor, torch.Tensor]:
    assert batch.target_indptr is not None and batch.target_items is not None
    rows = np.repeat(np.arange(len(batch)), np.diff(batch.target_indptr))
    return torch.from_numpy(rows), torch.from_numpy(batch.target_items)


def _batch_loss(model: RecommenderModel, batch: Examples, loss: str, generator: torch.Generator) -> torch.Tensor:
    logits = model(**_tensors(batch))
    rows, items = _pairs(batch)
    if loss == "bce":
        return one_negative_bce_loss(logits, rows, items, generator)
    target = torch.zeros_like(logits)
    target[rows, items] = 1.0
    return softmax_loss(logits, target / target.sum(-1, keepdim=True).clamp(min=1.0))


def _epoch(
    model: RecommenderModel,
    optimizer: torch.optim.Optimizer,
    data: Examples,
    train: RecommenderTrainConfig,
    rng: np.random.Generator,
    generator: torch.Generator,
) -> None:
    model.train()
    order = rng.permutation(len(data))
    for start in range(0, len(order), train.batch_size):
        loss = _batch_loss(model, data.take(order[start : start + train.batch_size]), train.loss, generator)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()


@torch.no_grad()
def _recall(model: RecommenderModel, data: Examples, k: int) -> float:
    """Mean recall@k of the products bought in the window (the early-stopping score, whatever the loss)."""
    model.eval()
    total = 0.0
    for start in range(0, len(data), 1024):
        part = data.take(np.arange(start, min(start + 1024, len(data))))
        top = torch.topk(model(**_tensors(part)), k, dim=-1).indices.numpy()
        for i in range(len(part)):
            truth = part.targets(i)
            total += len(np.intersect1d(top[i], truth)) / max(len(truth), 1)
    return total / max(len(data), 1)


def _popularity_recall(data: Examples, buyers: np.ndarray, k: int) -> float:
    """Mean recall@k of the simplest baseline, the same k best sellers (most buyers) for everyone."""
    if not len(data):
        return math.nan
    scores = buyers.astype(np.float64).copy()
    scores[: UNKNOWN + 1] = -np.inf  # padding and unknown are never recommended
    top = _top(scores, k)
    hits = [len(np.intersect1d(top, data.targets(i))) / max(len(data.targets(i)), 1) for i in range(len(data))]
    return float(np.mean(hits))


def _state(model: RecommenderModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------------------------------
# Saving and loading

_STATE_FIELDS = ("customer_ids", "items", "events", "mask", "customer", "repeat_items", "repeat", "repeat_raw")


def lines_fingerprint(lines: pd.DataFrame) -> str:
    columns = lines[["customer_id", "date", "product_id"]].astype(str)
    return fingerprint("|".join(row) for row in columns.itertuples(index=False, name=None))


def save_recommender(folder: Path, fitted: FittedRecommender, *, extra: dict[str, Any] | None = None) -> Path:
    """Write the model, its vocabulary and the state it recommends from as one checkpoint (atomically)."""
    arrays = {f"weights.{k}": v.numpy() for k, v in fitted.model.state_dict().items()}
    arrays |= {f"state.{name}": getattr(fitted.state, name) for name in _STATE_FIELDS}
    arrays |= {
        "history.indptr": fitted.history_indptr,
        "history.items": fitted.history_items,
        "popularity.buyers": fitted.buyers,
        "popularity.recent": fitted.recent_buyers,
        "vocabulary.products": np.asarray(fitted.vocabulary.products, dtype=str),
        "vocabulary.categories": np.asarray(fitted.vocabulary.categories, dtype=str),
        "vocabulary.item_category": np.asarray(fitted.vocabulary.item_category, dtype=np.int64),
        "vocabulary.item_band": np.asarray(fitted.vocabulary.item_band, dtype=np.int64),
        "vocabulary.band_edges": np.asarray(fitted.vocabulary.band_edges, dtype=np.float64),
    }
    manifest = {
        "config": asdict(fitted.model.config),
        "train": asdict(fitted.train),
        "metrics": fitted.metrics,
        "as_of": fitted.as_of,
        **(extra or {}),
    }
    return save_checkpoint(folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays=arrays)


def load_recommender(folder: Path) -> tuple[FittedRecommender, dict[str, Any]]:
    checkpoint = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION])
    manifest, arrays = checkpoint.manifest, checkpoint.arrays
    vocabulary = Vocabulary(
        products=arrays["vocabulary.products"].astype(str).tolist(),
        categories=arrays["vocabulary.categories"].astype(str).tolist(),
        item_category=arrays["vocabulary.item_category"].astype(int).tolist(),
        item_band=arrays["vocabulary.item_band"].astype(int).tolist(),
        band_edges=arrays["vocabulary.band_edges"].astype(float).tolist(),
    )
    config = RecommenderConfig(**manifest["config"])
    model = RecommenderModel(config, torch.tensor(vocabulary.item_category), torch.tensor(vocabulary.item_band))
    model.load_state_dict(
        {k.removeprefix("weights."): torch.from_numpy(v) for k, v in arrays.items() if k.startswith("weights.")}
    )
    model.eval()
    state = Examples(*(arrays[f"state.{name}"] for name in _STATE_FIELDS))
    state.customer_ids = state.customer_ids.astype(str)
    fitted = FittedRecommender(
        model=model,
        vocabulary=vocabulary,
        state=state,
        history_indptr=arrays["history.indptr"],
        history_items=arrays["history.items"],
        buyers=arrays["popularity.buyers"],
        recent_buyers=arrays["popularity.recent"],
        as_of=str(manifest.get("as_of", "")),
        metrics=dict(manifest.get("metrics", {})),
        train=RecommenderTrainConfig(**manifest.get("train", {})),
    )
    return fitted, manifest
