"""What every CLI command shares: its consoles, the --workspace and --json options, and option parsing.

Each tool unit registers its own commands on the `marketing-agent` Typer app (`ToolUnit.commands`); the app
itself lives in `agent/cli.py`. Results go to stdout (a rich view, or JSON with --json); progress, status and
errors to stderr, so `--json` output can be piped.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

from core.tabular import parse_column_pairs

if TYPE_CHECKING:
    from tools.unit import Presenter

console = Console()
errors = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: MARKETING_AGENT_HOME or ./workspace)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]
ColumnOption = Annotated[
    list[str] | None,
    typer.Option("--column", "-c", help="Map a field to your header: --column text='Review Text' (repeatable)."),
]


def print_json(result: BaseModel) -> None:
    """A result as indented JSON on stdout."""
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")


def show(result: BaseModel, presenter: Presenter[Any], as_json: bool) -> None:
    """A command's result: JSON on stdout with `--json`, else the presenter's terminal view."""
    if as_json:
        print_json(result)
    else:
        console.print(presenter.terminal(result))


def column_map(pairs: list[str] | None, option: str = "--column") -> dict[str, str]:
    """`["text=Review Text", ...]` as a field -> header map; a malformed pair is a usage error."""
    try:
        return parse_column_pairs(pairs or [])
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


def parse_number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number", param_hint=option) from None


def choice(value: str, allowed: tuple[str, ...] | list[str] | dict[str, object], option: str) -> str:
    """`value` when it is one of `allowed`, else a usage error listing them."""
    if value not in allowed:
        raise typer.BadParameter(f"{value!r}: choose one of {', '.join(allowed)}", param_hint=option)
    return value
