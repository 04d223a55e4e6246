"""generate_ad_copy, as one unit: grounded, rule-checked ad copy (`tool`; what copy may say in `grounding`, the
channels, prompts and cleaning in `text`, the candidates and variants in `writer`, the sense check in `sense`),
how results are shown (`present`), how the offline router fills its arguments (`plan`), the ad-copy command
(`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.ad_copy.grounding import build_grounding
    from tools.ad_copy.text import (
        CHANNEL_FIELDS,
        channel_limits,
        clean_copy,
        fit_to_limit,
        prompt_book,
        render_messages,
    )
    from tools.ad_copy.tool import GenerateAdCopyInput, GenerateAdCopyResult, generate_ad_copy
    from tools.ad_copy.writer import AdVariant
    from tools.compliance import is_safe_quote

UNIT = ToolUnit.in_package(
    __name__,
    "generate_ad_copy",
    label="the ad copy",
    title="Write ad copy",
    brief="ad copy for one product on google_search, meta_feed, email or sms",
    needs_generator=True,
)

# The tool's API, imported on first use (its models load torch, chromadb and pandas behind them).
__getattr__ = lazy_exports(
    __name__,
    {
        "AdVariant": "tools.ad_copy.writer",
        "CHANNEL_FIELDS": "tools.ad_copy.text",
        "GenerateAdCopyInput": "tools.ad_copy.tool",
        "GenerateAdCopyResult": "tools.ad_copy.tool",
        "build_grounding": "tools.ad_copy.grounding",
        "channel_limits": "tools.ad_copy.text",
        "clean_copy": "tools.ad_copy.text",
        "fit_to_limit": "tools.ad_copy.text",
        "generate_ad_copy": "tools.ad_copy.tool",
        "is_safe_quote": "tools.compliance",
        "prompt_book": "tools.ad_copy.text",
        "render_messages": "tools.ad_copy.text",
    },
)

__all__ = [
    "CHANNEL_FIELDS",
    "UNIT",
    "AdVariant",
    "GenerateAdCopyInput",
    "GenerateAdCopyResult",
    "build_grounding",
    "channel_limits",
    "clean_copy",
    "fit_to_limit",
    "generate_ad_copy",
    "is_safe_quote",
    "prompt_book",
    "render_messages",
]
