"""The batch jobs single-process vs Ray (1 and 2 workers) on this machine.

1. A demo workspace is built under the scratch folder.
2. Each job runs as a user runs it, `marketing-agent batch JOB --json` in a fresh process: once single-process
   (`--no-ray`), then against a Ray head on 127.0.0.1 with `--workers 1` and `--workers 2`. The report's own
   seconds (planning to output written: Ray's connection, worker start-up and model loading included) give the
   throughput; every Ray output is compared with the single-process one (equal tables; review vectors by their
   top-10 neighbours).
3. Each item's warm cost: the single-process path run twice in this process (models loaded by the first), the
   second timed. docs/scale.md extrapolates from these.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console

from eval.demo import DemoSize, demo_workspace
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.suites.scale.ray_head import ray_environment, ray_head

JOBS = ("forecast", "recommend", "score-customers", "embed-reviews")
UNITS = {"forecast": "series", "recommend": "customers", "score-customers": "customers", "embed-reviews": "reviews"}
WORKER_COUNTS = (1, 2)


@dataclass(frozen=True)
class Sizes:
    demo: DemoSize
    chunk_size: dict[str, int]  # small enough for 8+ chunks: two workers have something to share


SIZES = ByMode(
    quick=Sizes(
        DemoSize(800, 200, 20, 15, 10), {"forecast": 5, "recommend": 25, "score-customers": 25, "embed-reviews": 100}
    ),
    full=Sizes(
        DemoSize(5000, 3000, 30, 15, 15),
        {"forecast": 5, "recommend": 250, "score-customers": 250, "embed-reviews": 256},
    ),
)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    workspace = demo_workspace(scratch / "demo", console, sizes.demo)
    outputs = scratch / "outputs"
    env = ray_environment()
    runs: dict[tuple[str, str], dict[str, object]] = {}
    for job in JOBS:
        with console.status(f"{job}: single process"):
            runs[job, "single"] = _cli(job, workspace, outputs / f"{job}-single.parquet", sizes, env, [])
    with ray_head(2, env) as address:
        for workers in WORKER_COUNTS:
            for job in JOBS:
                with console.status(f"{job}: Ray, {workers} worker(s)"):
                    extra = ["--ray", address, "--workers", str(workers)]
                    out = outputs / f"{job}-ray{workers}.parquet"
                    runs[job, f"ray{workers}"] = _cli(job, workspace, out, sizes, env, extra)
    _throughput_table(report, runs, outputs)
    with console.status("Warm per-item costs in one process"):
        _cost_table(report, workspace, sizes)
    report.notes.append(
        f"{os.cpu_count()} cores: the single-process path uses both (torch threads), each Ray worker one; so two "
        "workers can at best match it here, and Ray pays its start-up, worker start-up and a model load per worker "
        "on top. Ray's gain is more machines, not more speed on one."
    )


def _cli(
    job: str, workspace: Path, out: Path, sizes: Sizes, env: dict[str, str], extra: list[str]
) -> dict[str, object]:
    command = [sys.executable, "-m", "agent.cli", "batch", job, "--workspace", str(workspace), "--out", str(out)]
    command += ["--chunk-size", str(sizes.chunk_size[job]), "--json", *(extra or ["--no-ray"])]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **env}, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr[-2000:]}")
    result: dict[str, object] = json.loads(done.stdout)
    result["process_seconds"] = time.perf_counter() - started
    return result


def _throughput_table(report: SuiteReport, runs: dict[tuple[str, str], dict[str, object]], outputs: Path) -> None:
    rows: list[list[str | int | float | None]] = []
    for job in JOBS:
        single = runs[job, "single"]
        base = float(str(single["items_per_second"]))
        want = pq.read_table(outputs / f"{job}-single.parquet")
        for label in ("single", *(f"ray{w}" for w in WORKER_COUNTS)):
            run_ = runs[job, label]
            rate = float(str(run_["items_per_second"]))
            same = (
                1.0 if label == "single" else _agreement(job, pq.read_table(outputs / f"{job}-{label}.parquet"), want)
            )
            engine = "single process" if label == "single" else f"Ray, {label.removeprefix('ray')} worker(s)"
            rows.append(
                [job, engine, int(str(run_["items"])), int(str(run_["chunks"])), float(str(run_["seconds"])),
                 float(str(run_["process_seconds"])), rate, rate / base if base else None, same]
            )  # fmt: skip
            if label != "single":
                kind = "top-10 neighbour overlap" if job == "embed-reviews" else "identical output (1 = yes)"
                report.target(f"{job}, {engine}: {kind}", same, at_least=0.999 if job == "embed-reviews" else 1.0)
    report.tables.append(
        Table(
            title="Batch jobs: single process vs Ray on this machine",
            columns=["job", "engine", "items", "chunks", "job s", "process s", "items/s", "ratio", "same result"],
            rows=rows,
            note="job s: planning to output written, as the job reports it (Ray's connection, worker start-up and "
            "model loads included); process s: the whole command. ratio: items/s over the single-process path's. "
            "same result: 1 when the output equals the single-process output (review vectors: mean top-10 "
            "neighbour overlap).",
        )
    )


def _agreement(job: str, got: pa.Table, want: pa.Table) -> float:
    if job != "embed-reviews":
        return 1.0 if got.equals(want) else 0.0
    if got.column("review_id").to_pylist() != want.column("review_id").to_pylist():
        return 0.0
    a, b = (np.asarray(t.column("vector").to_pylist(), dtype=np.float32) for t in (got, want))
    return float(np.mean([len(set(x) & set(y)) / 10 for x, y in zip(_top10(a), _top10(b), strict=True)]))


def _top10(vectors: np.ndarray) -> np.ndarray:
    top = np.zeros((len(vectors), 10), dtype=np.int64)
    for start in range(0, len(vectors), 1024):  # (B, N) at a time: 5,000 x 5,000 floats is fine, 100k is not
        scores = vectors[start : start + 1024] @ vectors.T
        scores[np.arange(len(scores)), np.arange(start, start + len(scores))] = -np.inf
        top[start : start + len(scores)] = np.argsort(-scores, axis=1, kind="stable")[:, :10]
    return top


def _cost_table(report: SuiteReport, workspace: Path, sizes: Sizes) -> None:
    import torch

    from tools.batch.run import run_batch

    rows: list[list[str | int | float | None]] = []
    for job in JOBS:
        out = workspace / "batch" / f"{job}-warm.parquet"
        run_batch(job, workspace=workspace, out=out, chunk_size=sizes.chunk_size[job], ray="", progress=False)
        warm = run_batch(job, workspace=workspace, out=out, chunk_size=sizes.chunk_size[job], ray="", progress=False)
        per_item = warm.seconds / warm.items
        rows.append([job, UNITS[job], warm.items, warm.seconds, per_item * 1000, 1 / per_item])
    report.tables.append(
        Table(
            title=f"Warm cost per item, one process, {torch.get_num_threads()} torch threads",
            columns=["job", "item", "items", "seconds", "ms per item", "items/s"],
            rows=rows,
            note="The second of two runs in one process (models already loaded): planning, every chunk and the "
            "output file. docs/scale.md extrapolates from these figures.",
        )
    )
