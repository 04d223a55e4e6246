"""The run: provider faults, then excessive consumption, on one demo workspace."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.console import Console

from eval.demo import demo_workspace
from eval.report import SuiteReport
from eval.suites.reliability.faults.consumption import run_consumption
from eval.suites.reliability.faults.provider import run_faults
from eval.suites.reliability.faults.setup import SIZES, Setup, local_fallback


def run_part(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    """Provider faults, then excessive consumption, on one demo workspace."""
    scratch.mkdir(parents=True, exist_ok=True)
    sizes = SIZES.pick(quick)
    clock = time.perf_counter()
    workspace = demo_workspace(scratch / "demo", console, sizes.demo)
    setup = Setup(workspace, local_fallback(scratch, sizes, console), sizes)
    seconds = {"set-up": time.perf_counter() - clock}
    clock = time.perf_counter()
    run_faults(report, setup, console)
    seconds["provider faults"], clock = time.perf_counter() - clock, time.perf_counter()
    run_consumption(report, setup, console)
    seconds["excessive consumption"] = time.perf_counter() - clock
    report.notes += [*NOTES, "Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + "."]
    left = settle()
    if left:
        report.notes.append(f"{left} tool call(s) abandoned at a deadline were still running at the end.")


def settle(seconds: float = 90.0) -> int:
    """Wait (a while) for tool calls abandoned at a deadline (the executor's worker threads) to finish, so that
    none is still using the local model when the suite returns and the scratch folder goes; how many still run."""
    end = time.monotonic() + seconds
    while True:
        running = [t for t in threading.enumerate() if t.is_alive() and "(_invoke)" in t.name]
        if not running or time.monotonic() > end:
            return len(running)
        time.sleep(0.5)


NOTES = [
    "The fault server is http.server, not uvicorn: a reset (SO_LINGER 0) or a body cut mid-chunk needs the raw socket.",
    "Agent requests that fall back are answered by the offline router; the agent's own text generator (for ad copy) "
    "points at the same faulty endpoint and falls back to the local model.",
    "--quick: one request per fault x consumer, a 20 s request budget, an instant stand-in for the local model, "
    "20 follow-ups instead of 100.",
]
