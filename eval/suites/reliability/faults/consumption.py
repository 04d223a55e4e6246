"""Excessive consumption (OWASP LLM10): chat models that loop, fan out, think slowly or burn tokens, huge requests
and arguments, many follow-ups; each case must stop within the budgets with a clear message."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages.ai import UsageMetadata
from rich.console import Console

from core.errors import MarketingAgentError
from eval.fakes.chat_model import ScriptedChatModel
from eval.report import SuiteReport, Table
from eval.suites.reliability.faults.setup import Setup
from eval.suites.reliability.faults.watchdog import BUDGET_S, PASSING, Attempt, first_line, watched


def looping_model(
    calls_per_turn: int = 1,
    *,
    tool: str = "forecast_sales",
    arguments: Sequence[dict[str, Any]] = ({"series_ids": ["1001"], "horizon": 4},),
    seconds: float = 0.0,
    tokens: int = 0,
    answer_every: int = 0,
) -> ScriptedChatModel:
    """A chat model that misbehaves on purpose: each turn asks for `calls_per_turn` tool calls (cycling through
    `arguments`), forever, after `seconds` of thinking, reporting `tokens` of usage; with `answer_every=n`,
    every n-th turn answers in text instead. It records the size of every prompt it gets."""
    from langchain_core.messages import AIMessage

    from eval.fakes.chat_model import tool_calls_reply

    usage = UsageMetadata(input_tokens=tokens, output_tokens=0, total_tokens=tokens) if tokens else None

    def respond(turn: int, messages: Any) -> AIMessage:
        time.sleep(seconds)
        if answer_every and turn % answer_every == 0:
            return AIMessage(content="Done.")
        calls = [(tool, arguments[i % len(arguments)]) for i in range(calls_per_turn)]
        return tool_calls_reply(calls, [f"c{turn}-{i}" for i in range(calls_per_turn)], usage)

    return ScriptedChatModel(respond=respond)


@dataclass
class Spend:
    """One consumption case: what it used, how it ended, and the budgets it must stay within."""

    case: str
    interface: str
    outcome: str = ""
    calls: int = 0
    model_calls: int = 0
    tokens: int = 0
    seconds: float = 0.0
    message: str = ""
    max_calls: int = 8
    max_seconds: float = BUDGET_S
    max_tokens: float = float("inf")

    @property
    def within(self) -> bool:
        in_budget = self.calls <= self.max_calls and self.seconds <= self.max_seconds and self.tokens <= self.max_tokens
        return in_budget and self.outcome in PASSING and bool(self.message)

    def row(self) -> list[str | int | float | None]:
        return [
            self.case,
            self.interface,
            self.outcome,
            self.calls,
            self.model_calls or None,
            self.tokens or None,
            round(self.seconds, 2),
            "yes" if self.within else "NO",
            self.message,
        ]


BUDGET_WORDS = (
    "budget", "limit", "characters", "stopped", "less than or equal", "at most", "finite", "unknown", "only the first"
)  # fmt: skip


def ask_spend(spend: Spend, agent: Any, request: str, session: str | None = None) -> Spend:
    """Ask under the watchdog and fill `spend` with the calls made and the clearest budget message given."""
    box: dict[str, Any] = {}

    def work() -> Attempt:
        response = agent.ask(request, session)
        box["response"] = response
        return Attempt("answered" if response.answer.strip() else "empty", 0.0)

    attempt = watched(work, budget=spend.max_seconds)
    spend.outcome, spend.seconds, spend.message = attempt.outcome, attempt.seconds, attempt.message
    response = box.get("response")
    if response is not None:
        spend.calls = len(response.tool_calls)
        spend.message = _budget_message(response) or spend.message
    return spend


def _budget_message(response: Any) -> str:
    """The response's words about a budget or limit: a warning, a failed call's error, or the answer itself."""
    texts = [
        *response.warnings,
        *(str((c.result or {}).get("error", "")) for c in response.tool_calls),
        response.answer,
    ]
    told = [t for t in texts if any(word in t.lower() for word in BUDGET_WORDS)]
    return first_line(told[0]) if told else ""


def tool_spend(case: str, call: Callable[[], Any]) -> Spend:
    """A Python tool called with a huge argument: a typed refusal is the pass."""
    from pydantic import ValidationError

    spend = Spend(case, "Python tool")
    started = time.perf_counter()
    try:
        result = call()
        spend.outcome, spend.message = "answered", first_line(" ".join(getattr(result, "warnings", []) or []))
    except ValidationError as exc:
        spend.outcome, spend.message = "typed error", f"ValidationError: {first_line(_pydantic_line(exc))}"
    except MarketingAgentError as exc:
        spend.outcome, spend.message = "typed error", f"{type(exc).__name__}: {first_line(' '.join(str(exc).split()))}"
    except Exception as exc:  # the finding this suite exists for
        spend.outcome, spend.message = "unhandled", f"{type(exc).__name__}: {first_line(str(exc))}"
    spend.seconds = time.perf_counter() - started
    return spend


def _pydantic_line(exc: Any) -> str:
    from core.errors import validation_message

    return str(validation_message(exc))


def llm_cases(setup: Setup) -> list[Spend]:
    """The LLM router against scripted models that loop, fan out, burn tokens, think slowly, or are sent huge
    requests and huge arguments."""
    turn_seconds = round(setup.sizes.budget_s * 0.23, 1)  # 14 s a turn in 60 s: the clock, not the call cap, ends it
    huge_arguments = (
        {"query": "fit", "k": 10**6},
        {"series_ids": ["1001"], "horizon": 10**6},
        {"product": "1001", "n_variants": 1000},
    )
    cases = [
        ("loop: a tool call every turn, forever", looping_model(), "forecast it again and again"),
        ("fan-out: 40 tool calls in one turn", looping_model(40), "forecast everything"),
        ("token burner: 9,000 tokens a turn", looping_model(tokens=9000), "forecast, verbosely"),
        (f"slow model: {turn_seconds:g} s a turn", looping_model(seconds=turn_seconds), "forecast, slowly"),
        ("huge message: 100,000 characters", looping_model(answer_every=2), "forecast " * 11_112),
    ]
    spends = [llm_spend(setup, case, model, request) for case, model, request in cases]
    for tool, arguments in zip(("search_reviews", "forecast_sales", "generate_ad_copy"), huge_arguments, strict=True):
        model = looping_model(tool=tool, arguments=[arguments], answer_every=2)
        huge = ", ".join(f"{k}={v}" for k, v in arguments.items() if isinstance(v, int))
        spends.append(llm_spend(setup, f"model asks {tool}({huge})", model, "do it"))
    return spends


def llm_spend(setup: Setup, case: str, model: Any, request: str) -> Spend:
    from agent.core import MarketingAgent

    budget = setup.budget()
    agent = MarketingAgent.open(setup.workspace, llm="openai", chat_model=model, budget=budget, generator=setup.local)
    spend = Spend(case, "agent (LLM router)", max_calls=budget.max_calls, max_seconds=budget.seconds)
    ask_spend(spend, agent, request)
    spend.model_calls, spend.tokens = model.turns, model.tokens_used
    spend.max_tokens = budget.tokens + (model.tokens_used // model.turns if model.turns else 0)
    _check_prompts(spend, model, budget)
    return spend


def prompt_bound(budget: Any) -> int:
    """The most characters a prompt may hold: the system prompt, 4 earlier turns and a 4,000-character request
    (12,000 with room to spare), plus a digest of each tool result (3,000 characters and its fence)."""
    from agent.llm import MAX_VIEW_CHARS

    return 12_000 + int(budget.max_calls) * (MAX_VIEW_CHARS + 500)


def _check_prompts(spend: Spend, model: Any, budget: Any) -> None:
    biggest = max(model.prompt_chars, default=0)
    if biggest > prompt_bound(budget):
        spend.outcome = "unbounded prompt"
        spend.message = f"the model was sent {biggest:,} characters in one prompt (bound {prompt_bound(budget):,})"


def follow_up_cases(setup: Setup) -> list[Spend]:
    """Many follow-ups in one session, offline and on the LLM router: each turn within budget, and the prompt the
    model gets stays bounded however long the session grows."""
    from agent.core import MarketingAgent

    turns, budget_s = setup.sizes.follow_ups, setup.sizes.budget_s
    follow_ups = ("and for next quarter?", "and the Harbor tee?", "and for 4 weeks?", "and the Aurora dress?")
    spends = []
    for label, model in (("offline", None), ("LLM", looping_model(answer_every=2))):
        llm = "openai" if model is not None else "local"
        agent = MarketingAgent.open(
            setup.workspace, llm=llm, chat_model=model, generator=setup.local, budget=setup.budget()
        )
        session = f"follow-ups-{label.lower()}"
        worst = Spend(f"{turns} follow-ups in one session ({label})", "agent", "answered", max_seconds=budget_s)
        for i in range(turns):
            request = "Forecast the Aurora dress for the next 8 weeks" if i == 0 else follow_ups[i % len(follow_ups)]
            spend = ask_spend(Spend("", "", max_seconds=budget_s), agent, request, session)
            worst.calls = max(worst.calls, spend.calls)
            worst.seconds = max(worst.seconds, spend.seconds)
            if spend.outcome not in PASSING or spend.calls > worst.max_calls:
                worst.outcome, worst.message = spend.outcome, f"turn {i + 1}: {spend.message}"
        worst.message = worst.message or f"every turn within budget; slowest {worst.seconds:.1f} s"
        if model is not None:
            worst.model_calls = model.turns
            _check_prompts(worst, model, setup.budget())
        spends.append(worst)
    return spends


CHAIN_REQUEST = (
    "Forecast the Aurora dress, the Harbor tee, the Nimbus headphones and the Alpine jacket for the next 8 weeks, "
    "show the customer segments and the at-risk customers, tell me what customers complain about for each of "
    "them, and write a Meta ad, an SMS and an email for each"
)


def offline_cases(setup: Setup) -> list[Spend]:
    """Huge and many-tool requests through the offline router and the executor."""
    from agent.core import MarketingAgent

    agent = MarketingAgent.open(setup.workspace, llm="local", generator=setup.local, budget=setup.budget())
    requests = (
        ("a request chaining many tools", CHAIN_REQUEST),
        ("huge message: 100,000 characters", "forecast " * 11_112),
        ("horizon of 1,000,000 weeks", "Forecast the Aurora dress for the next 1000000 weeks"),
    )
    spend = functools.partial(Spend, interface="agent (offline)", max_seconds=setup.sizes.budget_s)
    return [ask_spend(spend(case), agent, request) for case, request in requests]


def tool_cases(setup: Setup) -> list[Spend]:
    """The Python tools called with huge arguments."""
    from tools import forecast_sales, generate_ad_copy, search_reviews, segment_customers

    workspace, local = setup.workspace, setup.local
    many_products = [str(i) for i in range(10_000)]
    many_covariates = {f"covariate_{i}": 1.0 for i in range(10_000)}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("search_reviews k=10^6", lambda: search_reviews(query="fit", k=10**6, workspace=workspace)),
        (
            "search_reviews 10,000 products",
            lambda: search_reviews(query="fit", product_ids=many_products, workspace=workspace),
        ),
        (
            "forecast_sales horizon=10^6",
            lambda: forecast_sales(series_ids=["1001"], horizon=10**6, workspace=workspace),
        ),
        (
            "forecast_sales 10,000 what-if covariates",
            lambda: forecast_sales(series_ids=["1001"], what_if=many_covariates, workspace=workspace),
        ),
        (
            "forecast_sales what_if promo=NaN",
            lambda: forecast_sales(series_ids=["1001"], what_if={"promo": float("nan")}, workspace=workspace),
        ),
        (
            "forecast_sales what_if promo=inf",
            lambda: forecast_sales(series_ids=["1001"], what_if={"promo": float("inf")}, workspace=workspace),
        ),
        (
            "generate_ad_copy n_variants=1000",
            lambda: generate_ad_copy(product="1001", n_variants=1000, generator=local, workspace=workspace),
        ),
        ("segment_customers limit=10^6", lambda: segment_customers(filter="best", limit=10**6, workspace=workspace)),
    ]
    return [tool_spend(case, call) for case, call in calls]


def run_consumption(report: SuiteReport, setup: Setup, console: Console) -> list[Spend]:
    """Every consumption case; the table and the target."""
    spends: list[Spend] = []
    with console.status("Excessive consumption: the LLM router"):
        spends += llm_cases(setup)
    with console.status("Excessive consumption: huge requests"):
        spends += offline_cases(setup) + tool_cases(setup)
    with console.status("Excessive consumption: follow-ups"):
        spends += follow_up_cases(setup)
    report.tables.append(
        Table(
            title="Excessive consumption (LLM10): every case stops within budget with a clear message",
            columns=[
                "case",
                "interface",
                "outcome",
                "tool calls",
                "model calls",
                "tokens",
                "seconds",
                "within",
                "message",
            ],
            rows=[s.row() for s in spends],
            note=(
                f"Budgets: <= 8 tool calls, <= {setup.sizes.budget_s:g} s a request, 24,000 tokens checked "
                "before each model call (so the last call may pass it by one turn's usage); a prompt may not exceed "
                "the request, 4 earlier turns and the tool results' digests. 'within': in budget, not an unhandled "
                "error or a hang, and a message that names the budget or limit (for follow-ups: the slowest turn)."
            ),
        )
    )
    share = sum(s.within for s in spends) / len(spends) if spends else None
    report.target(
        "excessive consumption: cases stopped within budget with a clear message (share)", share, at_least=1.0
    )
    return spends
