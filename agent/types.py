"""The agent's contract types: what `MarketingAgent.ask` returns and what a router plans.

A `Plan` is what either router (offline or LLM) decides before any tool runs. Multi-step plans pass
results forward with references: an argument value (or a list item) of the form

    {"$from": 0, "path": "top_products.0.product_id"}

means "take `result["top_products"][0]["product_id"]` from the result of call 0 of this plan" (`result` is
the earlier call's pydantic result as a dict). `path` is dot-separated; integer parts index lists. A
reference always points to an earlier call. `resolve_references` does the substitution just before a call
runs; a missing path is a `PlanReferenceError` (the executor records the call as an error, never guesses).

Example: "write a Meta ad for the product our loyal customers buy most, using what reviews praise" plans the
segments (filter "best"), a review search whose `product_ids` is `[reference(0, "top_products.0.product_id")]`,
then the ad with `product=reference(0, "top_products.0.product_id")` (the plan is printed in the README).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field

from core.errors import MarketingAgentError
from tools.answer import Citation
from tools.registry import TOOLS
from tools.unit import REFERENCE_KEY, is_reference, reference

CallStatus = Literal["planned", "ok", "error", "skipped"]
PlanKind = Literal["tools", "out_of_scope", "clarify"]
Language = Literal["en", "zh"]

__all__ = ["REFERENCE_KEY", "AgentResponse", "Citation", "Plan", "ToolCall", "is_reference", "reference"]


def _registered(name: str) -> str:
    if name not in TOOLS:
        raise ValueError(f"no tool called {name!r}; the tools are {', '.join(TOOLS)}")
    return name


ToolName = Annotated[
    str,
    AfterValidator(_registered),
    Field(description="A registered tool's name.", json_schema_extra=lambda schema: schema.update(enum=list(TOOLS))),
]


class ToolCall(BaseModel):
    """One tool call: planned by a router, then run (status ok/error/skipped, result filled in)."""

    name: ToolName
    arguments: dict[str, Any] = Field(default_factory=dict)
    status: CallStatus = "planned"
    result: dict[str, Any] | None = None


class AgentResponse(BaseModel):
    """The agent's answer to one request."""

    answer: str
    tool_calls: list[ToolCall] = Field(default_factory=list)
    citations: list[Citation] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    session_id: str
    language: str = Field("en", description="The language the answer is written in: en or zh (the request's).")


class IntentScore(BaseModel):
    """How strongly the request reads as one intent (classifier probability plus keyword cues)."""

    intent: str
    score: float


class Plan(BaseModel):
    """What a router decided for one request, before anything runs.

    kind "tools": run `calls` in order. kind "clarify": ask `message` (one question); `pending` holds the
    calls waiting for the answer and `suggestions` the product ids the question offers, so the next turn
    can fill the gap. kind "out_of_scope": reply with `message` (a short refusal saying what the agent can
    do); no tool runs.
    """

    kind: PlanKind
    calls: list[ToolCall] = Field(default_factory=list)
    message: str = ""
    intents: list[IntentScore] = Field(default_factory=list, description="Diagnostics, best first.")
    request: str = Field("", description="The user's message as received.")
    pending: list[ToolCall] = Field(default_factory=list, description="clarify: calls waiting for the answer.")
    missing: str | None = Field(None, description="clarify: the detail asked for, e.g. 'product'.")
    suggestions: list[str] = Field(default_factory=list, description="clarify: product ids offered.")
    warnings: list[str] = Field(default_factory=list)
    router: str = Field("offline", description="Which router made the plan: offline or llm.")
    language: Language = Field("en", description="The request's language; answers and questions are written in it.")


class PlanReferenceError(MarketingAgentError):
    """A plan argument points at a result that does not exist (a bad index or path)."""


def resolve_references(arguments: Mapping[str, Any], results: Sequence[Mapping[str, Any] | None]) -> dict[str, Any]:
    """`arguments` with every reference replaced by the value it points to in `results` (one per earlier call)."""
    return {key: _resolve(value, results) for key, value in arguments.items()}


def _resolve(value: Any, results: Sequence[Mapping[str, Any] | None]) -> Any:
    if is_reference(value):
        return _lookup(value, results)
    if isinstance(value, list):
        return [_resolve(item, results) for item in value]
    return value


def _lookup(ref: Mapping[str, Any], results: Sequence[Mapping[str, Any] | None]) -> Any:
    index, path = ref[REFERENCE_KEY], str(ref["path"])
    if not isinstance(index, int) or not 0 <= index < len(results) or results[index] is None:
        raise PlanReferenceError(f"plan reference to call {index!r}, which has no result (path {path!r})")
    node: Any = results[index]
    for part in path.split("."):
        node = _step(node, part, index, path)
    return node


def _step(node: Any, part: str, index: int, path: str) -> Any:
    if isinstance(node, Mapping) and part in node:
        return node[part]
    if isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
        return node[int(part)]
    raise PlanReferenceError(f"the result of call {index} has no {path!r} (stopped at {part!r})")
