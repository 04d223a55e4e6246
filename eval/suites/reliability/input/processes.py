"""The Python tools and the CLI on a bad file, run in a child process (timed, with its peak memory)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.errors import MarketingAgentError
from eval.suites.reliability.input.cases import Case
from eval.suites.reliability.input.outcomes import (
    CASE_TIMEOUT_S,
    TRACEBACK,
    WARNED,
    Outcome,
    changed,
    fingerprint,
    first_line,
)

# ---- the Python tools ------------------------------------------------------------------------------------------


def call_tool(kind: str, path: Path, workspace: Path) -> Any:
    """The Python tool that reads `kind` files, on `path` (short training budgets: only the reading matters)."""
    if kind == "reviews":
        from tools.reviews import ingest_reviews

        return ingest_reviews(path, workspace=workspace, progress=False)
    if kind == "sales":
        from tools.forecast import train_forecaster

        return train_forecaster(path, horizon=4, max_seconds=3.0, members=1, workspace=workspace, progress=False)
    from tools.segments import train_segmenter

    return train_segmenter(path, max_seconds=3.0, workspace=workspace)


def tool_outcome(kind: str, path: Path, workspace: Path) -> dict[str, Any]:
    """What calling the tool did, as plain data (also printed as JSON by the isolated worker)."""
    try:
        result = call_tool(kind, path, workspace)
    except MarketingAgentError as exc:
        return {"outcome": "refused", "type": type(exc).__name__, "message": str(exc)}
    except Exception as exc:  # the finding
        return {"outcome": "unhandled", "type": type(exc).__name__, "message": str(exc)[:500]}
    warnings = list(getattr(result, "warnings", []) or [])
    return {"outcome": "accepted", "type": "", "message": "; ".join(warnings)}


def isolated_worker() -> None:
    """The child process of an isolated case:
    `python -c "from eval.suites.reliability.input.processes import isolated_worker; isolated_worker()" KIND PATH WS`
    """
    kind, path, workspace = sys.argv[1:4]
    print(json.dumps(tool_outcome(kind, Path(path), Path(workspace))), flush=True)


@dataclass
class Finished:
    """A subprocess's end: exit code (None if killed at the timeout), output, seconds and peak memory."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_process(command: Sequence[str], timeout: float = CASE_TIMEOUT_S) -> Finished:
    """Run `command`, killing it (its own process group) after `timeout`; peak RSS from wait4."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=_env()
    )
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read() if process.stdout else b""), daemon=True),
        threading.Thread(target=lambda: err.append(process.stderr.read() if process.stderr else b""), daemon=True),
    ]
    for reader in readers:
        reader.start()
    status, peak_kb = _wait(process, started + timeout)
    for reader in readers:
        reader.join(10)
    returncode = None if status is None else os.waitstatus_to_exitcode(status)
    return Finished(
        returncode,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        time.monotonic() - started,
        round(peak_kb / 1024, 1),
    )


def _wait(process: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, int]:
    """Wait for `process` (killing its group at `deadline`); its exit status (None if killed) and peak RSS in kB,
    polled from /proc (wait4's figure would count the memory the child shared with this process before exec)."""
    peak = 0
    while True:
        peak = max(peak, _high_water_kb(process.pid))
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, peak
        if time.monotonic() > deadline:
            os.killpg(process.pid, 9)  # our own child's group, by its id
            os.waitpid(process.pid, 0)
            process.returncode = -9
            return None, peak
        time.sleep(0.02)


def _high_water_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200", "NO_COLOR": "1"}


def python_case(case: Case, path: Path, workspace: Path) -> Outcome:
    before = fingerprint(workspace)
    started = time.monotonic()
    peak: float | None = None
    if case.isolate:
        code = "from eval.suites.reliability.input.processes import isolated_worker; isolated_worker()"
        finished = run_process([sys.executable, "-c", code, case.kind, str(path), str(workspace)])
        peak = finished.peak_mb
        result = _parse_worker(finished)
    else:
        result = _watched(lambda: tool_outcome(case.kind, path, workspace))
    seconds = time.monotonic() - started
    unchanged = not changed(before, fingerprint(workspace))
    outcome, message = _python_verdict(result, path, case)
    clear = outcome == "refused" and path.name in result["message"]
    return Outcome(case.name, case.kind, "Python", outcome, message, clear, unchanged, seconds, peak, case.expect)


def _parse_worker(finished: Finished) -> dict[str, Any]:
    if finished.returncode is None:
        return {"outcome": "timeout", "type": "", "message": f"still running after {finished.seconds:.0f} s"}
    for line in reversed(finished.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"outcome": "crashed", "type": "", "message": first_line(finished.stderr) or f"exit {finished.returncode}"}


def _watched(work: Callable[[], dict[str, Any]], timeout: float = CASE_TIMEOUT_S) -> dict[str, Any]:
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(work()), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return {"outcome": "timeout", "type": "", "message": f"still running after {timeout:.0f} s"}
    return box


def _python_verdict(result: dict[str, Any], path: Path, case: Case) -> tuple[str, str]:
    message = first_line(result["message"])
    if result["outcome"] == "accepted":
        warned = bool(WARNED.search(result["message"]))
        return ("accepted (warned)" if warned else "accepted"), message or "no warning"
    if result["outcome"] == "refused":
        return "refused", f"{result['type']}: {message}"
    return result["outcome"], f"{result['type']}: {message}".strip(": ")


# ---- the CLI ---------------------------------------------------------------------------------------------------


def cli_command(kind: str, path: Path, workspace: Path) -> list[str]:
    base = [sys.executable, "-m", "agent.cli"]
    if kind == "reviews":
        return [*base, "ingest-reviews", str(path), "--workspace", str(workspace)]
    if kind == "sales":
        return [*base, "train-forecaster", str(path), "--workspace", str(workspace), "--minutes", "0.05", "-H", "4"]
    return [*base, "segment", str(path), "--workspace", str(workspace), "--minutes", "0.05"]


def cli_case(case: Case, path: Path, workspace: Path) -> Outcome:
    before = fingerprint(workspace)
    finished = run_process(cli_command(case.kind, path, workspace))
    unchanged = not changed(before, fingerprint(workspace))
    stderr = finished.stderr
    if finished.returncode is None:
        outcome, message = "timeout", f"still running after {finished.seconds:.0f} s"
    elif TRACEBACK in stderr:
        outcome, message = "traceback", _traceback_line(stderr)
    elif finished.returncode == 0:
        warned = bool(WARNED.search(finished.stdout + stderr))
        outcome, message = ("accepted (warned)" if warned else "accepted"), first_line(finished.stdout)
    else:
        outcome, message = "refused", first_line(stderr)
    clear = outcome == "refused" and bool(message) and (path.name in stderr or "Usage" in stderr)
    return Outcome(
        case.name, case.kind, "CLI", outcome, message, clear, unchanged, finished.seconds, finished.peak_mb, case.expect
    )


def _traceback_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return "traceback: " + (lines[-1][:180] if lines else "")
