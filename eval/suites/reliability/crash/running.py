"""The run: ingest kills, the targeted crash, training kills and save-loop kills; the tables."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.report import SuiteReport, Table
from eval.suites.reliability.crash.ingest import Completion, IngestKill, ingest_chains, targeted_crash
from eval.suites.reliability.crash.processes import SIZES, WRITE_BATCH, Sizes, write_reviews
from eval.suites.reliability.crash.training import TrainingKill, save_loop_kills, training_kills


def run_part(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    sizes = SIZES.pick(quick)
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
