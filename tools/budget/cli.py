"""The budget commands: train-budget-model (fit the marketing-mix model on a weekly file) and plan-budget (split a
budget, try a what-if, or read each channel's ROAS)."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, column_map, console, errors, parse_number

if TYPE_CHECKING:
    from tools.budget.tool import BudgetReport


def register(app: typer.Typer) -> None:
    app.command("train-budget-model")(train_budget_model_command)
    app.command("plan-budget")(plan_budget_command)


def train_budget_model_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Weekly marketing CSV or JSONL: date, one spend_<channel> column per channel, sales (or map your "
            "outcome with --column sales=conversions), optional controls (price, promotions, holidays)."
        ),
    ],
    column: ColumnOption = None,
    draws: Annotated[int, typer.Option(min=50, max=5000, help="Posterior draws per chain.")] = 500,
    tune: Annotated[int, typer.Option(min=50, max=5000, help="Tuning steps per chain.")] = 500,
    chains: Annotated[int, typer.Option(min=1, max=8, help="Sampler chains (2 or more to check convergence).")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a weekly marketing file and fit the workspace's marketing-mix model on it (about a minute on 2 cores);
    prints each channel's ROAS with its interval, the sampler's diagnostics and any warnings."""
    from tools.budget.data import read_spend_file
    from tools.budget.tool import train_budget_model

    table = read_spend_file(file, column_map=column_map(column))  # a bad file fails here, before the wait
    errors.print(
        f"Read {table.weeks} weeks, {len(table.channels)} channels ({', '.join(table.channels)})"
        + (f", controls: {', '.join(table.controls)}" if table.controls else ""),
        highlight=False,
        markup=False,
    )
    what = f"Fitting the marketing-mix model ({chains} chain{'s' if chains != 1 else ''} x {draws} draws)"
    if not errors.is_terminal:  # no spinner where nobody watches it: say it once
        errors.print(f"{what}: this may take a minute…", highlight=False, markup=False)
    # PyMC draws some progress bars of its own on stdout: keep them off it, so --json output stays parseable.
    with errors.status(f"{what}: this may take a minute…"), contextlib.redirect_stdout(sys.stderr):
        report = train_budget_model(
            table=table, draws=draws, tune=tune, chains=chains, seed=seed, progress=False, workspace=workspace
        )
    if as_json:
        console.print_json(data=_report_json(report))
        return
    _print_report(report)


def _report_json(report: BudgetReport) -> dict[str, Any]:
    return {
        "model": str(report.folder),
        "weeks": report.weeks,
        "channels": report.channels,
        "diagnostics": report.diagnostics,
        "effects": [e.model_dump() for e in report.effects],
        "warnings": report.warnings,
    }


def _print_report(report: BudgetReport) -> None:
    from rich.markup import escape

    from tools.budget.present import diagnostics_line, effects_table

    d = report.diagnostics
    seconds = float(d.get("fit_seconds", 0))
    console.print(
        f"Trained on {report.weeks} weeks and {len(report.channels)} channels in {seconds:.0f} s;"
        f" saved to {escape(str(report.folder))}",
        highlight=False,
    )
    console.print(effects_table(report.effects, "Return on ad spend by channel (80% intervals)"))
    console.print(diagnostics_line(d), highlight=False)
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}", highlight=False)


def plan_budget_command(
    budget: Annotated[
        float | None, typer.Option("--budget", "-b", help="The total to split across channels over the period.")
    ] = None,
    weeks: Annotated[int, typer.Option("--weeks", min=1, max=52, help="Weeks the budget covers (a month is 4).")] = 4,
    channel: Annotated[
        list[str] | None, typer.Option("--channel", help="Only this channel (repeat for several).")
    ] = None,
    minimum: Annotated[
        list[str] | None, typer.Option("--min", help="Least spend on a channel over the period: --min tv=2000.")
    ] = None,
    maximum: Annotated[
        list[str] | None, typer.Option("--max", help="Most spend on a channel over the period: --max display=5000.")
    ] = None,
    fixed: Annotated[
        list[str] | None, typer.Option("--fixed", help="Hold this channel at today's spend level (repeatable).")
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option("--change", help="What-if on today's spend: --change tv=-30%, search=+5000, display=x0.5."),
    ] = None,
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Also write a PNG of the allocation and response curves here.")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Split a budget across channels to maximise the expected outcome (--budget, with --min/--max/--fixed), try a
    what-if on today's spend (--change), or, with neither, show each channel's ROAS; outcomes with 80% intervals."""
    from tools.budget.present import BudgetPresenter, plot_budget
    from tools.budget.tool import plan_budget
    from tools.commands import show

    result = plan_budget(
        total_budget=budget,
        period_weeks=weeks,
        channels=channel or None,
        min_spend=_amounts(minimum, "--min") or None,
        max_spend=_amounts(maximum, "--max") or None,
        fixed=fixed or None,
        changes=_pairs(change, "--change") or None,
        workspace=workspace,
    )
    show(result, BudgetPresenter(), as_json)
    if plot is not None:
        if plot.suffix.lower() != ".png":
            raise typer.BadParameter(f"{plot} is not a .png file name", param_hint="--plot")
        written = plot_budget(result, plot)
        (typer.echo(f"chart: {written}", err=True) if as_json else console.print(f"chart: {written}", markup=False))


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """`["tv=-30%", ...]` as channel -> text; a malformed pair is a usage error."""
    found: dict[str, str] = {}
    for value in values or []:
        name, sep, amount = value.partition("=")
        if not sep or not name.strip() or not amount.strip():
            raise typer.BadParameter(f"{value!r}: use CHANNEL=AMOUNT, e.g. tv=2000", param_hint=option)
        found[name.strip()] = amount.strip()
    return found


def _amounts(values: list[str] | None, option: str) -> dict[str, float]:
    return {
        name: parse_number(amount.replace(",", "").lstrip("$"), option)
        for name, amount in _pairs(values, option).items()
    }
