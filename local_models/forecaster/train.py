"""Training and inference for the Transformer forecaster: windows, scaling, the loop, checkpoints.

Everything here works on plain arrays (no pandas), one `History` per series, so the same code serves M3,
a retailer's weekly SKUs and a daily store panel.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from core.errors import MarketingAgentError
from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble, TransformerForecaster, pinball_loss

KIND = "forecaster"
FORMAT_VERSION = 1
EPS = 1e-6
# Held-out figures of the model beside the seasonal naive forecast's (the model card's comparison)
NAIVE_METRICS = (
    "validation_scaled_pinball_seasonal_naive",
    "validation_scaled_mae",
    "validation_scaled_mae_seasonal_naive",
)


class CovariateValueError(MarketingAgentError):
    """A value planned for a covariate over the horizon (a what-if) that a forecast cannot use."""


@dataclass
class History:
    """One series as the model sees it: values (T,), known covariates (T, K), past-only covariates (T, P)."""

    series_id: str
    values: np.ndarray
    known: np.ndarray | None = None
    past: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class TrainConfig:
    max_seconds: float = 480.0  # wall-clock budget for the whole fit (2-core CPU sized)
    max_steps: int = 30_000
    batch_size: int = 256
    lr: float = 2e-3
    weight_decay: float = 1e-2
    warmup_steps: int = 200
    eval_every: int = 250  # steps between validation checks
    patience: int = 8  # validation checks without improvement before stopping
    finetune_fraction: float = 0.15  # extra steps on all data (incl. the validation tail), as a share of the best step
    ema_decay: float = 0.998  # weights returned are this moving average of the trained ones
    final_lr_ratio: float = 0.05  # the learning rate decays to this share of `lr`
    min_observed: int = 6  # shortest history a training window may have
    seed: int = 0
    threads: int | None = None  # torch CPU threads; None = all cores


@dataclass
class FitResult:
    model: TransformerForecaster
    metrics: dict[str, float] = field(default_factory=dict)
    # (S, H, Q) forecasts of each series' last `horizon` points by the early-stopping state, before the
    # fine-tune sees them (NaN rows for series too short to hold them out); None when nothing was held out
    held_out: np.ndarray | None = None
    # The same, with the known covariates ahead set by their default rules instead of as they were (what the
    # forecast would have said without knowing the plan); None when the model has no known covariates
    held_out_default: np.ndarray | None = None


@dataclass
class EnsembleFit:
    model: ForecasterEnsemble
    metrics: dict[str, float] = field(default_factory=dict)
    held_out: np.ndarray | None = None  # the members' mean held-out forecast, as FitResult's
    held_out_default: np.ndarray | None = None  # and under the default plan, as FitResult's


def member_contexts(config: ForecasterConfig, members: int) -> list[int]:
    """Context lengths for ensemble members: the suggested one, then shorter and longer ones (in whole
    patches), so members disagree usefully."""
    factors = [1.0, 0.75, 1.25, 0.5, 1.5][:members] + [1.0] * max(0, members - 5)
    return [max(config.patch, round(config.context * f / config.patch) * config.patch) for f in factors]


def shifted_progress(
    progress: Callable[[int, float, float], None] | None, offset: float
) -> Callable[[int, float, float], None] | None:
    """A progress callback whose clock continues from the members trained before."""
    if progress is None:
        return None
    report = progress

    def shifted(step: int, loss: float, seconds: float) -> None:
        report(step, loss, seconds + offset)

    return shifted


def fit_ensemble(
    histories: Sequence[History],
    config: ForecasterConfig,
    train: TrainConfig | None = None,
    *,
    members: int = 3,
    progress: Callable[[int, float, float], None] | None = None,
) -> EnsembleFit:
    """Train `members` models, each on an equal share of the time budget, with its own seed and context."""
    train = train or TrainConfig()
    started = time.perf_counter()
    fitted: list[TransformerForecaster] = []
    held_out: list[np.ndarray] = []
    held_out_default: list[np.ndarray] = []
    metrics: dict[str, float] = {}
    for i, context in enumerate(member_contexts(config, members)):
        remaining = train.max_seconds - (time.perf_counter() - started)
        share = replace(train, max_seconds=remaining / (members - i), seed=train.seed + i)
        offset = time.perf_counter() - started
        result = fit(
            histories,
            replace(config, context=context),
            share,
            progress=shifted_progress(progress, offset),
        )
        fitted.append(result.model)
        if result.held_out is not None:
            held_out.append(result.held_out)
        if result.held_out_default is not None:
            held_out_default.append(result.held_out_default)
        metrics.update({f"member{i}_{k}": v for k, v in result.metrics.items()})
    metrics["members"] = float(members)
    metrics["train_seconds"] = time.perf_counter() - started
    for key in ("validation_scaled_pinball", *NAIVE_METRICS):  # the members' mean
        metrics[key] = float(np.mean([metrics[f"member{i}_{key}"] for i in range(members)]))
    mean = np.sort(np.mean(held_out, axis=0), axis=-1) if len(held_out) == members else None
    default = np.sort(np.mean(held_out_default, axis=0), axis=-1) if len(held_out_default) == members else None
    return EnsembleFit(model=ForecasterEnsemble(fitted), metrics=metrics, held_out=mean, held_out_default=default)


# ----------------------------------------------------------------------------------------------------
# Windows: every series is laid end to end in one array, left-padded by `context` and right-padded by
# `horizon`, so a batch of windows is one fancy-indexing gather.


class WindowBank:
    def __init__(self, histories: Sequence[History], config: ForecasterConfig) -> None:
        self.config = config
        L, H = config.context, config.padded_horizon
        k, p = len(config.known_covariates), len(config.past_covariates)
        blocks, observed, known, past, self.offsets, self.lengths = [], [], [], [], [], []
        offset = 0
        for history in histories:
            n = len(history)
            values = np.asarray(history.values, dtype=np.float64)
            if config.log_transform:
                values = np.log1p(np.maximum(values, 0.0))
            blocks.append(np.concatenate([np.zeros(L), values, np.zeros(H)]))
            observed.append(np.concatenate([np.zeros(L), np.ones(n), np.zeros(H)]))
            known.append(_pad_covariates(history.known, n, k, L, H))
            past.append(_pad_covariates(history.past, n, p, L, H))
            self.offsets.append(offset)
            self.lengths.append(n)
            offset += L + n + H
        self.values = np.concatenate(blocks)  # (N,)
        self.observed = np.concatenate(observed)  # (N,)
        self.known = np.concatenate(known) if known else np.zeros((0, k))  # (N, K)
        self.past = np.concatenate(past) if past else np.zeros((0, p))  # (N, P)
        self.offsets_array = np.asarray(self.offsets)
        self.lengths_array = np.asarray(self.lengths)

    def gather(self, series: np.ndarray, cuts: np.ndarray) -> dict[str, np.ndarray]:
        """Windows whose forecast starts after `cuts[i]` observed points of series `series[i]`."""
        starts = self.offsets_array[series] + cuts  # (B,)
        index = starts[:, None] + np.arange(self.config.steps)  # (B, L+H')
        # The season before the window, for last season's covariates (zero before a series begins).
        before = starts[:, None] - self.config.period + np.arange(self.config.period)  # (B, period)
        inside = before >= self.offsets_array[series][:, None]
        known_before = self.known[np.where(inside, before, 0)] * inside[:, :, None]  # (B, period, K)
        return {
            "values": self.values[index],  # (B, L+H')
            "observed": self.observed[index],  # (B, L+H')
            "known": self.known[index],  # (B, L+H', K)
            "known_before": known_before,  # (B, period, K)
            "past": self.past[index],  # (B, L+H', P)
        }


def _pad_covariates(matrix: np.ndarray | None, n: int, width: int, left: int, right: int) -> np.ndarray:
    body = (
        np.zeros((n, width)) if matrix is None or width == 0 else np.asarray(matrix, dtype=np.float64).reshape(n, width)
    )
    return np.concatenate([np.zeros((left, width)), body, np.zeros((right, width))])


# ----------------------------------------------------------------------------------------------------
# Scaling and features


@dataclass
class Batch:
    features: torch.Tensor  # (B, L+H, F)
    padding: torch.Tensor  # (B, L+H) True where there is no data point at all
    target: torch.Tensor  # (B, H) scaled future values (zeros when unknown)
    level: torch.Tensor  # (B, 1)
    scale: torch.Tensor  # (B, 1)
    baseline: torch.Tensor  # (B, H) scaled seasonal-naive forecast the model corrects


def make_batch(
    window: dict[str, np.ndarray], config: ForecasterConfig, future_known: np.ndarray | None = None
) -> Batch:
    """Scale one batch of windows and assemble the token features."""
    L = config.context
    values = torch.as_tensor(window["values"], dtype=torch.float32)  # (B, L+H)
    observed = torch.as_tensor(window["observed"], dtype=torch.float32)  # (B, L+H)
    level, scale = _level_and_scale(values[:, :L], observed[:, :L], config.period)  # (B, 1) each
    scaled = ((values - level) / scale).clamp(-config.max_scaled, config.max_scaled)  # (B, L+H)
    past_scaled = scaled * observed
    past_scaled[:, L:] = 0.0
    # Seasonal naive in scaled units (last season repeated; the recent level where history is missing): the
    # future tokens carry it as their value and the model predicts corrections to it.
    period = min(config.period, L)
    repeat = L - period + np.arange(config.padded_horizon) % period  # (H',)
    baseline = past_scaled[:, repeat]  # (B, H')
    past_scaled[:, L:] = baseline
    is_future = torch.zeros_like(values)
    is_future[:, L:] = 1.0
    known = window["known"].copy()
    if future_known is not None:
        known[:, L : L + config.horizon] = future_known
    columns = [past_scaled, observed * (1.0 - is_future), is_future]
    features = torch.stack(columns, dim=-1)  # (B, L+H, 3)
    covariates = _scale_covariates(known, window["past"], window["observed"], config)  # (B, L+H, K+P)
    # Last season's known covariates at every step: the seasonal-naive baseline repeats last season's sales,
    # promotions included, so the model must see which of those weeks were promoted to undo it.
    lagged = np.concatenate([window["known_before"], known], axis=1)[:, : known.shape[1]]  # (B, L+H', K)
    lagged_scaled = _scale_covariates(lagged, window["past"][:, :, :0], window["observed"], config, known_only=True)
    features = torch.cat([features, covariates, lagged_scaled], dim=-1)  # (B, L+H, F)
    padding = (observed == 0) & (is_future == 0)  # (B, L+H)
    target = (scaled[:, L : L + config.horizon] * observed[:, L : L + config.horizon]).clone()  # (B, H)
    return Batch(features, padding, target, level, scale, baseline[:, : config.horizon])


def _level_and_scale(context: torch.Tensor, observed: torch.Tensor, period: int) -> tuple[torch.Tensor, torch.Tensor]:
    """level: mean of the last `period` observed points; scale: mean |seasonal difference| (MASE's
    denominator), falling back to |first difference|, then to |level|, for short or flat histories."""
    tail = observed[:, -period:]  # (B, P)
    level = (context[:, -period:] * tail).sum(1, keepdim=True) / tail.sum(1, keepdim=True).clamp(min=1.0)  # (B, 1)
    scale = torch.zeros_like(level)
    for lag in (period, 1):
        if lag >= context.shape[1]:
            continue
        pairs = observed[:, lag:] * observed[:, :-lag]  # (B, L-lag)
        diffs = (context[:, lag:] - context[:, :-lag]).abs() * pairs
        mean = diffs.sum(1, keepdim=True) / pairs.sum(1, keepdim=True).clamp(min=1.0)  # (B, 1)
        usable = (pairs.sum(1, keepdim=True) > 0) & (mean > EPS) & (scale <= EPS)
        scale = torch.where(usable, mean, scale)
    fallback = level.abs().clamp(min=1.0)
    scale = torch.where(scale > EPS, scale, fallback)
    return level, scale


def _scale_covariates(
    known: np.ndarray, past: np.ndarray, observed: np.ndarray, config: ForecasterConfig, known_only: bool = False
) -> torch.Tensor:
    L = config.context
    k = len(config.known_covariates)
    out = np.concatenate([known, past], axis=-1)  # (B, L+H', K+P)
    names = list(config.known_covariates) + ([] if known_only else list(config.past_covariates))
    context_observed = observed[:, :L, None]  # (B, L, 1)
    for j, name in enumerate(names):
        if name in config.binary_covariates:
            continue
        # Relative change against the context's own mean: "price 10% below usual" means the same for any item.
        mean = np.abs(out[:, :L, j] * context_observed[..., 0]).sum(1) / np.maximum(context_observed[..., 0].sum(1), 1)
        out[:, :, j] = out[:, :, j] / np.maximum(mean, EPS)[:, None] - 1.0
    if out.shape[-1] > k:
        out[:, L:, k:] = 0.0  # past-only covariates are unknown ahead
    return torch.as_tensor(np.clip(out, -config.max_scaled, config.max_scaled), dtype=torch.float32)


# ----------------------------------------------------------------------------------------------------
# Training


def fit(
    histories: Sequence[History],
    config: ForecasterConfig,
    train: TrainConfig | None = None,
    *,
    progress: Callable[[int, float, float], None] | None = None,
) -> FitResult:
    """Train from scratch: hold out each series' last `horizon` points for early stopping, then fine-tune
    briefly on everything (the latest points matter most). Returns the exponential moving average of the
    weights, which is markedly less noisy than the last step on small data sets."""
    train = train or TrainConfig()
    torch.manual_seed(train.seed)
    rng = np.random.default_rng(train.seed)
    torch.set_num_threads(train.threads or os.cpu_count() or 1)
    started = time.perf_counter()
    bank = WindowBank(histories, config)
    model, ema = TransformerForecaster(config), TransformerForecaster(config)
    ema.load_state_dict(model.state_dict())
    optimizer = torch.optim.AdamW(model.parameters(), lr=train.lr, weight_decay=train.weight_decay)
    quantiles = torch.tensor(config.quantiles)
    eligible = _eligible(bank, config.horizon, train.min_observed)
    validation = _validation_batch(bank, config, config.horizon)
    budget = train.max_seconds / (1.0 + train.finetune_fraction)
    # Early stopping keeps the best of the states checked on the held-out tail: the untrained start, every
    # `eval_every` steps, and the last step (a short budget may end before the first regular check).
    start_loss = _evaluate(ema, validation, quantiles)
    best_loss, best_step, best_state = (math.inf if math.isnan(start_loss) else start_loss), 0, _state(ema)
    checks_without_gain, step = 0, 0
    while step < train.max_steps and time.perf_counter() - started < budget:
        done = max(step / train.max_steps, (time.perf_counter() - started) / budget)
        _train_step(model, optimizer, bank, config, eligible, train, rng, quantiles, _schedule(step, done, train))
        _update_ema(ema, model, min(train.ema_decay, (1.0 + step) / (10.0 + step)))  # short runs: warm-up
        step += 1
        last = step == train.max_steps or time.perf_counter() - started >= budget
        if step % train.eval_every and not last:
            continue
        loss = _evaluate(ema, validation, quantiles)
        if progress:
            progress(step, loss, time.perf_counter() - started)
        if loss < best_loss - 1e-4:
            best_loss, best_step, best_state, checks_without_gain = loss, step, _state(ema), 0
        elif not math.isnan(loss):
            checks_without_gain += 1
            if checks_without_gain >= train.patience:
                break
    if validation is None:  # histories too short to hold anything out: keep the final average
        best_loss, best_step, best_state = math.nan, step, _state(ema)
    model.load_state_dict(best_state)
    ema.load_state_dict(best_state)
    against_naive = _against_seasonal_naive(ema, validation, quantiles)  # before the fine-tune sees the tail
    held_out = _held_out_forecast(ema, histories, config.horizon) if validation is not None else None
    held_out_default = (
        _held_out_forecast(ema, histories, config.horizon, default_plan=True)
        if validation is not None and config.known_covariates
        else None
    )
    finetune_steps = _finetune(model, ema, optimizer, bank, config, train, rng, quantiles, best_step, started)
    ema.eval()
    metrics = {
        "validation_scaled_pinball": float(best_loss),
        **against_naive,
        "best_step": float(best_step),
        "steps": float(step),
        "finetune_steps": float(finetune_steps),
        "train_seconds": time.perf_counter() - started,
        "series": float(len(histories)),
    }
    return FitResult(model=ema, metrics=metrics, held_out=held_out, held_out_default=held_out_default)


def _held_out_forecast(
    model: TransformerForecaster, histories: Sequence[History], holdout: int, *, default_plan: bool = False
) -> np.ndarray:
    """(S, H, Q) forecasts of each series' last `holdout` points from the history before them (with the known
    covariates they had, or with `default_plan` those the default rules would have planned), NaN for series with
    fewer than 2 points before them (as `_validation_batch`)."""
    config = model.config
    out = np.full((len(histories), config.horizon, len(config.quantiles)), np.nan)
    usable = [i for i, h in enumerate(histories) if len(h) - holdout >= 2]
    if not usable:
        return out
    cut = [history_head(histories[i], len(histories[i]) - holdout) for i in usable]
    future = None
    if config.known_covariates:
        future = (
            [planned_covariates(config, np.asarray(h.known), {})[0][:holdout] for h in cut]
            if default_plan
            else [np.asarray(histories[i].known)[-holdout:] for i in usable]
        )
    out[usable] = predict(model, cut, future)
    return out


def history_head(history: History, n: int) -> History:
    """The history's first `n` points, with their covariates."""
    known = None if history.known is None else history.known[:n]
    past = None if history.past is None else history.past[:n]
    return History(history.series_id, history.values[:n], known, past)


def _finetune(
    model: TransformerForecaster,
    ema: TransformerForecaster,
    optimizer: torch.optim.Optimizer,
    bank: WindowBank,
    config: ForecasterConfig,
    train: TrainConfig,
    rng: np.random.Generator,
    quantiles: torch.Tensor,
    best_step: int,
    started: float,
) -> int:
    """A few low-learning-rate steps on windows that include each series' latest points."""
    eligible = _eligible(bank, 0, train.min_observed)
    steps = int(best_step * train.finetune_fraction)
    for done in range(steps):
        if time.perf_counter() - started > train.max_seconds:
            return done
        _train_step(model, optimizer, bank, config, eligible, train, rng, quantiles, train.lr * train.final_lr_ratio)
        _update_ema(ema, model, train.ema_decay)
    return steps


@torch.no_grad()
def _update_ema(ema: TransformerForecaster, model: TransformerForecaster, decay: float) -> None:
    for averaged, current in zip(ema.parameters(), model.parameters(), strict=True):
        averaged.mul_(decay).add_(current.detach(), alpha=1.0 - decay)


def _eligible(bank: WindowBank, holdout: int, min_observed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Series that can give a training window with `holdout` points kept back: (ids, lowest cut, highest cut)."""
    H = bank.config.horizon
    highest = bank.lengths_array - holdout - H
    lowest = np.minimum(np.full_like(highest, min_observed), highest)
    usable = highest >= 1
    return np.flatnonzero(usable), np.maximum(lowest[usable], 1), highest[usable]


def _train_step(
    model: TransformerForecaster,
    optimizer: torch.optim.Optimizer,
    bank: WindowBank,
    config: ForecasterConfig,
    eligible: tuple[np.ndarray, np.ndarray, np.ndarray],
    train: TrainConfig,
    rng: np.random.Generator,
    quantiles: torch.Tensor,
    lr: float,
) -> None:
    ids, lowest, highest = eligible
    pick = rng.integers(0, len(ids), train.batch_size)  # series uniformly: long series do not dominate
    cuts = rng.integers(lowest[pick], highest[pick] + 1)
    batch = make_batch(bank.gather(ids[pick], cuts), config)
    for group in optimizer.param_groups:
        group["lr"] = lr
    model.train()
    predicted = model(batch.features, batch.padding, batch.baseline)  # (B, H, Q)
    loss = pinball_loss(predicted, batch.target, quantiles)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()


def _validation_batch(bank: WindowBank, config: ForecasterConfig, holdout: int) -> Batch | None:
    usable = np.flatnonzero(bank.lengths_array - holdout >= 2)
    if len(usable) == 0:
        return None
    cuts = bank.lengths_array[usable] - holdout
    return make_batch(bank.gather(usable, cuts), config)


@torch.no_grad()
def _evaluate(model: TransformerForecaster, batch: Batch | None, quantiles: torch.Tensor) -> float:
    if batch is None:
        return math.nan
    model.eval()
    losses = []
    for start in range(0, batch.features.shape[0], 1024):
        part = slice(start, start + 1024)
        predicted = model(batch.features[part], batch.padding[part], batch.baseline[part])
        losses.append(pinball_loss(predicted, batch.target[part], quantiles).item() * predicted.shape[0])
    return float(sum(losses) / batch.features.shape[0])


@torch.no_grad()
def _against_seasonal_naive(
    model: TransformerForecaster, batch: Batch | None, quantiles: torch.Tensor
) -> dict[str, float]:
    """The held-out tail scored for the model and for the seasonal naive forecast (last season repeated, the
    baseline every forecaster must beat), in the same scaled units: pinball loss over the quantiles (the naive
    forecast puts every quantile on its one value) and the median's mean absolute error (MASE-style: errors over
    each series' mean seasonal change, on log1p(sales) when the model works in logs)."""
    if batch is None:
        return dict.fromkeys(NAIVE_METRICS, math.nan)
    model.eval()
    predicted = torch.cat(
        [
            model(batch.features[part], batch.padding[part], batch.baseline[part])
            for part in (slice(start, start + 1024) for start in range(0, batch.features.shape[0], 1024))
        ]
    )  # (B, H, Q)
    naive = batch.baseline.unsqueeze(-1).expand_as(predicted)  # (B, H, Q)
    median = model.config.median_index
    return {
        "validation_scaled_pinball_seasonal_naive": float(pinball_loss(naive, batch.target, quantiles)),
        "validation_scaled_mae": float((predicted[..., median] - batch.target).abs().mean()),
        "validation_scaled_mae_seasonal_naive": float((batch.baseline - batch.target).abs().mean()),
    }


def _schedule(step: int, done: float, train: TrainConfig) -> float:
    """Linear warm-up, then cosine decay to `final_lr_ratio` as the step or time budget runs out (whichever
    is nearer its end), so a run is deterministic whenever the step budget binds."""
    if step < train.warmup_steps:
        return train.lr * (step + 1) / train.warmup_steps
    floor = train.final_lr_ratio
    return train.lr * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * min(1.0, done))))


def _state(model: TransformerForecaster) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


# ----------------------------------------------------------------------------------------------------
# Inference


@torch.no_grad()
def predict(
    model: TransformerForecaster | ForecasterEnsemble,
    histories: Sequence[History],
    future_known: Sequence[np.ndarray] | None = None,
    batch_size: int = 1024,
) -> np.ndarray:
    """Quantile forecasts after the end of each history: (S, H, Q) in the series' own units, sorted
    across quantiles (so p10 <= p50 <= p90 always holds). An ensemble averages its members."""
    if future_known is not None:
        _check_future(model.config, future_known)
    if isinstance(model, ForecasterEnsemble):
        members = [predict(m, histories, future_known, batch_size) for m in model.member_list]
        return np.sort(np.mean(members, axis=0), axis=-1)
    config = model.config
    model.eval()
    bank = WindowBank(histories, config)
    out = np.zeros((len(histories), config.horizon, len(config.quantiles)))
    for start in range(0, len(histories), batch_size):
        ids = np.arange(start, min(start + batch_size, len(histories)))
        window = bank.gather(ids, bank.lengths_array[ids])
        future = None
        if future_known is not None and len(config.known_covariates):
            future = np.stack([np.asarray(future_known[int(i)], dtype=np.float64) for i in ids])  # (B, H, K)
        batch = make_batch(window, config, future)
        scaled = model(batch.features, batch.padding, batch.baseline)  # (B, H, Q)
        values = (scaled * batch.scale.unsqueeze(-1) + batch.level.unsqueeze(-1)).numpy()
        if config.log_transform:
            values = np.expm1(values)
        out[ids] = np.sort(values, axis=-1)
    return out


def planned_covariates(
    config: ForecasterConfig, known: np.ndarray, what_if: dict[str, float]
) -> tuple[np.ndarray, list[str]]:
    """(H, C) covariates ahead: what-ifs as given, the rest by each covariate's default rule (the config's
    `covariate_defaults`), and the assumptions made, in words."""
    H = config.horizon
    future = np.zeros((H, len(config.known_covariates)))
    assumptions = []
    for j, name in enumerate(config.known_covariates):
        rule = config.covariate_defaults.get(name, "last known value")
        if name in what_if:
            future[:, j] = what_if[name]
            assumptions.append(f"{name} = {what_if[name]:g} throughout (what-if)")
            continue
        if rule == "same period last season" and len(known) >= config.period:
            season = known[-config.period :, j]
            future[:, j] = np.resize(season, H)
        elif rule.startswith("0"):
            future[:, j] = 0.0
        else:
            future[:, j] = known[-1, j] if len(known) else 0.0
        assumptions.append(f"{name}: {rule}")
    return future, assumptions


def _check_future(config: ForecasterConfig, future_known: Sequence[np.ndarray]) -> None:
    """Planned covariates must be finite numbers: NaN would make every quantile NaN, and infinity is no plan."""
    for matrix in future_known:
        values = np.asarray(matrix, dtype=np.float64).reshape(-1, max(1, len(config.known_covariates)))
        bad = ~np.isfinite(values)
        if bad.any():
            column = int(np.argwhere(bad)[0][1])
            name = config.known_covariates[column] if column < len(config.known_covariates) else f"#{column}"
            value = values[bad][0]
            raise CovariateValueError(f"{name} = {value} cannot be forecast with; give a finite number")


# ----------------------------------------------------------------------------------------------------
# Checkpoints


def data_fingerprint(histories: Sequence[History]) -> str:
    return fingerprint(h.series_id.encode() + np.asarray(h.values, dtype=np.float64).tobytes() for h in histories)


def save_forecaster(
    folder: Path,
    model: ForecasterEnsemble,
    *,
    metrics: dict[str, float],
    extra: dict[str, Any] | None = None,
    arrays: dict[str, np.ndarray] | None = None,
    plain: ForecasterEnsemble | None = None,
) -> Path:
    """Members' configs go to the manifest, their weights to arrays named member<i>.<parameter>; a second
    ensemble trained without the covariates (`plain`, see combine.py) to plain_members and plain.member<i>.*"""
    state = _state_arrays(model, "")
    manifest = {"members": [asdict(m.config) for m in model.member_list], "metrics": metrics, **(extra or {})}
    if plain is not None:
        state |= _state_arrays(plain, PLAIN_PREFIX)
        manifest["plain_members"] = [asdict(m.config) for m in plain.member_list]
    return save_checkpoint(
        folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays={**state, **(arrays or {})}
    )


PLAIN_PREFIX = "plain."


def _state_arrays(model: ForecasterEnsemble, prefix: str) -> dict[str, np.ndarray]:
    return {
        f"{prefix}member{i}.{k}": v.numpy() for i, m in enumerate(model.member_list) for k, v in m.state_dict().items()
    }


def load_forecaster(folder: Path) -> tuple[ForecasterEnsemble, dict[str, Any], dict[str, np.ndarray]]:
    """The ensemble, the manifest, and the other arrays saved with it (a `plain` ensemble's among them: see
    `load_plain`)."""
    checkpoint = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION])
    model = _ensemble_from(checkpoint.manifest["members"], checkpoint.arrays, "")
    rest = {k: v for k, v in checkpoint.arrays.items() if not k.startswith("member")}
    return model, checkpoint.manifest, rest


def load_plain(manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> ForecasterEnsemble | None:
    """The ensemble trained without covariates saved beside the main one, if any."""
    if not manifest.get("plain_members"):
        return None
    return _ensemble_from(manifest["plain_members"], arrays, PLAIN_PREFIX)


def _ensemble_from(configs: list[dict[str, Any]], arrays: dict[str, np.ndarray], prefix: str) -> ForecasterEnsemble:
    members = []
    for i, raw in enumerate(configs):
        model = TransformerForecaster(_config_from(raw))
        head = f"{prefix}member{i}."
        model.load_state_dict(
            {k.removeprefix(head): torch.from_numpy(v) for k, v in arrays.items() if k.startswith(head)}
        )
        members.append(model.eval())
    return ForecasterEnsemble(members).eval()


def _config_from(raw: dict[str, Any]) -> ForecasterConfig:
    values = dict(raw)
    for key in ("quantiles", "known_covariates", "past_covariates", "binary_covariates"):
        values[key] = tuple(values.get(key, ()))
    return ForecasterConfig(**values)
