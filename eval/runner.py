"""`marketing-agent eval [SUITE]`: run a suite, print its tables, write eval/reports/<suite>.json and .md."""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport, machine_info, print_report, write_report

REPORTS_DIR = Path(__file__).resolve().parent / "reports"


def _reviews(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import reviews_suite

    reviews_suite.run(report, quick, scratch, console)


def _forecast(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import forecast_suite

    forecast_suite.run(report, quick, scratch, console)


def _segments(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import segments_suite

    segments_suite.run(report, quick, scratch, console)


def _ad_copy(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import ad_copy_suite

    ad_copy_suite.run(report, quick, scratch, console)


def _agent(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import agent_suite

    agent_suite.run(report, quick, scratch, console)


def _serve(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import serve_suite

    serve_suite.run(report, quick, scratch, console)


def _security(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import security_suite

    security_suite.run(report, quick, scratch, console)


def _reliability(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from eval import reliability_suite

    reliability_suite.run(report, quick, scratch, console)


def run_parts(
    suite: str,
    parts: dict[str, str],
    chosen: tuple[str, ...],
    report: SuiteReport,
    quick: bool,
    scratch: Path,
    console: Console,
) -> None:
    """Run the `chosen` parts of a suite made of parts (all of them when none is chosen), in order, each from its
    module's `run()` and in its own scratch folder, into one report."""
    import importlib

    for name, module in parts.items():
        if chosen and name not in chosen:
            continue
        console.rule(f"{suite}: {name}")
        folder = scratch / name
        folder.mkdir(parents=True, exist_ok=True)
        importlib.import_module(module).run(report, quick, folder, console)


def suite_parts(name: str) -> dict[str, str]:
    """The parts a suite can run alone (`--part`): none for most suites."""
    if name == "security":
        from eval.security_suite import PARTS

        return PARTS
    if name == "reliability":
        from eval.reliability_suite import PARTS as RELIABILITY_PARTS

        return RELIABILITY_PARTS
    return {}


# A suite fills a report; it may build stores under `scratch`, which is deleted when it returns.
SUITES: dict[str, Callable[[SuiteReport, bool, Path, Console], None]] = {
    "reviews": _reviews,
    "forecast": _forecast,
    "segments": _segments,
    "ad-copy": _ad_copy,
    "agent": _agent,
    "serve": _serve,
    "security": _security,
    "reliability": _reliability,
}


def run_suite(
    name: str,
    *,
    quick: bool = False,
    reports_dir: Path | None = None,
    scratch_parent: Path | None = None,
    console: Console | None = None,
    part: str | None = None,
) -> SuiteReport:
    """Run suite `name` (or one `part` of it, reported as `<name>-<part>`) and write its report."""
    from core.errors import MarketingAgentError

    console = console or Console()
    if name not in SUITES:
        raise MarketingAgentError(f"unknown eval suite {name!r}; choose from {', '.join(sorted(SUITES))}")
    parts = suite_parts(name)
    if part is not None and part not in parts:
        choices = f"choose from {', '.join(parts)}" if parts else "it has no parts"
        raise MarketingAgentError(f"the {name} suite has no part {part!r}; {choices}")
    label = f"{name}-{part}" if part else name
    command = f"marketing-agent eval {name}{f' --part {part}' if part else ''}{' --quick' if quick else ''}"
    report = SuiteReport(suite=label, mode="quick" if quick else "full", command=command, machine=machine_info())
    started = time.perf_counter()
    if scratch_parent is not None:
        scratch_parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"eval-{label}-", dir=scratch_parent))
    try:
        if part is not None:
            run_parts(name, parts, (part,), report, quick, scratch, console)
        else:
            SUITES[name](report, quick, scratch, console)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    print_report(report, console)
    json_path, md_path = write_report(report, reports_dir or REPORTS_DIR)
    console.print(f"Report: {json_path} and {md_path}")
    return report
