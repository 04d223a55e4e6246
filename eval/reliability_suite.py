"""`marketing-agent eval reliability`: provider faults and excessive consumption (OWASP LLM10), crash safety
under `kill -9`, and bad input.

Each part builds its own workspace under the scratch folder and adds its tables and targets to one report:
`eval.reliability_faults` (a fault-injecting OpenAI-compatible server; loop-inducing and huge requests),
`eval.reliability_crash` (kills during ingest and training) and `eval.reliability_input` (malformed files and
requests through the CLI, the Python tools and the REST API, with the workspace hashed before and after).
`--part faults`, `--part crash` or `--part input` runs one of them alone.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport

PARTS = {"faults": "eval.reliability_faults", "crash": "eval.reliability_crash", "input": "eval.reliability_input"}


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console, parts: tuple[str, ...] = ()) -> None:
    from eval.runner import run_parts

    run_parts("reliability", PARTS, parts, report, quick, scratch, console)
