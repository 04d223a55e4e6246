"""The customer-model command: segment (training on a transactions file when given one)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, choice, column_map, console, errors, print_json


def register(app: typer.Typer) -> None:
    app.command("segment")(segment_command)


def segment_command(
    file: Annotated[
        Path | None,
        typer.Argument(help="Transactions CSV: customer_id, date, amount[, quantity, product_id, channel]."),
    ] = None,
    segments: Annotated[
        int | None, typer.Option("--segments", "-k", help="Number of segments (default: chosen).")
    ] = None,
    negative: Annotated[str, typer.Option(help="Negative amounts: error, returns or drop.")] = "error",
    column: ColumnOption = None,
    filter_: Annotated[
        str | None, typer.Option("--filter", help="at_risk, best, new, lapsed or a segment name.")
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Look up one customer id.")] = None,
    minutes: Annotated[float, typer.Option(help="Training time budget in minutes.")] = 2.0,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of segment sizes and value here.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Segment customers from their transactions (training the customer model on FILE when given)."""
    from tools.segments.present import SegmentsPresenter, plot_result
    from tools.segments.tool import segment_customers, train_segmenter
    from tools.transactions_data import NEGATIVE_POLICIES

    choice(negative, NEGATIVE_POLICIES, "--negative")
    trained: list[str] = []
    if file is not None:
        with errors.status("Training the customer model"):
            trained = train_segmenter(
                file,
                k=segments,
                negative=negative,  # type: ignore[arg-type]
                column_map=column_map(column),
                max_seconds=minutes * 60.0,
                workspace=workspace,
            ).warnings
    result = segment_customers(k=segments, filter=filter_, customer_id=customer, workspace=workspace)
    result = result.model_copy(update={"warnings": trained + result.warnings})  # e.g. dates after today
    if plot is not None:
        plot_result(result, plot)
    if as_json:
        print_json(result)
    else:
        console.print(SegmentsPresenter().terminal(result))
        if plot is not None:
            console.print(f"Wrote {plot}")
