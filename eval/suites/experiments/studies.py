"""The three studies, each a table and its targets: A/A tests under peeking, power at a true 10% lift, and the
regret of the tool's traffic allocation against an even split. Every draw is seeded; sizes come from the tool's
own planner (`stats.plan_sample_size`) at a 5% baseline and a 10% relative lift."""

from __future__ import annotations

import math

import numpy as np

from eval.report import Cell, SuiteReport, Table
from eval.suites.experiments.policies import (
    EpsilonGreedy,
    EvenSplit,
    Policy,
    ThompsonSampling,
    ToolAllocation,
    allocate,
    even_regret,
    regret,
)
from eval.suites.experiments.simulate import (
    Counts,
    Decisions,
    Scenario,
    even_counts,
    exposures_at_decision,
    share_interval,
    tool_decisions,
    z_decisions,
)
from tools.experiment import stats

SEED = 20_261_205
ALPHA = 0.05
BASELINE = 0.05
LIFT = 0.1  # relative: 5% -> 5.5%
LOOKS = 20  # looks (batches) per test, equally spaced
LIFTED = round(BASELINE * (1 + LIFT), 6)
AA_SCENARIOS = (Scenario("2 variants at 5%", (BASELINE,) * 2), Scenario("3 variants at 5%", (BASELINE,) * 3))
POWER_SCENARIOS = (
    Scenario("2 variants: 5% vs 5.5%", (BASELINE, LIFTED)),
    Scenario("3 variants: 5%, 5%, 5.5%", (BASELINE, BASELINE, LIFTED)),
)
ALLOCATION_LIFTS = (0.1, 0.3)
TOOL = "the tool (anytime-valid, looked at every look)"
NAIVE = "naive z-test, peeked at every look"
FIXED = "fixed-horizon z-test, looked at once at the end"


def rng(*key: int) -> np.random.Generator:
    return np.random.default_rng([SEED, *key])


def plan(arms: int) -> stats.SamplePlan:
    return stats.plan_sample_size(BASELINE, LIFT, ALPHA, arms=arms)


def per_look(per_arm: int) -> int:
    """Exposures per variant between looks so that LOOKS looks reach at least `per_arm`."""
    return math.ceil(per_arm / LOOKS)


def fixed_size(arms: int) -> int:
    """Exposures per variant at the last look of a test sized for a fixed-horizon test (80% power at a 10% lift),
    rounded up to LOOKS equal looks."""
    return per_look(plan(arms).fixed_per_arm) * LOOKS


# ---- A/A under peeking --------------------------------------------------------------------------------------


def aa_study(report: SuiteReport, tests: int, adaptive_tests: int) -> None:
    rows: list[list[Cell]] = []
    for index, scenario in enumerate(AA_SCENARIOS):
        counts = even_counts(scenario.rates, per_look(plan(scenario.arms).fixed_per_arm), LOOKS, tests, rng(1, index))
        rows += _aa_rows(report, scenario.label, "even split", counts)
    scenario = AA_SCENARIOS[0]
    batch = per_look(plan(scenario.arms).fixed_per_arm) * scenario.arms
    counts = allocate(ToolAllocation(ALPHA), scenario.rates, batch, LOOKS, adaptive_tests, rng(1, 9))
    rows += _aa_rows(report, scenario.label, "the tool's own allocation", counts)
    report.tables.append(
        Table(
            title=f"A/A tests under peeking: equal true rates, {LOOKS} equal looks up to the fixed-horizon size for "
            f"80% power at a 10% lift ({fixed_size(2):,} per variant with 2 variants, {fixed_size(3):,} with 3)",
            columns=["scenario", "traffic", "method", "tests", "false winners", "share", "95% low", "95% high"],
            rows=rows,
            note="Any winner declared at any look is false: the rates are equal. Shares with an exact binomial 95% "
            "interval. The z-tests are pooled two-proportion tests, two-sided, each pair at alpha / pairs (0.05 with "
            "2 variants, 0.0167 with 3); the peeked one stops at the first look with a variant above every other. "
            "'The tool's own allocation' splits each batch as analyze_experiment's next_allocation says (Thompson "
            "sampling with a 10% floor per variant, all traffic to a declared winner).",
        )
    )


def _aa_rows(report: SuiteReport, scenario: str, traffic: str, counts: Counts) -> list[list[Cell]]:
    tests = counts.shape[0]
    rows: list[list[Cell]] = []
    for method, decisions in _three_methods(counts):
        false = int(decisions.decided().sum())
        low, high = share_interval(false, tests)
        rows.append([scenario, traffic, method, tests, false, false / tests, low, high])
        if method == TOOL:
            report.target(
                f"A/A false winners over {LOOKS} looks (tool; {scenario}, {traffic})", false / tests, at_most=0.05
            )
    return rows


def _three_methods(counts: Counts) -> list[tuple[str, Decisions]]:
    return [
        (TOOL, tool_decisions(counts, ALPHA)),
        (NAIVE, z_decisions(counts, ALPHA, every_look=True)),
        (FIXED, z_decisions(counts, ALPHA, every_look=False)),
    ]


# ---- power at a true 10% lift --------------------------------------------------------------------------------


def power_study(report: SuiteReport, tests: int) -> None:
    rows: list[list[Cell]] = []
    for index, scenario in enumerate(POWER_SCENARIOS):
        planned = plan(scenario.arms)
        sizes = (("fixed-horizon size", planned.fixed_per_arm), ("the tool's planned size", planned.sequential_per_arm))
        worst = 0.0
        for size_index, (size_label, per_arm) in enumerate(sizes):
            step = per_look(per_arm)
            counts = even_counts(scenario.rates, step, LOOKS, tests, rng(2, index, size_index))
            for method, decisions in _three_methods(counts):
                right = float(decisions.right(scenario.best).mean())
                wrong = float(decisions.wrong(scenario.best).mean())
                median, mean = exposures_at_decision(decisions, counts)
                label = f"{size_label}: {step * LOOKS:,} per variant"
                rows.append([scenario.label, label, method, tests, right, wrong, 1 - right - wrong, median, mean])
                if method == TOOL:
                    worst = max(worst, wrong)
        report.target(
            f"wrong winners at a true 10% lift (tool; {scenario.label}; worse of the two sizes)", worst, at_most=0.01
        )
    report.tables.append(
        Table(
            title=f"Power at a true 10% lift (5% -> 5.5%), even split, {LOOKS} equal looks, at the fixed-horizon size "
            "for 80% power and at the tool's own planned size",
            columns=[
                "scenario",
                "size",
                "method",
                "tests",
                "right winner",
                "wrong winner",
                "no decision",
                "median exposures per variant at decision",
                "mean exposures per variant used",
            ],
            rows=rows,
            note="Right winner: the 5.5% variant declared best (by the end for the fixed-horizon test). Median "
            "exposures at decision are among tests that decided; mean exposures used counts a test that never "
            "decided at the full size. Sizes from stats.plan_sample_size (Bonferroni over pairs with 3 variants), "
            f"rounded up to {LOOKS} equal looks.",
        )
    )


# ---- allocation: regret against an even split ---------------------------------------------------------------


def allocation_study(report: SuiteReport, runs: int) -> None:
    rows: list[list[Cell]] = []
    for index, arms in enumerate((2, 3)):
        batch = per_look(plan(arms).fixed_per_arm) * arms
        for lift_index, lift in enumerate(ALLOCATION_LIFTS):
            rates = (*(BASELINE,) * (arms - 1), round(BASELINE * (1 + lift), 6))
            scenario = Scenario(f"{arms} variants: {', '.join(f'{r:.2%}' for r in rates)}", rates)
            policies: list[Policy] = [EvenSplit(), ToolAllocation(ALPHA), ThompsonSampling(), EpsilonGreedy(0.1)]
            for policy_index, policy in enumerate(policies):
                counts = allocate(policy, rates, batch, LOOKS, runs, rng(3, index, lift_index, policy_index))
                row = _allocation_row(scenario, lift, policy, counts, batch * LOOKS)
                rows.append(row)
                if isinstance(policy, ToolAllocation):
                    report.target(
                        f"regret / even split (tool's allocation; {scenario.label}, {lift:.0%} lift)",
                        row[4] if isinstance(row[4], float) else None,
                        at_most=0.5,
                    )
    report.tables.append(
        Table(
            title=f"Allocation: regret over {LOOKS} batches against an even split ({runs} seeded runs per row; "
            f"horizon: the fixed-horizon size for a 10% lift, {fixed_size(2) * 2:,} exposures with 2 variants, "
            f"{fixed_size(3) * 3:,} with 3, for both lifts)",
            columns=[
                "scenario",
                "lift",
                "policy",
                "mean regret (conversions)",
                "regret / even split",
                "95% low",
                "95% high",
                "share of traffic to the best",
                "right winner",
                "wrong winner",
                "median batch of decision",
            ],
            rows=rows,
            note="Regret: the sum over exposures of the best rate minus the chosen variant's rate (expected "
            "conversions lost), averaged over runs, as a ratio to the even split's expected regret over the same "
            "horizon (mean +- 1.96 standard errors). Each batch's exposures are drawn multinomially from the "
            "policy's shares. Only the tool declares winners (its first_winner after each batch); the peers allocate "
            "and never stop.",
        )
    )


def _allocation_row(scenario: Scenario, lift: float, policy: Policy, counts: Counts, total: int) -> list[Cell]:
    lost = regret(counts, scenario.rates)
    baseline = even_regret(scenario.rates, total)
    spread = 1.96 * float(lost.std(ddof=1)) / math.sqrt(len(lost)) / baseline if len(lost) > 1 else 0.0
    ratio = float(lost.mean()) / baseline
    best = scenario.best if scenario.best is not None else 0
    to_best = float((counts.exposures[:, -1, best] / counts.exposures[:, -1].sum(axis=1)).mean())
    right: Cell = None
    wrong: Cell = None
    median: Cell = None
    if isinstance(policy, ToolAllocation):
        decisions = tool_decisions(counts, ALPHA)
        right, wrong = float(decisions.right(best).mean()), float(decisions.wrong(best).mean())
        decided = decisions.look[decisions.decided()]
        median = float(np.median(decided)) + 1 if decided.size else None
    row: list[Cell] = [scenario.label, f"{lift:.0%}", policy.name, float(lost.mean()), ratio, ratio - spread]
    return [*row, ratio + spread, to_best, right, wrong, median]
