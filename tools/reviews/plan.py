"""How the offline router fills search_reviews' arguments from what a request says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.unit import CatalogueFacts, Planning, Products, RequestDetails

PRAISE_QUERY = "what customers praise"


def build(details: RequestDetails, products: Products | None, _: CatalogueFacts) -> dict[str, Any]:
    arguments: dict[str, Any] = {"query": details.query}
    arguments.update(_filters(details, products))
    if details.insight:
        arguments["insight"] = True
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, products: Products | None, _: CatalogueFacts) -> None:
    """A follow-up changes only the filters it names; a product list replaces a category and the other way round."""
    filters = _filters(details, products)
    if "category" in filters:
        arguments.pop("product_ids", None)
    if "product_ids" in filters:
        arguments.pop("category", None)
    arguments.update(filters)


def products_in(arguments: Mapping[str, Any]) -> list[Any]:
    return list(arguments.get("product_ids") or [])


def praise_search(product_ids: list[Any]) -> dict[str, Any]:
    """The search an ad "using what reviews praise" runs first, so the copy can cite it."""
    return {"query": PRAISE_QUERY, "product_ids": product_ids, "min_rating": 4, "insight": True}


def _filters(details: RequestDetails, products: Products | None) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    if products is not None and products.category:
        filters["category"] = products.category
    elif products is not None and products.ids:
        filters["product_ids"] = list(products.ids)
    if details.rating is not None:
        filters["min_rating"], filters["max_rating"] = details.rating
    if details.dates is not None:
        low, high = details.dates
        filters["date_from"] = low.isoformat() if low else None
        filters["date_to"] = high.isoformat() if high else None
    if details.review_count is not None:
        filters["k"] = details.review_count
    return filters


PLANNING = Planning(
    build,
    change,
    products_in,
    capability="summarise what customers say in reviews",
    product="optional",
    offer="what reviews say",
    capability_zh="总结顾客在评价里说了什么",
    offer_zh="评价解读",
)
