"""How the offline router fills generate_ad_copy's arguments from what a request says."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tools.reviews.plan import praise_search
from tools.unit import CatalogueFacts, Grounding, Planning, Products, RequestDetails, is_reference

DEFAULT_CHANNEL = "google_search"


def build(details: RequestDetails, products: Products | None, _: CatalogueFacts) -> dict[str, Any]:
    """One ad's arguments (the router makes one call per product named)."""
    arguments: dict[str, Any] = {"channel": DEFAULT_CHANNEL}
    product = products.ids[0] if products is not None and products.ids else None
    if product is not None:
        arguments["product"] = product if is_reference(product) else str(product)
    arguments.update(_details(details))
    if "audience" not in arguments and details.segment_product and details.segment_filter:
        arguments["audience"] = details.segment_filter.replace("_", " ") + " customers"
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, products: Products | None, _: CatalogueFacts) -> None:
    """ "now for email", "make it shorter", "try again": the details change, "again" draws another seed."""
    arguments.update(_details(details))
    if products is not None and products.ids:
        arguments["product"] = str(products.ids[0])
    if details.reroll:
        arguments["seed"] = int(arguments.get("seed") or 0) + 1


def products_in(arguments: Mapping[str, Any]) -> list[Any]:
    return [arguments["product"]] if arguments.get("product") is not None else []


def _details(details: RequestDetails) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in (
        ("channel", details.channel),
        ("n_variants", details.n_variants),
        ("tone", details.tone),
        ("key_message", details.key_message),
        ("audience", details.audience),
    ):
        if value is not None:
            found[key] = value
    return found


# an ad "using what reviews praise" searches the praise first, so the copy can cite it
PLANNING = Planning(
    build,
    change,
    products_in,
    capability="write ad copy for Google Search, Meta, email or SMS",
    product="required",
    one_product_per_call=True,
    product_question="Which product should the ad be for?",
    offer="ad copy",
    capability_zh="为谷歌搜索、Meta、邮件或短信写广告文案",
    offer_zh="广告文案",
    product_question_zh="这条广告是为哪款商品写的？",
    grounding=Grounding(tool="search_reviews", wanted=lambda d: d.review_grounding, arguments=praise_search),
    takes_over=lambda d: d.review_grounding and d.ad_request,
)
