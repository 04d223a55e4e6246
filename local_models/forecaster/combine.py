"""The Transformer combined with statistical forecasters (statsforecast's AutoETS and AutoTheta).

Combining forecasts from different families is one of the most reliable gains in forecasting: their errors
are only partly correlated. The weights are not fixed in advance: `fit_combined` holds out each series' last
`horizon` points, scores the Transformer (its early-stopping state, which has not trained on them) and each
statistical member (fitted on the history before them) on that validation window, and picks the weights on a
grid whose median scores best. Everything is fitted on the user's own data; nothing is pre-trained.

Quantiles combine by averaging the members' quantiles level by level (Vincentisation). The statistical members
ignore covariates, so a plan that differs from the default one (a what-if) moves the combined forecast by the
Transformer's own change: `blend(..., default=...)` adds it on top, so a promotion's lift is not diluted.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble
from local_models.forecaster.train import History, TrainConfig, fit_ensemble, history_head, shifted_progress

TRANSFORMER = "transformer"
STATISTICAL = ("AutoETS", "AutoTheta")
GRID_STEP = 0.1  # weights are multiples of this, summing to 1
MIN_VALIDATION_HISTORY = 8  # points a series needs before its validation window to take part in the choice
# The statistical members may take at most this share of the training budget: each is fitted twice (validation
# cut, then everything), and a member whose first fit shows the pair would overrun is left out, so that on many
# series the Transformer keeps most of its time (about 110 s of 560 on M3's 1,428 series, 6 s on the demo)
STATISTICAL_SHARE = 0.35


@dataclass
class CombinedFit:
    model: ForecasterEnsemble
    weights: dict[str, float]  # TRANSFORMER and each statistical member; they sum to 1
    statistical: dict[str, np.ndarray]  # each member's (S, H, Q) forecast after the end of every history
    metrics: dict[str, float] = field(default_factory=dict)


def fit_combined(
    histories: Sequence[History],
    config: ForecasterConfig,
    train: TrainConfig | None = None,
    *,
    members: int = 3,
    statistical: Sequence[str] = STATISTICAL,
    n_jobs: int = 2,
    progress: Callable[[int, float, float], None] | None = None,
    status: Callable[[str], None] | None = None,
) -> CombinedFit:
    """Fit the statistical members (on the validation cut and on everything), train the Transformer ensemble
    in what is left of `train.max_seconds`, and choose the weights on the validation window."""
    train = train or TrainConfig()
    started = time.perf_counter()
    H = config.horizon
    usable = [i for i, h in enumerate(histories) if len(h) - H >= MIN_VALIDATION_HISTORY]
    cut = [history_head(histories[i], len(histories[i]) - H) for i in usable]
    actual = np.stack([np.asarray(histories[i].values[-H:], dtype=np.float64) for i in usable]) if usable else None
    held_out: dict[str, np.ndarray] = {}
    after: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    for name in statistical if usable else ():  # no validation window, no way to weigh a member: none is fitted
        if status:
            status(f"fitting {name}")
        begun = time.perf_counter()
        forecast = statistical_forecasts(cut, name, H, config.period, config.quantiles, n_jobs=n_jobs)
        first = time.perf_counter() - begun
        if time.perf_counter() - started + first * len(histories) / len(cut) > STATISTICAL_SHARE * train.max_seconds:
            skipped.append(name)
            continue
        held_out[name] = forecast
        after[name] = statistical_forecasts(histories, name, H, config.period, config.quantiles, n_jobs=n_jobs)
    statistical_seconds = time.perf_counter() - started
    if status:
        status("training the Transformer")
    budget = max(train.max_seconds - statistical_seconds, 0.25 * train.max_seconds)
    shifted = shifted_progress(progress, statistical_seconds)
    fitted = fit_ensemble(histories, config, replace(train, max_seconds=budget), members=members, progress=shifted)
    metrics = dict(fitted.metrics)
    weights = {TRANSFORMER: 1.0, **dict.fromkeys(statistical, 0.0)}
    if usable and actual is not None and fitted.held_out is not None:
        candidates = {TRANSFORMER: fitted.held_out[usable], **held_out}
        scales = np.asarray([seasonal_scale(h.values, config.period) for h in cut])
        chosen, scored = choose_weights(candidates, actual, scales, config.quantiles)
        weights |= chosen
        metrics.update({f"validation_mase_{k}": v for k, v in scored.items()})
    metrics.update({f"weight_{k}": v for k, v in weights.items()})
    metrics["statistical_seconds"] = statistical_seconds
    metrics["statistical_skipped"] = float(len(skipped))  # members left out to keep the Transformer's time
    metrics["train_seconds"] = time.perf_counter() - started
    return CombinedFit(model=fitted.model, weights=weights, statistical=after, metrics=metrics)


# ----------------------------------------------------------------------------------------------------
# Statistical members


def statistical_forecasts(
    histories: Sequence[History],
    name: str,
    horizon: int,
    period: int,
    quantiles: Sequence[float],
    *,
    n_jobs: int = 2,
) -> np.ndarray:
    """(S, H, Q) quantile forecasts from one statsforecast model, from its prediction intervals (quantile q is
    the edge of the 100*|2q-1|% interval; the median is the point forecast). A series the model cannot fit gets
    the naive forecast (statsforecast's fallback); non-negative data get non-negative forecasts. Rows stay NaN
    only where even that failed, and `blend` leaves such a member out for that series."""
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, AutoTheta, Naive

    models = {"AutoETS": AutoETS, "AutoTheta": AutoTheta}
    if name not in models:
        raise ValueError(f"unknown statistical member {name!r}; known: {', '.join(models)}")
    import pandas as pd

    frame = pd.concat(
        pd.DataFrame({"unique_id": str(i), "ds": np.arange(len(h)), "y": np.asarray(h.values, dtype=np.float64)})
        for i, h in enumerate(histories)
    )
    levels = sorted({round(100 * abs(2 * q - 1)) for q in quantiles} - {0})
    engine = StatsForecast(
        models=[models[name](season_length=max(1, period))], freq=1, n_jobs=n_jobs, fallback_model=Naive()
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = engine.forecast(df=frame, h=horizon, level=levels)
    out = out.set_index("unique_id").loc[[str(i) for i in range(len(histories))]]
    columns = [_column(name, q) for q in quantiles]
    values = out[columns].to_numpy(dtype=np.float64).reshape(len(histories), horizon, len(quantiles))
    nonnegative = np.asarray([np.nanmin(h.values) >= 0 if len(h) else True for h in histories])
    values[nonnegative] = np.maximum(values[nonnegative], 0.0)
    return np.sort(values, axis=-1)


def _column(name: str, q: float) -> str:
    level = round(100 * abs(2 * q - 1))
    if level == 0:
        return name
    return f"{name}-{'lo' if q < 0.5 else 'hi'}-{level}"


def seasonal_scale(values: np.ndarray, period: int) -> float:
    """MASE's denominator: the mean absolute seasonal change (the first change for short series)."""
    values = np.asarray(values, dtype=np.float64)
    lag = period if len(values) > period else 1
    if len(values) <= lag:
        return 1.0
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 1e-9 else max(float(np.mean(np.abs(values))), 1.0)


# ----------------------------------------------------------------------------------------------------
# Weights


def choose_weights(
    candidates: Mapping[str, np.ndarray],
    actual: np.ndarray,
    scales: np.ndarray,
    quantiles: Sequence[float],
    step: float = GRID_STEP,
) -> tuple[dict[str, float], dict[str, float]]:
    """The weights on a grid (multiples of `step` summing to 1) whose blend's median has the lowest MASE on the
    validation window, and the MASE of each candidate alone and of the chosen blend. candidates: name -> (S, H,
    Q); actual (S, H); scales (S,), each series' MASE denominator.

    The median's error, not the quantile loss, decides: one series whose Transformer upper quantiles run away
    (log scale, a history ending on a jump) outweighs a thousand others in a mean quantile loss, while the
    median, the number a plan is built on, stays sane."""
    names = list(candidates)
    units = round(1 / step)
    median = min(range(len(quantiles)), key=lambda i: abs(quantiles[i] - 0.5))
    best: tuple[float, tuple[int, ...]] | None = None
    for split in itertools.product(range(units + 1), repeat=len(names)):
        if sum(split) != units:
            continue
        weights = dict(zip(names, (s / units for s in split), strict=True))
        loss = scaled_error(blend_all(candidates, weights)[..., median], actual, scales)
        # Ties go to the split met first, which puts the most weight on the Transformer (listed first)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, split)
    assert best is not None
    chosen = {n: s / units for n, s in zip(names, best[1], strict=True)}
    scored = {n: scaled_error(candidates[n][..., median], actual, scales) for n in names}
    scored["combined"] = best[0]
    return chosen, scored


def scaled_error(forecast: np.ndarray, actual: np.ndarray, scales: np.ndarray) -> float:
    """MASE: each series' mean absolute error over its scale, averaged over series (a series whose forecast is
    missing is skipped). forecast and actual (S, H)."""
    return float(np.nanmean(np.abs(actual - forecast).mean(axis=1) / scales))


def blend_all(candidates: Mapping[str, np.ndarray], weights: Mapping[str, float]) -> np.ndarray:
    """The weighted mean of every candidate's (S, H, Q) quantiles, sorted; a candidate missing (NaN) for a
    series is left out of that series' mean and the others' weights are scaled up."""
    first = next(iter(candidates.values()))
    total = np.zeros(first.shape)
    mass = np.zeros((first.shape[0], 1, 1))
    for name, forecast in candidates.items():
        w = weights.get(name, 0.0)
        if w <= 0:
            continue
        ok = np.isfinite(forecast).all(axis=(1, 2))
        total[ok] += w * forecast[ok]
        mass[ok] += w
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sort(total / mass, axis=-1)


def blend(
    transformer: np.ndarray,
    statistical: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    default: np.ndarray | None = None,
) -> np.ndarray:
    """The combined (S, H, Q) forecast. transformer: the Transformer's forecast under the plan asked about;
    default: its forecast under the default plan, where that differs (a what-if). The members blend under the
    default plan, and the Transformer's change from default to the plan is added, so a what-if's effect is the
    Transformer's in full. Series where the Transformer has no statistical partner get its forecast alone."""
    base = transformer if default is None else default
    H = base.shape[1]
    candidates = {TRANSFORMER: base, **{k: v[:, :H] for k, v in statistical.items() if weights.get(k, 0.0) > 0}}
    combined = blend_all(candidates, weights) if len(candidates) > 1 else np.sort(base, axis=-1)
    combined = np.where(np.isfinite(combined), combined, base)
    if default is not None:  # never below what the Transformer itself allows (zero for sales)
        floor = min(float(np.nanmin(transformer)), 0.0)
        combined = np.maximum(combined + (transformer - default), floor)
    return np.sort(combined, axis=-1)
