"""Who gets the next batch of traffic: the tool's allocation and the peers it is measured against, run on
simulated tests in batches, and the regret each leaves (expected conversions lost to worse variants)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from eval.suites.experiments.simulate import NAMES, NO_WINNER, Counts, arm_looks, tool_winner
from tools.experiment import stats

PEER_DRAWS = 4_000  # posterior draws per variant for the plain Thompson peer's chance of being best


class Policy(Protocol):
    name: str

    def shares(self, history: Counts, rng: np.random.Generator) -> np.ndarray:
        """(runs, arms) shares of the next batch, from the running totals after each batch so far (history's looks
        axis is empty before the first batch)."""
        ...


class EvenSplit:
    name = "even split (classic A/B)"

    def shares(self, history: Counts, rng: np.random.Generator) -> np.ndarray:
        runs, _, arms = history.shape
        return np.full((runs, arms), 1 / arms)


class ToolAllocation:
    """analyze_experiment's next_allocation after each batch: Thompson sampling with the default floor per variant
    (`stats.thompson_split` on `stats.posterior`) while no winner is declared, then all traffic to the winner."""

    name = "the tool: Thompson with floor, all to the winner once declared"

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self.winners: dict[int, int] = {}  # run -> the winner it declared

    def shares(self, history: Counts, rng: np.random.Generator) -> np.ndarray:
        runs, looks, arms = history.shape
        floor = stats.default_floor(arms)
        out = np.empty((runs, arms))
        for run in range(runs):
            if looks and run not in self.winners:
                _, winner = tool_winner(history.exposures[run], history.conversions[run], self.alpha)
                if winner != NO_WINNER:
                    self.winners[run] = winner
            if run in self.winners:
                out[run] = np.eye(arms)[self.winners[run]]
                continue
            if looks:
                latest = arm_looks(history.exposures[run, -1:], history.conversions[run, -1:])[0]
            else:
                latest = [stats.Arm(name, 0, 0) for name in NAMES[:arms]]
            posterior = stats.posterior(latest)
            out[run] = stats.thompson_split(list(posterior.prob_best.values()), floor=floor)
        return out


class ThompsonSampling:
    """Plain batched Thompson sampling: each variant's share is its posterior chance of being best (Beta(1, 1)
    priors), no floor, never stops."""

    name = "plain Thompson sampling (no floor, no stop)"

    def shares(self, history: Counts, rng: np.random.Generator) -> np.ndarray:
        runs, looks, arms = history.shape
        if not looks:
            return np.full((runs, arms), 1 / arms)
        n, s = history.exposures[:, -1], history.conversions[:, -1]
        draws = rng.beta(1 + s[..., None], 1 + n[..., None] - s[..., None], size=(runs, arms, PEER_DRAWS))
        best = draws.argmax(axis=1)  # (runs, draws)
        return np.stack([(best == arm).mean(axis=1) for arm in range(arms)], axis=1)


class EpsilonGreedy:
    """The variant with the best observed rate gets 1 - epsilon of the traffic, the rest is split evenly."""

    def __init__(self, epsilon: float) -> None:
        self.epsilon = epsilon
        self.name = f"epsilon-greedy (epsilon {epsilon:g})"

    def shares(self, history: Counts, rng: np.random.Generator) -> np.ndarray:
        runs, looks, arms = history.shape
        if not looks:
            return np.full((runs, arms), 1 / arms)
        rate = history.conversions[:, -1] / np.maximum(history.exposures[:, -1], 1)
        leader = np.eye(arms)[rate.argmax(axis=1)]
        return np.asarray(self.epsilon / arms + (1 - self.epsilon) * leader)


def allocate(
    policy: Policy, rates: tuple[float, ...], batch: int, batches: int, runs: int, rng: np.random.Generator
) -> Counts:
    """Run `runs` tests of `batches` batches of `batch` exposures each, the policy splitting every batch (each
    exposure's variant drawn from its shares); running totals after each batch."""
    arms = len(rates)
    exposures = np.zeros((runs, batches, arms), dtype=np.int64)
    conversions = np.zeros((runs, batches, arms), dtype=np.int64)
    sent_so_far = np.zeros((runs, arms), dtype=np.int64)
    got_so_far = np.zeros((runs, arms), dtype=np.int64)
    for b in range(batches):
        shares = policy.shares(Counts(exposures[:, :b], conversions[:, :b]), rng)
        shares = shares / shares.sum(axis=1, keepdims=True)
        sent = rng.multinomial(batch, shares)
        sent_so_far += sent
        got_so_far += rng.binomial(sent, np.asarray(rates))
        exposures[:, b], conversions[:, b] = sent_so_far, got_so_far
    return Counts(exposures, conversions)


def regret(counts: Counts, rates: tuple[float, ...]) -> np.ndarray:
    """Per run: expected conversions lost by sending exposures to variants below the best one."""
    gap = max(rates) - np.asarray(rates)
    return np.asarray((counts.exposures[:, -1] * gap).sum(axis=1), dtype=float)


def even_regret(rates: tuple[float, ...], total: int) -> float:
    """The regret an even split is expected to leave over `total` exposures."""
    return total * (max(rates) - float(np.mean(rates)))
