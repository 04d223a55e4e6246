"""recommend_products, as one unit: the workspace's recommender and its three modes (`tool`), how results are
shown (`present`), how the offline router fills its arguments (`plan`), the train-recommender and recommend
commands (`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.recommend.plan import CUES, EXEMPLARS
from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.recommend.tool import (
        AudienceMember,
        CustomerRecommendations,
        FeaturedProduct,
        RecommendedItem,
        RecommenderReport,
        RecommendProductsInput,
        RecommendProductsResult,
        recommend_products,
        train_recommender,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "recommend_products",
    label="the recommendations",
    title="Recommend products",
    brief="products to recommend to customers (repeat or new, with reasons), who to target for a product, "
    "products to feature for a segment",
    customers_at="tools.recommend.tool:known_customer_ids",
    targets_at="tools.recommend.tool:targeted_customers",
    exemplars=EXEMPLARS,
    cues=CUES,
)

# The tool's API, imported on first use (its model loads torch and pandas behind it).
__getattr__ = lazy_exports(
    __name__,
    dict.fromkeys(
        (
            "AudienceMember",
            "CustomerRecommendations",
            "FeaturedProduct",
            "RecommendedItem",
            "RecommenderReport",
            "RecommendProductsInput",
            "RecommendProductsResult",
            "recommend_products",
            "train_recommender",
        ),
        "tools.recommend.tool",
    ),
)

__all__ = [
    "UNIT",
    "AudienceMember",
    "CustomerRecommendations",
    "FeaturedProduct",
    "RecommendProductsInput",
    "RecommendProductsResult",
    "RecommendedItem",
    "RecommenderReport",
    "recommend_products",
    "train_recommender",
]
