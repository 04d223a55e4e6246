"""The marketing agent: route a marketer's request to tools and answer with cited results.

from agent import MarketingAgent, AgentResponse
agent = MarketingAgent.open("workspace")
response: AgentResponse = agent.ask("What do customers dislike about product 1078?", session_id="s1")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.types import AgentResponse, Citation, Plan, ToolCall

if TYPE_CHECKING:
    from agent.core import MarketingAgent, PlannedCalls

__all__ = ["AgentResponse", "Citation", "MarketingAgent", "Plan", "PlannedCalls", "ToolCall"]


def __getattr__(name: str) -> object:
    """MarketingAgent loads lazily: `agent.cli` and `agent.types` import this package and stay light."""
    if name in {"MarketingAgent", "PlannedCalls"}:
        from agent import core

        return getattr(core, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
