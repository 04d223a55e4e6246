"""Turning transactions into training examples, training the customer model, and reading it back.

Examples come from the user's own history: pick a cut-off, describe each customer by what they did before it,
and label them with what they did in the window after it. Several cut-offs (and so several window lengths)
teach the model how purchases accumulate with time. A window longer than any it was trained on is forecast at the
longest trained one and grown by a BG/NBD's ratio (`forecast_customers`, `time_scaling`): the model's own growth in
log(window), fitted on cut-offs of different ages, fell a third short on CDNOW. Everything here takes a plain
DataFrame of daily purchase events (no CSV handling).
"""

from __future__ import annotations

import math
import os
import time
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from local_models.segmenter.model import (
    CUSTOMER_FEATURES,
    EVENT_FEATURES,
    CustomerModel,
    SegmenterConfig,
    order_value_loss,
    poisson_loss,
)
from local_models.segmenter.time_scaling import bgnbd_expected

KIND = "segmenter"
FORMAT_VERSION = 1
# Held-out errors of the model beside the past-rate baseline's (the model card's comparison)
PAST_RATE_METRICS = (
    "validation_purchases_mae",
    "validation_purchases_mae_past_rate",
    "validation_spend_mae",
    "validation_spend_mae_past_rate",
)


@dataclass
class SegmenterTrainConfig:
    windows_days: tuple[int, ...] = (91, 126, 182)  # label windows before the data's end; cut-off = end - window
    max_seconds: float = 120.0
    max_epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-2
    patience: int = 3  # epochs without validation gain
    validation_share: float = 0.1  # customers held out for early stopping
    seed: int = 0
    threads: int | None = None


@dataclass
class Examples:
    """Model inputs for N customers at one cut-off, plus labels when the window after it is known."""

    customer_ids: np.ndarray  # (N,) str
    events: np.ndarray  # (N, E, 5) float32
    channels: np.ndarray  # (N, E) int64
    products: np.ndarray  # (N, E) int64
    mask: np.ndarray  # (N, E) bool
    customer: np.ndarray  # (N, 7) float32
    count: np.ndarray | None = None  # (N,) purchases in the window
    spend: np.ndarray | None = None  # (N,) net spend in the window

    def __len__(self) -> int:
        return len(self.customer_ids)

    def take(self, index: np.ndarray) -> Examples:
        return Examples(
            self.customer_ids[index],
            self.events[index],
            self.channels[index],
            self.products[index],
            self.mask[index],
            self.customer[index],
            count=None if self.count is None else self.count[index],
            spend=None if self.spend is None else self.spend[index],
        )


@dataclass
class Vocabulary:
    channels: list[str] = field(default_factory=list)  # index i+1; 0 = unknown

    def channel_index(self, names: pd.Series) -> np.ndarray:
        lookup = {name: i + 1 for i, name in enumerate(self.channels)}
        return names.map(lambda n: lookup.get(n, 0)).to_numpy(dtype=np.int64)


def daily_events(transactions: pd.DataFrame) -> pd.DataFrame:
    """One event per customer per purchase day (repeat purchases are counted per distinct day, as in BG/NBD):
    columns customer_id, date, amount, quantity, product_id, channel, is_return."""
    frame = transactions.copy()
    frame["date"] = pd.to_datetime(frame["date"]).dt.normalize()
    for column, default in (("quantity", 1.0), ("product_id", ""), ("channel", ""), ("is_return", False)):
        if column not in frame:
            frame[column] = default
    grouped = frame.sort_values(["customer_id", "date"]).groupby(["customer_id", "date"], sort=True)
    return grouped.agg(
        amount=("amount", "sum"),
        quantity=("quantity", "sum"),
        product_id=("product_id", "first"),
        channel=("channel", "first"),
        is_return=("is_return", "all"),
    ).reset_index()


def build_vocabulary(events: pd.DataFrame, config: SegmenterConfig) -> Vocabulary:
    top = events["channel"].astype(str).value_counts().index.tolist()
    return Vocabulary(channels=[c for c in top if c][: config.channels - 1])


def make_examples(
    events: pd.DataFrame,
    cutoff: pd.Timestamp,
    window_days: int,
    config: SegmenterConfig,
    vocabulary: Vocabulary,
    *,
    with_labels: bool,
) -> Examples:
    """Customers who bought before `cutoff`, described by their events before it; labels from the window."""
    past = events[events["date"] < cutoff]
    customers = np.asarray(sorted(past["customer_id"].unique()), dtype=object)
    grouped = dict(iter(past.groupby("customer_id", sort=False)))
    N, E = len(customers), config.max_events
    feats = np.zeros((N, E, EVENT_FEATURES), np.float32)
    channels = np.zeros((N, E), np.int64)
    products = np.zeros((N, E), np.int64)
    mask = np.zeros((N, E), bool)
    customer = np.zeros((N, CUSTOMER_FEATURES), np.float32)
    for i, cid in enumerate(customers):
        _fill_customer(
            grouped[cid], cutoff, window_days, config, vocabulary, i, feats, channels, products, mask, customer
        )
    examples = Examples(customers.astype(str), feats, channels, products, mask, customer)
    if with_labels:
        future = events[(events["date"] >= cutoff) & (events["date"] < cutoff + pd.Timedelta(days=window_days))]
        purchases = future[~future["is_return"]].groupby("customer_id").size()
        spend = future.groupby("customer_id")["amount"].sum().clip(lower=0.0)
        examples.count = purchases.reindex(customers, fill_value=0).to_numpy(dtype=np.float32)
        examples.spend = spend.reindex(customers, fill_value=0.0).to_numpy(dtype=np.float32)
    return examples


def _fill_customer(
    history: pd.DataFrame,
    cutoff: pd.Timestamp,
    window_days: int,
    config: SegmenterConfig,
    vocabulary: Vocabulary,
    i: int,
    feats: np.ndarray,
    channels: np.ndarray,
    products: np.ndarray,
    mask: np.ndarray,
    customer: np.ndarray,
) -> None:
    days = (history["date"] - cutoff).dt.days.to_numpy(dtype=np.float64)  # negative: days before the cut-off
    amounts = history["amount"].to_numpy(dtype=np.float64)
    gaps = np.diff(days, prepend=days[0])
    recent = slice(-config.max_events, None)
    n = min(len(history), config.max_events)
    # Most recent event first, so position 0 always means "the last purchase".
    order = np.arange(n)[::-1]
    feats[i, :n] = np.stack(
        [
            np.sign(amounts[recent]) * np.log1p(np.abs(amounts[recent])),
            np.log1p(history["quantity"].to_numpy(dtype=np.float64)[recent].clip(min=0)),
            np.log1p(gaps[recent]),
            np.log1p(-days[recent]),
            history["is_return"].to_numpy(dtype=np.float64)[recent],
        ],
        axis=1,
    )[order]
    channels[i, :n] = vocabulary.channel_index(history["channel"].astype(str).iloc[recent])[order]
    if config.product_buckets:
        ids = history["product_id"].astype(str).iloc[recent]
        products[i, :n] = np.array([_bucket(p, config.product_buckets) for p in ids])[order]
    mask[i, :n] = True
    purchases = ~history["is_return"].to_numpy(dtype=bool)
    frequency = max(int(purchases.sum()), 0)
    monetary = max(float(amounts.sum()), 0.0)
    customer[i] = [
        math.log1p(-days[-1]),  # recency
        math.log1p(frequency),
        math.log1p(monetary),
        math.log1p(-days[0]),  # tenure
        math.log1p(monetary / max(frequency, 1)),
        1.0 - purchases.mean(),  # return rate
        math.log(window_days),
    ]


def _bucket(product_id: str, buckets: int) -> int:
    return 0 if not product_id else 1 + zlib.crc32(product_id.encode("utf-8")) % (buckets - 1)


def training_examples(
    events: pd.DataFrame, config: SegmenterConfig, train: SegmenterTrainConfig, vocabulary: Vocabulary
) -> list[Examples]:
    """One labelled set per window: cut-off = last day + 1 - window."""
    end = events["date"].max() + pd.Timedelta(days=1)
    sets = []
    for window in train.windows_days:
        cutoff = end - pd.Timedelta(days=window)
        if (events["date"] < cutoff).any():
            sets.append(make_examples(events, cutoff, window, config, vocabulary, with_labels=True))
    return sets


# ----------------------------------------------------------------------------------------------------


@dataclass
class SegmenterFit:
    model: CustomerModel
    vocabulary: Vocabulary
    metrics: dict[str, float]
    windows_days: tuple[int, ...] = ()  # the label windows it was trained on (empty: unknown, an old checkpoint)


def fit_segmenter(
    events: pd.DataFrame, config: SegmenterConfig | None = None, train: SegmenterTrainConfig | None = None
) -> SegmenterFit:
    """Train the customer model on daily events (see `daily_events`)."""
    config = config or SegmenterConfig()
    train = train or SegmenterTrainConfig()
    torch.manual_seed(train.seed)
    torch.set_num_threads(train.threads or os.cpu_count() or 1)
    rng = np.random.default_rng(train.seed)
    started = time.perf_counter()
    vocabulary = build_vocabulary(events, config)
    sets = training_examples(events, config, train, vocabulary)
    if not sets:
        raise ValueError("not enough history: every customer's first purchase falls inside the label windows")
    data = _concat(sets)
    held_out = _held_out_customers(data.customer_ids, train.validation_share, rng)
    fit_part, check_part = data.take(np.flatnonzero(~held_out)), data.take(np.flatnonzero(held_out))
    model = CustomerModel(config)
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    best, best_state, stale, epochs = math.inf, _state(model), 0, 0
    while epochs < train.max_epochs:
        epochs += 1
        _epoch(model, optimizer, fit_part, train, rng)
        loss = _loss(model, check_part) if len(check_part) else math.nan
        if loss < best - 1e-4:
            best, best_state, stale = loss, _state(model), 0
        else:
            stale += 1
        if stale >= train.patience or time.perf_counter() - started > train.max_seconds:
            break
    model.load_state_dict(best_state)
    model.eval()
    metrics = {
        "validation_loss": float(best),
        **against_past_rate(model, check_part),
        "validation_customers": float(len(np.unique(check_part.customer_ids))),
        "epochs": float(epochs),
        "examples": float(len(data)),
        "train_seconds": time.perf_counter() - started,
    }
    return SegmenterFit(model, vocabulary, metrics, tuple(round(math.exp(float(s.customer[0, -1]))) for s in sets))


def against_past_rate(model: CustomerModel, held_out: Examples) -> dict[str, float]:
    """Held-out customers' purchases and spend in the window, predicted by the model and by the simple
    frequency baseline (each customer keeps buying at their past rate: purchases and spend per day since their
    first purchase, counted over at least one window, times the window): mean absolute errors."""
    if not len(held_out) or held_out.count is None or held_out.spend is None:
        return dict.fromkeys(PAST_RATE_METRICS, math.nan)
    forecast = predict_customers(model, held_out)
    features = held_out.customer.astype(np.float64)  # (N, 7): see _fill_customer for the order
    frequency, monetary, tenure = np.expm1(features[:, 1]), np.expm1(features[:, 2]), np.expm1(features[:, 3])
    window = np.exp(features[:, 6])
    share = window / np.maximum(tenure, window)  # (N,) the window as a share of the history it is rated on
    count, spend = held_out.count.astype(np.float64), held_out.spend.astype(np.float64)
    return {
        "validation_purchases_mae": float(np.abs(forecast.expected_purchases - count).mean()),
        "validation_purchases_mae_past_rate": float(np.abs(frequency * share - count).mean()),
        "validation_spend_mae": float(np.abs(forecast.expected_spend - spend).mean()),
        "validation_spend_mae_past_rate": float(np.abs(monetary * share - spend).mean()),
    }


def _held_out_customers(ids: np.ndarray, share: float, rng: np.random.Generator) -> np.ndarray:
    """Hold out whole customers (all their cut-offs), so validation never sees a trained customer."""
    unique = np.unique(ids)
    chosen = set(rng.choice(unique, size=int(len(unique) * share), replace=False)) if share > 0 else set()
    return np.array([cid in chosen for cid in ids])


def _concat(sets: Sequence[Examples]) -> Examples:
    def joined(name: str) -> np.ndarray:
        return np.concatenate([getattr(s, name) for s in sets])

    labelled = all(s.count is not None and s.spend is not None for s in sets)
    return Examples(
        joined("customer_ids"),
        joined("events"),
        joined("channels"),
        joined("products"),
        joined("mask"),
        joined("customer"),
        count=joined("count") if labelled else None,
        spend=joined("spend") if labelled else None,
    )


def _tensors(batch: Examples) -> dict[str, torch.Tensor]:
    return {
        "events": torch.from_numpy(batch.events),
        "channels": torch.from_numpy(batch.channels),
        "products": torch.from_numpy(batch.products),
        "mask": torch.from_numpy(batch.mask),
        "customer": torch.from_numpy(batch.customer),
    }


def _batch_loss(model: CustomerModel, batch: Examples) -> torch.Tensor:
    assert batch.count is not None and batch.spend is not None
    out = model(**_tensors(batch))
    count = torch.from_numpy(batch.count)
    spend = torch.from_numpy(batch.spend)
    has = count > 0
    log_aov = torch.log1p(spend / count.clamp(min=1.0))
    return poisson_loss(out["log_count"], count) + 0.5 * order_value_loss(
        out["aov_mean"], out["aov_log_sd"], log_aov, has
    )


def _epoch(
    model: CustomerModel,
    optimizer: torch.optim.Optimizer,
    data: Examples,
    train: SegmenterTrainConfig,
    rng: np.random.Generator,
) -> None:
    model.train()
    order = rng.permutation(len(data))
    for start in range(0, len(order), train.batch_size):
        loss = _batch_loss(model, data.take(order[start : start + train.batch_size]))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()


@torch.no_grad()
def _loss(model: CustomerModel, data: Examples) -> float:
    model.eval()
    total = 0.0
    for start in range(0, len(data), 4096):
        part = data.take(np.arange(start, min(start + 4096, len(data))))
        total += float(_batch_loss(model, part)) * len(part)
    return total / len(data)


def _state(model: CustomerModel) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


@dataclass
class CustomerForecast:
    customer_ids: np.ndarray  # (N,)
    embedding: np.ndarray  # (N, D)
    expected_purchases: np.ndarray  # (N,)
    expected_spend: np.ndarray  # (N,)


@torch.no_grad()
def predict_customers(model: CustomerModel, examples: Examples) -> CustomerForecast:
    """Embeddings and expected purchases/spend over each example's window."""
    model.eval()
    parts: dict[str, list[np.ndarray]] = {"embedding": [], "count": [], "spend": []}
    for start in range(0, len(examples), 4096):
        batch = examples.take(np.arange(start, min(start + 4096, len(examples))))
        out = model(**_tensors(batch))
        count = torch.exp(out["log_count"])
        sd = torch.exp(out["aov_log_sd"].clamp(-5, 3))
        aov = torch.expm1(out["aov_mean"] + 0.5 * sd**2).clamp(min=0.0)  # log-normal mean
        parts["embedding"].append(out["embedding"].numpy())
        parts["count"].append(count.numpy())
        parts["spend"].append((count * aov).numpy())
    return CustomerForecast(
        customer_ids=examples.customer_ids,
        embedding=np.concatenate(parts["embedding"])
        if parts["embedding"]
        else np.zeros((0, model.config.embedding_dim)),
        expected_purchases=np.concatenate(parts["count"]) if parts["count"] else np.zeros(0),
        expected_spend=np.concatenate(parts["spend"]) if parts["spend"] else np.zeros(0),
    )


def forecast_customers(
    fitted: SegmenterFit, events: pd.DataFrame, as_of: pd.Timestamp, window_days: int
) -> CustomerForecast:
    """Every customer's embedding and expected purchases and spend over the `window_days` after `as_of`. A window
    longer than any the model was trained on is forecast at the longest trained one and carried to the asked length
    with a BG/NBD fitted on the same events (see `beyond_trained`); shorter ones are read off directly."""
    trained = max(fitted.windows_days, default=window_days)
    asked_beyond = window_days > trained
    read_at = trained if asked_beyond else window_days
    examples = make_examples(events, as_of, read_at, fitted.model.config, fitted.vocabulary, with_labels=False)
    forecast = predict_customers(fitted.model, examples)
    if asked_beyond and len(examples):
        bgnbd = bgnbd_expected(events, as_of, (trained, window_days)).reindex(forecast.customer_ids)
        count = forecast.expected_purchases.astype(np.float64)
        grown = beyond_trained(count, bgnbd[trained].to_numpy(), bgnbd[window_days].to_numpy(), window_days / trained)
        scale = np.where(count > 0, grown / np.maximum(count, 1e-12), 1.0)  # (N,) spend keeps its order value
        forecast.expected_purchases = grown.astype(np.float32)
        forecast.expected_spend = (forecast.expected_spend * scale).astype(np.float32)
    return forecast


def beyond_trained(count: np.ndarray, bgnbd_trained: np.ndarray, bgnbd_asked: np.ndarray, linear: float) -> np.ndarray:
    """The model's expected purchases at its longest trained window (count, (N,)) carried to a longer window, the
    way that did best on a validation cut-off inside CDNOW's calibration period (model trained on windows to 91 days,
    asked for 136): grown by each customer's BG/NBD ratio between the two windows, levelled so that its total at the
    trained window matches BG/NBD's (the model's level drifted low as the cohort aged past the ages it trained on:
    -40% total unlevelled), then averaged with BG/NBD's own forecast (RMSE 1.086 against 1.110 levelled alone).
    Customers BG/NBD does not know (returns only) grow linearly and keep the model's level."""
    known = np.isfinite(bgnbd_trained) & np.isfinite(bgnbd_asked) & (bgnbd_trained > 1e-12)
    ratio = np.where(known, bgnbd_asked / np.where(known, bgnbd_trained, 1.0), linear)
    level = float(bgnbd_trained[known].sum()) / max(float(count[known].sum()), 1e-12) if known.any() else 1.0
    levelled = count * ratio * np.where(known, level, 1.0)
    grown: np.ndarray = np.where(known, 0.5 * levelled + 0.5 * bgnbd_asked, levelled)
    return grown


# ----------------------------------------------------------------------------------------------------


def events_fingerprint(events: pd.DataFrame) -> str:
    columns = events[["customer_id", "date", "amount"]].astype(str)
    return fingerprint("|".join(row) for row in columns.itertuples(index=False, name=None))


def save_segmenter(
    folder: Path,
    fitted: SegmenterFit,
    *,
    extra: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
) -> Path:
    state = {f"weights.{k}": v.numpy() for k, v in fitted.model.state_dict().items()}
    manifest = {
        "config": asdict(fitted.model.config),
        "vocabulary": asdict(fitted.vocabulary),
        "metrics": fitted.metrics,
        "windows_days": list(fitted.windows_days),
        **(extra or {}),
    }
    return save_checkpoint(
        folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays={**state, **(arrays or {})}
    )


def load_segmenter(folder: Path) -> tuple[SegmenterFit, dict[str, Any], dict[str, np.ndarray]]:
    checkpoint = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION])
    manifest = checkpoint.manifest
    model = CustomerModel(SegmenterConfig(**manifest["config"]))
    model.load_state_dict(
        {
            k.removeprefix("weights."): torch.from_numpy(v)
            for k, v in checkpoint.arrays.items()
            if k.startswith("weights.")
        }
    )
    model.eval()
    rest = {k: v for k, v in checkpoint.arrays.items() if not k.startswith("weights.")}
    windows = tuple(int(w) for w in manifest.get("windows_days", ()))
    fitted = SegmenterFit(model, Vocabulary(**manifest["vocabulary"]), dict(manifest.get("metrics", {})), windows)
    return fitted, manifest, rest
