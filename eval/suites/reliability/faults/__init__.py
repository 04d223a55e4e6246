"""Reliability: provider faults and excessive consumption (`marketing-agent eval reliability`, issue 8 parts 3
and 6).

1. Provider faults. A fault-injecting OpenAI-compatible endpoint on 127.0.0.1 (`eval.fakes.openai_server`)
   answers every chat completion under `/<fault>/v1` with one fault: 429 with a short or a long Retry-After, 500,
   a timeout (no answer at all), a body trickled a byte at a time under the read timeout, malformed JSON, a stream
   (or body) cut mid-chunk, empty choices, an HTML page instead of JSON, a connection reset; plus a healthy
   control.
   Both OpenAI consumers are driven through it:
   - the agent's LLM router: `MarketingAgent.open(ws, llm="openai")` with OPENAI_BASE_URL / OPENAI_API_KEY
     set, its LangChain `ChatOpenAI` built by `tools.models.chat_model` with short timeouts (and once, in the full
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

Modules: `watchdog` (one request under a watchdog, and its outcome), `setup` (workspace, local model, sizes),
`provider` (the fault table), `consumption` (the LLM10 cases) and `running`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """The part's entry (imported on first use)."""
    from eval.suites.reliability.faults.running import run_part

    run_part(report, quick, scratch, console)
