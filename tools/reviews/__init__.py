"""search_reviews, as one unit: semantic search over the workspace's reviews with aspect insight (`tool`), how
its results are shown (`present`), how the offline router fills its arguments (`plan`), its CLI commands (`cli`)
and its card on the chat page (`web.js`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tools.reviews import cli, plan
from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.reviews.tool import (
        ReviewHit,
        ReviewInsightInput,
        SearchReviewsInput,
        SearchReviewsResult,
        ingest_reviews,
        review_insight,
        review_store,
        search_reviews,
    )

UNIT = ToolUnit(
    name="search_reviews",
    implementation_at="tools.reviews.present:IMPLEMENTATION",
    label="the review search",
    brief="what customers say in reviews (praise, complaints, quotes), with product and rating filters",
    title="Search reviews",
    planning=plan.PLANNING,
    commands=cli.register,
    web_script=Path(__file__).with_name("web.js"),
    detail_in_chat=False,  # the answer quotes the best hits and the sources table lists them
)

# The tool's API, imported on first use (its models load torch, chromadb and pandas behind them).
__getattr__ = lazy_exports(
    __name__,
    {
        "ReviewHit": "tools.reviews.tool",
        "ReviewInsightInput": "tools.reviews.tool",
        "SearchReviewsInput": "tools.reviews.tool",
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
