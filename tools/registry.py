"""The tool registry: contract names -> tool units, and the same tools as LangChain tools.

One line per tool. `agent/` reads every tool from here; `register` adds one for the life of a `with` block (a
test's extra tool, a plugin).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import MarketingAgentError
from tools import ad_copy, budget, experiment, fairness, forecast, recommend, reviews, segments
from tools.unit import ToolUnit

if TYPE_CHECKING:
    from langchain_core.tools import StructuredTool

TOOLS: dict[str, ToolUnit] = {
    unit.name: unit
    for unit in (
        reviews.UNIT,
        forecast.UNIT,
        segments.UNIT,
        ad_copy.UNIT,
        recommend.UNIT,
        budget.UNIT,
        experiment.UNIT,
        fairness.UNIT,
    )
}


def units() -> list[ToolUnit]:
    """Every registered tool, in registration order."""
    return list(TOOLS.values())


@contextmanager
def register(unit: ToolUnit) -> Iterator[ToolUnit]:
    """Add `unit` to the registry inside the block (an agent or app created inside it sees the tool)."""
    if unit.name in TOOLS:
        raise ValueError(f"a tool called {unit.name!r} is registered already")
    TOOLS[unit.name] = unit
    try:
        yield unit
    finally:
        TOOLS.pop(unit.name, None)


def langchain_tools(workspace: str | Path | None = None) -> list[StructuredTool]:
    """Every registered tool as a LangChain StructuredTool bound to `workspace`; results come back as JSON."""
    return [_langchain_tool(unit, workspace) for unit in TOOLS.values()]


def _langchain_tool(unit: ToolUnit, workspace: str | Path | None) -> StructuredTool:
    from langchain_core.tools import StructuredTool, ToolException

    def run(**arguments: Any) -> str:
        try:
            return str(unit.run(arguments, workspace=workspace).model_dump_json())
        except MarketingAgentError as exc:  # e.g. no reviews yet: the model reads the fix, the run goes on
            raise ToolException(str(exc)) from exc

    return StructuredTool.from_function(
        func=run,
        name=unit.name,
        description=unit.description,
        args_schema=unit.input_model,
        handle_tool_error=True,
    )
