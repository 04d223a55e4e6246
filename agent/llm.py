"""The LLM tool-calling router (MARKETING_AGENT_LLM=openai): LangChain `create_agent` over the registered tools.

The model chooses tools and arguments; the tools run through the same executor as offline plans. What the
model sees of a result is a digest of ids, numbers and labels (its unit's `model_view`): review text, quotes and copy
never reach it, so nothing a stranger wrote in a review can steer its next tool call. Budgets: at most
`budget.max_calls` tool calls (LangChain's ToolCallLimitMiddleware blocks the rest and tells the model), a
model-call cap, a token budget, and a deadline checked before every model call and tool call; the whole run
is abandoned at the deadline. Tool errors go back to the model as error ToolMessages, never raised.

The model gets the request's budget less `FALLBACK_RESERVE_S`: when it has not answered by then and no tool has
been called (an endpoint that hangs, trickles, or asks to wait minutes before a retry), the run raises
`ProviderError` and the caller falls back to the offline router, which still has time to answer. A reply with
neither a tool call nor any text is a provider fault too.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable, Collection, Sequence
from importlib import resources
from typing import Any

import jinja2
import yaml
from langchain.agents import create_agent
from langchain.agents.middleware import AgentMiddleware, ModelCallLimitMiddleware, ToolCallLimitMiddleware
from langchain.agents.middleware.types import hook_config
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.tools import StructuredTool, ToolException
from langgraph.errors import GraphRecursionError
from pydantic import ValidationError

from agent.executor import Budget, CallListener, CallOutcome, Deadline, Executor
from agent.guardrails import Pseudonyms, fence
from agent.memory import Turn
from agent.router import MAX_MESSAGE_CHARS, RoutingError
from agent.types import Plan, ToolCall
from core.errors import validation_message
from local_models.textgen.base import ProviderError, bounded
from tools.registry import TOOLS

OUT_OF_SCOPE, QUESTION = "OUT_OF_SCOPE:", "QUESTION:"
BUDGET_REACHED = "Time or token budget reached."
LIMIT_MESSAGES = ("Model call limits exceeded", BUDGET_REACHED)  # written by the budget middleware
MAX_VIEW_CHARS = 3000
STEPS_PER_MODEL_CALL = 8  # graph steps per model turn: middleware hooks, the model, the tools
FALLBACK_RESERVE_S = 15.0  # of the request's budget, kept for the offline router when the model fails


class LLMRouter:
    """Plans and runs requests with a tool-calling chat model (OpenAI or any OpenAI-compatible endpoint)."""

    def __init__(
        self,
        model: BaseChatModel,
        executor: Executor,
        budget: Budget,
        customer_ids: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self.model = model
        self.executor = executor
        self.budget = budget
        self.customer_ids = customer_ids  # kept from the model: swapped for stand-ins (see `Pseudonyms`)

    def _names(self) -> Pseudonyms:
        return Pseudonyms(self.customer_ids() if self.customer_ids is not None else ())

    # ---- plan without running ------------------------------------------------------------------------------

    def plan(self, message: str, history: Sequence[Turn] = ()) -> Plan:
        """The tool calls the model makes first for `message` (one model call; nothing runs). Raises
        `ProviderError` when the model has not answered within the model's share of the budget."""
        _check_length(message)
        bound = self.model.bind_tools([_schema_tool(name) for name in TOOLS])
        seconds = self.model_seconds(self.budget.seconds)
        names = self._names()
        prompt = _messages(message, history, names)
        reply = bounded(
            lambda: bound.invoke(prompt), seconds, ProviderError(f"the model did not answer within {seconds:.0f} s")
        )
        parsed = [_tool_call(c) for c in getattr(reply, "tool_calls", []) or []]
        calls = [c.model_copy(update={"arguments": names.reveal(c.arguments)}) for c in parsed if c is not None][
            : self.budget.max_calls
        ]
        if calls:
            return Plan(kind="tools", calls=calls, request=message, router="llm")
        if not _text(reply):
            raise ProviderError("the model answered with neither a tool call nor any text")
        return _text_plan(names.reveal(_text(reply)), message)

    def model_seconds(self, left: float) -> float:
        """The model's share of `left` seconds: all but the reserve kept for the offline fallback."""
        return max(0.0, left - min(FALLBACK_RESERVE_S, self.budget.seconds / 4))

    # ---- run ------------------------------------------------------------------------------------------------

    def run(
        self, message: str, history: Sequence[Turn], deadline: Deadline, on_call: CallListener | None = None
    ) -> tuple[Plan, list[CallOutcome], str, list[str]]:
        """Let the model call tools until it answers (or a budget ends it): the plan it followed, each call's
        outcome, its final text and warnings."""
        _check_length(message)
        names = self._names()
        recorder = _Recorder(self.executor, deadline, self.budget, on_call, names)
        model_deadline = Deadline(self.model_seconds(deadline.left))
        middleware: list[Any] = [
            ToolCallLimitMiddleware(run_limit=self.budget.max_calls, exit_behavior="continue"),
            ModelCallLimitMiddleware(run_limit=self.budget.max_calls + 2, exit_behavior="end"),
            _BudgetMiddleware(model_deadline, self.budget.tokens),
        ]
        agent: Any = create_agent(
            self.model,
            tools=[recorder.tool(name) for name in TOOLS],
            system_prompt=router_system_prompt(),
            middleware=middleware,
        )
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["state"] = agent.invoke(
                    {"messages": _messages(message, history, names)[1:]},
                    {"recursion_limit": STEPS_PER_MODEL_CALL * (self.budget.max_calls + 3)},
                )
            except GraphRecursionError:  # a backstop only: the middleware budgets end runs well before it
                box["stopped"] = True
            except Exception as exc:  # provider failures end the run; the caller falls back
                box["error"] = exc

        worker = threading.Thread(target=work, daemon=True)
        worker.start()
        worker.join(timeout=model_deadline.left)
        if worker.is_alive() and recorder.started:  # tools ran or are running: their results are the answer
            worker.join(timeout=deadline.left_for_tools)
        if worker.is_alive() and not recorder.outcomes:
            raise ProviderError(f"the model did not answer within {model_deadline.seconds:.0f} s")
        warnings: list[str] = []
        if box.get("stopped"):
            warnings.append("The model kept calling tools; stopped at the step limit with the results so far.")
        if worker.is_alive():
            warnings.append(f"The model did not finish within the time budget ({self.budget.seconds:.0f} s).")
        elif "error" in box:
            raise box["error"]
        outcomes = list(recorder.outcomes)
        final = ""
        if "state" in box:
            messages: list[BaseMessage] = box["state"].get("messages", [])
            final = names.reveal(_text(messages[-1])) if messages and isinstance(messages[-1], AIMessage) else ""
            if final.startswith(LIMIT_MESSAGES):
                warnings.append("The model reached its call or time budget; the answer uses the results so far.")
                final = ""
        calls = [o.call for o in outcomes]
        if not calls and not final:
            raise ProviderError("the model answered with neither a tool call nor any text")
        plan = Plan(kind="tools", calls=calls, request=message, router="llm") if calls else _text_plan(final, message)
        return plan, outcomes, final, warnings


class _Recorder:
    """The tools the agent calls: each runs through the executor and is recorded, in order."""

    def __init__(
        self,
        executor: Executor,
        deadline: Deadline,
        budget: Budget,
        on_call: CallListener | None,
        names: Pseudonyms | None = None,
    ) -> None:
        self.executor = executor
        self.names = names or Pseudonyms(())
        self.deadline = deadline
        self.budget = budget
        self.on_call = on_call
        self.outcomes: list[CallOutcome] = []
        self.started = 0  # calls begun, finished or not
        self._lock = threading.Lock()

    def tool(self, name: str) -> StructuredTool:
        unit = TOOLS[name]

        def run(**arguments: Any) -> str:
            call = ToolCall(name=name, arguments=self.names.reveal(_plain(arguments)))
            with self._lock:
                index = len(self.outcomes)
                if index >= self.budget.max_calls or self.deadline.left_for_tools <= 0:
                    raise ToolException("budget exhausted: answer with what you have")
                self.started += 1
                if self.on_call is not None:
                    self.on_call(call, index)
                outcome = self.executor.run_one(call, [], self.deadline)
                self.outcomes.append(outcome)
                if self.on_call is not None:
                    self.on_call(outcome.call, index)
            if outcome.call.status != "ok" or outcome.call.result is None:
                raise ToolException(outcome.error or "the tool failed")
            return fence(name, json.dumps(TOOLS[name].model_view(outcome.call.result))[:MAX_VIEW_CHARS])

        return StructuredTool.from_function(
            func=run,
            name=name,
            description=unit.description,
            args_schema=unit.input_model,
            handle_tool_error=True,
            handle_validation_error=self._invalid(name),
        )

    def _invalid(self, name: str) -> Callable[[Any], str]:
        """Records a call the model made with invalid arguments (it counts against the budget like any other, and
        the answer says what was wrong with it); the message goes back to the model."""

        def record(error: Any) -> str:
            message = f"invalid arguments: {validation_message(error) if isinstance(error, ValidationError) else error}"
            with self._lock:
                index = len(self.outcomes)
                call = ToolCall(name=name, arguments={}, status="error", result={"error": message})
                self.outcomes.append(CallOutcome(call, 0.0, message))
                if self.on_call is not None:
                    self.on_call(call, index)
            return message

        return record


class _BudgetMiddleware(AgentMiddleware):
    """Ends the run before a model call once the request's deadline has passed or its model calls so far have
    used the token budget (prompt + completion, as the endpoint reports them)."""

    def __init__(self, deadline: Deadline, tokens: int) -> None:
        super().__init__()
        self.deadline = deadline
        self.tokens = tokens

    @hook_config(can_jump_to=["end"])
    def before_model(self, state: Any, runtime: Any) -> dict[str, Any] | None:
        used = sum(
            m.usage_metadata["total_tokens"]
            for m in state.get("messages", [])
            if isinstance(m, AIMessage) and m.usage_metadata is not None
        )
        if self.deadline.passed or used >= self.tokens:
            return {"jump_to": "end", "messages": [AIMessage(content=BUDGET_REACHED)]}
        return None


def router_system_prompt() -> str:
    """The system prompt (prompts/router.yaml) listing every registered tool with its brief."""
    return _system_template().render(tools=list(TOOLS.values()))


@functools.cache
def _system_template() -> jinja2.Template:
    text = resources.files("prompts").joinpath("router.yaml").read_text("utf-8")
    environment = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined)  # noqa: S701 - plain text
    return environment.from_string(str(yaml.safe_load(text)["system"]))


def _messages(message: str, history: Sequence[Turn], names: Pseudonyms | None = None) -> list[BaseMessage]:
    """System prompt, the last turns as requests plus the tools they used (not answers: those quote
    reviews), and the request; customer ids swapped for `names`' stand-ins."""
    hide = names.hide if names is not None else str
    messages: list[BaseMessage] = [SystemMessage(router_system_prompt())]
    for turn in history[-4:]:
        used = "; ".join(f"{c.name}({json.dumps(c.arguments)})" for c in turn.plan.calls) or turn.plan.kind
        messages.append(HumanMessage(hide(f"(earlier request) {turn.request}\n(tools used: {used})")))
    messages.append(HumanMessage(hide(message)))
    return messages


def _check_length(message: str) -> None:
    """The offline router's limit holds here too: a huge request must not reach a paid model's prompt."""
    if len(message) > MAX_MESSAGE_CHARS:
        raise RoutingError(
            f"the request is {len(message):,} characters; keep it under {MAX_MESSAGE_CHARS:,} "
            "(ask one thing at a time, or put data in a file and name it)"
        )


def _schema_tool(name: str) -> StructuredTool:
    unit = TOOLS[name]
    return StructuredTool.from_function(
        func=lambda **_: "", name=name, description=unit.description, args_schema=unit.input_model
    )


def _tool_call(raw: dict[str, Any]) -> ToolCall | None:
    name = raw.get("name")
    if name not in TOOLS or not isinstance(raw.get("args"), dict):
        return None
    return ToolCall(name=name, arguments=_plain(raw["args"]))


def _plain(arguments: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in arguments.items() if v is not None}


def _text(message: Any) -> str:
    return str(getattr(message, "text", "") or "").strip()


def _text_plan(text: str, message: str) -> Plan:
    """A reply without tool calls: a refusal or a question, by the prefix the system prompt asks for."""
    if text.upper().startswith(QUESTION):
        return Plan(kind="clarify", message=text[len(QUESTION) :].strip(), request=message, router="llm")
    body = text[len(OUT_OF_SCOPE) :].strip() if text.upper().startswith(OUT_OF_SCOPE) else text
    return Plan(kind="out_of_scope", message=body, request=message, router="llm")
