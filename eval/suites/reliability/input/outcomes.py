"""How one case ended (`Outcome`), and the workspace fingerprint compared before and after it."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from eval.report import shortened

CASE_TIMEOUT_S = 180.0
EXCLUDED = re.compile(r"^(audit\.jsonl|sessions\.sqlite.*|server\.sqlite.*|locks/.*|uploads/.*)$")
TRACEBACK = "Traceback (most recent call last)"
WARNED = re.compile(r"future|after today", re.IGNORECASE)  # a warning about dates in the future


@dataclass
class Outcome:
    case: str
    kind: str
    interface: str
    outcome: str  # refused | accepted | accepted (warned) | unhandled | traceback | 5xx | timeout | ...
    message: str
    clear: bool
    unchanged: bool | None
    seconds: float
    peak_mb: float | None = None
    expect: str = "refuse"

    @property
    def crashed(self) -> bool:
        return self.outcome in ("unhandled", "traceback", "crashed", "timeout") or self.outcome[:1] == "5"

    @property
    def passed(self) -> bool:
        if self.outcome == "refused":
            return self.clear and self.unchanged is not False
        if self.expect == "either":
            return self.outcome == "accepted"
        return self.expect == "warn" and self.outcome == "accepted (warned)"

    def row(self) -> list[str | int | float | None]:
        unchanged = "-" if self.unchanged is None else ("yes" if self.unchanged else "NO")
        return [self.kind, self.case, self.interface, self.outcome, self.message, unchanged,
                round(self.seconds, 2), self.peak_mb, "yes" if self.passed else "NO"]  # fmt: skip


def fingerprint(workspace: Path) -> dict[str, str]:
    """sha256 of every file in the workspace but the excluded ones (see the module docstring)."""
    hashes = {}
    for path in sorted(workspace.rglob("*")):
        relative = path.relative_to(workspace).as_posix()
        if path.is_file() and not path.is_symlink() and not EXCLUDED.match(relative):
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def first_line(text: str, limit: int = 200) -> str:
    """The first two lines of a message, shortened, with undecodable characters shown as "?"."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return shortened(" / ".join(lines[:2]), limit)
