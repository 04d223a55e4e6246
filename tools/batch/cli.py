"""`marketing-agent batch JOB`: one of the batch jobs over the whole workspace, written to a file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, choice, column_map, console, errors, print_json


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_command)


def batch_command(
    job: Annotated[str, typer.Argument(help="forecast, recommend, score-customers or embed-reviews.")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="The result file: .parquet, .csv or .jsonl (default WORKSPACE/batch/JOB.parquet)."
        ),
    ] = None,
    input_file: Annotated[
        Path | None,
        typer.Option(
            "--input",
            "-i",
            help="score-customers: transactions; embed-reviews: reviews (default: the workspace's data/ files).",
        ),
    ] = None,
    column: ColumnOption = None,
    horizon: Annotated[int | None, typer.Option(help="forecast: periods ahead (default: trained horizon).")] = None,
    k: Annotated[int, typer.Option("--k", help="recommend: products per customer.")] = 10,
    exclude_purchased: Annotated[
        bool, typer.Option("--exclude-purchased", help="recommend: only products new to each customer.")
    ] = False,
    chunk_size: Annotated[int | None, typer.Option(help="Items per chunk (one Ray task, one part file).")] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            help="Run on Ray: a cluster's HOST:PORT, or 'local' for a Ray started for this job "
            "(default: MARKETING_AGENT_RAY_ADDRESS, else this process).",
        ),
    ] = None,
    no_ray: Annotated[bool, typer.Option("--no-ray", help="Run in this process even when a cluster is set.")] = False,
    workers: Annotated[
        int | None, typer.Option(min=1, help="Ray: tasks at once (default: every CPU of the cluster).")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a batch job over everything the workspace holds (every series, customer or review), in chunks written as
    they finish: a rerun after an interruption skips the finished ones. Progress on stderr."""
    from tools.batch.jobs import JOBS, BatchOptions
    from tools.batch.run import run_batch

    choice(job, JOBS, "JOB")
    options = BatchOptions(
        horizon=horizon, k=k, exclude_purchased=exclude_purchased, input=input_file, column_map=column_map(column)
    )
    report = run_batch(
        job, workspace=workspace, options=options, out=out, chunk_size=chunk_size, ray="" if no_ray else ray,
        workers=workers, progress=True,
    )  # fmt: skip
    if as_json:
        print_json(report)
        return
    resumed = f", {report.chunks_resumed} resumed from an earlier run" if report.chunks_resumed else ""
    console.print(
        f"{escape(job)}: {report.items:,} items in {report.chunks} chunks{resumed} ({escape(report.engine)}), "
        f"{report.seconds:.1f} s, {report.items_per_second:,.1f} items/s -> {escape(report.output)}"
    )
    for warning in report.warnings:
        errors.print(f"[yellow]{escape(warning)}[/]")
