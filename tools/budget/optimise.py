"""Split a total across channels to maximise a sum of response curves, under per-channel bounds.

Each curve maps a channel's spend over the period to its outcome over the period; the budget model's curves
(adstock at steady state, then logistic saturation, averaged over the posterior) are concave, so scipy's SLSQP
from a few starting points finds the best split. Used for the model's plan and for the benchmark's oracle
(the same search on the true curves), so the two differ only in the curves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import minimize

SNAP = 1e-6  # a share of the budget this close to its floor is the floor

Curve = Callable[[np.ndarray], np.ndarray]


class InfeasibleBudget(ValueError):
    """The bounds cannot be met with this total."""


def check_feasible(total: float, lows: Sequence[float], highs: Sequence[float]) -> None:
    if total < 0:
        raise InfeasibleBudget("the budget must be zero or more")
    if sum(lows) > total + 1e-6:
        raise InfeasibleBudget(f"the minimums add up to {sum(lows):,.0f}, more than the budget of {total:,.0f}")
    if any(lo > hi + 1e-9 for lo, hi in zip(lows, highs, strict=True)):
        raise InfeasibleBudget("a channel's minimum is above its maximum")
    if sum(highs) < total - 1e-6:
        raise InfeasibleBudget(f"the maximums add up to {sum(highs):,.0f}, less than the budget of {total:,.0f}")


def maximise(
    curves: Sequence[Curve],
    total: float,
    lows: Sequence[float],
    highs: Sequence[float],
    starts: Sequence[Sequence[float]] = (),
) -> np.ndarray:
    """The spends (one per curve, summing to `total`, each within its bounds) with the largest summed outcome."""
    check_feasible(total, lows, highs)
    k = len(curves)
    if total == 0 or k == 1:
        return np.clip(np.full(k, total / max(k, 1)), lows, highs) if total else np.zeros(k)
    lo = np.asarray(lows, dtype=float) / total
    hi = np.minimum(np.asarray(highs, dtype=float), total) / total

    def value(share: np.ndarray) -> float:
        spends = np.clip(share, 0.0, None) * total
        return -float(sum(float(np.asarray(curve(np.asarray(s)))) for curve, s in zip(curves, spends, strict=True)))

    candidates = [_within(np.full(k, 1.0 / k), lo, hi)]
    candidates += [_within(np.asarray(s, dtype=float) / total, lo, hi) for s in starts]
    best: np.ndarray | None = None
    best_value = np.inf
    for start in candidates:
        found = minimize(
            value,
            start,
            method="SLSQP",
            bounds=list(zip(lo, hi, strict=True)),
            constraints=[{"type": "eq", "fun": lambda share: float(share.sum() - 1.0)}],
            options={"maxiter": 500, "ftol": 1e-12},
        )
        share = _within(np.asarray(found.x), lo, hi)
        score = value(share)
        if score < best_value:
            best, best_value = share, score
    assert best is not None
    return _snapped(best, lo, hi) * total


def _snapped(share: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Shares the solver left a hair above their floor (1e-6 of the budget) put on it, the rest to the largest
    share with room: a plan says "nothing on display", not "0.00004 on display"."""
    share = share.copy()
    tiny = (share - lo < SNAP) & (share > lo)
    if not tiny.any():
        return share
    spare = float((share[tiny] - lo[tiny]).sum())
    share[tiny] = lo[tiny]
    for k in np.argsort(-share):
        if not tiny[k] and hi[k] - share[k] >= spare:
            share[k] += spare
            return share
    return _within(share, lo, hi)


def _within(share: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """`share` moved inside the bounds and rescaled to sum to 1 (bounds permitting)."""
    share = np.clip(share, lo, hi)
    for _ in range(50):
        gap = 1.0 - share.sum()
        if abs(gap) < 1e-12:
            break
        room = (hi - share) if gap > 0 else (share - lo)
        if room.sum() <= 0:
            break
        share = np.clip(share + gap * room / room.sum(), lo, hi)
    return share
