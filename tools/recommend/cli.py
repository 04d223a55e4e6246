"""The recommender commands: train-recommender and recommend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from tools.commands import ColumnOption, JsonOption, WorkspaceOption, choice, column_map, console, show


def register(app: typer.Typer) -> None:
    app.command("train-recommender")(train_recommender_command)
    app.command("recommend")(recommend_command)


def train_recommender_command(
    file: Annotated[
        Path,
        typer.Argument(help="Transactions CSV with product ids: customer_id, date, amount, product_id[, quantity]."),
    ],
    negative: Annotated[str, typer.Option(help="Negative amounts: error, returns or drop.")] = "error",
    column: ColumnOption = None,
    minutes: Annotated[float, typer.Option(help="Training time budget in minutes.")] = 5.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a transactions file and train the workspace's recommender on it (progress on stderr)."""
    from tools.recommend.tool import train_recommender
    from tools.transactions_data import NEGATIVE_POLICIES

    choice(negative, NEGATIVE_POLICIES, "--negative")
    report = train_recommender(
        file,
        negative=negative,  # type: ignore[arg-type]
        column_map=column_map(column),
        max_seconds=minutes * 60.0,
        seed=seed,
        progress=True,
        workspace=workspace,
    )
    summary = {
        "model": str(report.folder),
        "customers": report.customers,
        "products": report.products,
        "metrics": report.metrics,
        "warnings": report.warnings,
    }
    if as_json:
        console.print_json(data=summary)
        return
    metrics = report.metrics
    console.print(
        f"Trained on {report.customers:,} customers and {report.products:,} products in "
        f"{metrics['train_seconds']:.0f} s (validation recall@20 {metrics['validation_recall_at_20']:.3f}); "
        f"saved to {report.folder}"
    )
    for warning in report.warnings:
        console.print(f"[yellow]note:[/] {warning}", highlight=False, markup=True)


def recommend_command(
    customer: Annotated[
        list[str] | None, typer.Option("--customer", "-c", help="A customer id (repeat for several).")
    ] = None,
    product: Annotated[
        str | None, typer.Option("--product", "-p", help="A product id or name: who to target for it.")
    ] = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="A segment name, or at_risk, best, new, lapsed.")
    ] = None,
    k: Annotated[int, typer.Option("--k", "-k", help="Products per customer or segment.")] = 10,
    category: Annotated[str | None, typer.Option(help="Only products in this category.")] = None,
    exclude_purchased: Annotated[
        bool, typer.Option("--exclude-purchased", help="Leave out what they bought before.")
    ] = False,
    all_products: Annotated[
        bool, typer.Option("--all-products", help="Include products missing from the catalogue.")
    ] = False,
    audience: Annotated[int, typer.Option(help="Customers listed for --product.")] = 50,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Recommend products to customers (--customer), find who to target for a product (--product), or pick the
    products to feature for a segment (--segment)."""
    from tools.recommend.present import RecommendPresenter
    from tools.recommend.tool import recommend_products

    result = recommend_products(
        customer_ids=customer or None,
        product=product,
        segment=segment,
        k=k,
        exclude_purchased=exclude_purchased,
        category=category,
        catalogue_only=not all_products,
        audience_size=audience,
        workspace=workspace,
    )
    show(result, RecommendPresenter(), as_json)
