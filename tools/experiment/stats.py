"""The statistics of an ad test: anytime-valid decisions, Bayesian summaries, the next split and the planner.

A marketer looks at a running test every day. A fixed-horizon test checked at every look declares false winners
far more often than its alpha (the peeking problem), so every decision here is made on confidence sequences:
intervals that hold at every look at once, however often and whenever the test is looked at or stopped.

- Each variant's rate: Robbins' beta-binomial mixture confidence sequence for a Bernoulli mean (Robbins 1970,
  "Statistical methods related to the law of the iterated logarithm"; Howard, Ramdas, McAuliffe & Sekhon 2021,
  "Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of Statistics). Exact: it needs no
  normal approximation, and it stays valid when traffic is reallocated between variants as the test runs.
- Differences between variants: the normal-mixture sequential probability ratio test (mSPRT) of Johari, Koomen,
  Pekelis & Walsh ("Always valid inference: continuous monitoring of A/B tests", Operations Research 2022), the
  test behind Optimizely's Stats Engine, inverted into a confidence sequence for each pair's difference in rates.
  All pairs are held at once by a Bonferroni split of alpha, so in an A/A test no winner is declared with
  probability at least 1 - alpha across every look.
- When the rows carry dates, each interval is the running intersection of the intervals after each day (a
  confidence sequence may be intersected over time and stays valid), so a decision once reached is kept.
- Probability of being best and expected loss come from Beta(1 + conversions, 1 + misses) posteriors; the next
  split is Thompson sampling (Thompson 1933; Agrawal & Goyal 2012 for its regret) with a floor per variant, so
  the test earns while it runs and every variant keeps gathering the data the decision needs.
- The planner is the classic fixed-horizon size for two proportions (Fleiss, Levin & Paik 2003, via statsmodels),
  and beside it the size at which the anytime-valid test finds the same lift with the same power.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

POSTERIOR_DRAWS = 20_000
# The mSPRT's mixing spread, as a share of the pooled rate: the size of difference the test is tuned to find
# soonest (a 10% relative lift, the size marketers ask about most). Any value keeps the test valid.
MIXTURE_LIFT = 0.1
MIN_EXPOSURES = 100  # below this per variant no decision is made: the normal mixture needs some data first


@dataclass(frozen=True)
class Arm:
    """One variant's totals so far."""

    variant_id: str
    exposures: int
    conversions: int
    revenue: float | None = None

    @property
    def rate(self) -> float:
        return self.conversions / self.exposures if self.exposures else 0.0


# ---- confidence sequences ----------------------------------------------------------------------------------


def _log_mixture_ratio(p: float, conversions: int, exposures: int, a: float = 0.5, b: float = 0.5) -> float:
    """log of the beta-binomial mixture martingale against the null rate p: log B(a+s, b+n-s)/B(a, b) minus the
    log likelihood of the counts at p. Its exceeding log(1/alpha) at any time has probability at most alpha."""
    s, n = conversions, exposures
    mixture = special.betaln(a + s, b + n - s) - special.betaln(a, b)
    likelihood = special.xlogy(s, p) + special.xlog1py(n - s, -p)
    return float(mixture - likelihood)


def rate_sequence(conversions: int, exposures: int, alpha: float) -> tuple[float, float]:
    """The (1 - alpha) confidence sequence for a variant's rate after `exposures` sends with `conversions`: every
    rate whose mixture likelihood ratio stays below 1/alpha. The estimate itself is always inside (the mixture's
    likelihood never exceeds the maximum likelihood), so each end is found between it and 0 or 1."""
    if exposures <= 0:
        return 0.0, 1.0
    bound = math.log(1 / alpha)
    estimate = conversions / exposures

    def excess(p: float) -> float:
        return _log_mixture_ratio(p, conversions, exposures) - bound

    edge_low, edge_high = 1e-300, 1 - 1e-16
    low = 0.0
    if conversions > 0 and excess(edge_low) > 0:
        low = optimize.brentq(excess, edge_low, estimate, xtol=1e-15)
    high = 1.0
    if conversions < exposures and excess(edge_high) > 0:
        high = optimize.brentq(excess, estimate, edge_high, xtol=1e-15)
    return float(low), float(high)


def mixture_half_width(variance: float, tau2: float, alpha: float) -> float:
    """Half-width of the mSPRT's confidence sequence for an estimate with variance `variance` under a normal
    mixture of variance `tau2`: where sqrt(V / (V + tau2)) exp(tau2 x^2 / (2 V (V + tau2))) reaches 1/alpha."""
    return math.sqrt(
        variance * (variance + tau2) / tau2 * (2 * math.log(1 / alpha) + math.log((variance + tau2) / variance))
    )


def difference_sequence(first: Arm, second: Arm, alpha: float, pooled_rate: float) -> tuple[float, float]:
    """The (1 - alpha) confidence sequence for rate(first) - rate(second), from the mSPRT with a normal mixture
    of spread tau = MIXTURE_LIFT x pooled rate: the differences d whose mixture likelihood ratio
    sqrt(V / (V + tau^2)) exp(tau^2 (estimate - d)^2 / (2 V (V + tau^2))) stays below 1/alpha, V being the
    estimate's variance. Rates are smoothed by half a conversion so that a variant with none has a variance."""
    if first.exposures <= 0 or second.exposures <= 0:
        return -1.0, 1.0
    p1 = (first.conversions + 0.5) / (first.exposures + 1)
    p2 = (second.conversions + 0.5) / (second.exposures + 1)
    variance = p1 * (1 - p1) / first.exposures + p2 * (1 - p2) / second.exposures
    tau2 = (MIXTURE_LIFT * max(pooled_rate, 1e-6)) ** 2
    half = mixture_half_width(variance, tau2, alpha)
    estimate = first.rate - second.rate
    return estimate - half, estimate + half


# ---- the decision -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intervals:
    """Every interval a decision reads, after the last look (running intersections over looks when dated)."""

    rates: dict[str, tuple[float, float]]
    differences: dict[tuple[str, str], tuple[float, float]]  # (a, b) -> interval for rate(a) - rate(b)


def pair_alpha(alpha: float, n_arms: int) -> float:
    """Alpha for each pair's difference, so that all pairs hold at once (Bonferroni)."""
    pairs = n_arms * (n_arms - 1) // 2
    return alpha / max(pairs, 1)


def intervals(looks: Sequence[Sequence[Arm]], alpha: float, *, with_rates: bool = True) -> Intervals:
    """Confidence sequences after each look (cumulative totals per variant, same variants at every look, in the
    same order), intersected over the looks: valid at every look at once. `with_rates=False` skips the per-variant
    rate intervals (the decision reads only the differences)."""
    names = [arm.variant_id for arm in looks[-1]]
    found = Intervals(
        dict.fromkeys(names, (0.0, 1.0)),
        {(a, b): (-1.0, 1.0) for i, a in enumerate(names) for b in names[i + 1 :]},
    )
    for look in looks:
        narrow(found, look, alpha, with_rates=with_rates)
    return found


def narrow(found: Intervals, look: Sequence[Arm], alpha: float, *, with_rates: bool = True) -> None:
    """Intersect `found` (in place) with the intervals after one more look."""
    if with_rates:
        for arm in look:
            low, high = rate_sequence(arm.conversions, arm.exposures, alpha)
            old = found.rates[arm.variant_id]
            found.rates[arm.variant_id] = (max(old[0], low), min(old[1], high))
    if min(arm.exposures for arm in look) < MIN_EXPOSURES:
        return
    exposures = sum(arm.exposures for arm in look)
    pooled = sum(arm.conversions for arm in look) / exposures
    per_pair = pair_alpha(alpha, len(look))
    for i, first in enumerate(look):
        for second in look[i + 1 :]:
            low, high = difference_sequence(first, second, per_pair, pooled)
            old = found.differences[(first.variant_id, second.variant_id)]
            found.differences[(first.variant_id, second.variant_id)] = (max(old[0], low), min(old[1], high))


def first_winner(looks: Sequence[Sequence[Arm]], alpha: float) -> tuple[int, str] | None:
    """(index of the first look at which a winner is declared, the winner), or None: the test monitored at every
    look, exactly as analyze_experiment decides after each day (for simulations)."""
    names = [arm.variant_id for arm in looks[-1]]
    found = Intervals(
        dict.fromkeys(names, (0.0, 1.0)),
        {(a, b): (-1.0, 1.0) for i, a in enumerate(names) for b in names[i + 1 :]},
    )
    for index, look in enumerate(looks):
        narrow(found, look, alpha, with_rates=False)
        best = winner(found, names)
        if best is not None:
            return index, best
    return None


def difference(found: Intervals, first: str, second: str) -> tuple[float, float]:
    """The interval for rate(first) - rate(second)."""
    if (first, second) in found.differences:
        return found.differences[(first, second)]
    low, high = found.differences[(second, first)]
    return -high, -low


def winner(found: Intervals, names: Sequence[str]) -> str | None:
    """The variant whose rate is above every other's at the test's level (each difference's interval above
    zero), or None."""
    for name in names:
        if all(difference(found, name, other)[0] > 0 for other in names if other != name):
            return name
    return None


def equivalent(found: Intervals, names: Sequence[str], margin: float) -> bool:
    """True when every pair's difference is known to lie within +-margin (no difference worth having)."""
    return all(
        -margin < difference(found, a, b)[0] and difference(found, a, b)[1] < margin
        for i, a in enumerate(names)
        for b in names[i + 1 :]
    )


# ---- Bayesian summaries and the next split ------------------------------------------------------------------


@dataclass(frozen=True)
class Posterior:
    prob_best: dict[str, float]
    expected_loss: dict[str, float]  # E[max rate - this rate]: conversions per exposure given up by choosing it


def posterior(arms: Sequence[Arm], seed: int = 0) -> Posterior:
    """Probability of being best and expected loss from Beta(1 + conversions, 1 + misses) posteriors (Monte Carlo,
    seeded from the counts so the same data always gives the same figures)."""
    rng = np.random.default_rng([seed, *(arm.conversions for arm in arms), *(arm.exposures for arm in arms)])
    draws = np.stack(
        [rng.beta(1 + arm.conversions, 1 + arm.exposures - arm.conversions, POSTERIOR_DRAWS) for arm in arms]
    )
    best = draws.argmax(axis=0)
    top = draws.max(axis=0)
    names = [arm.variant_id for arm in arms]
    prob = np.bincount(best, minlength=len(arms)) / POSTERIOR_DRAWS
    loss = (top[None, :] - draws).mean(axis=1)
    # variants with the same counts have the same posterior: share their figures exactly, not up to sampling noise
    counts = [(arm.exposures, arm.conversions) for arm in arms]
    for same in {tuple(i for i, c in enumerate(counts) if c == key) for key in counts}:
        prob[list(same)] = prob[list(same)].mean()
        loss[list(same)] = loss[list(same)].mean()
    return Posterior(
        {n: float(p) for n, p in zip(names, prob, strict=True)},
        {n: float(v) for n, v in zip(names, loss, strict=True)},
    )


def default_floor(n_arms: int) -> float:
    """Each variant's least share of the next traffic: 10% with up to five variants, half an even share beyond."""
    return min(0.1, 0.5 / n_arms)


def thompson_split(prob_best: Sequence[float], floor: float) -> list[float]:
    """Thompson sampling's share per variant (its chance of being best: each exposure goes to a variant drawn from
    the posteriors) mixed with an even split so that every variant gets at least `floor`. Thompson sampling keeps
    regret low while the test runs; the floor keeps every variant gathering data, so the test can still end."""
    p = np.clip(np.asarray(prob_best, dtype=float), 0.0, 1.0)
    k = len(p)
    if not 0 <= floor * k <= 1:
        raise ValueError(f"a floor of {floor:.0%} per variant cannot hold for {k} variants")
    p = p / p.sum() if p.sum() > 0 else np.full(k, 1 / k)
    shares = floor + (1 - floor * k) * p
    return [float(s) for s in shares / shares.sum()]


# ---- the planner --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SamplePlan:
    baseline_rate: float
    relative_lift: float
    alpha: float
    power: float
    arms: int
    fixed_per_arm: int  # a classic test looked at once, at the end
    sequential_per_arm: int  # this tool's anytime-valid test, looked at as often as you like


def fixed_horizon_size(baseline: float, lifted: float, alpha: float, power: float) -> int:
    """Sends per variant for a two-sided two-proportion z-test (Fleiss, Levin & Paik 2003; statsmodels)."""
    from statsmodels.stats.proportion import samplesize_proportions_2indep_onetail

    size = samplesize_proportions_2indep_onetail(lifted - baseline, baseline, power, alpha=alpha)
    return math.ceil(float(size))


def sequential_size(baseline: float, lifted: float, alpha: float, power: float) -> int:
    """Sends per variant at which the anytime-valid difference interval excludes zero with probability `power`
    when the lift is real: the least n with |lift| - z_power sd(n) >= the interval's half-width at n."""
    pooled = (baseline + lifted) / 2
    gap = abs(lifted - baseline)
    z = float(stats.norm.ppf(power))

    def short(n: float) -> float:
        variance = (baseline * (1 - baseline) + lifted * (1 - lifted)) / n
        half = mixture_half_width(variance, (MIXTURE_LIFT * pooled) ** 2, alpha)
        return gap - z * math.sqrt(variance) - half

    low, high = 2.0, 2.0
    while short(high) < 0:
        high *= 2
        if high > 1e12:
            raise ValueError("the lift is too small to detect")
    return math.ceil(optimize.brentq(short, low, high)) if short(low) < 0 else 2


def plan_sample_size(
    baseline_rate: float, relative_lift: float, alpha: float = 0.05, power: float = 0.8, arms: int = 2
) -> SamplePlan:
    """Sends per variant (at an even split) to detect `relative_lift` (0.1 = 10%) over `baseline_rate` with
    `power`, all pairs at level `alpha` (Bonferroni over pairs when there are more than two variants, and each of
    the best variant's comparisons at a power that makes all of them succeed together with `power`)."""
    if not 0 < baseline_rate < 1:
        raise ValueError(f"the baseline rate must be between 0 and 1, not {baseline_rate:g}")
    if relative_lift <= 0:
        raise ValueError(f"the lift to detect must be above zero, not {relative_lift:g}")
    lifted = baseline_rate * (1 + relative_lift)
    if lifted >= 1:
        raise ValueError(f"a {relative_lift:.0%} lift on a {baseline_rate:.1%} rate would pass 100%")
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be between 0 and 1")
    if arms < 2:
        raise ValueError("a test needs at least two variants")
    level = pair_alpha(alpha, arms)
    # the best variant must beat each of the others: with k - 1 comparisons each at power 1 - (1 - power) / (k - 1),
    # all succeed together with probability at least `power` (Bonferroni on the misses)
    pair_power = 1 - (1 - power) / (arms - 1)
    return SamplePlan(
        baseline_rate=baseline_rate,
        relative_lift=relative_lift,
        alpha=alpha,
        power=power,
        arms=arms,
        fixed_per_arm=fixed_horizon_size(baseline_rate, lifted, level, pair_power),
        sequential_per_arm=sequential_size(baseline_rate, lifted, level, pair_power),
    )
