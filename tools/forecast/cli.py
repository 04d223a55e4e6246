"""The forecasting commands: train-forecaster and forecast."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

if TYPE_CHECKING:
    from tools.forecast.tool import ForecastSalesResult

from tools.commands import (
    ColumnOption,
    JsonOption,
    WorkspaceOption,
    choice,
    column_map,
    console,
    parse_number,
    print_json,
)


def register(app: typer.Typer) -> None:
    app.command("train-forecaster")(train_forecaster_command)
    app.command("forecast")(forecast_command)


def train_forecaster_command(
    file: Annotated[Path, typer.Argument(help="Long-format sales CSV: date, series_id, quantity, covariates.")],
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="Periods to forecast ahead.")] = 8,
    freq: Annotated[str | None, typer.Option(help="Pandas frequency, e.g. W-MON, MS, D (default: inferred).")] = None,
    covariates: Annotated[
        str | None, typer.Option(help="Comma-separated covariate columns (default: every numeric extra column).")
    ] = None,
    fill: Annotated[str, typer.Option(help="Gaps: refuse, zero, interpolate or ffill.")] = "refuse",
    column: ColumnOption = None,
    minutes: Annotated[float, typer.Option(help="Training time budget in minutes.")] = 8.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a sales file and train the workspace's forecaster from scratch (progress on stderr)."""
    from tools.forecast.tool import train_forecaster
    from tools.sales_data import FILL_POLICIES

    choice(fill, FILL_POLICIES, "--fill")
    names = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    report = train_forecaster(
        file,
        horizon=horizon,
        freq=freq,
        covariates=names,
        fill=fill,  # type: ignore[arg-type]
        column_map=column_map(column),
        max_seconds=minutes * 60.0,
        seed=seed,
        workspace=workspace,
        progress=True,
    )
    summary = {
        "model": str(report.folder),
        "series": report.series,
        "freq": report.freq,
        "horizon": report.horizon,
        "covariates": report.covariates,
        "metrics": report.metrics,
        "warnings": report.warnings,
    }
    if as_json:
        console.print_json(data=summary)
        return
    console.print(
        f"Trained on {report.series:,} series ({report.freq}, horizon {report.horizon}, covariates: "
        f"{', '.join(report.covariates) or 'none'}) in {report.metrics['train_seconds']:.0f} s; "
        f"saved to {report.folder}"
    )
    for warning in report.warnings:
        console.print(f"  {escape(warning)}")


def forecast_command(
    series: Annotated[list[str] | None, typer.Option("--series", "-s", help="Series id (repeatable).")] = None,
    product: Annotated[str | None, typer.Option("--product", "-p", help="A product name or id.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="Periods ahead.")] = 8,
    what_if: Annotated[
        list[str] | None, typer.Option("--what-if", help="Hold a covariate over the horizon: --what-if promo=1.")
    ] = None,
    csv_path: Annotated[Path | None, typer.Option("--csv", help="Write series_id,date,p10..p90 to this CSV.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG chart (one series) here.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast sales with intervals from the trained model; --json, --csv and --plot for scripts and reports."""
    from tools.forecast.present import ForecastPresenter, plot_forecast_result
    from tools.forecast.tool import forecast_sales

    changes = {k: parse_number(v, "--what-if") for k, v in column_map(what_if, option="--what-if").items()}
    result = forecast_sales(
        series_ids=series or None, product=product, horizon=horizon, what_if=changes or None, workspace=workspace
    )
    if csv_path is not None:
        write_forecast_csv(result, csv_path)
    if plot is not None:
        if len(result.series) != 1:
            raise typer.BadParameter("--plot draws one series; ask for one --series or --product", param_hint="--plot")
        plot_forecast_result(result.series[0], plot, workspace)
    if as_json:
        print_json(result)
    else:
        console.print(ForecastPresenter().terminal(result))
        for path in (csv_path, plot):
            if path is not None:
                console.print(f"Wrote {path}")


def write_forecast_csv(result: ForecastSalesResult, path: Path) -> None:
    """series_id, date, p10, p50, p90 and every other quantile the model gives, one row per period."""
    path.parent.mkdir(parents=True, exist_ok=True)
    levels = list(result.series[0].points[0].quantiles) if result.series and result.series[0].points else []
    extra = [q for q in levels if q not in {"p10", "p50", "p90"}]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["series_id", "date", "p10", "p50", "p90", *extra])
        for series in result.series:
            for point in series.points:
                row = [point.p10, point.p50, point.p90, *[point.quantiles[q] for q in extra]]
                writer.writerow([series.series_id, point.date.isoformat(), *row])
