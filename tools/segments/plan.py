"""How the offline router fills segment_customers' arguments from what a request says.

The segments are also where "the product our loyal customers buy most" comes from: the router calls this tool
once per filter and later steps refer to its result's top product (`provides_product`).
"""

from __future__ import annotations

from typing import Any

from tools.unit import CatalogueFacts, Planning, Products, RequestDetails, no_products

TOP_PRODUCT_PATH = "top_products.0.product_id"


def build(details: RequestDetails, _: Products | None, __: CatalogueFacts) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if details.segment_filter:
        arguments["filter"] = details.segment_filter
    if details.segment_count is not None:
        arguments["k"] = details.segment_count
    if details.customer_id is not None:
        arguments["customer_id"] = details.customer_id
    if details.limit is not None and details.segment_filter is not None:
        arguments["limit"] = details.limit
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, _: Products | None, __: CatalogueFacts) -> None:
    if details.segment_filter is not None:
        arguments["filter"] = details.segment_filter
    if details.segment_count is not None:
        arguments["k"] = details.segment_count
    if details.customer_id is not None:
        arguments["customer_id"] = details.customer_id
    if details.limit is not None:
        arguments["limit"] = details.limit


PLANNING = Planning(
    build,
    change,
    no_products,
    capability="segment your customers",
    capability_zh="给客户分群",
    provides_product=TOP_PRODUCT_PATH,
    source_keys=("filter",),
    customer_group="filter",
)
