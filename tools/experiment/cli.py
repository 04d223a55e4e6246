"""The experiment commands: experiment (store a test's results and read it), analyze-experiment, plan-test."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, column_map, console, print_json, show

if TYPE_CHECKING:
    from tools.experiment.tool import AnalyzeExperimentResult


def register(app: typer.Typer) -> None:
    app.command("experiment")(experiment_command)
    app.command("analyze-experiment")(analyze_command)
    app.command("plan-test")(plan_test_command)


LiftOption = Annotated[float, typer.Option(help="The relative lift worth finding: 0.1 = 10%.")]
AlphaOption = Annotated[float, typer.Option(help="Chance of a false winner allowed over all looks.")]
ChartOption = Annotated[
    Path | None, typer.Option("--chart", help="Also save a PNG of the rates, intervals and next split in this folder.")
]


def experiment_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Results CSV or JSONL: variant_id, exposures, conversions[, date, revenue]; one row per "
            "variant (and per day when dated, counts for that day)."
        ),
    ],
    name: Annotated[str | None, typer.Option(help="The test's name (default: the file's name).")] = None,
    column: ColumnOption = None,
    lift: LiftOption = 0.1,
    alpha: AlphaOption = 0.05,
    chart: ChartOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a test's results, store them in the workspace (replacing an earlier export of the same test) and
    show the reading: rates with intervals, the decision, the next split."""
    from tools.experiment.tool import analyze_experiment, store_experiment

    stored, warnings = store_experiment(file, name=name, column_map=column_map(column), workspace=workspace)
    result = analyze_experiment(experiment=stored.name, lift=lift, alpha=alpha, workspace=workspace)
    result.warnings[:0] = warnings
    if not as_json:
        console.print(f"Stored {stored.name!r}: {len(stored.rows):,} rows, {len(result.arms)} variants.")
    _show(result, as_json, chart)


def analyze_command(
    name: Annotated[str | None, typer.Argument(help="A stored test's name (default: the most recent).")] = None,
    lift: LiftOption = 0.1,
    alpha: AlphaOption = 0.05,
    daily: Annotated[int | None, typer.Option(help="Exposures per day from now on, to say how long is left.")] = None,
    floor: Annotated[float | None, typer.Option(help="Each variant's least share of the next traffic.")] = None,
    chart: ChartOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Read a stored test: which variant wins (safe to check every day), the next split, how long to run."""
    from tools.experiment.tool import analyze_experiment

    result = analyze_experiment(
        experiment=name, lift=lift, alpha=alpha, daily_exposures=daily, floor=floor, workspace=workspace
    )
    _show(result, as_json, chart)


def _show(result: AnalyzeExperimentResult, as_json: bool, chart: Path | None) -> None:
    from tools.experiment.present import ExperimentPresenter, charts

    show(result, ExperimentPresenter(), as_json)
    if chart is not None:
        for path in charts(result, chart):
            (typer.echo(f"chart: {path}", err=True) if as_json else console.print(f"chart: {path}"))


def plan_test_command(
    baseline: Annotated[float, typer.Option(help="The control's conversion rate now, e.g. 0.04 for 4%.")],
    lift: LiftOption = 0.1,
    variants: Annotated[int, typer.Option(help="Variants in the test, the control included.")] = 2,
    alpha: AlphaOption = 0.05,
    power: Annotated[float, typer.Option(help="Chance of finding the lift when it is real.")] = 0.8,
    daily: Annotated[int | None, typer.Option(help="Exposures per day, to say how many days.")] = None,
    as_json: JsonOption = False,
) -> None:
    """How many exposures per variant a test needs to find a lift: for this tool's anytime-valid test (check it as
    often as you like) and for a classic test looked at once."""
    from pydantic import BaseModel

    from tools.experiment.stats import plan_sample_size

    try:
        plan = plan_sample_size(baseline, lift, alpha, power, variants)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None

    class Plan(BaseModel):
        baseline_rate: float
        lift: float
        variants: int
        alpha: float
        power: float
        per_variant: int
        fixed_horizon_per_variant: int
        days: float | None

    total = plan.sequential_per_arm * variants
    out = Plan(
        baseline_rate=baseline,
        lift=lift,
        variants=variants,
        alpha=alpha,
        power=power,
        per_variant=plan.sequential_per_arm,
        fixed_horizon_per_variant=plan.fixed_per_arm,
        days=round(total / daily, 1) if daily else None,
    )
    if as_json:
        print_json(out)
        return
    days = f" (about {out.days:g} days at {daily:,} a day)" if out.days is not None else ""
    console.print(
        f"To find a {lift:.0%} lift on {baseline:.2%} with {power:.0%} power: {plan.sequential_per_arm:,} exposures "
        f"per variant, {total:,} in all{days}, checked as often as you like. A classic test looked at only once "
        f"needs {plan.fixed_per_arm:,} per variant."
    )
