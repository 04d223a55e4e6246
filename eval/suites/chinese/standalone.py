"""Running the Chinese parts without the eval runner (which registers them later): one report, written to
eval/reports/ as <name>.json and <name>.md, naming the command that made it."""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport, machine_info, print_report, write_report

REPORTS_DIR = Path(__file__).resolve().parents[2] / "reports"


def main(parts: tuple[str, ...], name: str, module: str) -> None:
    """Run `parts` (modules eval.suites.chinese.<part>) into one report called `name`."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    quick = "--quick" in sys.argv[1:]
    console = Console()
    command = f".venv/bin/python -m {module}{' --quick' if quick else ''}"
    report = SuiteReport(suite=name, mode="quick" if quick else "full", command=command, machine=machine_info())
    started = time.perf_counter()
    scratch = Path(tempfile.mkdtemp(prefix=f"eval-{name}-"))
    try:
        for part in parts:
            console.rule(part)
            importlib.import_module(f"eval.suites.chinese.{part}").run(report, quick, scratch, console)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    print_report(report, console)
    folder = REPORTS_DIR if not quick else Path(tempfile.gettempdir())
    json_path, md_path = write_report(report, folder)
    console.print(f"Report: {json_path} and {md_path}")
