"""forecast_sales: sales forecasts with prediction intervals from the workspace's own Transformer forecaster.

`train_forecaster` validates a long-format sales file and trains the model (marketing-agent
train-forecaster); `forecast_sales` answers "how much will product X sell over the next 8 weeks, and what
if we run a promotion?" with numbers, an interval, the change against the last period, and the drivers in
plain words. Every number comes from the model and the data; nothing is generated.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tqdm.auto import tqdm

from core.errors import DataError, DataProblem
from core.model_card import card_reference, write_card
from core.workspace import Workspace
from local_models.forecaster.combine import (
    EFFECT,
    IGNORED,
    STATISTICAL,
    TRANSFORMER,
    USED,
    combined_forecast,
    covariate_metric,
    fit_combined,
)
from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble
from local_models.forecaster.train import (
    History,
    TrainConfig,
    data_fingerprint,
    load_forecaster,
    load_plain,
    planned_covariates,
    save_forecaster,
)
from tools.catalogue import catalogue_names, resolve_product
from tools.forecast.card import forecaster_card
from tools.model_cache import ModelCache
from tools.sales_data import FillPolicy, SalesPanel, SalesSeries, read_sales_file, seasonal_period
from tools.unit import fields_of

CALENDAR_WORDS = ("holiday", "season", "event", "calendar")  # binary covariates that recur on the calendar
HISTORY_POINTS = 26  # periods of actual sales returned with each forecast, for charts
STORED_HISTORY_PERIODS = 3  # seasonal periods of history kept in the checkpoint (plots, last-year comparisons)


# ----------------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class TrainingReport:
    folder: Path
    series: int
    freq: str
    horizon: int
    covariates: list[str]
    metrics: dict[str, float]
    warnings: list[str]


def suggest_config(panel: SalesPanel, horizon: int) -> ForecasterConfig:
    """Model shape for this data: about two seasons of context in ~8-16 tokens, log scale for counts."""
    period = seasonal_period(panel.freq)
    longest = max(len(s) for s in panel.series)
    patch = {12: 6, 52: 4, 7: 7, 4: 2}.get(period, max(1, min(period, 6)))
    wanted = max(2 * period, 3 * horizon, 4 * patch)
    context = min(wanted, max(patch, longest - horizon))
    context = max(patch, context // patch * patch)
    binary = tuple(name for name in panel.covariates if _is_binary(panel, name))
    non_negative = all(float(np.min(s.quantity)) >= 0 for s in panel.series)
    return ForecasterConfig(
        horizon=horizon,
        context=context,
        period=period,
        patch=patch,
        log_transform=non_negative,
        known_covariates=tuple(panel.covariates),
        binary_covariates=binary,
        freq=panel.freq,
        covariate_defaults={name: default_rule(name, name in binary) for name in panel.covariates},
    )


def _is_binary(panel: SalesPanel, name: str) -> bool:
    return all(set(np.unique(s.covariates[name])) <= {0.0, 1.0} for s in panel.series)


def default_rule(name: str, binary: bool) -> str:
    if binary and any(word in name.lower() for word in CALENDAR_WORDS):
        return "same period last season"
    return "0 (none planned)" if binary else "last known value"


def train_forecaster(
    path: str | Path | None = None,
    *,
    panel: SalesPanel | None = None,
    horizon: int,
    freq: str | None = None,
    covariates: list[str] | None = None,
    fill: FillPolicy = "refuse",
    column_map: dict[str, str] | None = None,
    max_seconds: float = 480.0,
    members: int = 3,
    statistical: tuple[str, ...] = STATISTICAL,
    seed: int = 0,
    workspace: str | Path | Workspace | None = None,
    progress: bool = True,
) -> TrainingReport:
    """Validate a sales file (or panel) and train the workspace's forecaster from scratch: the Transformer
    ensemble, the statistical members it is combined with (`statistical`; () for the Transformer alone) and the
    combination's weights, chosen on each series' last `horizon` points."""
    if horizon < 1:
        raise DataError("--horizon", [DataProblem(f"horizon must be at least 1, got {horizon}")])
    if panel is None:
        if path is None:
            raise ValueError("pass a sales file path or a panel")
        panel = read_sales_file(
            path, column_map=column_map, freq=freq, covariates=covariates, fill=fill, min_length=horizon + 2
        )
    _check_trainable(panel, horizon, str(path or "data"))
    config = suggest_config(panel, horizon)
    histories = [_history(s, config) for s in panel.series]
    budget = round(max_seconds)
    with tqdm(total=budget, desc="Training forecaster", unit="s", disable=not progress, leave=False) as bar:

        def report_progress(step: int, loss: float, seconds: float) -> None:
            bar.set_postfix(step=step, validation=f"{loss:.3f}")
            bar.update(max(0, min(round(seconds), budget) - bar.n))

        def report_status(what: str) -> None:
            bar.set_description(f"Training forecaster: {what}")

        train = TrainConfig(max_seconds=max_seconds, seed=seed)
        result = fit_combined(
            histories, config, train, members=members, statistical=statistical,
            progress=report_progress, status=report_status,
        )  # fmt: skip
    ws = Workspace.open(workspace).ensure()
    folder = ws.models_dir / "forecaster"
    fingerprint = data_fingerprint(histories)
    save_forecaster(
        folder,
        result.model,
        metrics=result.metrics,
        extra={
            "data_fingerprint": fingerprint,
            "series_ids": [s.series_id for s in panel.series],
            "last_dates": [s.dates[-1].isoformat() for s in panel.series],
            "source": str(path or "data"),
            "combination": result.weights,
            "covariates_use": result.covariates,
        },
        plain=result.plain,
        arrays={
            **_stored_history(panel, config, result.model.max_context),
            **{f"statistical_{name}": forecast for name, forecast in result.statistical.items()},
        },
    )
    card = forecaster_card(
        folder, ws.root, panel=panel, config=config, train=train, metrics=result.metrics, members=members,
        source=str(path or "data"), fingerprint=fingerprint, covariates_use=result.covariates,
    )  # fmt: skip
    write_card(folder, card)
    _forecasters.forget(folder)
    return TrainingReport(
        folder, len(panel.series), panel.freq, horizon, list(panel.covariates), result.metrics, list(panel.warnings)
    )


def _check_trainable(panel: SalesPanel, horizon: int, source: str) -> None:
    short = [s.series_id for s in panel.series if len(s) < horizon + 2]
    if not panel.series:
        raise DataError(source, [DataProblem("no series to train on")])
    if short:
        raise DataError(
            source, [DataProblem(f"series {', '.join(short[:10])} have fewer than horizon + 2 = {horizon + 2} points")]
        )


def _history(series: SalesSeries, config: ForecasterConfig) -> History:
    known = (
        np.stack([series.covariates[n] for n in config.known_covariates], axis=1) if config.known_covariates else None
    )
    return History(series.series_id, series.quantity, known=known)


def _stored_history(panel: SalesPanel, config: ForecasterConfig, context: int) -> dict[str, np.ndarray]:
    """The last few seasons of every series, right-aligned in one array (NaN where a series is shorter):
    enough to forecast (the longest member context) and to plot and compare with last year."""
    keep = max(context + config.period, STORED_HISTORY_PERIODS * config.period)
    values = np.full((len(panel.series), keep), np.nan)
    known = np.full((len(panel.series), keep, len(config.known_covariates)), np.nan)
    for i, series in enumerate(panel.series):
        tail = series.quantity[-keep:]
        values[i, keep - len(tail) :] = tail
        for j, name in enumerate(config.known_covariates):
            known[i, keep - len(tail) :, j] = series.covariates[name][-keep:]
    return {"history_values": values, "history_known": known}


# ----------------------------------------------------------------------------------------------------
# The tool


class ForecastSalesInput(BaseModel):
    """Forecast unit sales for products or series, with an optional what-if (planned promotion or price)."""

    model_config = ConfigDict(extra="forbid")

    series_ids: list[str] | None = Field(None, max_length=1000, description="Series (e.g. product ids) to forecast.")
    product: str | None = Field(
        None, max_length=200, description="A product name or id, matched against the catalogue."
    )
    horizon: int = Field(8, ge=1, le=520, description="Periods ahead (weeks for weekly data).")
    what_if: dict[str, float] | None = Field(
        None, description="Covariates to hold over the whole horizon, e.g. {'promo': 1} or {'price': 19.99}."
    )

    @model_validator(mode="after")
    def _needs_target(self) -> ForecastSalesInput:
        if not self.series_ids and not self.product:
            raise ValueError("say what to forecast: series_ids or a product name")
        return self


class ForecastPoint(BaseModel):
    date: date
    p10: float
    p50: float
    p90: float
    quantiles: dict[str, float] = Field(default_factory=dict, description="Every quantile the model gives.")


class HistoryPoint(BaseModel):
    date: date
    quantity: float


class SeriesForecast(BaseModel):
    series_id: str
    product_name: str = ""
    points: list[ForecastPoint]
    history: list[HistoryPoint] = Field(
        default_factory=list,
        description=f"Actual sales just before the forecast (the last {HISTORY_POINTS} periods at most), for charts.",
    )
    total_p10: float
    total_p50: float
    total_p90: float
    last_period_total: float | None = Field(description="Actual sales over the same number of periods just before.")
    change_vs_last_period: float | None = Field(description="total_p50 / last_period_total - 1.")
    same_period_last_year: float | None = None
    drivers: list[str] = Field(default_factory=list, description="What moves this forecast, in plain words.")
    assumptions: list[str] = Field(default_factory=list)


class ForecastSalesResult(BaseModel):
    freq: str
    horizon: int
    series: list[SeriesForecast]
    summary: str
    warnings: list[str] = Field(default_factory=list)
    model: dict[str, Any] = Field(default_factory=dict, description="Which trained model answered, and its metrics.")


@dataclass
class _Loaded:
    model: ForecasterEnsemble
    manifest: dict[str, Any]
    values: np.ndarray  # (S, K) stored history, NaN-padded on the left
    known: np.ndarray  # (S, K, C)
    index: dict[str, int]
    # The combination: weights by member, and each statistical member's (S, H, Q) forecast after the stored
    # history (models trained before the combination have the Transformer alone)
    weights: dict[str, float]
    statistical: dict[str, np.ndarray]
    # How the known covariates enter (combine.COVARIATE_USES) and the Transformer trained without them, where
    # the validation window chose it for the level (models trained before this choice: USED, None)
    covariates_use: str = USED
    plain: ForecasterEnsemble | None = None


def _read_forecaster(folder: Path) -> _Loaded:
    model, meta, arrays = load_forecaster(folder)
    index = {sid: i for i, sid in enumerate(meta["series_ids"])}
    weights = {str(k): float(v) for k, v in meta.get("combination", {TRANSFORMER: 1.0}).items()}
    statistical = {
        name: arrays[f"statistical_{name}"]
        for name, weight in weights.items()
        if name != TRANSFORMER and weight > 0 and f"statistical_{name}" in arrays
    }
    return _Loaded(
        model, meta, arrays["history_values"], arrays["history_known"], index, weights, statistical,
        str(meta.get("covariates_use", USED)), load_plain(meta, arrays),
    )  # fmt: skip


_forecasters = ModelCache(
    _read_forecaster,
    what="forecaster",
    train_hint="Train one with `marketing-agent train-forecaster sales.csv --horizon 8` "
    "(or build the demo: `marketing-agent demo`).",
)


def _load(ws: Workspace) -> _Loaded:
    return _forecasters.get(ws.models_dir / "forecaster", ws.root)


def forecast_sales(
    *,
    series_ids: list[str] | None = None,
    product: str | None = None,
    horizon: int = 8,
    what_if: dict[str, float] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> ForecastSalesResult:
    """Forecast unit sales for products (by id or catalogue name) over the next periods, with p10-p90
    intervals, the change against the last period, and the main drivers (e.g. promotion lift); a what-if
    such as {"promo": 1} or {"price": 19.99} shows its effect."""
    request = ForecastSalesInput.model_validate(fields_of(locals()))
    ws = Workspace.open(workspace)
    loaded = _load(ws)
    config = loaded.model.config
    _check_horizon(config, request.horizon)
    names = catalogue_names(ws)
    series_ids = _resolve_series(request, loaded, names)
    unknown = sorted(set(request.what_if or {}) - set(config.known_covariates))
    if unknown:
        raise DataError(
            "what_if",
            [
                DataProblem(
                    f"unknown covariate(s) {', '.join(unknown)}; "
                    f"this model knows: {', '.join(config.known_covariates) or 'none'}"
                )
            ],
        )
    forecasts = [_forecast_one(loaded, sid, request, names.get(sid, "")) for sid in series_ids]
    caveat = [_uncertain_effects(loaded)] if loaded.covariates_use == IGNORED else []
    return ForecastSalesResult(
        freq=config.freq,
        horizon=request.horizon,
        series=forecasts,
        summary=_summary(forecasts, request.horizon, config.freq),
        warnings=caveat,
        model={
            "trained_on": loaded.manifest.get("source", ""),
            "saved_at": loaded.manifest.get("saved_at", ""),
            **{k: v for k, v in loaded.manifest.get("metrics", {}).items() if k != "series"},
            **card_reference(ws.models_dir / "forecaster", ws.root),
        },
    )


def _uncertain_effects(loaded: _Loaded) -> str:
    """Where training left the covariates out of the forecast: what-ifs and drivers still show the effect the
    model learnt, with this warning."""
    metrics = loaded.manifest.get("metrics", {})
    used, ignored = (float(metrics.get(covariate_metric(u), math.nan)) for u in (USED, IGNORED))
    return (
        f"The forecast leaves out {', '.join(loaded.model.config.known_covariates)}: forecasts that used them were "
        f"less accurate (MASE {used:.3f} with them, {ignored:.3f} without, on each series' last periods held out). "
        "The effects shown for them (what-ifs, drivers) are what the model learnt, and uncertain."
    )


def _resolve_series(request: ForecastSalesInput, loaded: _Loaded, names: dict[str, str]) -> list[str]:
    if request.series_ids:
        missing = [s for s in request.series_ids if s not in loaded.index]
        if missing:
            raise DataError(
                "series_ids",
                [
                    DataProblem(
                        f"no trained series {', '.join(missing[:10])}; known: {', '.join(list(loaded.index)[:10])}…"
                    )
                ],
            )
        return list(dict.fromkeys(request.series_ids))
    assert request.product is not None
    return [resolve_product(request.product, names, loaded.index)]


def _check_horizon(config: ForecasterConfig, horizon: int) -> None:
    if horizon > config.horizon:
        raise DataError(
            "horizon",
            [
                DataProblem(
                    f"the forecaster was trained for up to {config.horizon} periods ahead; asked for {horizon}. "
                    f"Retrain with `marketing-agent train-forecaster FILE --horizon {horizon}`."
                )
            ],
        )


@dataclass
class _Prepared:
    """One series ready for the model: its observed history, the dates ahead and the covariates assumed."""

    history: History
    dates: pd.DatetimeIndex  # (H,)
    future: np.ndarray  # (H, C)
    default: np.ndarray  # (H, C) the covariates' default plan (what `future` is without the what-ifs)
    assumptions: list[str]


def _prepare(loaded: _Loaded, series_id: str, what_if: dict[str, float]) -> _Prepared:
    config = loaded.model.config
    row = loaded.index[series_id]
    values, known = _observed(loaded.values[row], loaded.known[row])
    last = pd.Timestamp(loaded.manifest["last_dates"][row])
    dates = pd.date_range(last, periods=config.horizon + 1, freq=config.freq)[1:]
    future, assumptions = planned_covariates(config, known, what_if)
    default = future if not what_if else planned_covariates(config, known, {})[0]
    return _Prepared(History(series_id, values, known=known), dates, future, default, assumptions)


def _forecast_one(loaded: _Loaded, series_id: str, request: ForecastSalesInput, name: str) -> SeriesForecast:
    config = loaded.model.config
    ready = _prepare(loaded, series_id, request.what_if or {})
    values, known = ready.history.values, ready.history.known
    assert known is not None
    quantiles = _combined(loaded, [series_id], [ready.history], [ready.future], [ready.default])[0]  # (H, Q)
    drivers = _drivers(loaded, series_id, values, known, ready, quantiles, request)
    h = request.horizon
    return _series_forecast(series_id, name, ready.dates[:h], quantiles[:h], config, values, drivers, ready.assumptions)


def forecast_series_batch(
    series_ids: list[str], *, horizon: int | None = None, workspace: str | Path | Workspace | None = None
) -> list[SeriesForecast]:
    """Forecasts for many series in one model call, for batch jobs (`marketing-agent batch forecast`): the same
    points, totals and assumptions as `forecast_sales` without what-ifs, but no drivers (those re-forecast each
    series). `horizon` defaults to the trained one. The model loads once per process."""
    ws = Workspace.open(workspace)
    loaded = _load(ws)
    config = loaded.model.config
    h = horizon or config.horizon
    _check_horizon(config, h)
    missing = [s for s in series_ids if s not in loaded.index]
    if missing:
        raise DataError("series_ids", [DataProblem(f"no trained series {', '.join(missing[:10])}")])
    names = catalogue_names(ws)
    ready = [_prepare(loaded, sid, {}) for sid in series_ids]
    histories, futures = [r.history for r in ready], [r.future for r in ready]
    quantiles = _combined(loaded, series_ids, histories, futures, futures)  # (S, H, Q)
    return [
        _series_forecast(sid, names.get(sid, ""), r.dates[:h], q[:h], config, r.history.values, [], r.assumptions)
        for sid, r, q in zip(series_ids, ready, quantiles, strict=True)
    ]


def trained_series(workspace: str | Path | Workspace | None = None) -> list[str]:
    """Every series the workspace's forecaster was trained on, in training order."""
    return list(_load(Workspace.open(workspace)).index)


def _observed(values: np.ndarray, known: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = ~np.isnan(values)
    return values[keep], known[keep]


def _drivers(
    loaded: _Loaded,
    series_id: str,
    values: np.ndarray,
    known: np.ndarray,
    ready: _Prepared,
    quantiles: np.ndarray,
    request: ForecastSalesInput,
) -> list[str]:
    """Effects measured by re-forecasting with one covariate changed: promotion on vs off, price as planned
    vs unchanged, and the seasonal pattern in the history."""
    config = loaded.model.config
    what_if = request.what_if or {}
    h = request.horizon
    base = float(quantiles[:h, config.median_index].sum())
    drivers = []
    future = ready.future
    uncertain = " (uncertain: see the warning)" if loaded.covariates_use == IGNORED else ""
    for j, name in enumerate(config.known_covariates):
        if name in config.binary_covariates and "holiday" not in name.lower():
            on, off = future.copy(), future.copy()
            on[:, j], off[:, j] = 1.0, 0.0
            with_, without = _total(loaded, series_id, ready, [on, off], h)
            if without > 0:
                drivers.append(
                    f"a {name} throughout would change sales by {with_ / without - 1:+.0%} "
                    f"({without:,.0f} -> {with_:,.0f} units){uncertain}"
                )
        elif name in what_if and name not in config.binary_covariates:
            unchanged = future.copy()
            unchanged[:, j] = known[-1, j]
            before = _total(loaded, series_id, ready, [unchanged], h)[0]
            if before > 0:
                drivers.append(
                    f"{name} at {what_if[name]:g} instead of {known[-1, j]:g} changes sales by {base / before - 1:+.0%}"
                    f"{uncertain}"
                )
    last_year = _same_period_last_season(values, config.period, h)
    if last_year:
        drivers.append(
            f"seasonality: {base / last_year - 1:+.0%} against the same {h} periods a season ago "
            f"({last_year:,.0f} units)"
        )
    return drivers


def _same_period_last_season(history: np.ndarray, period: int, h: int) -> float | None:
    """Units sold in the h periods that start one season before the forecast does."""
    if period <= h or len(history) < period:
        return None
    return float(history[-period : -period + h].sum())


def _total(loaded: _Loaded, series_id: str, ready: _Prepared, futures: list[np.ndarray], h: int) -> list[float]:
    n = len(futures)
    quantiles = _combined(loaded, [series_id] * n, [ready.history] * n, futures, [ready.default] * n)
    return [float(q[:h, loaded.model.config.median_index].sum()) for q in quantiles]


def _combined(
    loaded: _Loaded,
    series_ids: list[str],
    histories: list[History],
    futures: list[np.ndarray],
    defaults: list[np.ndarray],
) -> np.ndarray:
    """(S, H, Q) forecasts of the combination: the Transformer under each plan, blended with the statistical
    members' stored forecasts; where a plan is not the default one (a what-if), the members blend under the
    default plan and the Transformer's change from it is added (local_models/forecaster/combine.py)."""
    rows = [loaded.index[sid] for sid in series_ids]
    # Left out of the forecast, the covariates still give a what-if's effect (with a warning): under the default
    # plan "effect only" and "ignored" forecast the same
    use = EFFECT if loaded.covariates_use == IGNORED else loaded.covariates_use
    return combined_forecast(
        loaded.model, histories, {name: forecast[rows] for name, forecast in loaded.statistical.items()},
        loaded.weights, futures=futures, defaults=defaults, plain=loaded.plain, covariates=use,
    )  # fmt: skip


def _series_forecast(
    series_id: str,
    name: str,
    dates: pd.DatetimeIndex,
    quantiles: np.ndarray,
    config: ForecasterConfig,
    history: np.ndarray,
    drivers: list[str],
    assumptions: list[str],
) -> SeriesForecast:
    q = list(config.quantiles)
    idx = {p: min(range(len(q)), key=lambda i: abs(q[i] - p)) for p in (0.1, 0.5, 0.9)}
    points = [
        ForecastPoint(
            date=d.date(),
            p10=round(float(row[idx[0.1]]), 2),
            p50=round(float(row[idx[0.5]]), 2),
            p90=round(float(row[idx[0.9]]), 2),
            quantiles={f"p{round(level * 100)}": round(float(v), 2) for level, v in zip(q, row, strict=True)},
        )
        for d, row in zip(dates, quantiles, strict=True)
    ]
    h = len(points)
    recent = history[-HISTORY_POINTS:]
    before = pd.date_range(end=dates[0], periods=len(recent) + 1, freq=config.freq)[:-1]
    past = [
        HistoryPoint(date=d.date(), quantity=round(float(v), 2))
        for d, v in zip(before, recent, strict=True)
        if np.isfinite(v)
    ]
    last_total = float(history[-h:].sum()) if len(history) >= h else None
    total = float(quantiles[:, idx[0.5]].sum())
    last_year = _same_period_last_season(history, config.period, h)
    return SeriesForecast(
        series_id=series_id,
        product_name=name,
        points=points,
        history=past,
        # Interval totals sum per-period quantiles: a conservative (wide) band for the total.
        total_p10=round(float(quantiles[:, idx[0.1]].sum()), 1),
        total_p50=round(total, 1),
        total_p90=round(float(quantiles[:, idx[0.9]].sum()), 1),
        last_period_total=None if last_total is None else round(last_total, 1),
        change_vs_last_period=None if not last_total else round(total / last_total - 1.0, 4),
        same_period_last_year=None if last_year is None else round(last_year, 1),
        drivers=drivers,
        assumptions=assumptions,
    )


def _summary(forecasts: list[SeriesForecast], horizon: int, freq: str) -> str:
    unit = {"W": "weeks", "M": "months", "D": "days", "Q": "quarters", "Y": "years"}.get(freq[:1], "periods")
    parts = []
    for f in forecasts:
        label = f"{f.product_name} ({f.series_id})" if f.product_name else f.series_id
        change = (
            "" if f.change_vs_last_period is None else f", {f.change_vs_last_period:+.0%} vs the last {horizon} {unit}"
        )
        parts.append(
            f"{label}: about {f.total_p50:,.0f} units over the next {horizon} {unit} "
            f"(80% interval {f.total_p10:,.0f}-{f.total_p90:,.0f}){change}."
        )
    return " ".join(parts)


def config_summary(config: ForecasterConfig) -> dict[str, Any]:
    return {k: v for k, v in asdict(config).items() if k not in {"covariate_defaults"}}


def forecast_history(
    series_id: str, *, workspace: str | Path | Workspace | None = None
) -> tuple[list[date], list[float]]:
    """The stored recent history of a series (for plots): dates and units sold."""
    loaded = _load(Workspace.open(workspace))
    row = loaded.index[series_id]
    values = loaded.values[row]
    values = values[~np.isnan(values)]
    last = pd.Timestamp(loaded.manifest["last_dates"][row])
    dates = pd.date_range(end=last, periods=len(values), freq=loaded.model.config.freq)
    return [d.date() for d in dates], [float(v) for v in values]
