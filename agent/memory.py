"""Conversation memory in the workspace's sqlite file (`sessions.sqlite`), and the audit trail (`audit.jsonl`).

Memory keeps, per session, each turn's redacted request, the plan's calls (arguments only, never results)
and the answer, so a follow-up ("and for next quarter?") can re-plan from the previous turn, in this process
or the next. Every connection is opened per operation (sqlite serialises writers; WAL lets readers go on).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from agent.types import Plan
from local_models.errors import MarketingAgentError

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

    def record(self, session_id: str, request: str, plan: Plan, answer: str) -> None:
        """Append a turn. `plan` is stored without results (they can be large and hold review text)."""
        kept = plan.model_copy(
            update={
                "calls": [c.model_copy(update={"result": None}) for c in plan.calls],
                "pending": [c.model_copy(update={"result": None}) for c in plan.pending],
            }
        )
        with self._connect() as db:
            db.execute(
                "INSERT INTO turns (session_id, turn, at, request, plan, answer) VALUES "
                "(?, (SELECT COALESCE(MAX(turn), 0) + 1 FROM turns WHERE session_id = ?), ?, ?, ?, ?)",
                (session_id, session_id, _now(), request, kept.model_dump_json(), answer),
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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def elapsed(start: float) -> float:
    return round(time.perf_counter() - start, 4)
