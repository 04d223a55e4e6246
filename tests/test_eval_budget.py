"""The budget eval suite's pieces, without fitting PyMC (the quick suite takes over a minute on 2 cores): the ridge
peer, the plan scoring on the true curves and the report's tables and targets. The figures belong to
`marketing-agent eval budget`."""

from __future__ import annotations

import numpy as np
import pytest

from eval.report import SuiteReport
from eval.suites.budget.ridge import DECAYS, fit_ridge_peer
from eval.suites.budget.study import PLAN_WEEKS, ProcessResult, channel_results, plan_score, ridge_split
from eval.suites.budget.tables import budget_tables, budget_targets
from tools.budget.data import spend_table_from_frame, weekly_array
from tools.budget.model import BudgetPosterior
from tools.budget.simulate import Process, documented_example


def truth_posterior(process: Process, draws: int = 40) -> BudgetPosterior:
    """A 'posterior' whose every draw is the true process (with a little spread in the contributions)."""
    table = spend_table_from_frame(process.frame)
    spend = weekly_array(table)
    n = len(process.channels)

    def tile(values: list[float]) -> np.ndarray:
        return np.tile(np.asarray(values, dtype=float), (draws, 1))

    contributions = np.array([c.sum() for c in process.contributions().values()])
    spread = 1 + 0.01 * np.random.default_rng(0).standard_normal((draws, n))
    return BudgetPosterior(
        channels=list(table.channels),
        controls=list(table.controls),
        outcome_label="sales",
        first_week="2018-04-02",
        last_week="2021-08-30",
        weeks=table.weeks,
        alpha=tile([c.alpha for c in process.channels]),
        lam=tile([c.lam for c in process.channels]),
        beta=tile([c.beta for c in process.channels]),
        channel_scale=np.array([c.scale for c in process.channels]),
        target_scale=1.0,
        contribution=contributions * spread,
        spend_total=spend.sum(axis=0),
        spend_recent=spend[-13:].mean(axis=0),
        spend_max=spend.max(axis=0),
        outcome_total=float(table.frame["sales"].sum()),
        diagnostics={"divergences": 0, "max_rhat": 1.0, "min_ess": 400.0, "converged": True},
    )


def test_the_ridge_peer_fits_the_documented_example_from_the_data_alone() -> None:
    process = documented_example()
    peer = fit_ridge_peer(spend_table_from_frame(process.frame))
    assert set(peer.decays.tolist()) <= set(DECAYS)
    assert peer.contribution_share().sum() == pytest.approx(1.0)
    truth = process.roas()
    # the classic approach lands in the right region, not on the truth
    for name, roas in zip(peer.channels, peer.roas(), strict=True):
        assert 0.5 * truth[name] < roas < 2.0 * truth[name]
    assert peer.period_outcome(0, 0.0, PLAN_WEEKS) == 0.0
    assert peer.period_outcome(0, 2.0, PLAN_WEEKS) > peer.period_outcome(0, 1.0, PLAN_WEEKS) > 0
    split = ridge_split(peer, 3.0, np.array([2.0, 1.0]))
    assert split.sum() == pytest.approx(3.0) and (split >= -1e-9).all()


def test_a_posterior_that_is_the_truth_plans_at_the_oracle_and_meets_the_recovery_targets() -> None:
    process = documented_example()
    posterior = truth_posterior(process)
    peer = fit_ridge_peer(spend_table_from_frame(process.frame))
    total = float(weekly_array(spend_table_from_frame(process.frame)).sum(axis=1).mean()) * PLAN_WEEKS
    score = plan_score(process, posterior, peer, 1.0, total)
    assert score.ours == pytest.approx(1.0, abs=1e-4)  # the tool's own split on the true curves is the oracle's
    assert score.historical <= 1.0 + 1e-9 and score.ridge <= 1.0 + 1e-9
    found = channel_results(process, posterior, peer)
    assert all(c.roas_error() < 0.05 and c.roas_covered("q03", "q97") for c in found)
    results = [
        ProcessResult(family, seed, 179, found, [score, score], 1.0, 0.1, posterior.diagnostics, [0.4, 0.2])
        for family, seed in (("documented", 327), ("example", 1), ("harder", 0))
    ]
    report = SuiteReport(suite="budget", mode="quick", command="marketing-agent eval budget --quick")
    budget_tables(report, results)
    budget_targets(report, results)
    assert len(report.tables) == 6 and all(table.rows for table in report.tables)
    assert all(t.passed for t in report.targets), [t for t in report.targets if not t.passed]
