"""Suite reports: typed, printed as rich tables, written as JSON and Markdown to eval/reports/."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from rich.console import Console
from rich.table import Table as RichTable

Cell = str | int | float | None


class Table(BaseModel):
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    note: str = ""


class Target(BaseModel):
    """A target from DESIGN.md or the issue, and whether this run met it."""

    name: str
    value: float | None
    target: str
    passed: bool | None


class SuiteReport(BaseModel):
    suite: str
    mode: str
    command: str
    started_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    seconds: float = 0.0
    machine: dict[str, Any] = Field(default_factory=dict)
    tables: list[Table] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    skipped: str | None = None

    def target(
        self, name: str, value: float | None, *, at_least: float | None = None, at_most: float | None = None
    ) -> None:
        if at_least is not None:
            goal, passed = f">= {at_least:g}", None if value is None else value >= at_least
        else:
            goal, passed = f"<= {at_most:g}", None if value is None else value <= (at_most or 0.0)
        self.targets.append(Target(name=name, value=value, target=goal, passed=passed))


def machine_info() -> dict[str, Any]:
    import torch

    from local_models.embeddings import cpu_has_native_bf16

    return {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "native_bf16": cpu_has_native_bf16(),
        "python": platform.python_version(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def fmt(value: Cell, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def shortened(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters for a table cell, an ellipsis marking the cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def print_report(report: SuiteReport, console: Console) -> None:
    if report.skipped:
        console.print(f"[yellow]Suite {report.suite} skipped:[/] {report.skipped}")
        return
    for table in report.tables:
        rich_table = RichTable(title=table.title, caption=table.note or None)
        for column in table.columns:
            rich_table.add_column(column)
        for row in table.rows:
            rich_table.add_row(*(fmt(c) for c in row))
        console.print(rich_table)
    targets = RichTable(title="Targets")
    for column in ("target", "value", "goal", "met"):
        targets.add_column(column)
    for t in report.targets:
        met = "-" if t.passed is None else ("[green]yes[/]" if t.passed else "[red]no[/]")
        targets.add_row(t.name, fmt(t.value), t.target, met)
    console.print(targets)
    for note in report.notes:
        console.print(f"• {note}")


def write_report(report: SuiteReport, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    json_path, md_path = folder / f"{report.suite}.json", folder / f"{report.suite}.md"
    json_path.write_text(json.dumps(report.model_dump(), indent=2) + "\n")
    md_path.write_text(to_markdown(report))
    return json_path, md_path


def _cell(text: str) -> str:
    """Text for a markdown table cell: a `|` would start a new column."""
    return text.replace("|", "\\|")


def to_markdown(report: SuiteReport) -> str:
    lines = [
        f"# Eval: {report.suite} ({report.mode})",
        "",
        f"Command: `{report.command}`  ",
        f"Run: {report.started_at}, {report.seconds:.0f} s on {report.machine.get('cpu', '?')} "
        f"({report.machine.get('cores', '?')} cores, torch {report.machine.get('torch', '?')}, "
        f"{report.machine.get('torch_threads', '?')} threads, native bf16: {report.machine.get('native_bf16', '?')})",
        "",
    ]
    if report.skipped:
        return "\n".join([*lines, f"Skipped: {report.skipped}", ""])
    lines += ["## Targets", "", "| target | value | goal | met |", "|---|---|---|---|"]
    for t in report.targets:
        met = "-" if t.passed is None else ("yes" if t.passed else "**no**")
        lines.append(f"| {_cell(t.name)} | {fmt(t.value)} | {_cell(t.target)} | {met} |")
    for table in report.tables:
        lines += ["", f"## {table.title}", "", "| " + " | ".join(_cell(c) for c in table.columns) + " |"]
        lines.append("|" + "---|" * len(table.columns))
        lines += ["| " + " | ".join(_cell(fmt(c)) for c in row) + " |" for row in table.rows]
        if table.note:
            lines += ["", table.note]
    if report.notes:
        lines += ["", "## Notes", "", *(f"- {n}" for n in report.notes)]
    return "\n".join(lines) + "\n"
