"""Synthetic reviews to ingest, and the killable child processes that acknowledge their progress (`ACK <done>
<total>` after each committed batch or save)."""

from __future__ import annotations

import csv
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.modes import ByMode

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


SIZES = ByMode(
    quick=Sizes(600, kills=3, kills_per_chain=3, training_kills=1, save_loop_kills=1, train_minutes=0.05),
    full=Sizes(5000, kills=20, kills_per_chain=4, training_kills=7, save_loop_kills=6, train_minutes=0.15),
)


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
        env={**os.environ, **(env or {}), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"},
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
