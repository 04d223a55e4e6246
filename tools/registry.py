"""The tool registry: contract names -> typed tools, and the same tools as LangChain tools.

The description an LLM sees is the function's docstring; the argument schema is its pydantic input model.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.tools import StructuredTool, ToolException
from pydantic import BaseModel

from core.errors import MarketingAgentError
from tools.ad_copy import GenerateAdCopyInput, GenerateAdCopyResult, generate_ad_copy
from tools.forecast import ForecastSalesInput, ForecastSalesResult, forecast_sales
from tools.reviews import SearchReviewsInput, SearchReviewsResult, search_reviews
from tools.segments import SegmentCustomersInput, SegmentCustomersResult, segment_customers


@dataclass(frozen=True)
class ToolSpec:
    name: str
    function: Callable[..., BaseModel]
    input_model: type[BaseModel]
    result_model: type[BaseModel]

    @property
    def description(self) -> str:
        return inspect.cleandoc(self.function.__doc__ or self.name)

    def __post_init__(self) -> None:
        # Validated when defined, not at first call: a tool whose schema cannot be built fails on import.
        self.input_model.model_json_schema()
        self.result_model.model_json_schema()


TOOLS: dict[str, ToolSpec] = {
    "search_reviews": ToolSpec("search_reviews", search_reviews, SearchReviewsInput, SearchReviewsResult),
    "forecast_sales": ToolSpec("forecast_sales", forecast_sales, ForecastSalesInput, ForecastSalesResult),
    "segment_customers": ToolSpec(
        "segment_customers", segment_customers, SegmentCustomersInput, SegmentCustomersResult
    ),
    "generate_ad_copy": ToolSpec("generate_ad_copy", generate_ad_copy, GenerateAdCopyInput, GenerateAdCopyResult),
}


def langchain_tools(workspace: str | Path | None = None) -> list[StructuredTool]:
    """Every registered tool as a LangChain StructuredTool bound to `workspace`; results come back as JSON."""
    return [_langchain_tool(spec, workspace) for spec in TOOLS.values()]


def _langchain_tool(spec: ToolSpec, workspace: str | Path | None) -> StructuredTool:
    def run(**arguments: Any) -> str:
        try:
            return spec.function(workspace=workspace, **arguments).model_dump_json()
        except MarketingAgentError as exc:  # e.g. no reviews yet: the model reads the fix, the run goes on
            raise ToolException(str(exc)) from exc

    return StructuredTool.from_function(
        func=run,
        name=spec.name,
        description=spec.description,
        args_schema=spec.input_model,
        handle_tool_error=True,
    )
