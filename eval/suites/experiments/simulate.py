"""Simulated ad tests with a known truth: seeded binomial draws, looked at after each batch, judged by the tool's
own decision code (`stats.first_winner`, exactly what analyze_experiment decides after each day) and by the
z-tests a marketer would otherwise run on the same counts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from tools.experiment import stats

NAMES = ("A", "B", "C", "D", "E")  # variant ids; A is the control
NO_WINNER = -1


@dataclass(frozen=True)
class Scenario:
    """A test's true conversion rates, one per variant (the first is the control)."""

    label: str
    rates: tuple[float, ...]

    @property
    def arms(self) -> int:
        return len(self.rates)

    @property
    def best(self) -> int | None:
        """The index of the one best variant; None when the top rate is shared (an A/A test has no right winner)."""
        top = max(self.rates)
        return self.rates.index(top) if self.rates.count(top) == 1 else None


@dataclass(frozen=True)
class Counts:
    """Running totals per variant after each look, for many simulated tests at once."""

    exposures: np.ndarray  # (tests, looks, arms), cumulative
    conversions: np.ndarray  # (tests, looks, arms), cumulative

    @property
    def shape(self) -> tuple[int, int, int]:
        tests, looks, arms = self.exposures.shape
        return tests, looks, arms


@dataclass(frozen=True)
class Decisions:
    """What each simulated test decided: the first look with a winner and the winner's index (NO_WINNER for
    both when none was declared by the last look)."""

    look: np.ndarray  # (tests,)
    winner: np.ndarray  # (tests,)

    def decided(self) -> np.ndarray:
        return np.asarray(self.winner != NO_WINNER)

    def right(self, best: int | None) -> np.ndarray:
        return np.asarray(self.winner == best) if best is not None else np.zeros_like(self.decided())

    def wrong(self, best: int | None) -> np.ndarray:
        return np.asarray(self.decided() & ~self.right(best))


def even_counts(rates: tuple[float, ...], per_look: int, looks: int, tests: int, rng: np.random.Generator) -> Counts:
    """Tests with traffic split evenly: `per_look` new exposures per variant between looks."""
    new = rng.binomial(per_look, np.asarray(rates), size=(tests, looks, len(rates)))
    sent = per_look * np.arange(1, looks + 1)[None, :, None]
    return Counts(np.broadcast_to(sent, new.shape).copy(), new.cumsum(axis=1))


def arm_looks(exposures: np.ndarray, conversions: np.ndarray) -> list[list[stats.Arm]]:
    """One test's (looks, arms) running totals as the tool reads them: a list of variants' totals per look."""
    names = NAMES[: exposures.shape[1]]
    return [
        [stats.Arm(name, n, s) for name, n, s in zip(names, sent, got, strict=True)]
        for sent, got in zip(exposures.tolist(), conversions.tolist(), strict=True)
    ]


def tool_winner(exposures: np.ndarray, conversions: np.ndarray, alpha: float) -> tuple[int, int]:
    """(first look with a winner, the winner's index) for one test, from the tool's own decision code."""
    found = stats.first_winner(arm_looks(exposures, conversions), alpha)
    return (NO_WINNER, NO_WINNER) if found is None else (found[0], NAMES.index(found[1]))


def tool_decisions(counts: Counts, alpha: float) -> Decisions:
    """The tool's anytime-valid decision, looked at after every look of every test."""
    found = [tool_winner(n, s, alpha) for n, s in zip(counts.exposures, counts.conversions, strict=True)]
    looks, winners = zip(*found, strict=True) if found else ((), ())
    return Decisions(np.asarray(looks, dtype=int), np.asarray(winners, dtype=int))


def z_beats(counts: Counts, level: float) -> np.ndarray:
    """(tests, looks, arms): whether each variant's rate is above every other's by a pooled two-proportion z-test,
    two-sided at `level` per pair."""
    n = counts.exposures.astype(float)
    s = counts.conversions.astype(float)
    rate = s / np.maximum(n, 1.0)
    critical = float(scipy_stats.norm.ppf(1 - level / 2))
    arms = n.shape[2]
    beats = np.ones(n.shape, dtype=bool)
    for i in range(arms):
        for j in range(arms):
            if i == j:
                continue
            pooled = (s[..., i] + s[..., j]) / np.maximum(n[..., i] + n[..., j], 1.0)
            spread = np.sqrt(pooled * (1 - pooled) * (1 / np.maximum(n[..., i], 1.0) + 1 / np.maximum(n[..., j], 1.0)))
            z = np.divide(rate[..., i] - rate[..., j], spread, out=np.zeros_like(spread), where=spread > 0)
            beats[..., i] &= z > critical
    return beats


def z_decisions(counts: Counts, alpha: float, *, every_look: bool) -> Decisions:
    """The classic z-test, each pair at alpha / pairs (Bonferroni, as the tool's planner sizes it): peeked at every
    look and stopped at the first significant winner, or looked at once, at the end (`every_look=False`)."""
    tests, looks, arms = counts.shape
    if not every_look:
        counts = Counts(counts.exposures[:, -1:], counts.conversions[:, -1:])
    beats = z_beats(counts, stats.pair_alpha(alpha, arms))
    won = np.asarray(beats.any(axis=2))
    first = np.where(won.any(axis=1), won.argmax(axis=1), NO_WINNER)
    at_first = beats[np.arange(tests), np.maximum(first, 0)]
    winner = np.where(first >= 0, at_first.argmax(axis=1), NO_WINNER)
    look = first if every_look else np.where(first >= 0, looks - 1, NO_WINNER)
    return Decisions(look, winner)


def share_interval(hits: int, trials: int) -> tuple[float, float]:
    """Exact (Clopper-Pearson) 95% interval for a share."""
    found = scipy_stats.binomtest(hits, trials).proportion_ci(0.95, method="exact")
    return float(found.low), float(found.high)


def exposures_at_decision(decisions: Decisions, counts: Counts) -> tuple[float | None, float]:
    """(median exposures per variant at the deciding look, among tests that decided; mean exposures per variant a
    test used, undecided tests running to the last look)."""
    tests, looks, _ = counts.shape
    stop = np.where(decisions.decided(), decisions.look, looks - 1)
    per_arm = counts.exposures[np.arange(tests), stop].mean(axis=1)
    decided = per_arm[decisions.decided()]
    return (float(np.median(decided)) if decided.size else None), float(per_arm.mean())
