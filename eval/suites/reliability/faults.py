"""Reliability: provider faults and excessive consumption (`marketing-agent eval reliability`, issue 8 parts 3
and 6).

1. Provider faults. A fault-injecting OpenAI-compatible endpoint on 127.0.0.1 (`eval.fakes.openai_server`)
   answers every chat completion under `/<fault>/v1` with one fault: 429 with a short or a long Retry-After, 500,
   a timeout (no answer at all), a body trickled a byte at a time under the read timeout, malformed JSON, a stream
   (or body) cut mid-chunk, empty choices, an HTML page instead of JSON, a connection reset; plus a healthy
   control.
   Both OpenAI consumers are driven through it:
   - the agent's LLM router: `MarketingAgent.open(ws, llm="openai")` with OPENAI_BASE_URL / OPENAI_API_KEY
     set, its LangChain `ChatOpenAI` built by `openai_chat_model` with short timeouts (and once, in the full
     run, with the shipped 30 s defaults); the agent's text generator points at the same fault;
   - the ad copy text generator: `OpenAIGenerator` with its local fallback (SmolLM2), `generate()` and
     `stream()`, and (full run) the `generate_ad_copy` tool on top of it.
   Every request must end in an answer (remote, or by a fallback with a warning) or a typed error (a
   `MarketingAgentError`) within the agent's request budget (60 s): never an unhandled exception or a hang.
2. Excessive consumption (OWASP LLM10). Scripted LangChain chat models that call tools forever, ask for
   dozens of calls in one turn, are slow, or burn tokens; huge requests (a 100k-character message,
   k=10^6, horizon=10^6, n_variants=1000, a huge what_if) through the agent, the Python tools and the
   agent's router; 100 follow-ups in one session. Every one must stop within the budgets (<= 8 tool calls,
   <= 60 s, the token budget) with a clear message.

Each request runs in a watchdog thread: one that has not returned `HANG_GRACE_S` after the budget counts as
a hang (and is left behind; the server's release event unblocks it at the end).
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

from langchain_core.messages.ai import UsageMetadata
from rich.console import Console

from core.errors import MarketingAgentError
from eval.demo import demo_workspace
from eval.fakes.chat_model import ScriptedChatModel
from eval.fakes.openai_server import FAULTS, ScriptedOpenAIServer
from eval.fakes.textgen import ScriptedGenerator
from eval.report import SuiteReport, Table

BUDGET_S = 60.0  # the agent's request budget (agent.executor.MAX_SECONDS)
HANG_GRACE_S = 15.0  # past the budget, a request that has not returned is a hang
CLIENT_TIMEOUT_S = 2.0  # the suite's provider timeout (the shipped default is 30 s; one row uses it)
OUTCOMES = ("answered", "fallback", "typed error", "unhandled", "empty", "hang")
PASSING = frozenset({"answered", "fallback", "typed error"})

# ---- running one request under a watchdog -------------------------------------------------------------------


@dataclass
class Attempt:
    """How one request ended."""

    outcome: str
    seconds: float
    message: str = ""


def watched(work: Callable[[], Attempt], budget: float = BUDGET_S, grace: float = HANG_GRACE_S) -> Attempt:
    """Run `work` in a thread; one that is still running `grace` seconds past `budget` is a hang."""
    box: dict[str, Any] = {}
    started = time.perf_counter()

    def target() -> None:
        try:
            box["attempt"] = work()
        except MarketingAgentError as exc:
            box["attempt"] = Attempt("typed error", 0.0, f"{type(exc).__name__}: {_first_line(str(exc))}")
        except BaseException as exc:  # the finding this suite exists for
            box["attempt"] = Attempt("unhandled", 0.0, f"{type(exc).__name__}: {_first_line(str(exc))}")

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(budget + grace)
    seconds = time.perf_counter() - started
    if thread.is_alive():
        return Attempt("hang", seconds, f"no answer after {seconds:.0f} s")
    attempt: Attempt = box["attempt"]
    attempt.seconds = seconds
    return attempt


def _first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


@dataclass
class Cell:
    """The attempts of one fault x consumer, and the request budget they must end within."""

    fault: str
    consumer: str
    budget: float = BUDGET_S
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(1 for a in self.attempts if a.outcome in PASSING and a.seconds <= self.budget)

    def row(self) -> list[str | int | float | None]:
        counts = Counter(a.outcome for a in self.attempts)
        worst = max((a.seconds for a in self.attempts), default=None)
        example = next((a.message for a in self.attempts if a.outcome not in ("answered",) and a.message), "")
        return [
            self.fault,
            self.consumer,
            len(self.attempts),
            *(counts.get(o, 0) for o in OUTCOMES),
            worst,
            self.passed,
            example,
        ]


# ---- consumers ----------------------------------------------------------------------------------------------

AGENT_REQUESTS = (
    "Forecast the Aurora dress for the next 8 weeks",
    "What do customers complain about for the Aurora dress?",
    "Which customers are at risk of churning?",
    "Write an SMS ad for the Aurora dress",
)
AD_PROMPT = "Write one short headline for a linen dress that customers say is breathable."


def agent_attempt(agent: Any, message: str) -> Attempt:
    """Ask the agent; classify the response (an AgentResponse always, unless the agent raised)."""
    response = agent.ask(message)
    fell_back = [w for w in response.warnings if "answered offline" in w or "local model" in w or "budget" in w]
    if not response.answer.strip():
        return Attempt("empty", 0.0, "; ".join(response.warnings)[:160] or "an empty answer, no warning")
    if fell_back:
        return Attempt("fallback", 0.0, _first_line(fell_back[0]))
    return Attempt("answered", 0.0, _first_line(response.answer))


def generate_attempt(generator: Any) -> Attempt:
    from local_models.textgen import ChatMessage, GenerationOptions

    generation = generator.generate([ChatMessage("user", AD_PROMPT)], GenerationOptions(max_tokens=12, n=2))
    return _generation_outcome(generation.backend, generation.text, generation.warnings)


def stream_attempt(generator: Any) -> Attempt:
    from local_models.textgen import ChatMessage, GenerationOptions

    stream = generator.stream([ChatMessage("user", AD_PROMPT)], GenerationOptions(max_tokens=12))
    text = "".join(stream)
    backend = "local" if any("local model" in w for w in stream.warnings) else "openai"
    return _generation_outcome(backend, text, stream.warnings)


def _generation_outcome(backend: str, text: str, warnings: Sequence[str]) -> Attempt:
    if not text.strip():
        return Attempt("empty", 0.0, "; ".join(warnings)[:160] or "no text, no warning")
    if backend != "openai":
        return Attempt("fallback", 0.0, _first_line(warnings[0]) if warnings else "local, without a warning")
    return Attempt("answered", 0.0, _first_line(text))


def ad_copy_attempt(generator: Any, workspace: Path) -> Attempt:
    from tools.ad_copy import generate_ad_copy

    result = generate_ad_copy(product="1001", channel="sms", n_variants=1, generator=generator, workspace=workspace)
    if not result.variants:
        return Attempt("empty", 0.0, "; ".join(result.warnings)[:160] or "no variants, no warning")
    warned = [w for w in result.warnings if "local model" in w or "generator failed" in w]
    return Attempt("fallback" if warned else "answered", 0.0, _first_line(warned[0]) if warned else "")


# ---- the provider-fault run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """How much each run does. --quick keeps every fault kind and every consumption case but asks less, gives the
    agent a 20 s budget (so hung providers cost 15 s, not 45 s) and falls back to an instant stand-in for the
    local model (converting SmolLM2 alone takes ~25 s)."""

    agent_requests: int
    generator_requests: int
    ad_copy: bool
    default_timeouts: bool
    budget_s: float
    real_local_model: bool
    follow_ups: int
    demo_reviews: int
    demo_customers: int
    train_seconds: float

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(1, 1, False, False, 20.0, False, 20, demo_reviews=300, demo_customers=120, train_seconds=5)
        return cls(4, 3, True, True, BUDGET_S, True, 100, demo_reviews=1500, demo_customers=400, train_seconds=10)


@dataclass
class Setup:
    """What both parts run against: a demo workspace, the local model (or its stand-in), the sizes."""

    workspace: Path
    local: Any
    sizes: Sizes

    def budget(self, **changes: Any) -> Any:
        from agent.executor import Budget

        return Budget(**{"seconds": self.sizes.budget_s, **changes})


def instant_local() -> ScriptedGenerator:
    """A stand-in for the local model in --quick runs and tests: answers at once, like a loaded SmolLM2 would."""
    return ScriptedGenerator("Breathable linen for warm days.", model="instant-local")


def openai_env(base_url: str) -> contextlib.AbstractContextManager[Any]:
    """OPENAI_BASE_URL / OPENAI_API_KEY for the settings, restored afterwards."""
    return mock.patch.dict(os.environ, {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": "sk-fault-test"})


def fault_agent(setup: Setup, base_url: str, *, timeout: float | None) -> Any:
    """The agent on the LLM router against `base_url`; its text generator is OpenAI there too, with the local model
    as the fallback. `timeout=None` keeps the shipped client defaults (30 s, one retry)."""
    from agent.core import MarketingAgent
    from core.settings import load_settings
    from local_models.textgen.langchain_chat import OPENAI_TIMEOUT
    from local_models.textgen.openai_backend import OpenAIGenerator
    from tools.models import chat_model

    with openai_env(base_url):
        settings = load_settings(setup.workspace).model_copy(update={"llm": "openai"})
        seconds = OPENAI_TIMEOUT if timeout is None else timeout
        model = chat_model(settings, timeout=seconds)
        generator = OpenAIGenerator(
            api_key="sk-fault-test", base_url=base_url, model="fault-test", fallback=setup.local, timeout=seconds
        )
        agent = MarketingAgent.open(
            setup.workspace, llm="openai", chat_model=model, generator=generator, budget=setup.budget()
        )
    agent.router.warm_up()  # latencies measure the fault, not loading the router's model
    return agent


def run_faults(report: SuiteReport, setup: Setup, console: Console, faults: Sequence[str] = ()) -> list[Cell]:
    """Every fault kind (or those in `faults`) against every consumer; the outcome table and the targets."""
    from local_models.textgen.openai_backend import OpenAIGenerator

    sizes, workspace = setup.sizes, setup.workspace
    server = ScriptedOpenAIServer(model="fault-test")
    cells: list[Cell] = []
    try:
        for kind in faults or FAULTS:
            url = server.fault_url(kind)
            agent = fault_agent(setup, url, timeout=CLIENT_TIMEOUT_S)
            generator = OpenAIGenerator(
                api_key="sk-fault-test",
                base_url=url,
                model="fault-test",
                timeout=CLIENT_TIMEOUT_S,
                fallback=setup.local,
            )
            runs: list[tuple[str, Callable[[], Attempt], int]] = [
                ("agent (LLM router)", functools.partial(agent_attempt, agent, message), 1)
                for message in AGENT_REQUESTS[: sizes.agent_requests]
            ]
            runs += [
                ("text generator: generate", functools.partial(generate_attempt, generator), sizes.generator_requests),
                ("text generator: stream", functools.partial(stream_attempt, generator), sizes.generator_requests),
            ]
            if sizes.ad_copy:
                runs.append(("generate_ad_copy tool", functools.partial(ad_copy_attempt, generator, workspace), 1))
            with console.status(f"Fault {kind}"):
                cells += _run_cells(kind, runs, sizes.budget_s)
        if sizes.default_timeouts:
            agent = fault_agent(setup, server.fault_url("timeout"), timeout=None)
            attempt = watched(functools.partial(agent_attempt, agent, AGENT_REQUESTS[0]), sizes.budget_s)
            cells.append(Cell("timeout", "agent, shipped 30 s timeouts", sizes.budget_s, [attempt]))
    finally:
        server.close()
    _fault_tables(report, cells, server, sizes.budget_s)
    return cells


def _run_cells(kind: str, runs: Sequence[tuple[str, Callable[[], Attempt], int]], budget: float) -> list[Cell]:
    cells: dict[str, Cell] = {}
    for consumer, work, repeats in runs:
        cell = cells.setdefault(consumer, Cell(kind, consumer, budget))
        cell.attempts += [watched(work, budget) for _ in range(repeats)]
    return list(cells.values())


def _fault_tables(report: SuiteReport, cells: Sequence[Cell], server: ScriptedOpenAIServer, budget: float) -> None:
    columns = ["fault", "consumer", "requests", *OUTCOMES, "max latency s", "within budget", "example"]
    report.tables.append(
        Table(
            title="Provider faults: outcome per fault x consumer",
            columns=columns,
            rows=[c.row() for c in cells],
            note=(
                f"Client timeout {CLIENT_TIMEOUT_S:g} s with 1 retry (the shipped default is 30 s; the row "
                f"'shipped 30 s timeouts' uses it); request budget {budget:g} s; a request still running "
                f"{HANG_GRACE_S:g} s past it is a hang. 'within budget': answered, fell back (with a warning) or "
                "failed with a typed error, in time. 'example': the first warning or error of the cell."
            ),
        )
    )
    report.tables.append(
        Table(
            title="Fault kinds",
            columns=["fault", "what the endpoint does", "requests it received"],
            rows=[[kind, fault.what, server.requests.get(kind, 0)] for kind, fault in FAULTS.items()],
        )
    )
    attempts = [a for c in cells for a in c.attempts]
    share = sum(c.passed for c in cells) / len(attempts) if attempts else None
    report.target("provider faults: requests answered or failed typed, in budget (share)", share, at_least=1.0)
    slowest = max((a.seconds for a in attempts), default=None)
    report.target("provider faults: slowest request (s)", slowest, at_most=budget)


# ---- excessive consumption (LLM10) --------------------------------------------------------------------------


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
    return _first_line(told[0]) if told else ""


def tool_spend(case: str, call: Callable[[], Any]) -> Spend:
    """A Python tool called with a huge argument: a typed refusal is the pass."""
    from pydantic import ValidationError

    spend = Spend(case, "Python tool")
    started = time.perf_counter()
    try:
        result = call()
        spend.outcome, spend.message = "answered", _first_line(" ".join(getattr(result, "warnings", []) or []))
    except ValidationError as exc:
        spend.outcome, spend.message = "typed error", f"ValidationError: {_first_line(_pydantic_line(exc))}"
    except MarketingAgentError as exc:
        spend.outcome, spend.message = "typed error", f"{type(exc).__name__}: {_first_line(' '.join(str(exc).split()))}"
    except Exception as exc:  # the finding this suite exists for
        spend.outcome, spend.message = "unhandled", f"{type(exc).__name__}: {_first_line(str(exc))}"
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
    spends = [_llm_spend(setup, case, model, request) for case, model, request in cases]
    for tool, arguments in zip(("search_reviews", "forecast_sales", "generate_ad_copy"), huge_arguments, strict=True):
        model = looping_model(tool=tool, arguments=[arguments], answer_every=2)
        huge = ", ".join(f"{k}={v}" for k, v in arguments.items() if isinstance(v, int))
        spends.append(_llm_spend(setup, f"model asks {tool}({huge})", model, "do it"))
    return spends


def _llm_spend(setup: Setup, case: str, model: Any, request: str) -> Spend:
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


# ---- the suite -----------------------------------------------------------------------------------------------


def build_workspace(scratch: Path, sizes: Sizes, console: Console) -> Path:
    return demo_workspace(
        scratch / "demo",
        console,
        reviews=sizes.demo_reviews,
        customers=sizes.demo_customers,
        forecaster_seconds=sizes.train_seconds,
        segmenter_seconds=sizes.train_seconds,
    )


def local_fallback(scratch: Path, sizes: Sizes, console: Console) -> Any:
    """The local model the OpenAI backend falls back to: SmolLM2, converted once into the scratch folder (full
    runs), or the instant stand-in (--quick)."""
    if not sizes.real_local_model:
        return instant_local()
    from local_models.textgen.local import LocalGenerator

    with console.status("Loading the local model"):
        generator = LocalGenerator(workspace=scratch / "textgen")
        generator.load()
    return generator


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """Provider faults, then excessive consumption, on one demo workspace."""
    scratch.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.for_mode(quick)
    clock = time.perf_counter()
    setup = Setup(build_workspace(scratch, sizes, console), local_fallback(scratch, sizes, console), sizes)
    seconds = {"set-up": time.perf_counter() - clock}
    clock = time.perf_counter()
    run_faults(report, setup, console)
    seconds["provider faults"], clock = time.perf_counter() - clock, time.perf_counter()
    run_consumption(report, setup, console)
    seconds["excessive consumption"] = time.perf_counter() - clock
    report.notes += [*NOTES, "Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + "."]
    left = settle()
    if left:
        report.notes.append(f"{left} tool call(s) abandoned at a deadline were still running at the end.")


def settle(seconds: float = 90.0) -> int:
    """Wait (a while) for tool calls abandoned at a deadline (the executor's worker threads) to finish, so that
    none is still using the local model when the suite returns and the scratch folder goes; how many still run."""
    end = time.monotonic() + seconds
    while True:
        running = [t for t in threading.enumerate() if t.is_alive() and "(_invoke)" in t.name]
        if not running or time.monotonic() > end:
            return len(running)
        time.sleep(0.5)


NOTES = [
    "The fault server is http.server, not uvicorn: a reset (SO_LINGER 0) or a body cut mid-chunk needs the raw socket.",
    "Agent requests that fall back are answered by the offline router; the agent's own text generator (for ad copy) "
    "points at the same faulty endpoint and falls back to the local model.",
    "--quick: one request per fault x consumer, a 20 s request budget, an instant stand-in for the local model, "
    "20 follow-ups instead of 100.",
]
