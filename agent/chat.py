"""The terminal chat: a marketer types requests; each answer shows the tool calls it made, the answer, tables
for forecasts, segments and ad copy, the citations, warnings, and where forecast charts were saved."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.markdown import Markdown
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from agent.memory import new_session_id
from agent.types import AgentResponse, ToolCall
from core.errors import MarketingAgentError
from tools.registry import TOOLS

if TYPE_CHECKING:
    from agent.core import MarketingAgent

EXAMPLES = (
    "What do customers complain about for the Aurora dress?",
    "Forecast the Harbor tee for the next 8 weeks",
    "Which customers are at risk of lapsing?",
    "Write a Meta ad for the product our best customers buy most, using what reviews praise",
)
QUIT = {"/quit", "/exit", "quit", "exit", ":q"}


def run_chat(agent: MarketingAgent, console: Console, *, session_id: str | None = None) -> None:
    """Read requests until /quit (or end of input). /new starts a new session (forgets the context)."""
    session = session_id or new_session_id()
    plots = agent.workspace.root / "plots"
    console.print(
        Panel(
            "Ask about reviews, sales forecasts, customer segments or ad copy. /new starts over, /quit leaves.\n"
            + "\n".join(f"[dim]e.g.[/] {escape(e)}" for e in EXAMPLES),
            title=f"marketing-agent · {escape(str(agent.workspace.root))} · {agent.settings.llm} model",
        )
    )
    while True:
        try:
            message = console.input("[bold cyan]you>[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            console.print()
            return
        if not message:
            continue
        if message.lower() in QUIT:
            return
        if message.lower() == "/new":
            session = new_session_id()
            console.print("[dim]New conversation.[/]")
            continue
        try:
            with console.status("Working…"):
                response = agent.ask(message, session, on_call=lambda call, i: show_call(console, call, i))
        except MarketingAgentError as exc:
            console.print(f"[red]Error:[/] {escape(str(exc))}")
            continue
        show_response(response, console, plots_dir=plots)


def show_call(console: Console, call: ToolCall, index: int) -> None:
    """One line per tool call as it starts and as it ends."""
    arguments = ", ".join(f"{k}={_short(v)}" for k, v in call.arguments.items())
    if call.status == "planned":
        console.print(f"[dim]  → {index + 1}. {call.name}({escape(arguments)})[/]")
        return
    mark = {"ok": "[green]✓[/]", "error": "[red]✗[/]", "skipped": "[yellow]-[/]"}.get(call.status, "?")
    detail = "" if call.status == "ok" else f": {escape(str((call.result or {}).get('error', '')))}"
    console.print(f"  {mark} {index + 1}. {call.name}{detail}")


def show_response(response: AgentResponse, console: Console, *, plots_dir: Path | None = None) -> list[Path]:
    """The answer, each tool's detail view, citations and warnings; returns the charts it saved."""
    console.print(Panel(Markdown(response.answer), title="answer", border_style="cyan"))
    saved: list[Path] = []
    for call in response.tool_calls:
        unit = TOOLS[call.name]
        if call.status != "ok" or call.result is None:
            continue
        result = unit.result(call.result)
        detail = unit.presenter.terminal(result) if unit.detail_in_chat else None
        if detail is not None:
            console.print(detail)
        if plots_dir is not None:
            saved += unit.charts(call.result, plots_dir)
    if response.citations:
        table = Table(title="Sources (reviews)", show_lines=False, expand=True)
        table.add_column("review", style="cyan", no_wrap=True)
        table.add_column("what the customer wrote")
        for citation in response.citations:
            table.add_row(citation.review_id, escape(citation.snippet))
        console.print(table)
    for path in saved:
        console.print(f"[dim]Chart saved:[/] {escape(str(path))}")
    for warning in response.warnings:
        console.print(f"[yellow]note:[/] {escape(warning)}")
    return saved


def _short(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
