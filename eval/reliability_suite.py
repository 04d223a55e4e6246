"""`marketing-agent eval reliability`: provider faults and excessive consumption (OWASP LLM10), crash safety
under `kill -9`, and bad input.

Each part builds its own workspace under the scratch folder and adds its tables and targets to one report:
`eval.reliability_faults` (a fault-injecting OpenAI-compatible server; loop-inducing and huge requests),
`eval.reliability_crash` (kills during ingest and training) and `eval.reliability_input` (malformed files and
requests through the CLI, the Python tools and the REST API, with the workspace hashed before and after).
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import reliability_crash, reliability_faults, reliability_input

    parts = (
        ("faults and consumption", reliability_faults.run),
        ("crash safety", reliability_crash.run),
        ("bad input", reliability_input.run),
    )
    for name, part in parts:
        console.rule(f"reliability: {name}")
        folder = scratch / name.replace(" ", "-")
        folder.mkdir(parents=True, exist_ok=True)
        part(report, quick, folder, console)
