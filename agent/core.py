"""`MarketingAgent`: a marketer's request in, a typed and cited `AgentResponse` out.

    agent = MarketingAgent.open("workspace")
    response = agent.ask("What do customers dislike about product 1078?", session_id="s1")
    calls = agent.plan("Forecast sales of SKU 12 for the next 8 weeks")   # what it would call, not run

One request: PII is redacted from the message (before routing, memory, the audit trail and any remote model);
a router plans tool calls (offline by default; the LLM tool-calling router when MARKETING_AGENT_LLM=openai, with
the offline router as its fallback); the executor runs them within the budgets (<= 8 calls, <= 60 s); the
answer is written from the results, with citations and warnings; the turn goes to session memory and one line
to `audit.jsonl`.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

from agent.answer import check_phrasing, write_answer
from agent.executor import Budget, CallListener, CallOutcome, Deadline, Executor
from agent.guardrails import redact, redact_value
from agent.memory import AuditLog, SessionStore, check_session_id, elapsed, new_session_id
from agent.router import Router
from agent.types import AgentResponse, Plan, ToolCall
from core.errors import MarketingAgentError
from core.settings import Settings, load_settings
from core.workspace import Workspace
from core.zh import has_chinese
from local_models.textgen import TextGenerator
from tools.answer import Written
from tools.models import chat_model, copywriter
from tools.registry import TOOLS
from tools.warnings_zh import PII_KINDS_ZH, warning_zh  # entity names without an entry are written as in English


class PlannedCalls(list[ToolCall]):
    """The tool calls a request would make (a list), with the whole plan: `.plan.kind` is "tools",
    "clarify" (then `.plan.message` is the question) or "out_of_scope"."""

    def __init__(self, plan: Plan) -> None:
        super().__init__(plan.calls)
        self.plan = plan
        self.kind: str = plan.kind
        self.message: str = plan.message


class MarketingAgent:
    """The agent over one workspace. Thread-safe; open once and reuse (models load on first use)."""

    def __init__(
        self,
        workspace: Workspace,
        settings: Settings,
        *,
        budget: Budget | None = None,
        generator: TextGenerator | None = None,
        chat_model: Any | None = None,
    ) -> None:
        self.workspace = workspace
        self.settings = settings
        self.budget = budget or Budget()
        self.router = Router(workspace)
        self.sessions = SessionStore(workspace.sessions_db)
        self.audit = AuditLog(workspace.audit_log, workspace.locks_dir / "audit.lock")
        self._generator = generator
        self._generator_lock = threading.Lock()
        self.executor = Executor(workspace, self.generator)
        self._chat_model = chat_model
        self._llm_router: Any | None = None

    @classmethod
    def open(
        cls,
        workspace: str | Path | None = None,
        *,
        llm: str | None = None,
        budget: Budget | None = None,
        generator: TextGenerator | None = None,
        chat_model: Any | None = None,
    ) -> MarketingAgent:
        """The agent for `workspace` (default: the settings' workspace). `llm` overrides MARKETING_AGENT_LLM."""
        settings = load_settings(workspace)
        if llm is not None:
            settings = settings.model_copy(update={"llm": llm})
        root = Path(workspace) if workspace is not None else settings.home
        ws = Workspace.open(root)
        if not ws.root.exists():
            raise MarketingAgentError(
                f"no workspace at {ws.root}; build the demo with `marketing-agent demo --workspace {ws.root}` "
                "or ingest your own data there"
            )
        return cls(ws, settings, budget=budget, generator=generator, chat_model=chat_model)

    # ---- the API ---------------------------------------------------------------------------------------------

    def plan(self, message: str, session_id: str | None = None) -> PlannedCalls:
        """The tool calls `ask` would make for `message` (in this session's context), without running them."""
        redacted = redact(message).text if isinstance(message, str) else message
        context = self.sessions.last_plan(check_session_id(session_id)) if session_id else None
        llm = self._llm()
        if llm is not None:
            try:
                history = self.sessions.turns(session_id, limit=4) if session_id else []
                return PlannedCalls(llm.plan(redacted, history))
            except Exception as exc:  # the endpoint failed: the offline router answers, as ask() would
                plan = self.router.plan(redacted, context)
                plan.warnings.append(f"The LLM router failed ({type(exc).__name__}); planned offline.")
                return PlannedCalls(plan)
        return PlannedCalls(self.router.plan(redacted, context))

    def ask(self, message: str, session_id: str | None = None, *, on_call: CallListener | None = None) -> AgentResponse:
        """Answer `message`: route, run the tools within budget, write the answer from their results."""
        start = time.perf_counter()
        deadline = Deadline(self.budget.seconds)
        session = check_session_id(session_id) if session_id is not None else new_session_id()
        redaction = redact(message) if isinstance(message, str) else None
        text = redaction.text if redaction is not None else message
        warnings: list[str] = []
        if redaction is not None and redaction.changed:
            warnings.append(pii_warning(sorted(redaction.found), has_chinese(str(text))))
        try:
            plan, outcomes, phrased, more = self._route_and_run(text, session, deadline, on_call)
        except MarketingAgentError as exc:  # the request itself is unreadable (too long, not text)
            response = AgentResponse(answer=str(exc), warnings=warnings, session_id=session)
            self._audit(session, redact(str(text)[:2000]).text, None, [], response, start, redaction_counts(redaction))
            return response
        more = [*plan.warnings, *more]  # the planner's, the executor's and the LLM loop's own
        warnings += [warning_zh(w) for w in more] if plan.language == "zh" else more
        calls = [o.call for o in outcomes]
        if plan.kind == "tools":
            written = write_answer(calls, self._snippets, self.workspace, plan.language)
            answer = self._phrase(phrased, written, calls, warnings)
        else:
            written, answer = Written(answer=plan.message, language=plan.language), plan.message
        response = AgentResponse(
            answer=answer,
            tool_calls=calls,
            citations=written.citations,
            warnings=list(dict.fromkeys([*warnings, *written.warnings])),
            session_id=session,
            language=plan.language,
        )
        quoted, cited = quoted_review_text(calls, response)
        kept_plan = plan.model_copy(update={"calls": calls or plan.calls})
        self.sessions.record(session, text, kept_plan, answer, quoted, cited)
        self._audit(session, text, plan, outcomes, response, start, redaction_counts(redaction))
        return response

    # ---- pieces ----------------------------------------------------------------------------------------------

    def _route_and_run(
        self, text: str, session: str, deadline: Deadline, on_call: CallListener | None
    ) -> tuple[Plan, list[CallOutcome], str, list[str]]:
        llm = self._llm()
        if llm is not None:
            try:
                return llm.run(text, self.sessions.turns(session, limit=4), deadline, on_call)  # type: ignore[no-any-return]
            except Exception as exc:  # endpoint down, malformed replies: the offline router takes over
                fallback = f"The LLM router failed ({type(exc).__name__}: {str(exc)[:300]}); answered offline."
                plan, outcomes, _, warnings = self._offline(text, session, deadline, on_call)
                return plan, outcomes, "", [fallback, *warnings]
        return self._offline(text, session, deadline, on_call)

    def _offline(
        self, text: str, session: str, deadline: Deadline, on_call: CallListener | None
    ) -> tuple[Plan, list[CallOutcome], str, list[str]]:
        plan = self.router.plan(text, self.sessions.last_plan(session))
        if plan.kind != "tools":
            return plan, [], "", []
        outcomes, warnings = self.executor.run(plan.calls, deadline, self.budget, on_call=on_call)
        return plan, outcomes, "", warnings

    def _phrase(self, phrased: str, written: Written, calls: list[ToolCall], warnings: list[str]) -> str:
        """The LLM's final text when it states no number the results lack; else the plain rendering."""
        if not phrased:
            return written.answer
        results = [c.result for c in calls if c.result is not None]
        if check_phrasing(phrased, written.answer, results):
            return phrased + "\n\n" + written.answer
        warnings.append(
            "模型的措辞里有结果中没有的数字，因此只显示原始答案。"
            if written.chinese
            else "The model's wording stated figures not in the results; showing the plain answer."
        )
        return written.answer

    def _snippets(self, review_ids: list[str]) -> dict[str, str]:
        from tools.reviews import review_store

        try:
            stored = review_store(self.workspace).get(review_ids)
        except MarketingAgentError:
            return {}
        return {rid: review.text for rid, review in stored.items()}

    def generator(self) -> TextGenerator:
        """The text generator handed to tools that write (ad copy): the settings' backend, whose local model
        carries the ad-copy adapter (tools.models.copywriter), unless one was given to `open`."""
        with self._generator_lock:
            if self._generator is None:
                self._generator = copywriter(self.settings, self.workspace.root)
            return self._generator

    def _llm(self) -> Any | None:
        """The LLM router when the settings ask for one (built on first use); None offline."""
        if self.settings.llm != "openai":
            return None
        if self._llm_router is None:
            from agent.llm import LLMRouter

            model = self._chat_model
            if model is None:
                model = chat_model(self.settings)
            workspace = self.workspace
            self._llm_router = LLMRouter(model, self.executor, self.budget, lambda: known_customers(workspace))
        return self._llm_router

    def _audit(
        self,
        session: str,
        request: str,
        plan: Plan | None,
        outcomes: list[CallOutcome],
        response: AgentResponse,
        start: float,
        pii: dict[str, int],
    ) -> None:
        found: Counter[str] = Counter(pii)
        calls = [
            {
                "name": o.call.name,
                "arguments": redact_value(o.call.arguments, found),
                "status": o.call.status,
                "seconds": o.seconds,
                **({"error": redact_value(o.error, found)} if o.error else {}),
            }
            for o in outcomes
        ]
        self.audit.write(
            {
                "session_id": session,
                "request": request,
                "router": plan.router if plan is not None else None,
                "plan": plan.kind if plan is not None else "rejected",
                "planned": [c.name for c in plan.calls] if plan is not None else [],
                "calls": calls,
                "outcome": _outcome(plan, outcomes),
                "citations": [c.review_id for c in response.citations],
                "warnings": redact_value(response.warnings, found),
                "pii_redacted": dict(found),
                "seconds": elapsed(start),
            }
        )


def quoted_review_text(calls: list[ToolCall], response: AgentResponse) -> tuple[list[str], list[str]]:
    """Review text an answer may quote (citations, and what each tool's result carries of reviews) and the ids of
    the reviews it may cite: kept out of session memory, since reviews are stored once, in the store."""
    quoted = [c.snippet for c in response.citations]
    ids = [c.review_id for c in response.citations]
    for call in calls:
        unit = TOOLS[call.name]
        if call.status != "ok" or call.result is None or unit.review_text is None:
            continue
        texts, cited = unit.review_text(call.result)
        quoted += texts
        ids += cited
    return [q for q in quoted if q], list(dict.fromkeys(i for i in ids if i))


def pii_warning(kinds: list[str], chinese: bool) -> str:
    """The warning that personal data was taken out of the request (`kinds`: the recognisers' entity names)."""
    if chinese:
        named = "、".join(PII_KINDS_ZH.get(k, k.lower().replace("_", " ")) for k in kinds)
        return f"消息中的个人信息已在处理前删除（{named}）。"
    named = ", ".join(k.lower().replace("_", " ") for k in kinds)
    return f"Personal data in the message was removed before processing ({named})."


def redaction_counts(redaction: Any) -> dict[str, int]:
    return dict(redaction.found) if redaction is not None else {}


def _outcome(plan: Plan | None, outcomes: list[CallOutcome]) -> str:
    if plan is None:
        return "rejected"
    if plan.kind != "tools":
        return plan.kind
    statuses = {o.call.status for o in outcomes}
    if statuses <= {"ok"}:
        return "answered"
    return "partial" if "ok" in statuses else "failed"


def known_customers(workspace: Workspace) -> frozenset[str]:
    """Every customer id a tool's models know in the workspace: what the LLM router keeps from a remote model."""
    return frozenset().union(*(unit.known_customers(workspace) for unit in TOOLS.values()))
