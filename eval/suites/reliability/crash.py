"""Reliability: crash safety (`marketing-agent eval reliability`, issue 8 part 4).

`kill -9` at random points while the workspace is being written, then check what a user would find:

1. Ingest. A subprocess ingests 5,000 synthetic reviews (`ingest_reviews(FILE, on_progress=...)`, printing
   `ACK <done> <total>` after each committed batch, flushed: those are the acknowledged writes) and is killed at a
   time drawn uniformly over its expected run (start-up, embedding batches, the sentiment retrain at the end),
   estimated from the runs before it. After each kill a copy of the workspace is opened in this process: the store
   opens, `count()` is at least the rows committed before plus the acknowledged ones (at most one batch more: a
   batch committed in the instant before its ACK was printed), ids are unique, and the filter mirror (what
   filtered searches read) agrees with chromadb row for row. Kills come in chains on one workspace (each run
   resumes the last); a chain ends with an ingest run to completion: exactly 5,000 reviews, 5,000 unique ids, the
   mirror in agreement, and re-running the ingest adds nothing.
2. A targeted crash (in process): a batch is committed to chromadb and the process dies before anything else, the
   one instant a random kill rarely hits; the mirror must not be trusted afterwards.
3. Training. `marketing-agent train-forecaster` and `marketing-agent segment FILE` (short time budgets) on a copy
   of the demo workspace, which already holds a checkpoint, are killed at random times over their run; afterwards
   the checkpoint loads and is either the old one or a complete new one (never a corrupt one; none is allowed but
   reported). Then a loop that does nothing but save checkpoints (8 MB each) is killed at random: the checkpoint
   that loads is the last one acknowledged or the one after it.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.report import SuiteReport, Table

SEED = 20261129
WRITE_BATCH = 512  # tools.review_store.WRITE_BATCH: rows per committed batch
PRODUCTS = 60
WORDS = (
    "fit", "colour", "fabric", "stitching", "zipper", "pocket", "sleeve", "collar", "waist", "length", "hem", "lining",
    "seam", "button", "strap", "sole", "heel", "battery", "screen", "sound", "bass", "charger", "cable", "case",
    "handle", "lid", "blade", "grip", "scent", "texture", "foam", "bottle", "cap",
)  # fmt: skip
OPINIONS = (
    "love the {a}, it feels {q}",
    "the {a} broke after {n} weeks",
    "the {a} is {q} but the {b} is not",
    "would buy again for the {a} alone",
    "returned it: the {a} was {q}",
    "{q} {a}, {q} {b}, fair price",
)
QUALITIES = (
    "great", "poor", "sturdy", "flimsy", "soft", "rough", "bright", "dull", "comfortable", "tight", "loose",
    "perfect", "awful", "fine",
)  # fmt: skip

INGEST_WORKER = """
import sys
from tools.reviews import ingest_reviews
def ack(done, total):
    print(f"ACK {done} {total}", flush=True)
report = ingest_reviews(sys.argv[1], workspace=sys.argv[2], progress=False, on_progress=ack)
print(f"DONE {report.added} {report.unchanged}", flush=True)
"""

SAVE_LOOP_WORKER = """
import sys
from pathlib import Path
import numpy as np
from local_models.checkpoint import save_checkpoint
folder = Path(sys.argv[1])
weights = np.random.default_rng(0).standard_normal(2_000_000).astype(np.float32)  # 8 MB
for version in range(1, 100_000):
    save_checkpoint(folder, kind="stress", format_version=1, manifest={"version": version}, arrays={"w": weights})
    print(f"SAVED {version}", flush=True)
"""


# ---- synthetic reviews --------------------------------------------------------------------------------------


def write_reviews(path: Path, n: int, seed: int = SEED) -> Path:
    """`n` synthetic reviews with unique ids, 2-4 sentences each (about as long as real ones)."""
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["review_id", "product_id", "rating", "title", "text", "date"])
        for i in range(n):
            sentences = [_sentence(rng) for _ in range(rng.randint(2, 4))]
            day = f"2025-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            title = _sentence(rng).split(",")[0].capitalize()
            writer.writerow([f"S{i:05d}", f"P{rng.randrange(PRODUCTS):03d}", rng.randint(1, 5), title,
                             ". ".join(sentences) + ".", day])  # fmt: skip
    return path


def _sentence(rng: random.Random) -> str:
    a, b = rng.sample(WORDS, 2)
    text = rng.choice(OPINIONS).format(a=a, b=b, q=rng.choice(QUALITIES), n=rng.randint(2, 9))
    return text[0].upper() + text[1:]


# ---- a killable subprocess that acknowledges its progress -------------------------------------------------


@dataclass
class Run:
    """One subprocess run: the lines it acknowledged (with their times), how it ended, when it was killed."""

    acks: list[tuple[float, str]] = field(default_factory=list)
    killed_at: float | None = None
    seconds: float = 0.0
    returncode: int | None = None
    stderr: str = ""

    @property
    def killed(self) -> bool:
        return self.killed_at is not None and self.returncode == -signal.SIGKILL


def run_and_kill(
    command: Sequence[str],
    kill_after: float | None,
    *,
    after_lines: int | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Start `command` in its own process group, collect its stdout lines with their times, and `kill -9` the group
    `kill_after` seconds after the start (None: let it finish), or as soon as it has printed `after_lines` lines."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
    )
    run = Run()
    errors: list[str] = []
    readers = [
        threading.Thread(target=_collect, args=(process.stdout, run.acks, started), daemon=True),
        threading.Thread(target=_drain, args=(process.stderr, errors), daemon=True),
    ]
    for reader in readers:
        reader.start()
    if _wait_or_kill(process, started, kill_after, after_lines, run.acks):
        run.killed_at = time.monotonic() - started
    for reader in readers:
        reader.join(5)
    run.returncode, run.seconds, run.stderr = process.returncode, time.monotonic() - started, "".join(errors)
    return run


def _wait_or_kill(
    process: subprocess.Popen[str],
    started: float,
    kill_after: float | None,
    after_lines: int | None,
    lines: list[tuple[float, str]],
) -> bool:
    """Wait for `process` to end, or kill its group at the time or line count; True if it was killed."""
    while process.poll() is None:
        late = kill_after is not None and time.monotonic() - started >= kill_after
        if late or (after_lines is not None and len(lines) >= after_lines):
            os.killpg(process.pid, signal.SIGKILL)  # our own child's group, by its id
            process.wait()
            return True
        time.sleep(0.01)
    return False


def _collect(stream: Any, lines: list[tuple[float, str]], started: float) -> None:
    for line in stream:
        lines.append((time.monotonic() - started, line.strip()))


def _drain(stream: Any, sink: list[str]) -> None:
    sink.append(stream.read()[-4000:])


def python_command(code: str, *arguments: object) -> list[str]:
    return [sys.executable, "-c", code, *(str(a) for a in arguments)]


def cli_command(*arguments: object) -> list[str]:
    """`marketing-agent ...` as `python -m agent.cli ...` (the same entry point, from this interpreter's tree)."""
    return [sys.executable, "-m", "agent.cli", *(str(a) for a in arguments)]


# ---- 1. ingest -------------------------------------------------------------------------------------------------


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
        truth = store._rebuild_index(collection, -1)  # the reference the mirror must equal
        state = StoreState(True, count, len(set(ids)), _same_rows(mirror, truth))
    except Exception as exc:  # the store does not open: the finding
        return StoreState(False, error=f"{type(exc).__name__}: {str(exc)[:200]}")
    state.sentiment_reviews = _sentiment_reviews(workspace)
    return state


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


def _sentiment_reviews(workspace: Path) -> int | None:
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


# ---- 3. training and checkpoints ------------------------------------------------------------------------------


@dataclass
class TrainingKill:
    model: str
    run: Run
    outcome: str  # old | new | none | corrupt
    detail: str = ""
    stray: int = 0  # temporary folders left beside the checkpoint

    @property
    def passed(self) -> bool:
        return self.outcome in ("old", "new", "none")

    def row(self) -> list[str | int | float | None]:
        killed = round(self.run.killed_at, 1) if self.run.killed_at is not None else None
        return [self.model, killed, "killed" if self.run.killed else "finished", self.outcome, self.stray,
                "yes" if self.passed else "NO", self.detail]  # fmt: skip


TRAINERS: dict[str, tuple[str, Callable[[Path, float], list[str]]]] = {
    "forecaster": (
        "forecaster",
        lambda ws, minutes: cli_command(
            "train-forecaster", ws / "data" / "sales.csv", "--workspace", ws, "--minutes", minutes, "--horizon", 8
        ),
    ),
    "segmenter": (
        "segmenter",
        lambda ws, minutes: cli_command(
            "segment", ws / "data" / "transactions.csv", "--workspace", ws, "--minutes", minutes
        ),
    ),
}


def checkpoint_signature(folder: Path, model: str) -> str:
    """What identifies a saved checkpoint: loads it fully (raising if it cannot) and returns its save time and
    metrics."""
    if model == "forecaster":
        from local_models.forecaster.train import load_forecaster

        _, manifest, _ = load_forecaster(folder)
    elif model == "segmenter":
        from local_models.segmenter.train import load_segmenter

        _, manifest, _ = load_segmenter(folder)
    else:
        from local_models.checkpoint import load_checkpoint

        manifest = load_checkpoint(folder, kind="stress", format_versions=[1]).manifest
    return json.dumps({k: manifest.get(k) for k in ("saved_at", "metrics", "version")}, sort_keys=True, default=str)


def classify_checkpoint(folder: Path, model: str, old: str | None) -> tuple[str, str]:
    from core.errors import CheckpointError

    try:
        signature = checkpoint_signature(folder, model)
    except CheckpointError as exc:
        missing = str(exc).startswith("No ")
        return ("none" if missing else "corrupt"), str(exc)[:160]
    except Exception as exc:  # anything else from a half-written checkpoint
        return "corrupt", f"{type(exc).__name__}: {str(exc)[:160]}"
    return ("old" if signature == old else "new"), ""


def training_kills(scratch: Path, data: Path, kills: int, minutes: float, console: Console) -> list[TrainingKill]:
    """Each model trained once unkilled (its checkpoint is the "old" one, its time the span kills are drawn from),
    then killed `kills` times."""
    rng = random.Random(SEED + 1)
    results: list[TrainingKill] = []
    for model, (folder_name, command) in TRAINERS.items():
        workspace = scratch / f"train-{model}"
        shutil.copytree(data, workspace / "data")
        folder = workspace / "models" / folder_name
        with console.status(f"Training the {model} once, unkilled (to time it)"):
            full = run_and_kill(command(workspace, minutes), None)
        if full.returncode != 0:
            raise RuntimeError(f"training the {model} failed: {full.stderr[-500:]}")
        expected = full.seconds
        for i in range(kills):
            old = checkpoint_signature(folder, model)
            with console.status(f"Killing {model} training ({i + 1}/{kills})"):
                run = run_and_kill(command(workspace, minutes), rng.uniform(0.5, expected))
            outcome, detail = classify_checkpoint(folder, model, old)
            results.append(TrainingKill(model, run, outcome, detail, _stray(folder)))
            if outcome in ("none", "corrupt"):  # the next run needs a checkpoint to compare with
                run_and_kill(command(workspace, minutes), None)
    return results


def save_loop_kills(scratch: Path, kills: int, console: Console) -> list[TrainingKill]:
    """A loop that only saves checkpoints, killed at random: the one that loads is the last acknowledged or the
    next one."""
    rng = random.Random(SEED + 2)
    results = []
    folder = scratch / "stress" / "checkpoint"
    for i in range(kills):
        with console.status(f"Killing a checkpoint save loop ({i + 1}/{kills})"):
            run = run_and_kill(python_command(SAVE_LOOP_WORKER, folder), rng.uniform(2.0, 6.0))
        saved = max((int(line.split()[1]) for _, line in run.acks if line.startswith("SAVED")), default=0)
        outcome, detail = classify_checkpoint(folder, "stress", None)
        if outcome == "new":
            version = json.loads(checkpoint_signature(folder, "stress"))["version"]
            outcome = "new" if version in (saved, saved + 1) else "corrupt"
            detail = f"acknowledged {saved}, loaded {version}"
        results.append(TrainingKill("checkpoint save loop", run, outcome, detail, _stray(folder)))
    return results


def _stray(folder: Path) -> int:
    return sum(1 for p in folder.parent.glob(f".{folder.name}.*"))


# ---- the suite -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """--quick: 600 reviews (two batches), 3 ingest kills, 3 training kills; full: 5,000 reviews, 20 ingest kills
    (up to 4 per chain) after a reference ingest, 20 training kills (7 + 7 + 6 in the save loop)."""

    reviews: int
    kills: int
    kills_per_chain: int
    training_kills: int  # per model
    save_loop_kills: int
    train_minutes: float

    @property
    def reference(self) -> bool:
        return self.reviews > 1000

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(600, kills=3, kills_per_chain=3, training_kills=1, save_loop_kills=1, train_minutes=0.05)
        return cls(5000, kills=20, kills_per_chain=4, training_kills=7, save_loop_kills=6, train_minutes=0.15)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    sizes = Sizes.for_mode(quick)
    clock = time.perf_counter()
    reviews = write_reviews(scratch / "reviews.csv", sizes.reviews)
    killed, completed, reference_s = ingest_chains(scratch, reviews, sizes, console)
    _ingest_tables(report, killed, completed, sizes, reference_s)
    _targeted_table(report, targeted_crash(scratch, reviews, console))
    seconds = {"ingest": time.perf_counter() - clock}
    clock = time.perf_counter()
    trained = training_kills(scratch, _demo_data(scratch), sizes.training_kills, sizes.train_minutes, console)
    trained += save_loop_kills(scratch, sizes.save_loop_kills, console)
    _training_table(report, trained, sizes)
    seconds["training"] = time.perf_counter() - clock
    report.notes += [*NOTES, "Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + "."]


NOTES = [
    "Subprocesses run this interpreter (`python -c` for the ingest and the save loop, `python -m agent.cli` for "
    "`marketing-agent train-forecaster` and `segment`), each in its own process group, killed with SIGKILL.",
    "After a kill the workspace is copied and the copy opened in this process, so the next run resumes the "
    "original untouched.",
]


def _demo_data(scratch: Path) -> Path:
    """The demo store's sales and transactions (no reviews needed): what the training commands read."""
    from agent.demo.generator import generate_demo_data

    folder = scratch / "demo-data"
    generate_demo_data(folder, n_reviews=50, n_customers=150, progress=False)
    return folder


def _ingest_tables(
    report: SuiteReport, killed: list[IngestKill], completed: list[Completion], sizes: Sizes, reference_s: float | None
) -> None:
    report.tables.append(
        Table(
            title=f"Ingest of {sizes.reviews:,} reviews killed with SIGKILL",
            columns=[
                "chain",
                "killed at s",
                "phase",
                "stored before",
                "acknowledged",
                "count",
                "committed unacked",
                "unique ids",
                "mirror agrees",
                "pass",
                "error",
            ],
            rows=[k.row() for k in killed],
            note=(
                "Acknowledged: rows of batches whose ACK line (printed after the batch committed) reached us. "
                f"'committed unacked' may be 0 or one batch ({WRITE_BATCH}): a batch that committed in the instant "
                "before its ACK. Pass: the store opens, no acknowledged row is lost, ids are unique, the filter "
                "mirror equals chromadb."
            ),
        )
    )
    report.tables.append(
        Table(
            title="Each chain resumed to completion, then re-run",
            columns=[
                "chain",
                "count",
                "unique ids",
                "mirror agrees",
                "added by a re-run",
                "sentiment trained on",
                "seconds",
                "pass",
            ],
            rows=[c.row() for c in completed],
            note=(
                (f"The reference ingest, never killed, took {reference_s:.0f} s. " if reference_s else "")
                + "'sentiment trained on': the rated reviews (3-star ones are left out) the sentiment model was last "
                "trained on, of those in the store."
            ),
        )
    )
    phases = Counter(k.phase.split(" ")[0] for k in killed)
    report.notes.append("Ingest kills by phase: " + ", ".join(f"{k} {v}" for k, v in sorted(phases.items())) + ".")
    report.target("ingest kills: store sound, no acknowledged write lost (share)", _share(killed), at_least=1.0)
    report.target("ingest kills: acknowledged rows lost", float(sum(k.lost for k in killed)), at_most=0)
    whole = _share(completed)
    report.target(
        f"resumed ingests: exactly {sizes.reviews:,} unique reviews, mirror agrees (share)", whole, at_least=1
    )
    current = sum(c.sentiment_current for c in completed) / len(completed) if completed else None
    report.target("resumed ingests: sentiment model trained on every review (share)", current, at_least=1.0)


def _targeted_table(report: SuiteReport, result: dict[str, Any]) -> None:
    rows = [
        ["after the crash", result["after_crash"].count, "yes" if result["after_crash"].mirror_agrees else "NO"],
        ["after resuming", result["after_resume"].count, "yes" if result["after_resume"].mirror_agrees else "NO"],
    ]
    report.tables.append(
        Table(
            title="Targeted crash: a batch committed to chromadb, then the process dies",
            columns=["when", "count", "mirror agrees"],
            rows=rows,
            note=f"{result['half']:,} reviews stored, then {result['half']:,} more whose first batch commits just "
            "before a simulated crash."
            + ("" if result["crashed"] else " (The simulated crash did not happen: check the suite.)"),
        )
    )
    agrees = result["after_crash"].mirror_agrees and result["after_resume"].mirror_agrees
    report.target("targeted crash: mirror agrees with chromadb afterwards", float(agrees), at_least=1.0)


def _training_table(report: SuiteReport, trained: list[TrainingKill], sizes: Sizes) -> None:
    report.tables.append(
        Table(
            title="Training and checkpoint saves killed with SIGKILL",
            columns=["model", "killed at s", "run", "checkpoint after", "stray temp folders", "pass", "detail"],
            rows=[t.row() for t in trained],
            note=(
                f"Training budget {sizes.train_minutes:g} min on the demo data; kill times drawn uniformly over an "
                "unkilled run's duration. 'old': the checkpoint from before, intact; 'new': a complete new one; "
                "'none': no checkpoint loads (allowed, reported); 'corrupt': one that fails to load or is not the "
                "last acknowledged save (or the next)."
            ),
        )
    )
    outcomes = Counter(t.outcome for t in trained if t.run.killed)
    report.notes.append("Checkpoints after a kill: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) + ".")
    report.target("training kills: a checkpoint never half-written (share)", _share(trained), at_least=1.0)


def _share(items: Sequence[Any]) -> float | None:
    return sum(1 for i in items if i.passed) / len(items) if items else None
