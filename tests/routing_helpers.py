"""What the router tests share: planning on the routing sets' fixed day, and the tool names a plan calls."""

from __future__ import annotations

from datetime import date

from agent.router import Router
from agent.types import Plan

TODAY = date(2026, 11, 30)  # the routing case files' "today"


def plan(router: Router, message: str, context: Plan | None = None) -> Plan:
    return router.plan(message, context, today=TODAY)


def names(result: Plan) -> list[str]:
    return [call.name for call in result.calls]
