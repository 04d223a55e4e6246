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

Modules: `processes` (synthetic reviews, killable child processes, the sizes), `ingest` (1 and 2), `training` (3)
and `running`.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """The part's entry (imported on first use)."""
    from eval.suites.reliability.crash.running import run_part

    run_part(report, quick, scratch, console)
