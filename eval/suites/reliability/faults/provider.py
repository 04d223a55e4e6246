"""Provider faults: every fault kind of the scripted OpenAI-compatible server against every OpenAI consumer (the
agent's LLM router, the text generator's generate and stream, the ad-copy tool)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.fakes.openai_server import FAULTS, ScriptedOpenAIServer, openai_env
from eval.report import SuiteReport, Table
from eval.suites.reliability.faults.setup import Setup
from eval.suites.reliability.faults.watchdog import (
    CLIENT_TIMEOUT_S,
    HANG_GRACE_S,
    OUTCOMES,
    Attempt,
    Cell,
    first_line,
    watched,
)

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
        return Attempt("fallback", 0.0, first_line(fell_back[0]))
    return Attempt("answered", 0.0, first_line(response.answer))


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
        return Attempt("fallback", 0.0, first_line(warnings[0]) if warnings else "local, without a warning")
    return Attempt("answered", 0.0, first_line(text))


def ad_copy_attempt(generator: Any, workspace: Path) -> Attempt:
    from tools.ad_copy import generate_ad_copy

    result = generate_ad_copy(product="1001", channel="sms", n_variants=1, generator=generator, workspace=workspace)
    if not result.variants:
        return Attempt("empty", 0.0, "; ".join(result.warnings)[:160] or "no variants, no warning")
    warned = [w for w in result.warnings if "local model" in w or "generator failed" in w]
    return Attempt("fallback" if warned else "answered", 0.0, first_line(warned[0]) if warned else "")


def fault_agent(setup: Setup, base_url: str, *, timeout: float | None) -> Any:
    """The agent on the LLM router against `base_url`; its text generator is OpenAI there too, with the local model
    as the fallback. `timeout=None` keeps the shipped client defaults (30 s, one retry)."""
    from agent.core import MarketingAgent
    from core.settings import load_settings
    from local_models.textgen.langchain_chat import OPENAI_TIMEOUT
    from local_models.textgen.openai_backend import OpenAIGenerator
    from tools.models import chat_model

    with openai_env(base_url, "sk-fault-test"):
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
