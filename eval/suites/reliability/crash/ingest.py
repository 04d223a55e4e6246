"""1. Kills during ingest: calibrated random kills in chains on one workspace, the store inspected after each;
2. the targeted crash right after a committed batch."""

from __future__ import annotations

import csv
import json
import math
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.suites.reliability.crash.processes import (
    INGEST_WORKER,
    SEED,
    WRITE_BATCH,
    Run,
    Sizes,
    python_command,
    run_and_kill,
)


@dataclass
class Timeline:
    """What an ingest run takes, learned from the runs so far: start-up (to the first ACK, less a batch), a batch,
    and the tail after the last ACK (the sentiment retrain, the mirror snapshot)."""

    startup: float = 10.0
    batch: float = 3.0
    tail: float = 3.0

    def expected(self, rows: int) -> float:
        return self.startup + math.ceil(rows / WRITE_BATCH) * self.batch + self.tail

    def learn(self, run: Run) -> None:
        times = [t for t, line in run.acks if line.startswith("ACK")]
        if len(times) >= 2:
            self.batch = (times[-1] - times[0]) / (len(times) - 1)
        if times:
            self.startup = max(1.0, times[0] - self.batch)
        if times and not run.killed:
            self.tail = max(0.5, run.seconds - times[-1])

    def phase(self, run: Run) -> str:
        acks = [t for t, line in run.acks if line.startswith("ACK")]
        if run.killed_at is None:
            return "finished"
        if not acks:
            return "start-up / first batch"
        if any(line.startswith("DONE") for _, line in run.acks):
            return "after the ingest"
        total = int(run.acks[-1][1].split()[2]) if run.acks[-1][1].startswith("ACK") else 0
        done = int(run.acks[-1][1].split()[1]) if run.acks[-1][1].startswith("ACK") else 0
        return "sentiment retrain / mirror save" if total and done >= total else f"batch {len(acks) + 1}"


@dataclass
class StoreState:
    """What a user finds when opening the store."""

    opens: bool
    count: int = 0
    unique_ids: int = 0
    mirror_agrees: bool = False
    error: str = ""
    sentiment_reviews: int | None = None


def inspect_store(workspace: Path, scratch: Path) -> StoreState:
    """Open a copy of `workspace` in this process (so the next run can keep writing the original) and check it."""
    copy = scratch / f"inspect-{time.monotonic_ns()}"
    shutil.copytree(workspace, copy)
    try:
        return _inspect(copy)
    finally:
        _release(copy)
        shutil.rmtree(copy, ignore_errors=True)


def _inspect(workspace: Path) -> StoreState:
    from core.workspace import Workspace
    from tools.review_store import ReviewStore

    store = ReviewStore(Workspace.open(workspace))
    try:
        collection = store.collection()
        count = collection.count()
        ids = _all_ids(collection, count)
        mirror = store.index()
        truth = store.read_index(collection, -1)  # the reference the mirror must equal
        state = StoreState(True, count, len(set(ids)), _same_rows(mirror, truth))
    except Exception as exc:  # the store does not open: the finding
        return StoreState(False, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    state.sentiment_reviews = sentiment_reviews(workspace)
    return state


def inspect_live_store(workspace: Path) -> StoreState:
    """Check `workspace` in place, with a fresh store object (as a new process would open it). For stores on a
    Chroma server, which a copy of the workspace would still share."""
    return _inspect(workspace)


def _all_ids(collection: Any, count: int) -> list[str]:
    ids: list[str] = []
    for offset in range(0, count, 5000):
        ids += collection.get(limit=5000, offset=offset, include=[])["ids"]
    return ids


def _same_rows(mirror: Any, truth: Any) -> bool:
    """The mirror holds exactly chromadb's rows, with the same filter fields and (near-)equal vectors."""
    if len(mirror) != len(truth) or set(mirror.ids.tolist()) != set(truth.ids.tolist()):
        return False
    order_m, order_t = mirror.ids.argsort(), truth.ids.argsort()
    for name in ("product_ids", "ratings", "categories", "dates"):
        if not (getattr(mirror, name)[order_m] == getattr(truth, name)[order_t]).all():
            return False
    diff = abs(mirror.vectors[order_m] - truth.vectors[order_t]).max() if len(truth) else 0.0
    return bool(diff < 1e-4)


def sentiment_reviews(workspace: Path) -> int | None:
    try:
        manifest = json.loads((workspace / "models" / "sentiment" / "manifest.json").read_text())
        return int(manifest["metrics"]["train_reviews"])
    except (OSError, KeyError, ValueError):
        return None


def _release(copy: Path) -> None:
    """Stop chromadb's system for a copy that was inspected (its client stays cached under a path never used
    again; other stores in this process are left alone)."""
    from chromadb.api.shared_system_client import SharedSystemClient

    systems = SharedSystemClient._identifier_to_system  # chromadb keeps no public handle on them
    for identifier in [i for i in systems if str(copy) in i]:
        systems.pop(identifier).stop()


@dataclass
class IngestKill:
    chain: int
    run: Run
    phase: str
    before: int
    acked: int
    state: StoreState

    @property
    def lost(self) -> int:
        """Acknowledged rows missing from the store."""
        return max(0, self.before + self.acked - self.state.count)

    @property
    def passed(self) -> bool:
        extra = self.state.count - self.before - self.acked
        sound = self.state.opens and self.state.unique_ids == self.state.count and self.state.mirror_agrees
        return sound and self.lost == 0 and 0 <= extra <= WRITE_BATCH

    def row(self) -> list[str | int | float | None]:
        s = self.state
        return [self.chain, round(self.run.killed_at or 0.0, 1), self.phase, self.before, self.acked, s.count,
                s.count - self.before - self.acked, s.unique_ids, "yes" if s.mirror_agrees else "NO",
                "yes" if self.passed else "NO", s.error]  # fmt: skip


@dataclass
class Completion:
    """A chain's last run, to completion, and a re-run after it."""

    chain: int
    state: StoreState
    added_on_rerun: int | None
    seconds: float
    reviews: int
    sentiment_expected: int | None  # what an ingest never killed trains the sentiment model on

    @property
    def sentiment_current(self) -> bool:
        return self.state.sentiment_reviews == self.sentiment_expected

    @property
    def passed(self) -> bool:
        s = self.state
        whole = s.opens and s.count == self.reviews and s.unique_ids == self.reviews and s.mirror_agrees
        return whole and self.added_on_rerun == 0

    def row(self) -> list[str | int | float | None]:
        s = self.state
        return [self.chain, s.count, s.unique_ids, "yes" if s.mirror_agrees else "NO", self.added_on_rerun,
                f"{s.sentiment_reviews} of {self.sentiment_expected}", round(self.seconds, 1),
                "yes" if self.passed else "NO"]  # fmt: skip


def calibrate(scratch: Path, reviews: Path, console: Console) -> tuple[Timeline, float | None]:
    """One ingest never killed, on its own workspace: how long each phase takes (the kill times are drawn from it),
    and how long a clean ingest takes."""
    timeline = Timeline()
    with console.status("Ingesting once without a kill (the reference)"):
        run = run_and_kill(python_command(INGEST_WORKER, reviews, scratch / "reference"), None)
    if run.returncode != 0:
        raise RuntimeError(f"the reference ingest failed: {run.stderr[-500:]}")
    timeline.learn(run)
    return timeline, run.seconds


def rated_reviews(reviews: Path) -> int:
    """How many reviews the sentiment model trains on after a complete ingest (3-star ones are left out)."""
    with reviews.open(encoding="utf-8", newline="") as handle:
        return sum(1 for row in csv.DictReader(handle) if row["rating"] != "3")


def ingest_chains(
    scratch: Path, reviews: Path, sizes: Sizes, console: Console
) -> tuple[list[IngestKill], list[Completion], float | None]:
    """Workspaces ingested under up to `sizes.kills_per_chain` kills each and then to completion, until
    `sizes.kills` kills have happened (a run that finishes before its kill time ends its chain early); and the
    reference ingest's seconds (full runs: --quick learns the timing from the chains' own runs)."""
    rng = random.Random(SEED)
    timeline, reference_seconds = calibrate(scratch, reviews, console) if sizes.reference else (Timeline(), None)
    rated = rated_reviews(reviews)
    killed: list[IngestKill] = []
    completed: list[Completion] = []
    chain = 0
    while len(killed) < sizes.kills:
        chain += 1
        workspace = scratch / f"ingest-{chain}"
        before = 0
        for _ in range(min(sizes.kills_per_chain, sizes.kills - len(killed))):
            with console.status(f"Ingest chain {chain}: kill {len(killed) + 1} of {sizes.kills}"):
                kill = _one_kill(workspace, reviews, scratch, chain, before, timeline, rng, sizes.reviews)
            if kill is None:  # it finished before the kill time came: the chain is complete
                break
            killed.append(kill)
            before = kill.state.count
        with console.status(f"Ingest chain {chain}: completing"):
            completion = _complete(workspace, reviews, scratch, chain, sizes.reviews, timeline)
        completion.sentiment_expected = rated
        completed.append(completion)
    return killed, completed, reference_seconds


def _one_kill(
    workspace: Path,
    reviews: Path,
    scratch: Path,
    chain: int,
    before: int,
    timeline: Timeline,
    rng: random.Random,
    n_reviews: int,
) -> IngestKill | None:
    kill_after = rng.uniform(0.2, timeline.expected(n_reviews - before))
    run = run_and_kill(python_command(INGEST_WORKER, reviews, workspace), kill_after)
    timeline.learn(run)
    if not run.killed:
        return None
    acked = max((int(line.split()[1]) for _, line in run.acks if line.startswith("ACK")), default=0)
    state = (
        inspect_store(workspace, scratch) if (workspace / "chroma").exists() else StoreState(True, mirror_agrees=True)
    )
    return IngestKill(chain, run, timeline.phase(run), before, acked, state)


def _complete(
    workspace: Path, reviews: Path, scratch: Path, chain: int, n_reviews: int, timeline: Timeline
) -> Completion:
    started = time.monotonic()
    run = run_and_kill(python_command(INGEST_WORKER, reviews, workspace), None)
    timeline.learn(run)
    seconds = time.monotonic() - started
    again = run_and_kill(python_command(INGEST_WORKER, reviews, workspace), None)
    done = [line for _, line in again.acks if line.startswith("DONE")]
    added = int(done[0].split()[1]) if done else None
    return Completion(chain, inspect_store(workspace, scratch), added, seconds, n_reviews, None)


# ---- 2. the targeted crash ------------------------------------------------------------------------------------


def targeted_crash(scratch: Path, reviews: Path, console: Console) -> dict[str, Any]:
    """Ingest half the reviews, then the other half, which crashes right after its first batch is committed to
    chromadb (before the store does anything else); reopen; resume; check the mirror against chromadb each time."""
    from tools.review_data import read_review_file

    workspace = scratch / "targeted"
    rows = read_review_file(reviews).rows[:1200]
    half = len(rows) // 2
    with console.status("Targeted crash: after a committed batch"):
        _ingest_rows(workspace, rows[:half])
        crashed = _ingest_rows(workspace, rows[half:], crash_after_upsert=True)
        after_crash = inspect_store(workspace, scratch)
        _ingest_rows(workspace, rows[half:])
        after_resume = inspect_store(workspace, scratch)
    return {"crashed": crashed, "after_crash": after_crash, "after_resume": after_resume, "half": half}


class _Crash(BaseException):
    """Stands in for the process dying (not an Exception: nothing on the way may handle it)."""


def _ingest_rows(workspace: Path, rows: list[Any], *, crash_after_upsert: bool = False) -> bool:
    """Ingest `rows` with a fresh store object (as a new process would); True if the simulated crash happened."""
    from core.workspace import Workspace
    from tools.review_data import ParsedReviews
    from tools.review_store import ReviewStore

    store = ReviewStore(Workspace.open(workspace))
    if crash_after_upsert:
        collection = store.collection(create=True)
        real = collection.upsert

        def upsert_then_die(**kwargs: Any) -> None:
            real(**kwargs)
            raise _Crash

        collection.upsert = upsert_then_die  # type: ignore[method-assign,assignment]
    try:
        store.ingest(ParsedReviews(source="rows", rows=list(rows), total_rows=len(rows)), progress=False)
    except _Crash:
        return True
    return False
