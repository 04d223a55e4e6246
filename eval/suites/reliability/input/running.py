"""The run: every file case through the Python tools and the CLI, every request through the REST API; the tables."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import httpx
from rich.console import Console

from eval.demo import DemoSize, demo_workspace
from eval.report import SuiteReport, Table
from eval.suites.reliability.input.cases import Case, file_cases
from eval.suites.reliability.input.outcomes import CASE_TIMEOUT_S, Outcome
from eval.suites.reliability.input.processes import cli_case, python_case
from eval.suites.reliability.input.rest import ESCAPE_TARGET, file_upload_request, request_cases, rest_case, rest_server


def run_part(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    workspace = demo_workspace(scratch / "demo", console, DemoSize(200, 150, 5, 5, 5))
    folder = scratch / "cases"
    folder.mkdir()
    cases = [c for c in file_cases() if c.quick or not quick]
    with console.status("Writing the malformed files"):
        paths = {c.name + c.kind: c.write(folder) for c in cases}
    # REST first: the cases accepted with a warning (dates in the future) retrain the workspace's models
    clock = time.perf_counter()
    outcomes = _rest_outcomes(workspace, cases, paths, quick, console)
    seconds = {"REST": time.perf_counter() - clock}
    for interface, label, run_case in (("python", "Python", python_case), ("cli", "CLI", cli_case)):
        clock = time.perf_counter()
        for case in cases:
            if interface in case.interfaces:
                with console.status(f"{label}: {case.kind}: {case.name}"):
                    outcomes.append(run_case(case, paths[case.name + case.kind], workspace))
        seconds[label] = time.perf_counter() - clock
    escaped = ESCAPE_TARGET.exists()
    _tables(report, outcomes, escaped)
    report.notes.append("Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + ".")


def _rest_outcomes(
    workspace: Path, cases: Sequence[Case], paths: dict[str, Path], quick: bool, console: Console
) -> list[Outcome]:
    outcomes = []
    with rest_server(workspace) as url, httpx.Client(base_url=url, timeout=CASE_TIMEOUT_S) as client:
        for case in cases:
            if "rest" in case.interfaces and case.kind == "reviews":
                with console.status(f"REST upload: {case.name}"):
                    request = file_upload_request(case, paths[case.name + case.kind])
                    outcomes.append(rest_case(client, request, workspace, case.kind))
        for request in request_cases():
            if request.quick or not quick:
                with console.status(f"REST: {request.name}"):
                    outcomes.append(rest_case(client, request, workspace))
    return outcomes


def _tables(report: SuiteReport, outcomes: list[Outcome], escaped: bool) -> None:
    report.tables.append(
        Table(
            title="Bad input: every case through every interface it reaches",
            columns=[
                "input",
                "case",
                "interface",
                "outcome",
                "message",
                "workspace unchanged",
                "seconds",
                "peak MB",
                "pass",
            ],
            rows=[o.row() for o in outcomes],
            note=(
                "Pass: refused with a clear message (CLI: non-zero exit, no traceback, the file named; Python: a "
                "MarketingAgentError naming the file; REST: problem+json 4xx, or an upload job that fails with an "
                "error naming the upload and no server path) and the workspace unchanged; for 'dates in the "
                "future', accepting with a warning that says so also passes. Peak MB: the subprocess's peak RSS "
                "(CLI, and Python cases run isolated). Excluded from the workspace hash: audit.jsonl, "
                "sessions.sqlite*, server.sqlite*, locks/, uploads/ (which must be empty afterwards)."
            ),
        )
    )
    summary: list[list[str | int | float | None]] = []
    for interface in sorted({o.interface for o in outcomes}):
        mine = [o for o in outcomes if o.interface == interface]
        summary.append([interface, len(mine), sum(o.passed for o in mine), sum(o.crashed for o in mine)])
    report.tables.append(
        Table(
            title="Bad input by interface",
            columns=["interface", "cases", "passed", "crashed / 5xx / hung"],
            rows=summary,
        )
    )
    passed = sum(o.passed for o in outcomes) / len(outcomes) if outcomes else None
    report.target("bad input: cases refused clearly with the workspace unchanged (share)", passed, at_least=1.0)
    report.target(
        "bad input: tracebacks, unhandled errors, 5xx or hangs", float(sum(o.crashed for o in outcomes)), at_most=0
    )
    dirtied = sum(o.unchanged is False and o.outcome == "refused" for o in outcomes)
    report.target("bad input: workspace changed by a refused case", float(dirtied), at_most=0)
    report.target("bad input: a file written outside the workspace by an upload name", float(escaped), at_most=0)
    peaks = [o.peak_mb for o in outcomes if o.peak_mb is not None and ("bomb" in o.case or "50 MB" in o.case)]
    report.target(
        "bad input: peak memory of a zip bomb or 50 MB line (MB)", max(peaks) if peaks else None, at_most=1500
    )
