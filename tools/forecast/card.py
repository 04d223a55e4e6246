"""The forecaster's model card (core/model_card.py), written by `train_forecaster` beside the checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.model_card import (
    Benchmark,
    DataFacts,
    Metric,
    ModelCard,
    TrainingFacts,
    Validation,
    card_for,
    measured,
)
from local_models.forecaster.combine import COVARIATE_USES, EFFECT, IGNORED, USED, covariate_metric
from local_models.forecaster.model import ForecasterConfig
from local_models.forecaster.train import TrainConfig
from tools.sales_data import SalesPanel

UNITS = {"W": "weeks", "D": "days", "M": "months", "MS": "months", "ME": "months"}
SCALED = "in units of each series' mean seasonal change (MASE-style; on log1p(sales) when the model works in logs)"


def forecaster_card(
    folder: Path,
    root: Path,
    *,
    panel: SalesPanel,
    config: ForecasterConfig,
    train: TrainConfig,
    metrics: dict[str, float],
    members: int,
    source: str,
    fingerprint: str,
    covariates_use: str = USED,
) -> ModelCard:
    """The card for a forecaster just saved in `folder` (workspace `root`)."""
    return card_for(
        folder,
        root,
        title="Sales forecaster",
        summary=(
            f"An ensemble of {members} small Transformers that forecasts the p10 to p90 of each series' unit sales up "
            f"to {config.horizon} {UNITS.get(panel.freq.split('-')[0], 'periods')} ahead, as corrections to last "
            f"season's sales, combined with statsforecast's AutoETS and AutoTheta ({_weights(metrics)}; weights "
            "chosen on the held-out tail). What-ifs move the forecast by the Transformer's own change."
        ),
        used_by=["forecast_sales"],
        data=DataFacts(
            fingerprint=fingerprint,
            source=source,
            period_start=min(s.dates[0] for s in panel.series).date(),
            period_end=max(s.dates[-1] for s in panel.series).date(),
            rows=sum(len(s) for s in panel.series),
            rows_label="sales points",
            series=len(panel.series),
        ),
        inputs=_inputs(config),
        never_inputs=["No customer data of any kind: only sales per series and the covariates above."],
        training=TrainingFacts(
            budget_seconds=train.max_seconds,
            seconds=metrics.get("train_seconds", 0.0),
            seed=train.seed,
            stopped=(
                f"The statistical members are fitted first (twice: without the held-out tail, to choose the weights, "
                f"and on everything); then {members} Transformer members share what is left of the budget equally: "
                f"early stopping on the held-out tail (checked every {train.eval_every} steps, patience "
                f"{train.patience}), then a short fine-tune on all data including that tail. With known covariates, "
                "half of that time trains a second ensemble without them, and the held-out tail decides how they "
                "enter the forecast."
            ),
        ),
        validation=Validation(
            split=(
                f"the last {config.horizon} periods of every series, never trained on before each member's final "
                "fine-tune (figures are the members' mean, measured before that fine-tune)"
            ),
            metrics=_metrics(metrics, covariates_use),
            note="The same held-out tail chose each member's stopping step and the combination's weights, so these "
            "figures lean a little optimistic.",
        ),
        limits=_limits(panel, config),
        benchmarks=[
            Benchmark(
                what="The same design on the M3 monthly competition series (1,428 series, h=18) against "
                "statsforecast's SeasonalNaive, AutoETS, AutoARIMA and AutoTheta fitted in the same run, with the "
                "Transformer alone beside the combination",
                result="see the report's MASE and interval-coverage table",
                command="marketing-agent eval forecast",
                report="eval/reports/forecast.md",
            )
        ],
    )


def _inputs(config: ForecasterConfig) -> list[str]:
    inputs = [
        f"Each series' own past unit sales (the last {config.context} periods; scaled per series)",
        f"The seasonal naive forecast (the same period last season, season = {config.period} periods) it corrects",
    ]
    for name in config.known_covariates:
        rule = config.covariate_defaults.get(name, "")
        inputs.append(
            f"Covariate {name!r}, known ahead (a what-if sets it; unplanned: {rule or 'last known value'}), "
            "and its value last season"
        )
    return inputs


def _weights(metrics: dict[str, Any]) -> str:
    weights = {k.removeprefix("weight_"): v for k, v in metrics.items() if k.startswith("weight_")}
    return ", ".join(f"{name} {value:.0%}" for name, value in weights.items()) or "Transformer alone"


def _metrics(metrics: dict[str, Any], covariates_use: str) -> list[Metric]:
    combined = [
        Metric(
            name="MASE of the combination",
            description="mean absolute error of the combined median over the held-out tail, over each series' mean "
            "seasonal change (the weights were chosen on it)",
            value=measured(metrics.get("validation_mase_combined")),
            higher_is_better=False,
            baseline="the Transformer alone",
            baseline_value=measured(metrics.get("validation_mase_transformer")),
        )
    ]
    uses = {u: metrics.get(covariate_metric(u)) for u in COVARIATE_USES}
    if all(v is not None for v in uses.values()):
        best = covariates_use
        combined.append(
            Metric(
                name=f"MASE with the covariates {best if best != EFFECT else 'for their effect only'}",
                description="the combination's MASE on the held-out tail for each way the known covariates can "
                f"enter: used throughout {uses[USED]:.3f}, for a plan's effect only (level from a Transformer "
                f"trained without them) {uses[EFFECT]:.3f}, left out {uses[IGNORED]:.3f}; the lowest is used",
                value=measured(uses[best]),
                higher_is_better=False,
                baseline="covariates left out",
                baseline_value=measured(uses[IGNORED]),
            )
        )
    return [
        Metric(
            name="scaled pinball loss",
            description=f"quantile loss averaged over the p10..p90 quantiles, {SCALED}",
            value=measured(metrics.get("validation_scaled_pinball")),
            higher_is_better=False,
            baseline="seasonal naive",
            baseline_value=measured(metrics.get("validation_scaled_pinball_seasonal_naive")),
        ),
        Metric(
            name="scaled MAE",
            description=f"mean absolute error of the median forecast, {SCALED}",
            value=measured(metrics.get("validation_scaled_mae")),
            higher_is_better=False,
            baseline="seasonal naive",
            baseline_value=measured(metrics.get("validation_scaled_mae_seasonal_naive")),
        ),
        *(combined if "validation_mase_combined" in metrics else []),
    ]


def _limits(panel: SalesPanel, config: ForecasterConfig) -> list[str]:
    known = ", ".join(config.known_covariates) or "none"
    return [
        f"Forecasts at most {config.horizon} periods ahead; a longer horizon needs retraining with --horizon.",
        f"Knows only the {len(panel.series):,} series it was trained on: a new product needs retraining.",
        f"What-ifs work only for the covariates it saw ({known}); values far outside their history are extrapolation.",
        "The 80% interval is calibrated across series on average, not guaranteed for each series.",
        "Sales lost to stock-outs look like low demand: the model forecasts sales, not demand.",
    ]
