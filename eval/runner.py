"""`marketing-agent eval [SUITE]`: run a suite, print its tables, write eval/reports/<suite>.json and .md."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport, machine_info, print_report, write_report

REPORTS_DIR = Path(__file__).resolve().parent / "reports"


def _reviews(report: SuiteReport, quick: bool, console: Console) -> None:
    from eval import reviews_suite

    reviews_suite.run(report, quick, console)


SUITES: dict[str, Callable[[SuiteReport, bool, Console], None]] = {"reviews": _reviews}


def run_suite(
    name: str, *, quick: bool = False, reports_dir: Path | None = None, console: Console | None = None
) -> SuiteReport:
    from local_models.errors import MarketingAgentError

    console = console or Console()
    if name not in SUITES:
        raise MarketingAgentError(f"unknown eval suite {name!r}; choose from {', '.join(sorted(SUITES))}")
    command = f"marketing-agent eval {name}{' --quick' if quick else ''}"
    report = SuiteReport(suite=name, mode="quick" if quick else "full", command=command, machine=machine_info())
    started = time.perf_counter()
    SUITES[name](report, quick, console)
    report.seconds = time.perf_counter() - started
    print_report(report, console)
    json_path, md_path = write_report(report, reports_dir or REPORTS_DIR)
    console.print(f"Report: {json_path} and {md_path}")
    return report
