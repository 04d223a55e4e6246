"""Typed tools: pydantic input -> pydantic result, one module per tool. Tools never import `agent/`.

from tools import search_reviews
result = search_reviews(query="runs small", product_ids=["1001"], k=5, workspace="workspace")
"""

from __future__ import annotations

from tools.ad_copy import AdVariant, GenerateAdCopyInput, GenerateAdCopyResult, generate_ad_copy
from tools.forecast import ForecastSalesInput, ForecastSalesResult, forecast_sales, train_forecaster
from tools.registry import TOOLS, ToolSpec, langchain_tools
from tools.reviews import (
    ReviewHit,
    SearchReviewsInput,
    SearchReviewsResult,
    ingest_reviews,
    review_insight,
    search_reviews,
)
from tools.segments import SegmentCustomersInput, SegmentCustomersResult, segment_customers, train_segmenter

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
    "ToolSpec",
    "forecast_sales",
    "generate_ad_copy",
    "ingest_reviews",
    "langchain_tools",
    "review_insight",
    "search_reviews",
    "segment_customers",
    "train_forecaster",
    "train_segmenter",
]
