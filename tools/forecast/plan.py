"""How the offline router fills forecast_sales' arguments from what a request says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tools.unit import CatalogueFacts, Planning, Products, RequestDetails, is_reference

DEFAULT_HORIZON = 8


def build(details: RequestDetails, products: Products | None, catalogue: CatalogueFacts) -> dict[str, Any]:
    return {"horizon": DEFAULT_HORIZON, **_details(details, products, catalogue)}


def change(
    arguments: dict[str, Any], details: RequestDetails, products: Products | None, catalogue: CatalogueFacts
) -> None:
    """A follow-up's products replace the earlier ones; its horizon and what-if replace theirs."""
    new = _details(details, products, catalogue)
    if "series_ids" in new or "product" in new:
        arguments.pop("series_ids", None)
        arguments.pop("product", None)
    arguments.update(new)


def products_in(arguments: Mapping[str, Any]) -> list[Any]:
    product = arguments.get("product")
    return list(arguments.get("series_ids") or []) or ([product] if product is not None else [])


def _details(details: RequestDetails, products: Products | None, catalogue: CatalogueFacts) -> dict[str, Any]:
    found: dict[str, Any] = {}
    ids = products.ids if products is not None else []
    if len(ids) == 1 and is_reference(ids[0]):
        found["product"] = ids[0]
    elif ids:
        found["series_ids"] = [str(i) for i in ids]
    if details.horizon is not None:
        found["horizon"] = details.horizon
    what_if = _what_if(details, ids, catalogue)
    if what_if is not None:
        found["what_if"] = what_if
    return found


def _what_if(details: RequestDetails, ids: Sequence[Any], catalogue: CatalogueFacts) -> dict[str, float] | None:
    """A relative price change ("10% price cut") becomes a price from the catalogue."""
    if details.price_change is None:
        return details.what_if
    price = catalogue.price(str(ids[0])) if len(ids) == 1 and not is_reference(ids[0]) else None
    if price is None:
        return {"promo": 1.0} if details.price_change < 0 else None
    return {"price": round(price * (1 + details.price_change), 2)}


PLANNING = Planning(
    build,
    change,
    products_in,
    capability="forecast a product's sales",
    product="required",
    product_question="Which product should I forecast?",
    offer="a sales forecast",
    capability_zh="预测商品销量",
    horizon_alone=True,
    offer_zh="销量预测",
    product_question_zh="要预测哪款商品？",
)
