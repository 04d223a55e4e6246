"""Runs a plan's tool calls in order, within the request's budgets, never raising for a tool's failure.

Each call's references to earlier results are resolved just before it runs; a call whose reference points at
a failed or skipped call is skipped (never guessed). A failing tool becomes status "error" with its message
in `result["error"]`; later independent calls still run. Budgets: at most `max_calls` calls and `seconds` of
wall time per request: a call still running at the deadline is abandoned (its thread finishes on its own;
its result is dropped) and the rest are skipped. Tools get the deadline less a little time (`WRAP_UP_S`) in
which the answer is written and the turn recorded, so that the whole request ends within its budget.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from agent.types import PlanReferenceError, ToolCall, is_reference, resolve_references
from core.errors import MarketingAgentError, validation_message
from core.workspace import Workspace
from local_models.textgen import TextGenerator
from tools.registry import TOOLS

log = logging.getLogger(__name__)

MAX_CALLS = 8
MAX_SECONDS = 60.0
MAX_TOKENS = 24_000  # LLM tokens (prompt + completion, all model calls) per request on the LLM path
WRAP_UP_S = 2.0  # of a request's budget, kept for writing the answer after the tools (at most 5% of it)


@dataclass(frozen=True)
class Budget:
    """Per-request limits that always hold, whichever router planned the calls."""

    max_calls: int = MAX_CALLS
    seconds: float = MAX_SECONDS
    tokens: int = MAX_TOKENS


class Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    @property
    def left(self) -> float:
        return max(0.0, self.end - time.monotonic())

    @property
    def passed(self) -> bool:
        return self.left <= 0.0

    @property
    def left_for_tools(self) -> float:
        """Seconds tools may still use: all that is left but the wrap-up time."""
        return max(0.0, self.left - min(WRAP_UP_S, self.seconds / 20))


# Called as each call starts (status "running" is implied) and ends, e.g. to show progress in the chat.
CallListener = Callable[[ToolCall, int], None]


@dataclass
class CallOutcome:
    call: ToolCall
    seconds: float
    error: str | None = None


class Executor:
    """Runs tool calls against one workspace; `generator` is handed to the tools that write text (one loaded
    model per process)."""

    def __init__(self, workspace: Workspace, generator: Callable[[], TextGenerator] | None = None) -> None:
        self.workspace = workspace
        self._generator = generator

    def run(
        self,
        calls: list[ToolCall],
        deadline: Deadline,
        budget: Budget,
        *,
        on_call: CallListener | None = None,
    ) -> tuple[list[CallOutcome], list[str]]:
        """Each call run (or skipped) in order, and warnings about budgets and skipped calls."""
        outcomes: list[CallOutcome] = []
        warnings: list[str] = []
        results: list[dict[str, Any] | None] = []
        for index, planned in enumerate(calls):
            call = planned.model_copy(deep=True)
            if index >= budget.max_calls:
                outcome = _skipped(call, f"the request's budget is {budget.max_calls} tool calls")
            elif deadline.left_for_tools <= 0:
                outcome = _skipped(call, f"the request's time budget ({budget.seconds:.0f} s) ran out")
            else:
                if on_call is not None:
                    on_call(call, index)
                outcome = self.run_one(call, results, deadline)
            if outcome.call.status == "skipped" and outcome.error:
                warnings.append(f"Skipped {call.name}: {outcome.error}.")
            outcomes.append(outcome)
            results.append(outcome.call.result if outcome.call.status == "ok" else None)
            if on_call is not None:
                on_call(outcome.call, index)
        return outcomes, warnings

    def run_one(self, call: ToolCall, results: list[dict[str, Any] | None], deadline: Deadline) -> CallOutcome:
        start = time.perf_counter()
        try:
            arguments = resolve_references(call.arguments, results)
        except PlanReferenceError as exc:
            skipped = _refers_to_missing(call, results)
            return _skipped(call, skipped) if skipped else _failed(call, str(exc), start)
        call.arguments = arguments
        refused = TOOLS[call.name].operator_only & set(arguments)
        if refused:
            return _failed(call, f"{', '.join(sorted(refused))} can't be set through the agent", start)
        box: dict[str, Any] = {}
        worker = threading.Thread(target=self._invoke, args=(call.name, arguments, box), daemon=True)
        worker.start()
        worker.join(timeout=deadline.left_for_tools)
        if worker.is_alive():
            return _failed(call, "it did not finish within the request's time budget", start)
        if "error" in box:
            return _failed(call, box["error"], start)
        call.status, call.result = "ok", box["result"]
        return CallOutcome(call, round(time.perf_counter() - start, 4))

    def _invoke(self, name: str, arguments: dict[str, Any], box: dict[str, Any]) -> None:
        unit = TOOLS[name]
        try:
            generator = self._generator() if unit.needs_generator and self._generator is not None else None
            result: BaseModel = unit.run(arguments, workspace=self.workspace, generator=generator)
            box["result"] = result.model_dump(mode="json")
        except ValidationError as exc:
            box["error"] = f"invalid arguments: {validation_message(exc)}"
        except MarketingAgentError as exc:
            box["error"] = str(exc)
        except Exception as exc:  # a bug in a tool: logged in full, reported briefly, the request goes on
            log.exception("tool %s failed", name)
            box["error"] = f"internal error ({type(exc).__name__}); see the server log"


def _refers_to_missing(call: ToolCall, results: list[dict[str, Any] | None]) -> str | None:
    """Why a call is skipped when a reference points at an earlier call that failed or was skipped."""
    for value in call.arguments.values():
        for item in value if isinstance(value, list) else [value]:
            if is_reference(item):
                index = item["$from"]
                if isinstance(index, int) and 0 <= index < len(results) and results[index] is None:
                    return f"it needs the result of call {index + 1}, which did not succeed"
    return None


def _skipped(call: ToolCall, why: str) -> CallOutcome:
    call.status, call.result = "skipped", {"error": why}
    return CallOutcome(call, 0.0, why)


def _failed(call: ToolCall, message: str, start: float) -> CallOutcome:
    call.status, call.result = "error", {"error": message}
    return CallOutcome(call, round(time.perf_counter() - start, 4), message)
