"""The audit itself: selection rates by group (fairlearn's MetricFrame) with Wilson intervals, each group's
ratio to the best-served group (the four-fifths rule) with an interval, and the flag.

A group is judged when it has at least `min_group` customers and a known value; smaller groups and "(missing)"
are reported but never judged. A judged group is flagged when its selection rate is under `threshold` (0.8) times
the best-served group's and the shortfall is more than chance: its ratio's interval (95%, over all pairs of groups
at once) stays below 1. That is the usual two-prong reading of the four-fifths rule (practical and statistical
significance, as in the US Uniform Guidelines' Q&A 20-21): the ratio alone flags many fair lists when groups are
small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import pandas as pd
from scipy import stats

from tools.fairness.attributes import MISSING

LEVEL = (0.025, 0.975)


@dataclass(frozen=True)
class GroupRate:
    attribute: str  # "age_band", or "age_band x gender" for a pair
    group: str
    size: int
    selected: int
    selection_rate: float
    rate_low: float
    rate_high: float
    ratio_to_max: float | None
    ratio_low: float | None
    ratio_high: float | None
    difference_to_max: float | None
    judged: bool
    flagged: bool


@dataclass(frozen=True)
class AttributeSummary:
    attribute: str
    groups: int
    judged: int
    min_ratio: float | None  # fairlearn's ratio between the least and the most selected judged groups
    max_difference: float | None
    flagged: bool


def audit_selection(
    population: pd.DataFrame,
    selected: set[str],
    attributes: Sequence[str],
    *,
    min_group: int = 30,
    threshold: float = 0.8,
    pairs: bool = True,
) -> tuple[list[GroupRate], list[AttributeSummary]]:
    """Rates by group for each attribute (and each pair of attributes when `pairs`) over `population`
    (customer_id plus attribute columns), `selected` being the customer ids picked."""
    picked = population["customer_id"].isin(selected).to_numpy()
    findings: list[GroupRate] = []
    summaries: list[AttributeSummary] = []
    views: list[tuple[str, pd.Series]] = [(a, population[a].astype(str)) for a in attributes]
    if pairs:
        for a, b in combinations(attributes, 2):
            both = population[a].astype(str) + " & " + population[b].astype(str)
            missing = (population[a] == MISSING) | (population[b] == MISSING)
            views.append((f"{a} x {b}", both.where(~missing, MISSING)))
    for name, groups in views:
        rates, summary = _one_attribute(name, groups, picked, min_group, threshold)
        findings += rates
        summaries.append(summary)
    return findings, summaries


def _one_attribute(
    name: str, groups: pd.Series, picked: np.ndarray, min_group: int, threshold: float
) -> tuple[list[GroupRate], AttributeSummary]:
    from fairlearn.metrics import MetricFrame, count, selection_rate
    from statsmodels.stats.proportion import proportion_confint

    frame = MetricFrame(
        metrics={"rate": selection_rate, "size": count},
        y_true=picked,
        y_pred=picked,
        sensitive_features=groups.rename(name).reset_index(drop=True),
    )
    by_group = frame.by_group
    sizes = {str(g): int(by_group.loc[g, "size"]) for g in by_group.index}
    rates = {str(g): float(by_group.loc[g, "rate"]) for g in by_group.index}
    # Wilson intervals per group's rate (fairlearn's own bootstrap recomputes the frame per draw: seconds per
    # attribute, too slow for an answer)
    lows: dict[str, float] = {}
    highs: dict[str, float] = {}
    for g, rate in rates.items():
        low, high = proportion_confint(round(rate * sizes[g]), sizes[g], alpha=0.05, method="wilson")
        lows[g], highs[g] = float(low), float(high)
    judged = [g for g in rates if sizes[g] >= min_group and g != MISSING and MISSING not in g.split(" & ")]
    best = max(judged, key=lambda g: rates[g]) if judged else None
    ratios = ratio_intervals(judged, best, sizes, rates)
    out: list[GroupRate] = []
    for g in sorted(rates, key=lambda g: (-sizes[g], g)):
        is_judged = g in judged
        ratio = ratio_low = ratio_high = difference = None
        if is_judged and best is not None and rates[best] > 0:
            ratio = rates[g] / rates[best]
            ratio_low, ratio_high = ratios[g]
            difference = rates[g] - rates[best]
        flagged = bool(
            is_judged and ratio is not None and ratio < threshold and ratio_high is not None and ratio_high < 1
        )
        out.append(
            GroupRate(
                name,
                g,
                sizes[g],
                round(rates[g] * sizes[g]),
                rates[g],
                lows[g],
                highs[g],
                ratio,
                ratio_low,
                ratio_high,
                difference,
                is_judged,
                flagged,
            )
        )
    judged_rates = [rates[g] for g in judged]
    top = max(judged_rates) if judged_rates else 0.0
    summary = AttributeSummary(
        attribute=name,
        groups=len(rates),
        judged=len(judged),
        min_ratio=(min(judged_rates) / top) if len(judged_rates) >= 2 and top > 0 else None,
        max_difference=(top - min(judged_rates)) if len(judged_rates) >= 2 else None,
        flagged=any(r.flagged for r in out),
    )
    return out, summary


def ratio_intervals(
    judged: list[str], best: str | None, sizes: dict[str, int], rates: dict[str, float]
) -> dict[str, tuple[float, float]]:
    """Intervals for each judged group's rate over the best-served group's: Katz's log-ratio interval for two
    binomial proportions, exp(log(r_g / r_b) +- z sqrt(1/x_g - 1/n_g + 1/x_b - 1/n_b)), with half a count for a
    zero. All m(m-1)/2 pairs of judged groups are held at once (Bonferroni: z at 1 - 0.025 / pairs), since the
    best-served group is itself picked from the data; without that, fair lists over many groups were flagged a
    fifth of the time (eval/reports/fairness.md)."""
    if best is None or rates[best] <= 0:
        return {}
    pairs = max(len(judged) * (len(judged) - 1) // 2, 1)
    z = float(stats.norm.ppf(1 - (1 - LEVEL[1]) / pairs))
    x_best = max(rates[best] * sizes[best], 0.5)
    out: dict[str, tuple[float, float]] = {}
    for g in judged:
        if g == best:
            out[g] = (1.0, 1.0)
            continue
        x_g = max(rates[g] * sizes[g], 0.5)
        log_ratio = math.log(x_g / sizes[g]) - math.log(x_best / sizes[best])
        spread = z * math.sqrt(max(1 / x_g - 1 / sizes[g] + 1 / x_best - 1 / sizes[best], 0.0))
        out[g] = (math.exp(log_ratio - spread), math.exp(log_ratio + spread))
    return out
