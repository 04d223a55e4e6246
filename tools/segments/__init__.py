"""segment_customers, as one unit: the customer model and its segments (`tool`), how results are shown
(`present`), how the offline router fills its arguments (`plan`), the `segment` command (`cli`) and its card on
the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.segments.tool import (
        CustomerLookup,
        Segment,
        SegmentationReport,
        SegmentCustomersInput,
        SegmentCustomersResult,
        known_customer_ids,
        segment_customers,
        segment_members,
        train_segmenter,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "segment_customers",
    label="the customer segmentation",
    title="Segment customers",
    brief="customer segments, best or at-risk customers, what they buy",
    # training on a file path is an operator's action (`marketing-agent segment FILE`), not something a chat
    # message, a model or a REST call may trigger
    operator_only=frozenset({"file"}),
    customers_at="tools.segments.tool:known_customer_ids",
    targets_at="tools.segments.tool:targeted_customers",
)

# The tool's API, imported on first use (its models load torch, chromadb and pandas behind them).
__getattr__ = lazy_exports(
    __name__,
    {
        "CustomerLookup": "tools.segments.tool",
        "Segment": "tools.segments.tool",
        "SegmentCustomersInput": "tools.segments.tool",
        "SegmentCustomersResult": "tools.segments.tool",
        "SegmentationReport": "tools.segments.tool",
        "known_customer_ids": "tools.segments.tool",
        "segment_customers": "tools.segments.tool",
        "segment_members": "tools.segments.tool",
        "train_segmenter": "tools.segments.tool",
    },
)

__all__ = [
    "UNIT",
    "CustomerLookup",
    "Segment",
    "SegmentCustomersInput",
    "SegmentCustomersResult",
    "SegmentationReport",
    "known_customer_ids",
    "segment_customers",
    "segment_members",
    "train_segmenter",
]
