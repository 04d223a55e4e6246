"""The offline router: free-text marketer requests -> a Plan of tool calls, without any LLM.

    from agent.router import Router
    plan = Router("workspace").plan("Write a Meta ad for the Aurora dress")

See `agent/router/router.py` for how it reads a request and `agent/router/planner.py` for the policy.
"""

from __future__ import annotations

from agent.router.router import MAX_MESSAGE_CHARS, Router, RoutingError

__all__ = ["MAX_MESSAGE_CHARS", "Router", "RoutingError"]
