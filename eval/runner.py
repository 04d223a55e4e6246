"""`marketing-agent eval [SUITE]`: run a suite, print its tables, write eval/reports/<suite>.json and .md.

The suites live in `eval/suites/`, one module (or package) each, and this table maps their names to them. A suite
never imports the runner: it only fills the report it is given.
"""

from __future__ import annotations

import importlib
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from eval.report import SuiteReport, machine_info, print_report, write_report

REPORTS_DIR = Path(__file__).resolve().parent / "reports"


SuiteRun = Callable[[SuiteReport, bool, Path, Console], None]


@dataclass(frozen=True)
class Suite:
    """One row of the table: `module` has `run(report, quick, scratch, console)`, which fills the report and may
    build stores under `scratch` (deleted when the suite returns). A suite made of `parts` has no `run` of its own:
    each part is the module `<module>.<part>` with the same `run`, run in order in its own scratch folder (or
    alone, with `--part`, reported as `<suite>-<part>`)."""

    module: str
    parts: tuple[str, ...] = ()

    def modules(self, chosen: str | None = None) -> list[tuple[str, str]]:
        """(part, module) for each part to run (`chosen` alone when given); ("", module) for a suite without
        parts."""
        if not self.parts:
            return [("", self.module)]
        return [(part, f"{self.module}.{part}") for part in self.parts if chosen in (None, part)]


def entry(module: str) -> SuiteRun:
    """The `run` of a suite's (or a part's) module, imported when it is about to run."""
    run: SuiteRun = importlib.import_module(module).run
    return run


SUITES: dict[str, Suite] = {
    "reviews": Suite("eval.suites.reviews"),
    "reviews-server": Suite("eval.suites.reviews_server"),
    "forecast": Suite("eval.suites.forecast"),
    "segments": Suite("eval.suites.segments"),
    "recommend": Suite("eval.suites.recommend"),
    "experiments": Suite("eval.suites.experiments"),
    "fairness": Suite("eval.suites.fairness"),
    "budget": Suite("eval.suites.budget"),
    "ad-copy": Suite("eval.suites.ad_copy"),
    "agent": Suite("eval.suites.agent"),
    "serve": Suite("eval.suites.serve"),
    "security": Suite("eval.suites.security", parts=("injection", "pii")),
    "reliability": Suite("eval.suites.reliability", parts=("faults", "crash", "input")),
    "scale": Suite("eval.suites.scale", parts=("batch",)),
    "chinese": Suite("eval.suites.chinese", parts=("routing", "language", "sentiment", "embeddings")),
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
    suite = SUITES[name]
    if part is not None and part not in suite.parts:
        choices = f"choose from {', '.join(suite.parts)}" if suite.parts else "it has no parts"
        raise MarketingAgentError(f"the {name} suite has no part {part!r}; {choices}")
    label = f"{name}-{part}" if part else name
    command = f"marketing-agent eval {name}{f' --part {part}' if part else ''}{' --quick' if quick else ''}"
    report = SuiteReport(suite=label, mode="quick" if quick else "full", command=command, machine=machine_info())
    started = time.perf_counter()
    if scratch_parent is not None:
        scratch_parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"eval-{label}-", dir=scratch_parent))
    try:
        for part_name, module in suite.modules(part):
            folder = scratch
            if part_name:
                console.rule(f"{name}: {part_name}")
                folder = scratch / part_name
                folder.mkdir(parents=True, exist_ok=True)
            entry(module)(report, quick, folder, console)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    report.seconds = time.perf_counter() - started
    print_report(report, console)
    json_path, md_path = write_report(report, reports_dir or REPORTS_DIR)
    console.print(f"Report: {json_path} and {md_path}")
    return report
