"""Background work for the REST API: one writer thread, jobs with progress, and idempotency keys.

- `Writer` runs every write to the workspace (review ingest) on one thread, in the order submitted, so
  concurrent requests never write chromadb at the same time (the review store's file lock also keeps other
  processes out).
- `JobStore` keeps jobs in `workspace/server.sqlite`, so `GET /v1/jobs/{id}` answers after a restart; a job
  that was queued or running when the server stopped reads `interrupted` (re-sending the ingest is safe:
  stored reviews with the same content are skipped).
- `IdempotencyStore` remembers the response to each `Idempotency-Key` (per API key, 24 hours), so a CRM that
  retries a POST gets the first response again instead of a second job.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")
JobStatus = Literal["queued", "running", "succeeded", "failed", "interrupted"]
IDEMPOTENCY_TTL_S = 24 * 3600
INTERRUPTED = "The server stopped before this job finished. Send the request again; stored reviews are skipped."
ReportProgress = Callable[[str, int, int | None], None]  # (stage, done, total)


class JobProgress(BaseModel):
    stage: str = Field("queued", description="What the job is doing now.")
    done: int = Field(0, description="Items finished in this stage.")
    total: int | None = Field(None, description="Items in this stage, when known.")


class Job(BaseModel):
    """A long request run in the background; poll `GET /v1/jobs/{id}` until `status` is final."""

    id: str
    kind: str
    status: JobStatus = "queued"
    progress: JobProgress = Field(default_factory=JobProgress)
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    result: dict[str, Any] | None = Field(None, description="The job's result once it succeeded.")
    error: str | None = Field(None, description="Why the job failed, when it did.")

    @property
    def final(self) -> bool:
        return self.status in ("succeeded", "failed", "interrupted")


def _now() -> datetime:
    return datetime.now(UTC)


@contextmanager
def connect_state(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection to the server's state file (WAL: readers never block the writer), closed after use; safe
    across threads and processes."""
    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        yield connection
    finally:
        connection.close()


class Writer:
    """One thread for every write to the workspace, in submission order."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="workspace-writer")

    def submit(self, work: Callable[[], T]) -> Future[T]:
        return self._pool.submit(work)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)


class JobStore:
    """Jobs in `server.sqlite`; the owner (an API key's name) is the only one who can read a job."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.runner = f"{socket.gethostname()}:{os.getpid()}"  # the process whose writer thread runs its jobs
        self._lock = threading.Lock()
        with connect_state(path) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL)"
                )
                columns = {row[1] for row in db.execute("PRAGMA table_info(jobs)")}
                if "runner" not in columns:  # a state file from before `serve --workers`
                    db.execute("ALTER TABLE jobs ADD COLUMN runner TEXT")
                # A job lives in its process's writer thread: one left unfinished by a process that is gone (a
                # stopped server, a worker that died) is interrupted. Jobs of live sibling workers, and of other
                # hosts (whose processes cannot be checked from here), are left alone.
                for job_id, body, runner in db.execute("SELECT id, body, runner FROM jobs").fetchall():
                    job = Job.model_validate_json(body)
                    if not job.final and not _alive(runner):
                        job.status, job.finished_at = "interrupted", _now()
                        job.error = INTERRUPTED
                        db.execute("UPDATE jobs SET body = ? WHERE id = ?", (job.model_dump_json(), job_id))
            finally:
                db.execute("COMMIT")

    def create(self, kind: str, owner: str) -> Job:
        job = Job(id=f"job_{uuid.uuid4().hex}", kind=kind, created_at=_now())
        with self._lock, connect_state(self.path) as db:
            db.execute(
                "INSERT INTO jobs (id, owner, body, runner) VALUES (?, ?, ?, ?)",
                (job.id, owner, job.model_dump_json(), self.runner),
            )
        return job

    def get(self, job_id: str, owner: str) -> Job | None:
        with connect_state(self.path) as db:
            row = db.execute("SELECT body FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)).fetchone()
        return Job.model_validate_json(row[0]) if row else None

    def update(self, job_id: str, **changes: Any) -> Job:
        with self._lock, connect_state(self.path) as db:
            (body,) = db.execute("SELECT body FROM jobs WHERE id = ?", (job_id,)).fetchone()
            job = Job.model_validate_json(body).model_copy(update=changes)
            db.execute("UPDATE jobs SET body = ? WHERE id = ?", (job.model_dump_json(), job_id))
        return job

    def run(self, job: Job, writer: Writer, work: Callable[[ReportProgress], BaseModel]) -> None:
        """Queue `work(progress)` on the writer; its result (or its error message) ends the job."""

        latest = JobProgress(stage="starting")

        def progress(stage: str, done: int, total: int | None) -> None:
            nonlocal latest
            latest = JobProgress(stage=stage, done=done, total=total)
            self.update(job.id, progress=latest)

        def run() -> None:
            self.update(job.id, status="running", started_at=_now(), progress=latest)
            try:
                result = work(progress)
            except Exception as exc:  # the job's reader gets the message; the server keeps running
                self.update(job.id, status="failed", finished_at=_now(), error=str(exc) or type(exc).__name__)
                return
            finished = JobProgress(stage="done", done=latest.total or latest.done, total=latest.total)
            self.update(
                job.id, status="succeeded", finished_at=_now(), result=result.model_dump(mode="json"), progress=finished
            )

        writer.submit(run)


def _alive(runner: str | None) -> bool:
    """Whether the process named `host:pid` may still be running: True for another host's (it cannot be checked
    from here), False for a missing runner (a job from before runners were recorded) or a pid that is gone."""
    if not runner or ":" not in runner:
        return False
    host, _, pid = runner.rpartition(":")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, PermissionError, ValueError):  # gone, someone else's pid now, or not a pid
        return False
    # This very process opening the store again (an app created anew, as tests do for a restart) starts over.
    return int(pid) != os.getpid()


class StoredResponse(BaseModel):
    status: int
    body: Any
    headers: dict[str, str] = Field(default_factory=dict)


class IdempotencyConflict(Exception):
    """The key is in use by a different request, or by the same request still in progress."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


class IdempotencyStore:
    """`Idempotency-Key` -> the first response, per owner, for 24 hours (IETF draft-ietf-httpapi-idempotency-key)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with connect_state(path) as db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS idempotency (owner TEXT NOT NULL, key TEXT NOT NULL, "
                "fingerprint TEXT NOT NULL, response TEXT, created REAL NOT NULL, PRIMARY KEY (owner, key))"
            )

    @staticmethod
    def fingerprint(*parts: bytes) -> str:
        digest = hashlib.sha256()
        for part in parts:
            digest.update(len(part).to_bytes(8, "big") + part)
        return digest.hexdigest()

    def begin(self, owner: str, key: str, fingerprint: str) -> StoredResponse | None:
        """The stored response to replay, or None when this request is the first with `key` (now reserved)."""
        now = time.time()
        with connect_state(self.path) as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                db.execute("DELETE FROM idempotency WHERE created < ?", (now - IDEMPOTENCY_TTL_S,))
                row = db.execute(
                    "SELECT fingerprint, response FROM idempotency WHERE owner = ? AND key = ?", (owner, key)
                ).fetchone()
                if row is None:
                    db.execute("INSERT INTO idempotency VALUES (?, ?, ?, NULL, ?)", (owner, key, fingerprint, now))
                    return None
            finally:
                db.execute("COMMIT")
        stored_fingerprint, response = row
        if stored_fingerprint != fingerprint:
            raise IdempotencyConflict(
                422, "This Idempotency-Key was already used for a different request; use a new key for a new request."
            )
        if response is None:
            raise IdempotencyConflict(
                409, "A request with this Idempotency-Key is still being processed; retry after it finishes."
            )
        return StoredResponse.model_validate_json(response)

    def finish(self, owner: str, key: str, response: StoredResponse) -> None:
        with connect_state(self.path) as db:
            db.execute(
                "UPDATE idempotency SET response = ? WHERE owner = ? AND key = ?",
                (response.model_dump_json(), owner, key),
            )

    def release(self, owner: str, key: str) -> None:
        """Forget a reservation whose request failed on our side, so a retry runs again."""
        with connect_state(self.path) as db:
            db.execute("DELETE FROM idempotency WHERE owner = ? AND key = ? AND response IS NULL", (owner, key))
