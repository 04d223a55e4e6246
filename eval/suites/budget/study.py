"""One known-truth process through both models: our budget model (fitted by `fit_budget_model`, planned by the
tool's own `best_split`) and the ridge peer (its curves through the same `maximise`), each channel's ROAS and
contribution share against the truth, and each plan scored on the TRUE curves against the oracle's split."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from eval.suites.budget.ridge import RidgePeer, fit_ridge_peer
from tools.budget.data import spend_table_from_frame, weekly_array
from tools.budget.model import BudgetPosterior, FitConfig, fit_budget_model
from tools.budget.optimise import maximise
from tools.budget.simulate import Process
from tools.budget.tool import best_split

PLAN_WEEKS = 4  # a month
BUDGETS = (1.0, 1.5)  # x the data's average weekly total spend x PLAN_WEEKS


@dataclass(frozen=True)
class ChannelResult:
    """One channel of one process: the truth, our posterior's summaries, the ridge peer's point estimates."""

    channel: str
    true_roas: float
    true_share: float
    roas: float  # our posterior median
    roas_q: dict[str, float]  # our quantiles by name: q03, q05, q95, q97
    share: float
    share_q: dict[str, float]
    ridge_roas: float
    ridge_share: float

    def roas_error(self) -> float:
        return abs(self.roas - self.true_roas) / self.true_roas

    def share_error(self) -> float:
        return abs(self.share - self.true_share) / self.true_share

    def ridge_roas_error(self) -> float:
        return abs(self.ridge_roas - self.true_roas) / self.true_roas

    def ridge_share_error(self) -> float:
        return abs(self.ridge_share - self.true_share) / self.true_share

    def roas_covered(self, low: str, high: str) -> bool:
        return self.roas_q[low] <= self.true_roas <= self.roas_q[high]

    def share_covered(self, low: str, high: str) -> bool:
        return self.share_q[low] <= self.true_share <= self.share_q[high]


@dataclass(frozen=True)
class PlanScore:
    """A budget's split by each method, scored on the true curves as a share of the oracle's outcome."""

    multiple: float  # of the data's average spend over the period
    total: float
    oracle_outcome: float
    ours: float  # share of the oracle's incremental outcome
    ridge: float
    historical: float


@dataclass(frozen=True)
class ProcessResult:
    family: str  # "documented", "example" or "harder"
    seed: int
    weeks: int
    channels: list[ChannelResult]
    plans: list[PlanScore]
    fit_seconds: float
    ridge_seconds: float
    diagnostics: dict[str, object]
    ridge_decays: list[float]


def study(process: Process, family: str, seed: int, config: FitConfig) -> ProcessResult:
    table = spend_table_from_frame(process.frame, source=f"{family} seed {seed}")
    started = time.perf_counter()
    posterior = fit_budget_model(table, config)
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    ridge = fit_ridge_peer(table)
    ridge_seconds = time.perf_counter() - started
    weekly_total = float(weekly_array(table).sum(axis=1).mean())
    plans = [plan_score(process, posterior, ridge, m, m * weekly_total * PLAN_WEEKS) for m in BUDGETS]
    return ProcessResult(
        family=family,
        seed=seed,
        weeks=table.weeks,
        channels=channel_results(process, posterior, ridge),
        plans=plans,
        fit_seconds=fit_seconds,
        ridge_seconds=ridge_seconds,
        diagnostics=posterior.diagnostics,
        ridge_decays=[float(d) for d in ridge.decays],
    )


def channel_results(process: Process, posterior: BudgetPosterior, ridge: RidgePeer) -> list[ChannelResult]:
    true_roas, true_share = process.roas(), process.contribution_share()
    roas, share = posterior.roas(), posterior.contribution_share()
    levels = {"q03": 0.03, "q05": 0.05, "q95": 0.95, "q97": 0.97}
    ridge_roas, ridge_share = ridge.roas(), ridge.contribution_share()
    return [
        ChannelResult(
            channel=name,
            true_roas=true_roas[name],
            true_share=true_share[name],
            roas=float(np.median(roas[:, i])),
            roas_q={k: float(np.quantile(roas[:, i], q)) for k, q in levels.items()},
            share=float(np.median(share[:, i])),
            share_q={k: float(np.quantile(share[:, i], q)) for k, q in levels.items()},
            ridge_roas=float(ridge_roas[i]),
            ridge_share=float(ridge_share[i]),
        )
        for i, name in enumerate(posterior.channels)
    ]


def plan_score(
    process: Process, posterior: BudgetPosterior, ridge: RidgePeer, multiple: float, total: float
) -> PlanScore:
    names = posterior.channels
    oracle = process.outcome_of(process.oracle(total, PLAN_WEEKS), PLAN_WEEKS)
    ours, _ = best_split(posterior, total, PLAN_WEEKS, list(names), {}, {}, [], [])
    spent = np.array([process.spend(n).sum() for n in names])
    historical = spent / spent.sum() * total

    def outcome(split: np.ndarray) -> float:
        return process.outcome_of(dict(zip(names, (float(s) for s in split), strict=True)), PLAN_WEEKS)

    return PlanScore(
        multiple=multiple,
        total=total,
        oracle_outcome=oracle,
        ours=outcome(ours) / oracle,
        ridge=outcome(ridge_split(ridge, total, historical)) / oracle,
        historical=outcome(historical) / oracle,
    )


def ridge_split(ridge: RidgePeer, total: float, start: np.ndarray) -> np.ndarray:
    """The ridge peer's plan: the optimiser plan_budget uses, on the peer's curves, from the historical split too
    (as the tool starts from today's)."""
    curves = [
        lambda s, c=c: np.asarray(ridge.period_outcome(c, float(s), PLAN_WEEKS)) for c in range(len(ridge.channels))
    ]
    n = len(curves)
    return maximise(curves, total, [0.0] * n, [total] * n, starts=[list(start)])
