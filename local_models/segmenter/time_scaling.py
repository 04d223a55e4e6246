"""How a customer's expected purchases grow with the forecast window, past the longest window the model trained on.

The customer model learns from label windows cut from the user's own history, so it can only be trained on windows
shorter than that history; asked for a longer one, its log-linear growth in log(window) is an extrapolation, and on
CDNOW (a cohort, all first purchases in one quarter) it fell 32% short of the holdout total. Here a BG/NBD (Fader,
Hardie and Lee 2005) fitted on the same history supplies the shape of each customer's cumulative purchase curve: the
model's forecast at its longest trained window is scaled by BG/NBD's ratio between the asked window and that one.
The model sets the level (what it learnt from the events), BG/NBD only the growth with time (buying at a steady
rate until dropping out), which is what it is built to describe.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, special

DAYS_PER_UNIT = 7.0  # BG/NBD is fitted in weeks, where its scale parameter is of order one


@dataclass(frozen=True)
class RepeatSummary:
    """Per customer (sorted by id), in weeks: repeat purchase days x, time of the last purchase t_x after the
    first, and time T from the first purchase to the as-of date."""

    customer_ids: np.ndarray  # (N,)
    x: np.ndarray  # (N,)
    t_x: np.ndarray  # (N,)
    T: np.ndarray  # (N,)


def repeat_summary(events: pd.DataFrame, as_of: pd.Timestamp) -> RepeatSummary:
    """The BG/NBD summary of daily events (one row per customer and purchase day) before `as_of`; returns-only
    days are not purchases."""
    past = events[events["date"] < as_of]
    if "is_return" in past:
        past = past[~past["is_return"].astype(bool)]
    grouped = past.groupby("customer_id")["date"]
    first, last, days = grouped.min(), grouped.max(), grouped.size()
    return RepeatSummary(
        customer_ids=first.index.to_numpy().astype(str),
        x=(days - 1).to_numpy(dtype=np.float64),
        t_x=(last - first).dt.days.to_numpy(dtype=np.float64) / DAYS_PER_UNIT,
        T=(as_of - first).dt.days.to_numpy(dtype=np.float64) / DAYS_PER_UNIT,
    )


@dataclass(frozen=True)
class BetaGeometricNBD:
    r: float
    alpha: float
    a: float
    b: float

    def expected_purchases(self, summary: RepeatSummary, days: float) -> np.ndarray:
        """Each customer's expected purchases in the next `days`, given their history (BG/NBD's conditional
        expectation, equation 10 of Fader, Hardie and Lee 2005)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        x, t_x, T, t = summary.x, summary.t_x, summary.T, days / DAYS_PER_UNIT
        hyper = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
        grown = (a + b + x - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyper)
        alive_odds = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + T) / (alpha + t_x)) ** (r + x), 0.0)
        expected: np.ndarray = np.maximum(grown / (1 + alive_odds), 0.0)
        return expected


def fit_bgnbd(summary: RepeatSummary) -> BetaGeometricNBD:
    """Maximum likelihood over log parameters, from a start that suits weekly data."""
    x, t_x, T = summary.x, summary.t_x, summary.T

    def negative_log_likelihood(log_params: np.ndarray) -> float:
        r, alpha, a, b = np.exp(np.clip(log_params, -10, 10))
        common = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha)
        beta_ab = special.betaln(a, b)
        stay = special.betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + T)
        drop = np.where(
            x > 0,
            special.betaln(a + 1, np.maximum(b + x - 1, 1e-12)) - beta_ab - (r + x) * np.log(alpha + t_x),
            -np.inf,
        )
        return -float(np.sum(common + np.logaddexp(stay, drop)))

    start = np.log([0.5, 5.0, 1.0, 3.0])
    result = optimize.minimize(negative_log_likelihood, start, method="Nelder-Mead", options={"maxiter": 4000})
    r, alpha, a, b = (float(v) for v in np.exp(np.clip(result.x, -10, 10)))
    return BetaGeometricNBD(r, alpha, a, b)


def bgnbd_expected(events: pd.DataFrame, as_of: pd.Timestamp, windows_days: tuple[int, ...]) -> pd.DataFrame:
    """Per customer id (rows) and window (columns): expected purchases in the window after `as_of`, from a BG/NBD
    fitted on the events before it."""
    summary = repeat_summary(events, as_of)
    if len(summary.x) == 0:
        return pd.DataFrame(columns=list(windows_days), dtype=np.float64)
    fitted = fit_bgnbd(summary)
    return pd.DataFrame({w: fitted.expected_purchases(summary, w) for w in windows_days}, index=summary.customer_ids)
