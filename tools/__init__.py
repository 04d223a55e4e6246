"""Typed tools, one unit (package) per tool: pydantic input -> pydantic result, plus everything else about the
tool (how it is shown, planned, run from the CLI and drawn on the chat page). Tools never import `agent/`.

from tools import search_reviews
result = search_reviews(query="runs small", product_ids=["1001"], k=5, workspace="workspace")

Names load on first use: importing `tools` (or the registry) does not load torch or chromadb.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.unit import lazy_exports

if TYPE_CHECKING:
    from tools.ad_copy.tool import GenerateAdCopyInput, GenerateAdCopyResult, generate_ad_copy
    from tools.ad_copy.writer import AdVariant
    from tools.forecast.tool import ForecastSalesInput, ForecastSalesResult, forecast_sales, train_forecaster
    from tools.registry import TOOLS, langchain_tools, register
    from tools.reviews.inputs import SearchReviewsInput
    from tools.reviews.tool import (
        ReviewHit,
        SearchReviewsResult,
        ingest_reviews,
        review_insight,
        search_reviews,
    )
    from tools.segments.tool import SegmentCustomersInput, SegmentCustomersResult, segment_customers, train_segmenter
    from tools.unit import ToolUnit

_EXPORTS = {
    **dict.fromkeys(["GenerateAdCopyInput", "GenerateAdCopyResult", "generate_ad_copy"], "tools.ad_copy.tool"),
    "AdVariant": "tools.ad_copy.writer",
    **dict.fromkeys(
        ["ForecastSalesInput", "ForecastSalesResult", "forecast_sales", "train_forecaster"], "tools.forecast.tool"
    ),
    **dict.fromkeys(["TOOLS", "langchain_tools", "register"], "tools.registry"),
    "SearchReviewsInput": "tools.reviews.inputs",
    **dict.fromkeys(
        [
            "ReviewHit",
            "SearchReviewsResult",
            "ingest_reviews",
            "review_insight",
            "search_reviews",
        ],
        "tools.reviews.tool",
    ),
    **dict.fromkeys(
        ["SegmentCustomersInput", "SegmentCustomersResult", "segment_customers", "train_segmenter"],
        "tools.segments.tool",
    ),
    "ToolUnit": "tools.unit",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "TOOLS",
    "AdVariant",
    "ForecastSalesInput",
    "ForecastSalesResult",
    "GenerateAdCopyInput",
    "GenerateAdCopyResult",
    "ReviewHit",
    "SearchReviewsInput",
    "SearchReviewsResult",
    "SegmentCustomersInput",
    "SegmentCustomersResult",
    "ToolUnit",
    "forecast_sales",
    "generate_ad_copy",
    "ingest_reviews",
    "langchain_tools",
    "register",
    "review_insight",
    "search_reviews",
    "segment_customers",
    "train_forecaster",
    "train_segmenter",
]
