"""Planted disparities: seeded targeting lists over synthetic customer groups whose true selection rates are known,
judged by the audit's own statistics, beside the plain four-fifths rule.

A cell is a design (2 groups, or 4 groups with one planted), a reference group's selection rate (0.2 or 0.4), a true
ratio (the planted group's rate over the reference's) and a group size. A list's selected count per group is drawn
as if each customer were picked independently at the group's rate; which customers are picked does not matter to
an audit.

The judgement is `tools.fairness.audit`'s: its intervals (`ratio_intervals`, the same as
`audit_selection`, so the same draws) and its flag rule (a judged group, >= 30 customers, whose ratio to the best-served
group is under 0.8 with the ratio's 95% interval below 1). `audit_selection` itself tallies the rates with fairlearn's
MetricFrame, ~30 ms a list (100,000 lists would take an hour on 2 cores), so the counts are tallied here with numpy
and the first lists of every cell also go through `audit_selection`: the two must agree exactly (a target).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tools.fairness.attributes import MISSING
from tools.fairness.audit import audit_selection, ratio_intervals

RATIOS = (0.5, 0.7, 0.8, 1.0, 1.2)
GROUP_SIZES = (30, 100, 200, 500, 2000)
BASE_RATES = (0.2, 0.4)
THRESHOLD = 0.8  # the tool's defaults: the four-fifths rule and the smallest judged group
MIN_GROUP = 30
SEED = 20261205


@dataclass(frozen=True)
class Design:
    label: str
    groups: int  # the last one is planted at `ratio` x the others' rate

    def labels(self) -> list[str]:
        return [chr(ord("A") + i) for i in range(self.groups)]

    def rates(self, base: float, ratio: float) -> np.ndarray:
        rates = np.full(self.groups, base)
        rates[-1] = base * ratio
        return rates


DESIGNS = (Design("2 groups", 2), Design("4 groups, one planted", 4))


@dataclass(frozen=True)
class Cell:
    design: Design
    base: float
    ratio: float
    size: int  # customers per group

    @property
    def true_min_ratio(self) -> float:
        """The least-served group's true rate over the best-served group's."""
        return min(self.ratio, 1 / self.ratio)


@dataclass(frozen=True)
class Judgement:
    """One list as the audit judges it: per group (in label order) its ratio to the best-served group, the ratio's
    95% interval (nan where the audit gives none) and its flag; `best` is the best-served group's position."""

    ratio: np.ndarray
    low: np.ndarray
    high: np.ndarray
    flagged: np.ndarray
    best: int


@dataclass(frozen=True)
class CellResult:
    cell: Cell
    lists: int
    gap_flagged: float | None  # the tool flags a group whose true rate is lower (None: the list is fair)
    false_flag: float  # the tool flags a group at the top true rate
    rule_gap_flagged: float | None  # the same two for the plain four-fifths rule (point ratio < 0.8, no interval)
    rule_false_flag: float
    coverage: float | None  # share of non-best groups whose ratio interval covers its true ratio
    mean_min_ratio: float  # mean over lists of the least-selected group's ratio to the most-selected
    checked: int  # lists also run through audit_selection
    agreed: int  # ... and judged the same there


def all_cells() -> list[Cell]:
    return [
        Cell(design, base, ratio, size)
        for design in DESIGNS
        for base in BASE_RATES
        for ratio in RATIOS
        for size in GROUP_SIZES
    ]


def judge(counts: np.ndarray, group_sizes: np.ndarray, labels: list[str], seed: int) -> Judgement:
    """The audit's judgement of one list (selected `counts` of `group_sizes` customers per group, `labels` in
    sorted order as fairlearn lists them), with `audit_selection`'s random draws for `seed`."""
    sizes = {g: int(n) for g, n in zip(labels, group_sizes, strict=True)}
    rates = {g: int(c) / sizes[g] for g, c in zip(labels, counts, strict=True)}
    judged = [g for g in labels if sizes[g] >= MIN_GROUP and g != MISSING]
    best = max(judged, key=lambda g: rates[g]) if judged else None
    intervals = ratio_intervals(judged, best, sizes, rates)
    n = len(labels)
    ratio, low, high = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    if best is not None and rates[best] > 0:
        for k, g in enumerate(labels):
            if g in judged:
                ratio[k] = rates[g] / rates[best]
                low[k], high[k] = intervals[g]
    flagged = (ratio < THRESHOLD) & (high < 1)  # nan compares False: no ratio, no flag
    return Judgement(ratio, low, high, flagged, labels.index(best) if best is not None else -1)


def run_cell(cell: Cell, index: int, lists: int, checked: int) -> CellResult:
    """`lists` seeded lists of one cell, judged; the first `checked` of them also by `audit_selection`."""
    labels = cell.design.labels()
    true = cell.design.rates(cell.base, cell.ratio)
    gap = true < true.max()  # groups truly selected less than the best-served
    counts = np.random.default_rng([SEED, index]).binomial(cell.size, true, size=(lists, len(labels)))
    group_sizes = np.full(len(labels), cell.size)
    gap_hits = false_hits = rule_gap_hits = rule_false_hits = covered = intervals = agreed = 0
    min_ratios: list[float] = []
    for i in range(lists):
        seed = index * 100_000 + i
        judged = judge(counts[i], group_sizes, labels, seed)
        rule = judged.ratio < THRESHOLD
        gap_hits += bool((judged.flagged & gap).any())
        false_hits += bool((judged.flagged & ~gap).any())
        rule_gap_hits += bool((rule & gap).any())
        rule_false_hits += bool((rule & ~gap).any())
        others = [k for k in range(len(labels)) if k != judged.best and not math.isnan(judged.ratio[k])]
        for k in others:
            truth = true[k] / true[judged.best]
            covered += bool(judged.low[k] <= truth <= judged.high[k])
        intervals += len(others)
        min_ratios.append(float(np.nanmin(judged.ratio)) if not np.isnan(judged.ratio).all() else math.nan)
        if i < checked:
            agreed += agrees_with_audit(judged, counts[i], cell.size, labels, seed)
    fair = not gap.any()
    return CellResult(
        cell=cell,
        lists=lists,
        gap_flagged=None if fair else gap_hits / lists,
        false_flag=false_hits / lists,
        rule_gap_flagged=None if fair else rule_gap_hits / lists,
        rule_false_flag=rule_false_hits / lists,
        coverage=covered / intervals if intervals else None,
        mean_min_ratio=float(np.nanmean(min_ratios)),
        checked=min(checked, lists),
        agreed=agreed,
    )


def agrees_with_audit(judged: Judgement, counts: np.ndarray, size: int, labels: list[str], seed: int) -> bool:
    """Whether `audit_selection` on a population with these counts (and the same seed) gives the same ratios,
    intervals and flags, to the last bit."""
    ids = [f"{g}{k:05d}" for g in labels for k in range(size)]
    population = pd.DataFrame({"customer_id": ids, "group": np.repeat(labels, size)})
    selected = {f"{g}{k:05d}" for g, c in zip(labels, counts, strict=True) for k in range(int(c))}
    findings, _ = audit_selection(population, selected, ["group"], pairs=False)
    by_group = {f.group: f for f in findings}
    for k, g in enumerate(labels):
        found = by_group[g]
        pairs = (
            (found.ratio_to_max, judged.ratio[k]),
            (found.ratio_low, judged.low[k]),
            (found.ratio_high, judged.high[k]),
        )
        if found.flagged != bool(judged.flagged[k]) or not all(_same(a, b) for a, b in pairs):
            return False
    return True


def _same(audited: float | None, ours: float) -> bool:
    return math.isnan(ours) if audited is None else audited == ours


def run_planted(lists: int, checked: int) -> list[CellResult]:
    return [run_cell(cell, index, lists, checked) for index, cell in enumerate(all_cells())]
