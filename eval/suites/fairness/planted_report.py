"""The planted study as report tables, targets and plain notes: one table per design, the target cells one by one,
the worst cell of each (design, reference rate) as a target, and the plain four-fifths rule beside the tool."""

from __future__ import annotations

from collections.abc import Iterable

from eval.report import Cell, SuiteReport, Table
from eval.suites.fairness.planted import BASE_RATES, DESIGNS, GROUP_SIZES, THRESHOLD, CellResult, Design

DISPARITY = 0.7  # true ratios at or below this are the disparities the target asks to flag
TARGET_SIZE = 200  # ... at this many customers per group or more
FLAG_GOAL = 0.95
FAIR_GOAL = 0.05
NOMINAL = 0.95
NEAR_NOMINAL = 0.90  # the suite's reading of "near its nominal level"

CELL_COLUMNS = [
    "reference rate",
    "true ratio",
    "per group",
    "lists",
    "tool: a lower group flagged",
    "tool: a top group flagged (false)",
    "four-fifths rule: a lower group flagged",
    "four-fifths rule: a top group flagged (false)",
    "ratio interval covers the truth",
    "mean estimated ratio (least / most selected)",
    "true ratio (least / most)",
]


def planted_tables(report: SuiteReport, results: list[CellResult]) -> None:
    for design in DESIGNS:
        rows = [_cell_row(r) for r in results if r.cell.design == design]
        report.tables.append(
            Table(
                title=f"Planted disparities, {design.label}: share of seeded lists flagged, beside the plain "
                "four-fifths rule",
                columns=CELL_COLUMNS,
                rows=rows,
                note=_design_note(design),
            )
        )
    report.tables.append(_target_cells(results))


def _cell_row(r: CellResult) -> list[Cell]:
    c = r.cell
    return [
        c.base,
        c.ratio,
        c.size,
        r.lists,
        r.gap_flagged,
        r.false_flag,
        r.rule_gap_flagged,
        r.rule_false_flag,
        r.coverage,
        r.mean_min_ratio,
        c.true_min_ratio,
    ]


def _design_note(design: Design) -> str:
    planted = design.labels()[-1]
    others = ", ".join(design.labels()[:-1])
    return (
        f"Groups {others} are selected at the reference rate, group {planted} at the true ratio times it (so at "
        "1.2 the reference groups are the under-selected ones, at 1/1.2 = 0.833). 'A lower group flagged': a group "
        "whose true rate is below the best's is flagged; 'a top group flagged': a group at the top true rate is "
        "flagged, a false flag (every flag on a fair list, ratio 1.0, is one). Coverage: over each list's groups "
        "other than the best-served one, the share whose 95% ratio interval holds its true rate over the observed "
        "best group's true rate (nominal 0.95). The tool flags when the ratio is under 0.8 and its interval is "
        "below 1; the four-fifths rule flags on the ratio alone."
    )


def _target_cells(results: list[CellResult]) -> Table:
    rows: list[list[Cell]] = []
    for r in _disparity_cells(results):
        value = r.gap_flagged or 0.0
        goal, met = f">= {FLAG_GOAL:g}", _met(value >= FLAG_GOAL)
        rows.append([*_key(r), "planted gap flagged", value, r.rule_gap_flagged, goal, met])
    for r in _fair_cells(results):
        goal, met = f"<= {FAIR_GOAL:g}", _met(r.false_flag <= FAIR_GOAL)
        rows.append([*_key(r), "fair list flagged", r.false_flag, r.rule_false_flag, goal, met])
    return Table(
        title=f"Target cells: planted gaps (ratio <= {DISPARITY:g}, >= {TARGET_SIZE} per group) and fair lists "
        "(every size)",
        columns=[
            "design",
            "reference rate",
            "true ratio",
            "per group",
            "measure",
            "tool",
            "four-fifths rule (peer)",
            "goal",
            "met (tool)",
        ],
        rows=rows,
    )


def _key(r: CellResult) -> list[Cell]:
    return [r.cell.design.label, r.cell.base, r.cell.ratio, r.cell.size]


def _met(passed: bool) -> str:
    return "yes" if passed else "no"


def _disparity_cells(results: Iterable[CellResult]) -> list[CellResult]:
    return [r for r in results if r.cell.ratio <= DISPARITY and r.cell.size >= TARGET_SIZE]


def _fair_cells(results: Iterable[CellResult]) -> list[CellResult]:
    return [r for r in results if r.cell.ratio == 1.0]


def planted_targets(report: SuiteReport, results: list[CellResult]) -> None:
    """The worst cell of each (design, reference rate) as a target; coverage; agreement with audit_selection."""
    for design in DESIGNS:
        for base in BASE_RATES:
            mine = [r for r in results if r.cell.design == design and r.cell.base == base]
            gaps = min(_disparity_cells(mine), key=lambda r: r.gap_flagged or 0.0)
            report.target(
                f"{design.label}, reference rate {base:g}: planted gaps (ratio <= {DISPARITY:g}, >= {TARGET_SIZE} "
                f"per group) flagged, worst cell ({gaps.cell.ratio:g} at {gaps.cell.size:,} per group)",
                gaps.gap_flagged,
                at_least=FLAG_GOAL,
            )
            fair = max(_fair_cells(mine), key=lambda r: r.false_flag)
            report.target(
                f"{design.label}, reference rate {base:g}: fair lists flagged, worst size ({fair.cell.size:,} per "
                "group)",
                fair.false_flag,
                at_most=FAIR_GOAL,
            )
    covered = [r for r in results if r.coverage is not None]
    low = min(covered, key=lambda r: r.coverage or 0.0)
    report.target(
        f"ratio interval coverage (nominal {NOMINAL:g}), lowest cell ({low.cell.design.label}, rate "
        f"{low.cell.base:g}, ratio {low.cell.ratio:g}, {low.cell.size:,} per group)",
        low.coverage,
        at_least=NEAR_NOMINAL,
    )
    checked = sum(r.checked for r in results)
    agreed = sum(r.agreed for r in results)
    report.target(
        f"lists judged the same by audit_selection itself ({agreed:,} of {checked:,} checked)",
        agreed / checked if checked else None,
        at_least=1.0,
    )


def planted_notes(report: SuiteReport, results: list[CellResult]) -> None:
    """Plain sentences: what missed and why, and how far the plain four-fifths rule is from the tool."""
    for r in _disparity_cells(results):
        if (r.gap_flagged or 0.0) < FLAG_GOAL:
            report.notes.append(_missed_gap(r, results))
    for r in _fair_cells(results):
        if r.false_flag > FAIR_GOAL:
            c = r.cell
            report.notes.append(
                f"Not met: {c.design.label}, reference rate {c.base:g}, fair lists at {c.size:,} per group are "
                f"flagged {r.false_flag:.1%} of the time (goal <= {FAIR_GOAL:.0%})."
            )
    for design in DESIGNS:
        for size in (GROUP_SIZES[0], TARGET_SIZE):
            fair = [r for r in _fair_cells(results) if r.cell.design == design and r.cell.size == size]
            said = "; ".join(
                f"at reference rate {r.cell.base:g} the four-fifths rule flags {r.rule_false_flag:.1%}, the tool "
                f"{r.false_flag:.1%}"
                for r in fair
            )
            report.notes.append(f"Fair lists, {design.label}, {size:,} per group: {said}.")


def _missed_gap(r: CellResult, results: list[CellResult]) -> str:
    c = r.cell
    said = (
        f"Not met: {c.design.label}, reference rate {c.base:g}, true ratio {c.ratio:g} at {c.size:,} per group: the "
        f"tool flags the planted gap in {r.gap_flagged:.1%} of lists (goal {FLAG_GOAL:.0%}); the plain four-fifths "
        f"rule, with no interval, in {r.rule_gap_flagged:.1%}."
    )
    if (r.rule_gap_flagged or 0.0) < FLAG_GOAL:
        return (
            f"{said} The tool flags only when the estimated ratio is itself under {THRESHOLD:g}, so no rule that "
            f"keeps that condition reaches {FLAG_GOAL:.0%} here: the estimate of a {c.ratio:g} ratio spreads too "
            "widely at this size."
        )
    fair = next(
        f for f in _fair_cells(results) if (f.cell.design, f.cell.base, f.cell.size) == (c.design, c.base, c.size)
    )
    return (
        f"{said} The interval requirement costs the difference; without it, fair lists of this size would be "
        f"flagged {fair.rule_false_flag:.1%} of the time (the tool: {fair.false_flag:.1%})."
    )
