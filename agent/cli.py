"""The `marketing-agent` command line. Every command takes --workspace; --json prints machine-readable
results on stdout while progress bars go to stderr."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from local_models.errors import MarketingAgentError

app = typer.Typer(
    name="marketing-agent",
    help="Turn a store's reviews, sales, customers and brand rules into cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: MARKETING_AGENT_HOME or ./workspace)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo store generator.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Regenerate the demo files even if present.")] = False,
) -> None:
    """Build the demo store (catalogue, reviews, sales, customers, brand) in the workspace and ingest it."""
    from agent.demo.build import build_demo_workspace
    from agent.render import ingest_report

    built = build_demo_workspace(workspace, seed=seed, force=force)
    console.print(f"Demo workspace: [bold]{built.workspace}[/] ({'generated' if built.generated else 'up to date'})")
    ingest_report(built.reviews, console)


@app.command("ingest-reviews")
def ingest_reviews_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of reviews (.gz works too).")],
    column: Annotated[
        list[str] | None,
        typer.Option("--column", "-c", help="Map a field to your header: --column text='Review Text'."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid rows and report the rest.")
    ] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a review file, then store it (idempotent: re-running adds nothing new)."""
    from dataclasses import asdict

    from agent.render import ingest_report
    from tools.reviews import ingest_reviews

    report = ingest_reviews(
        file, column_map=_column_map(column or []), skip_invalid=skip_invalid, workspace=workspace, progress=True
    )
    if as_json:
        console.print_json(data={**asdict(report), "written": report.written})
    else:
        ingest_report(report, console)


@app.command("search-reviews")
def search_reviews_command(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    product: Annotated[list[str] | None, typer.Option("--product", "-p", help="Only this product id.")] = None,
    min_rating: Annotated[int | None, typer.Option(help="Lowest star rating.")] = None,
    max_rating: Annotated[int | None, typer.Option(help="Highest star rating.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    date_from: Annotated[str | None, typer.Option(help="Reviews on or after YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option(help="Reviews on or before YYYY-MM-DD.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many reviews.")] = 10,
    insight: Annotated[bool, typer.Option("--insight", help="Also summarise praised and criticised aspects.")] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search reviews by meaning, with filters; every result carries its review id."""
    from agent.render import search_result
    from tools.reviews import search_reviews

    result = search_reviews(
        query=query,
        product_ids=product or None,
        min_rating=min_rating,
        max_rating=max_rating,
        category=category,
        date_from=_date(date_from, "--date-from"),
        date_to=_date(date_to, "--date-to"),
        k=k,
        insight=insight,
        workspace=workspace,
    )
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(search_result(result))


@app.command("review-insight")
def review_insight_command(
    product: Annotated[list[str] | None, typer.Option("--product", "-p", help="Product id (repeatable).")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="A topic instead of (or within) products.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """What customers praise and complain about, by aspect, with counts and cited quotes."""
    from agent.render import insight as render_insight
    from tools.reviews import review_insight

    result = review_insight(product_ids=product or None, query=query, category=category, workspace=workspace)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(render_insight(result))


@app.command("eval")
def eval_command(
    suite: Annotated[str, typer.Argument(help="Suite to run: reviews.")] = "reviews",
    quick: Annotated[bool, typer.Option("--quick", help="A small, fast subset (used by the tests).")] = False,
    reports: Annotated[
        Path | None, typer.Option(help="Where to write <suite>.json/.md (default eval/reports).")
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Where suites build their scratch stores (default: a temp folder)."),
    ] = None,
) -> None:
    """Run an offline evaluation suite; prints a table and writes eval/reports/<suite>.json and .md."""
    from eval.runner import run_suite

    run_suite(suite, quick=quick, reports_dir=reports, scratch_parent=workspace, console=console)


def _column_map(pairs: list[str]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for pair in pairs:
        field, sep, header = pair.partition("=")
        if not sep or not field.strip() or not header:
            raise typer.BadParameter(f"{pair!r}: use FIELD=HEADER, e.g. text='Review Text'", param_hint="--column")
        mapping[field.strip()] = header
    return mapping


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def main() -> None:
    """Entry point: known failures print one clear message (no traceback) and exit non-zero."""
    try:
        app(standalone_mode=False)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        errors.print("Aborted.")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: bad options or values
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            errors.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except ValidationError as exc:
        errors.print(f"[red]Invalid input:[/] {escape(_validation_message(exc))}", highlight=False)
        sys.exit(2)
    except MarketingAgentError as exc:
        errors.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)


def _validation_message(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors(include_url=False)
    )


if __name__ == "__main__":
    main()
