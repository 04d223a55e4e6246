"""The Transformer combined with statistical forecasters (statsforecast's AutoETS and AutoTheta).

Combining forecasts from different families is one of the most reliable gains in forecasting: their errors
are only partly correlated. The weights are not fixed in advance: `fit_combined` holds out each series' last
`horizon` points, scores the Transformer (its early-stopping state, which has not trained on them) and each
statistical member (fitted on the history before them) on that validation window, and picks the weights on a
grid whose median scores best. Everything is fitted on the user's own data; nothing is pre-trained.

Quantiles combine by averaging the members' quantiles level by level (Vincentisation). The statistical members
ignore covariates, so a plan that differs from the default one (a what-if) moves the combined forecast by the
Transformer's own change: `blend(..., default=...)` adds it on top, so a promotion's lift is not diluted.

Known covariates (promotions, price, holidays) help only where they carry signal the model can learn from the
data at hand. Where the data has them, a second Transformer is trained without them, and the validation window
decides how they enter (`COVARIATE_USES`): the model trained with them gives the whole forecast (USED); the
model without them gives the level and the one with them only the change a plan makes against the default plan
(EFFECT); or they are left out and their effect is not estimated (IGNORED).
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble
from local_models.forecaster.train import (
    EnsembleFit,
    History,
    TrainConfig,
    fit_ensemble,
    history_head,
    predict,
    shifted_progress,
)

TRANSFORMER = "transformer"
STATISTICAL = ("AutoETS", "AutoTheta")
GRID_STEP = 0.1  # weights are multiples of this, summing to 1
MIN_VALIDATION_HISTORY = 8  # points a series needs before its validation window to take part in the choice
# The statistical members may take at most this share of the training budget: each is fitted twice (validation
# cut, then everything), and a member whose first fit shows the pair would overrun is left out, so that on many
# series the Transformer keeps most of its time (about 110 s of 560 on M3's 1,428 series, 6 s on the demo)
STATISTICAL_SHARE = 0.35
# How the known covariates enter the forecast (see the module's docstring), in order of preference on a tie
EFFECT, USED, IGNORED = "effect only", "used", "ignored"
COVARIATE_USES = (EFFECT, USED, IGNORED)


def covariate_metric(use: str) -> str:
    """The metric holding a covariate use's validation MASE."""
    return f"validation_mase_covariates_{use.replace(' ', '_')}"


@dataclass
class CombinedFit:
    model: ForecasterEnsemble
    weights: dict[str, float]  # TRANSFORMER and each statistical member; they sum to 1
    statistical: dict[str, np.ndarray]  # each member's (S, H, Q) forecast after the end of every history
    metrics: dict[str, float] = field(default_factory=dict)
    # Where the data has known covariates: the Transformer trained without them, and how the covariates enter
    # (COVARIATE_USES; `model` is the one trained with them). USED with no `plain` for data without covariates.
    plain: ForecasterEnsemble | None = None
    covariates: str = USED


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
    held_out, after, skipped = _fit_members(histories, cut, config, statistical, n_jobs, train, started, status)
    statistical_seconds = time.perf_counter() - started
    if status:
        status("training the Transformer")
    budget = max(train.max_seconds - statistical_seconds, 0.25 * train.max_seconds)
    # With known covariates, half the time goes to a Transformer without them, so the validation window can
    # tell whether they help (see COVARIATE_USES)
    compare = bool(config.known_covariates) and bool(usable)
    shifted = shifted_progress(progress, statistical_seconds)
    share = replace(train, max_seconds=budget / 2 if compare else budget)
    fitted = fit_ensemble(histories, config, share, members=members, progress=shifted)
    plain: EnsembleFit | None = None
    if compare:
        if status:
            status("training the Transformer without covariates")
        spent = time.perf_counter() - started
        rest = replace(train, max_seconds=max(train.max_seconds - spent, 0.25 * budget))
        plain = fit_ensemble(
            without_covariates(histories), plain_config(config), rest, members=members,
            progress=shifted_progress(progress, spent),
        )  # fmt: skip
    metrics = dict(fitted.metrics)
    weights = {TRANSFORMER: 1.0, **dict.fromkeys(statistical, 0.0)}
    use = USED
    if usable and actual is not None and fitted.held_out is not None:
        scales = np.asarray([seasonal_scale(h.values, config.period) for h in cut])
        options = covariate_options(fitted, plain, held_out, usable, actual, scales, config.quantiles)
        use = best_use(options)
        chosen, scored = options[use]
        weights |= chosen
        metrics.update({f"validation_mase_{k}": v for k, v in scored.items()})
        if plain is not None:
            for u, (_, by_candidate) in options.items():
                metrics[covariate_metric(u)] = by_candidate["combined"]
            metrics["plain_validation_scaled_pinball"] = plain.metrics["validation_scaled_pinball"]
    metrics.update({f"weight_{k}": v for k, v in weights.items()})
    metrics["statistical_seconds"] = statistical_seconds
    metrics["statistical_skipped"] = float(len(skipped))  # members left out to keep the Transformer's time
    metrics["train_seconds"] = time.perf_counter() - started
    return CombinedFit(
        model=fitted.model, weights=weights, statistical=after, metrics=metrics,
        plain=plain.model if plain is not None and use != USED else None, covariates=use,
    )  # fmt: skip


def _fit_members(
    histories: Sequence[History],
    cut: Sequence[History],
    config: ForecasterConfig,
    statistical: Sequence[str],
    n_jobs: int,
    train: TrainConfig,
    started: float,
    status: Callable[[str], None] | None,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], list[str]]:
    """Each statistical member's forecasts of the validation window (from `cut`) and after every history, and the
    members left out because fitting them would take more than STATISTICAL_SHARE of the budget."""
    held_out: dict[str, np.ndarray] = {}
    after: dict[str, np.ndarray] = {}
    skipped: list[str] = []
    H = config.horizon
    for name in statistical if cut else ():  # no validation window, no way to weigh a member: none is fitted
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
    return held_out, after, skipped


def best_use(options: Mapping[str, tuple[dict[str, float], dict[str, float]]]) -> str:
    """The covariate use whose combination has the lowest validation MASE; a tie goes to the one listed first in
    COVARIATE_USES (a plan's effect kept, where nothing in the window tells the uses apart)."""
    return min(options, key=lambda u: (options[u][1]["combined"], COVARIATE_USES.index(u)))


def covariate_options(
    fitted: EnsembleFit,
    plain: EnsembleFit | None,
    held_out: Mapping[str, np.ndarray],
    usable: list[int],
    actual: np.ndarray,
    scales: np.ndarray,
    quantiles: Sequence[float],
) -> dict[str, tuple[dict[str, float], dict[str, float]]]:
    """Each way the covariates can enter (COVARIATE_USES) that this fit allows: its weights, and the validation
    MASE of each candidate and of the combination ("combined")."""
    assert fitted.held_out is not None
    options = {USED: choose_weights({TRANSFORMER: fitted.held_out[usable], **held_out}, actual, scales, quantiles)}
    if plain is None or plain.held_out is None or fitted.held_out_default is None:
        return options
    base = plain.held_out[usable]
    weights, scored = choose_weights({TRANSFORMER: base, **held_out}, actual, scales, quantiles)
    options[IGNORED] = (weights, scored)
    planned = with_effect(base, fitted.held_out[usable], fitted.held_out_default[usable])
    median = min(range(len(quantiles)), key=lambda i: abs(quantiles[i] - 0.5))
    effect = blend(planned, held_out, weights, default=base)[..., median]
    options[EFFECT] = (weights, {**scored, "combined": scaled_error(effect, actual, scales)})
    return options


def with_effect(base: np.ndarray, planned: np.ndarray, default: np.ndarray) -> np.ndarray:
    """`base` moved by a plan's change against the default plan (`planned - default`), never below what `base`
    itself allows (zero for sales)."""
    floor = min(float(np.nanmin(base)), 0.0) if np.isfinite(base).any() else 0.0
    moved: np.ndarray = np.maximum(base + planned - default, floor)
    return moved


def plain_config(config: ForecasterConfig) -> ForecasterConfig:
    """The configuration without known covariates (past-only ones stay)."""
    return replace(config, known_covariates=(), binary_covariates=(), covariate_defaults={})


def without_covariates(histories: Sequence[History]) -> list[History]:
    return [History(h.series_id, h.values, None, h.past) for h in histories]


def combined_forecast(
    model: ForecasterEnsemble,
    histories: Sequence[History],
    statistical: Mapping[str, np.ndarray],
    weights: Mapping[str, float],
    *,
    futures: Sequence[np.ndarray] | None = None,
    defaults: Sequence[np.ndarray] | None = None,
    plain: ForecasterEnsemble | None = None,
    covariates: str = USED,
) -> np.ndarray:
    """The combined (S, H, Q) forecast after each history, as trained: futures are the known covariates planned
    ahead (None for a model without them), defaults the default plan where a what-if changed it (None: the
    futures are the default plan). statistical: each member's forecast for these series."""
    defaults = futures if defaults is None else defaults
    changed = [] if futures is None or defaults is None else [
        i for i, (f, d) in enumerate(zip(futures, defaults, strict=True)) if not np.array_equal(f, d)
    ]  # fmt: skip
    if plain is not None and covariates in (EFFECT, IGNORED):
        base = predict(plain, without_covariates(histories))
        if covariates == IGNORED or not changed:
            return blend(base, statistical, weights)
        # The level from the model without covariates, the plan's change against the default plan from the one
        # with them (only where a plan changed: elsewhere that change is zero)
        assert futures is not None and defaults is not None
        subset = [histories[i] for i in changed]
        planned = base.copy()
        planned[changed] = with_effect(
            base[changed], predict(model, subset, [futures[i] for i in changed]),
            predict(model, subset, [defaults[i] for i in changed]),
        )  # fmt: skip
        return blend(planned, statistical, weights, default=base)
    quantiles = predict(model, histories, futures)
    if not changed:
        return blend(quantiles, statistical, weights)
    assert defaults is not None
    default = quantiles.copy()
    default[changed] = predict(model, [histories[i] for i in changed], [defaults[i] for i in changed])
    return blend(quantiles, statistical, weights, default=default)


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
