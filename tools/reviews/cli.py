"""The reviews commands: ingest-reviews, search-reviews, review-insight."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, column_map, console, parse_date, print_json


def register(app: typer.Typer) -> None:
    app.command("ingest-reviews")(ingest_reviews_command)
    app.command("search-reviews")(search_reviews_command)
    app.command("review-insight")(review_insight_command)


def ingest_reviews_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of reviews (.gz works too).")],
    column: ColumnOption = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid rows and report the rest.")
    ] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a review file, then store it (idempotent: re-running adds nothing new)."""
    columns = column_map(column)  # a usage mistake is reported before the store's libraries load (~5 s)
    from tools.reviews.present import ingest_report
    from tools.reviews.tool import ingest_reviews

    report = ingest_reviews(file, column_map=columns, skip_invalid=skip_invalid, workspace=workspace, progress=True)
    if as_json:
        console.print_json(data={**asdict(report), "written": report.written})
    else:
        ingest_report(report, console)


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
    from tools.reviews.inputs import SearchReviewsInput

    # Checked before the store's libraries load (~5 s), so a mistake is reported at once.
    request = SearchReviewsInput(
        query=query,
        product_ids=product or None,
        min_rating=min_rating,
        max_rating=max_rating,
        category=category,
        date_from=parse_date(date_from, "--date-from"),
        date_to=parse_date(date_to, "--date-to"),
        k=k,
        insight=insight,
    )
    from tools.reviews.present import search_view
    from tools.reviews.tool import search_reviews

    result = search_reviews(**request.model_dump(), workspace=workspace)
    if as_json:
        print_json(result)
    else:
        console.print(search_view(result))


def review_insight_command(
    product: Annotated[list[str] | None, typer.Option("--product", "-p", help="Product id (repeatable).")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="A topic instead of (or within) products.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """What customers praise and complain about, by aspect, with counts and cited quotes."""
    from tools.reviews.inputs import ReviewInsightInput

    ReviewInsightInput(product_ids=product or None, query=query, category=category)  # checked before the store loads
    from tools.reviews.present import insight_view
    from tools.reviews.tool import review_insight

    result = review_insight(product_ids=product or None, query=query, category=category, workspace=workspace)
    if as_json:
        print_json(result)
    else:
        console.print(insight_view(result))
