"""search_reviews, as one unit: semantic search over the workspace's reviews with aspect insight (`tool`), how
its results are shown (`present`), how the offline router fills its arguments (`plan`), its CLI commands (`cli`)
and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.reviews.inputs import ReviewInsightInput, SearchReviewsInput
    from tools.reviews.tool import (
        ReviewHit,
        SearchReviewsResult,
        ingest_reviews,
        review_insight,
        review_store,
        search_reviews,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "search_reviews",
    label="the review search",
    title="Search reviews",
    brief="what customers say in reviews (praise, complaints, quotes), with product and rating filters",
)

# The tool's API, imported on first use (its models load torch, chromadb and pandas behind them).
__getattr__ = lazy_exports(
    __name__,
    {
        "ReviewHit": "tools.reviews.tool",
        "ReviewInsightInput": "tools.reviews.inputs",
        "SearchReviewsInput": "tools.reviews.inputs",
        "SearchReviewsResult": "tools.reviews.tool",
        "ingest_reviews": "tools.reviews.tool",
        "review_insight": "tools.reviews.tool",
        "review_store": "tools.reviews.tool",
        "search_reviews": "tools.reviews.tool",
    },
)

__all__ = [
    "UNIT",
    "ReviewHit",
    "ReviewInsightInput",
    "SearchReviewsInput",
    "SearchReviewsResult",
    "ingest_reviews",
    "review_insight",
    "review_store",
    "search_reviews",
]
