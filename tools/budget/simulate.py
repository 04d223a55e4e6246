"""Marketing-mix processes with known truth: the benchmark's, the tests' and the demo store's weekly spend.

Every process is the same model family the budget model fits: per channel, normalised geometric adstock
(`l_max` weeks) then logistic saturation, scaled by a coefficient, added to a baseline (intercept, trend,
seasonality, events) and Gaussian noise. Because the truth is known, so are each channel's ROAS, contribution
share and weekly response curve, and the oracle allocation of any budget.

- `documented_example`: PyMC-Marketing's documented example process (two channels, adstock 0.4/0.2, logistic
  saturation 4/3, betas 3/2, 179 weeks from 2018-04-01, intercept 2, noise 0.25, trend, yearly seasonality and
  two events), regenerated here with its seed.
- `harder_process`: five channels whose spends are correlated at 0.6, with trend and seasonality.
- `with_media`: adds channels with known effects to an existing weekly outcome (the demo store's sales).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

L_MAX = 8  # weeks of carry-over, in the simulator and in the fitted model
EXAMPLE_SEED = sum(map(ord, "mmm"))  # the documented example's seed


def geometric_adstock(x: np.ndarray, alpha: float, l_max: int = L_MAX) -> np.ndarray:
    """Carry-over: this week's effective spend is a weighted sum of the last `l_max` weeks' (weights alpha**lag,
    normalised to sum to 1, so a steady spend stays the same)."""
    weights = alpha ** np.arange(l_max)
    weights = weights / weights.sum()
    out = np.zeros(len(x), dtype=float)
    for lag in range(l_max):
        out[lag:] += weights[lag] * x[: len(x) - lag]
    return out


def logistic_saturation(x: np.ndarray | float, lam: float | np.ndarray) -> np.ndarray:
    """Diminishing returns: (1 - e^(-lam x)) / (1 + e^(-lam x)), 0 at 0, approaching 1."""
    z = np.exp(-np.asarray(lam) * np.asarray(x, dtype=float))
    return np.asarray((1 - z) / (1 + z))


@dataclass(frozen=True)
class TrueChannel:
    """One channel's true effect: weekly contribution = beta * logistic(lam * adstock(spend) / scale)."""

    name: str
    alpha: float
    lam: float
    beta: float
    scale: float = 1.0

    def contribution(self, spend: np.ndarray) -> np.ndarray:
        return self.beta * logistic_saturation(geometric_adstock(spend, self.alpha) / self.scale, self.lam)

    def weekly_response(self, weekly_spend: np.ndarray | float) -> np.ndarray:
        """Contribution per week of a steady weekly spend (after carry-over has built up)."""
        return self.beta * logistic_saturation(np.asarray(weekly_spend, dtype=float) / self.scale, self.lam)


@dataclass(frozen=True)
class Process:
    """A simulated weekly data set (`frame`: date, spend_<channel>..., the outcome, controls) and its truth."""

    frame: pd.DataFrame
    channels: tuple[TrueChannel, ...]
    outcome: str = "sales"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.channels]

    def spend(self, name: str) -> np.ndarray:
        return self.frame[f"spend_{name}"].to_numpy(dtype=float)

    def contributions(self) -> dict[str, np.ndarray]:
        return {c.name: c.contribution(self.spend(c.name)) for c in self.channels}

    def roas(self) -> dict[str, float]:
        """Each channel's contribution over the data's period divided by its spend over that period."""
        return {name: float(c.sum() / self.spend(name).sum()) for name, c in self.contributions().items()}

    def contribution_share(self) -> dict[str, float]:
        totals = {name: float(c.sum()) for name, c in self.contributions().items()}
        whole = sum(totals.values())
        return {name: value / whole for name, value in totals.items()}

    def outcome_of(self, allocation: dict[str, float], weeks: int) -> float:
        """True incremental outcome over `weeks` of spending `allocation` (totals over the period) evenly."""
        by_name = {c.name: c for c in self.channels}
        return float(sum(by_name[n].weekly_response(s / weeks) * weeks for n, s in allocation.items()))

    def oracle(
        self,
        total: float,
        weeks: int,
        minimum: dict[str, float] | None = None,
        maximum: dict[str, float] | None = None,
    ) -> dict[str, float]:
        """The allocation of `total` over `weeks` that maximises the true outcome under the same bounds."""
        from tools.budget.optimise import maximise

        curves = [lambda s, c=c: c.weekly_response(np.asarray(s) / weeks) * weeks for c in self.channels]
        lows = [float((minimum or {}).get(n, 0.0)) for n in self.names]
        highs = [float((maximum or {}).get(n, total)) for n in self.names]
        best = maximise(curves, total, lows, highs)
        return dict(zip(self.names, (float(v) for v in best), strict=True))


def documented_example(seed: int = EXAMPLE_SEED) -> Process:
    """PyMC-Marketing's documented example process, regenerated (outcome column `sales`)."""
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2018-04-01", "2021-09-01", freq="W-MON")
    n = len(dates)
    x1 = rng.uniform(0.0, 1.0, n)
    x1 = np.where(x1 > 0.9, x1, x1 / 2)
    x2 = rng.uniform(0.0, 1.0, n)
    x2 = np.where(x2 > 0.8, x2, 0.0)
    channels = (TrueChannel("x1", 0.4, 4.0, 3.0), TrueChannel("x2", 0.2, 3.0, 2.0))
    trend = (np.linspace(0.0, 50.0, n) + 10) ** (1 / 4) - 1
    day = dates.dayofyear.to_numpy()
    seasonality = 0.5 * (-np.sin(2 * 2 * np.pi * day / 365.5) + np.cos(2 * np.pi * day / 365.5))
    event_1 = (dates == "2019-05-13").astype(float)
    event_2 = (dates == "2020-09-14").astype(float)
    noise = rng.normal(0.0, 0.25, n)
    media = channels[0].contribution(x1) + channels[1].contribution(x2)
    sales = 2.0 + trend + seasonality + 1.5 * event_1 + 2.5 * event_2 + media + noise
    frame = pd.DataFrame(
        {"date": dates, "spend_x1": x1, "spend_x2": x2, "sales": sales, "event_1": event_1, "event_2": event_2}
    )
    return Process(frame, channels)


def harder_process(seed: int, weeks: int = 156, correlation: float = 0.6) -> Process:
    """Five channels in dollars, weekly spends correlated at `correlation` (campaigns planned together), with an
    upward trend, yearly seasonality and noise; true effects drawn per seed."""
    rng = np.random.default_rng(seed)
    names = ("search", "social", "display", "tv", "video")
    k = len(names)
    dates = pd.date_range("2022-01-03", periods=weeks, freq="W-MON")
    cov = np.full((k, k), correlation) + (1 - correlation) * np.eye(k)
    latent = rng.multivariate_normal(np.zeros(k), cov, size=weeks)
    typical = np.array([9000.0, 7000.0, 4000.0, 12000.0, 5000.0])
    spends = typical * np.exp(0.45 * latent)  # log-normal, correlated
    spends[:, 3] *= rng.uniform(0, 1, weeks) > 0.35  # TV runs in flights
    channels = tuple(
        TrueChannel(
            name,
            alpha=float(rng.uniform(0.1, 0.7)),
            lam=float(rng.uniform(1.0, 3.5)),
            beta=float(rng.uniform(0.6, 1.6) * typical[i] * 2.2),
            scale=float(typical[i] * 2.0),
        )
        for i, name in enumerate(names)
    )
    t = np.arange(weeks)
    baseline = 60_000.0 * (1 + 0.25 * t / weeks) + 8_000.0 * np.sin(2 * np.pi * t / 52.18 + 0.4)
    media = sum(c.contribution(spends[:, i]) for i, c in enumerate(channels))
    sales = baseline + media + rng.normal(0.0, 2_500.0, weeks)
    frame = pd.DataFrame({"date": dates, **{f"spend_{n}": spends[:, i] for i, n in enumerate(names)}, "sales": sales})
    return Process(frame, channels)


def with_media(
    dates: Sequence[pd.Timestamp],
    baseline: np.ndarray,
    channels: Sequence[TrueChannel],
    typical_spend: Sequence[float],
    rng: np.random.Generator,
    noise: float = 0.0,
) -> Process:
    """Weekly spend for `channels` (flighted around `typical_spend`, correlated through a shared plan) and the
    outcome `baseline` plus their true contributions and optional noise."""
    weeks = len(dates)
    shared = rng.normal(0.0, 1.0, weeks)
    frame: dict[str, object] = {"date": pd.DatetimeIndex(list(dates))}
    media = np.zeros(weeks)
    for channel, typical in zip(channels, typical_spend, strict=True):
        own = rng.normal(0.0, 1.0, weeks)
        spend = typical * np.exp(0.35 * (0.5 * shared + 0.87 * own))
        spend *= rng.uniform(0, 1, weeks) > 0.2  # weeks off
        spend = np.round(spend, 2)
        frame[f"spend_{channel.name}"] = spend
        media += channel.contribution(spend)
    frame["sales"] = np.round(baseline + media + rng.normal(0.0, noise, weeks), 2)
    return Process(pd.DataFrame(frame), tuple(channels))
