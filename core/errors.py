"""Error families a user can act on: each message names the file, row, column or setting to fix.

They live at the bottom of the dependency graph, so that `local_models/`, `tools/` and `agent/` all raise and
catch the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError


class MarketingAgentError(Exception):
    """Base of every error this project raises on purpose; the CLI prints these without a traceback."""


class ModelUnavailableError(MarketingAgentError):
    """Model weights that must ship with an installed package are missing (nothing is ever downloaded)."""


class CheckpointError(MarketingAgentError):
    """A saved model is missing, half-written, or from an incompatible format version."""


class WorkspaceError(MarketingAgentError):
    """The workspace is missing, locked by another writer, or was built by an incompatible version."""


class ModelNotTrainedError(MarketingAgentError):
    """A tool needs a model that this workspace has not trained yet; the message says which command trains it."""


@dataclass(frozen=True)
class DataProblem:
    """One thing wrong with one input row (row/column are None for file-level problems)."""

    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class DataError(MarketingAgentError):
    """Input data that cannot be used as it is; carries every problem found, not just the first."""

    def __init__(self, source: str | Path, problems: list[DataProblem], hint: str = "") -> None:
        self.source = str(source)
        self.problems = problems
        self.hint = hint
        super().__init__(self._render())

    def _render(self, limit: int = 20) -> str:
        count = len(self.problems)
        lines = [f"{self.source}: {count} problem{'s' if count != 1 else ''} found"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if count > limit:
            lines.append(f"  ... and {count - limit} more")
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


def validation_message(exc: ValidationError) -> str:
    """A pydantic validation error as one readable line: `field: problem; field: problem`."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors(include_url=False)
    )
