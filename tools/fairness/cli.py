"""The fairness commands: ingest-customers (attributes for audits) and audit."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, column_map, console, show


def register(app: typer.Typer) -> None:
    app.command("ingest-customers")(ingest_customers_command)
    app.command("audit")(audit_command)


def ingest_customers_command(
    file: Annotated[
        Path,
        typer.Argument(
            help="Customers CSV or JSONL: customer_id plus attributes (age_band, gender, income_band, "
            "region, ...); a transactions file carrying them works too."
        ),
    ],
    column: ColumnOption = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Store customer attributes for fairness audits (never read by any model). Personal columns are not read."""
    from tools.fairness.attributes import ingest_customers

    report = ingest_customers(file, column_map=column_map(column), workspace=workspace)
    summary = {"customers": report.customers, "attributes": report.attributes, "warnings": report.warnings}
    if as_json:
        console.print_json(data=summary)
        return
    groups = "; ".join(f"{name}: {', '.join(values[:8])}" for name, values in report.attributes.items())
    console.print(f"Stored attributes of {report.customers:,} customers ({groups}).", highlight=False, markup=False)
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False)


def audit_command(
    segment: Annotated[str | None, typer.Option(help="A segment name, or at_risk, best, new, lapsed.")] = None,
    product: Annotated[str | None, typer.Option(help="A product id or name: audit its recommended audience.")] = None,
    customers: Annotated[
        Path | None, typer.Option(help="A file of customer ids (one per line, or a CSV with customer_id).")
    ] = None,
    attribute: Annotated[list[str] | None, typer.Option("--attribute", "-a", help="Attribute (repeatable).")] = None,
    audience: Annotated[int, typer.Option(help="Audience size for --product.")] = 200,
    min_group: Annotated[int, typer.Option(help="Groups smaller than this are shown, not judged.")] = 30,
    no_pairs: Annotated[bool, typer.Option("--no-pairs", help="Skip pairs of attributes.")] = False,
    chart: Annotated[Path | None, typer.Option(help="Save PNG charts of the rates by group in this folder.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Audit a targeting list (a segment, a product's audience or a file of customer ids) for fairness across
    customer groups: selection rates, the four-fifths ratio with intervals, flagged groups."""
    from tools.fairness.present import FairnessPresenter, charts
    from tools.fairness.tool import audit_fairness

    ids = _read_ids(customers) if customers is not None else None
    if sum(x is not None for x in (segment, product, ids)) != 1:
        raise typer.BadParameter("give one of --segment, --product or --customers")
    result = audit_fairness(
        customer_ids=ids,
        segment=segment,
        product=product,
        audience_size=audience,
        attributes=attribute or None,
        pairs=not no_pairs,
        min_group=min_group,
        workspace=workspace,
    )
    show(result, FairnessPresenter(), as_json)
    if chart is not None:
        for path in charts(result, chart):
            (typer.echo(f"chart: {path}", err=True) if as_json else console.print(f"chart: {path}"))


def _read_ids(path: Path) -> list[str]:
    from core.errors import DataError, DataProblem
    from core.tabular import Field, Schema, read_table

    schema = Schema(
        noun="customer list",
        fields=(Field("customer_id", "id", required=True, aliases=("customer", "id", "client_id"), need="an id"),),
    )
    try:
        table = read_table(path, schema)
    except DataError:
        text = path.read_text(encoding="utf-8", errors="replace").split()
        if not text:
            raise DataError(str(path), [DataProblem("the file is empty")]) from None
        return text
    table.raise_if_unreadable()
    problems: list[DataProblem] = []
    ids = [v for v in table.parse("customer_id", problems).values if v]
    if problems:
        raise DataError(str(path), problems)
    return ids
