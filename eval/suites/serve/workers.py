"""The same load against `serve --workers 2` with the reviews on a Chroma server, beside the one-worker run.

The demo's reviews are ingested into a Chroma server started on 127.0.0.1 for the run (eval/servers.py), the
workspace is served by two uvicorn worker processes behind one port, and the cold burst, baselines, load and
health checks run again. Each worker's CPU time during the load shows whether both took a share: behind one
port the kernel hands each new connection to whichever process accepts first.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.report import SuiteReport, Table
from eval.servers import chroma_server, free_port
from eval.suites.serve.load import LoadRequest, LoadRun, summarise
from eval.suites.serve.process import HOST, NO_RATE_LIMIT, ServerProcess, running_server, serve_command

Measure = Callable[[SuiteReport, ServerProcess, Sequence[LoadRequest], Any, dict[str, str], Console], LoadRun]

WORKERS = 2
PREFIX = f"{WORKERS} workers, Chroma server: "


def two_workers(
    report: SuiteReport,
    workspace: Path,
    mix: Sequence[LoadRequest],
    sizes: Any,
    headers: dict[str, str],
    one: LoadRun,
    scratch: Path,
    console: Console,
    measure: Measure,
) -> None:
    """Measure `serve --workers 2` on a Chroma server with `measure` (the one-worker run's, passed in so the
    modules do not import each other) into `report` (tables and targets prefixed), then the side-by-side table
    against the one-worker load `one`."""
    part = SuiteReport(suite=report.suite, mode=report.mode, command=report.command)
    with chroma_server(scratch / "chroma") as chroma_url:
        env = {**NO_RATE_LIMIT, "MARKETING_AGENT_CHROMA_URL": chroma_url}
        with console.status("Ingesting the demo's reviews into the Chroma server"):
            _ingest(workspace, env, scratch / "logs")
        port = free_port()
        command = [*serve_command(workspace, port), "--workers", str(WORKERS)]
        console.print(f"Starting marketing-agent serve --workers {WORKERS} on http://{HOST}:{port}")
        logs = scratch / "logs-workers"
        with running_server(command, f"http://{HOST}:{port}", logs, env=env) as server:
            cpu_before = server.worker_cpu_seconds()
            two = measure(part, server, mix, sizes, headers, console)
            shares = _cpu_shares(cpu_before, server)
    for table in part.tables:
        report.tables.append(table.model_copy(update={"title": PREFIX + table.title}))
    for target in part.targets:
        report.targets.append(target.model_copy(update={"name": PREFIX + target.name}))
    report.notes += [PREFIX + note for note in part.notes]
    _side_by_side(report, one, two, shares)


def _ingest(workspace: Path, env: dict[str, str], logs: Path) -> None:
    logs.mkdir(parents=True, exist_ok=True)
    reviews = workspace / "data" / "reviews.csv"
    command = [sys.executable, "-m", "agent.cli", "ingest-reviews", str(reviews), "--workspace", str(workspace)]
    with (logs / "ingest-chroma-server.log").open("wb") as out:
        subprocess.run(command, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, check=True)


def _cpu_shares(before: list[float], server: ServerProcess) -> list[float]:
    """Each worker's share of the workers' CPU time since `before` (cold burst to the end of the checks)."""
    after = server.worker_cpu_seconds()
    if len(after) != len(before) or not after:
        return []
    used = [a - b for a, b in zip(after, before, strict=True)]
    total = sum(used)
    return [u / total for u in used] if total > 0 else []


def _side_by_side(report: SuiteReport, one: LoadRun, two: LoadRun, shares: list[float]) -> None:
    single, double = summarise(one)["all"], summarise(two)["all"]
    rows: list[list[str | int | float | None]] = [
        ["requests", single.requests, double.requests],
        ["errors", single.errors, double.errors],
        ["ok req/s", single.ok_per_second, double.ok_per_second],
        ["p50 ms", single.p50_ms, double.p50_ms],
        ["p95 ms", single.p95_ms, double.p95_ms],
        ["p99 ms", single.p99_ms, double.p99_ms],
        ["each worker's share of the workers' CPU", "-", " / ".join(f"{s:.0%}" for s in shares) or "-"],
    ]
    report.tables.append(
        Table(
            title=f"One worker (embedded store) beside {WORKERS} workers (Chroma server), the same load",
            columns=["all routes", "1 worker", f"{WORKERS} workers"],
            rows=rows,
            note="Both runs in this eval, one after the other, on the same machine: its 2 cores are shared by the "
            "workers, the Chroma server and the load generator, so a second worker cannot add cores here; the "
            "ratio shows what sharing the state and going through the Chroma server costs.",
        )
    )
