"""Error families a user can act on: each message names the file, row, column or setting to fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from local_models.errors import CheckpointError, MarketingAgentError, ModelUnavailableError

__all__ = [
    "CheckpointError",
    "DataError",
    "DataProblem",
    "MarketingAgentError",
    "ModelNotTrainedError",
    "ModelUnavailableError",
    "WorkspaceError",
]


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


class WorkspaceError(MarketingAgentError):
    """The workspace is missing, locked by another writer, or was built by an incompatible version."""


class ModelNotTrainedError(MarketingAgentError):
    """A tool needs a model that this workspace has not trained yet; the message says which command trains it."""
