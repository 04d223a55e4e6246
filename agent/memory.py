"""Conversation memory in the workspace's sqlite file (`sessions.sqlite`), and the audit trail (`audit.jsonl`).

Memory keeps, per session, each turn's redacted request, the plan's calls (arguments only, never results)
and the answer without the review text it quotes, so a follow-up ("and for next quarter?") can re-plan from
the previous turn, in this process or the next. Nothing kept holds personal data: requests arrive redacted,
and arguments and answers are redacted again here. Every connection is opened per operation (sqlite
serialises writers; WAL lets readers go on).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from agent.guardrails import redact, redact_value
from agent.types import Plan
from core.errors import MarketingAgentError

SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    session_id TEXT NOT NULL,
    turn INTEGER NOT NULL,
    at TEXT NOT NULL,
    request TEXT NOT NULL,
    plan TEXT NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (session_id, turn)
);
"""
MAX_SESSION_ID = 128
QUOTE_OMITTED = "[review text not kept]"
MIN_QUOTE_CHARS = 12  # a shown quote is found by its first characters


class SessionError(MarketingAgentError):
    """A session id that cannot be used, or a memory file that cannot be read."""


@dataclass(frozen=True)
class Turn:
    turn: int
    at: str
    request: str
    plan: Plan
    answer: str


def new_session_id() -> str:
    return uuid.uuid4().hex


def check_session_id(session_id: str) -> str:
    if not isinstance(session_id, str) or not session_id.strip() or len(session_id) > MAX_SESSION_ID:
        raise SessionError(f"a session id must be 1-{MAX_SESSION_ID} characters of text")
    if any(ord(ch) < 32 for ch in session_id):
        raise SessionError("a session id may not contain control characters")
    return session_id.strip()


class SessionStore:
    """Turns per session in `path` (sqlite). Safe across threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._lock = threading.Lock()

    def last_plan(self, session_id: str) -> Plan | None:
        turns = self.turns(session_id, limit=1)
        return turns[-1].plan if turns else None

    def turns(self, session_id: str, limit: int = 20) -> list[Turn]:
        """The session's last `limit` turns, oldest first."""
        if not self.path.exists():
            return []
        with self._connect() as db:
            rows = db.execute(
                "SELECT turn, at, request, plan, answer FROM turns WHERE session_id = ? ORDER BY turn DESC LIMIT ?",
                (session_id, limit),
            ).fetchall()
        return [Turn(r[0], r[1], r[2], Plan.model_validate_json(r[3]), r[4]) for r in reversed(rows)]

    def record(
        self,
        session_id: str,
        request: str,
        plan: Plan,
        answer: str,
        quoted: Iterable[str] = (),
        review_ids: Iterable[str] = (),
    ) -> None:
        """Append a turn. `plan` is stored without results (they can be large and hold review text), and `answer`
        without the review text it shows (`quoted`: snippets and quotes; `review_ids`: the reviews it cites),
        both redacted."""

        def kept_call(call: Any) -> Any:
            return call.model_copy(update={"result": None, "arguments": redact_value(call.arguments)})

        kept = plan.model_copy(
            update={
                "calls": [kept_call(c) for c in plan.calls],
                "pending": [kept_call(c) for c in plan.pending],
                "message": redact(plan.message).text,
            }
        )
        answer = redact(without_quotes(answer, quoted, review_ids)).text
        with self._connect() as db:
            db.execute(
                "INSERT INTO turns (session_id, turn, at, request, plan, answer) VALUES "
                "(?, (SELECT COALESCE(MAX(turn), 0) + 1 FROM turns WHERE session_id = ?), ?, ?, ?, ?)",
                (session_id, session_id, _now(), redact(request).text, kept.model_dump_json(), answer),
            )

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(sqlite3.connect(self.path, timeout=10.0)) as db, db:
                if not self._ready:
                    with self._lock:
                        db.execute("PRAGMA journal_mode=WAL")
                        db.executescript(SCHEMA)
                        self._ready = True
                yield db
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"the session memory {self.path} cannot be used: {exc}") from exc


class AuditLog:
    """Append-only JSON lines, one per request; callers pass redacted values only."""

    def __init__(self, path: Path, lock: Path) -> None:
        self.path = path
        self._lock = FileLock(str(lock), timeout=10)

    def write(self, record: dict[str, Any]) -> None:
        line = json.dumps({"at": _now(), **record}, ensure_ascii=False, default=str)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")


def without_quotes(answer: str, quoted: Iterable[str], review_ids: Iterable[str] = ()) -> str:
    """`answer` without the review text it shows: on a line that cites a review (`[review id]`), everything
    between the first and the last quote mark; anywhere else, each text of `quoted` shown whole or clipped (its
    beginning, then "…" or a closing quote mark; of overlapping matches the longest wins, so a review that
    merely starts like the end of another's clipped quote takes nothing away from it)."""
    markers = tuple(f"[{rid}]" for rid in review_ids if rid)
    if markers:
        answer = "\n".join(_line_without_quote(line, markers) for line in answer.split("\n"))
    spans = [span for text in {" ".join(q.split()) for q in quoted if q and q.strip()} for span in _shown(answer, text)]
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: span[0] - span[1]):
        if all(end <= k_start or start >= k_end for k_start, k_end in kept):
            kept.append((start, end))
    for start, end in sorted(kept, reverse=True):
        answer = answer[:start] + QUOTE_OMITTED + answer[end:]
    return answer


def _common_prefix(a: str, b: str) -> int:
    size = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        size += 1
    return size


def _line_without_quote(line: str, markers: tuple[str, ...]) -> str:
    first, last = line.find('"'), line.rfind('"')
    if first < 0 or last <= first or not any(marker in line for marker in markers):
        return line
    return f"{line[: first + 1]}{QUOTE_OMITTED}{line[last:]}"


def _shown(answer: str, text: str) -> list[tuple[int, int]]:
    """Where `answer` shows `text` or a clipped beginning of it."""
    head = text[:MIN_QUOTE_CHARS]
    spans: list[tuple[int, int]] = []
    at = answer.find(head)
    while at >= 0:
        size = _common_prefix(text, answer[at : at + len(text)])
        if answer[at + size : at + size + 1] in ("…", '"', ""):
            spans.append((at, at + size))
        at = answer.find(head, at + 1)
    return spans


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 4)
