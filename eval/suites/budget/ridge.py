"""The classic peer: ridge regression on fixed-decay adstock, the way marketing-mix models were fitted before
Bayesian ones (and still are in many spreadsheets).

Each channel's weekly spend goes through a geometric adstock with a decay picked from a grid (0.1 ... 0.8), then a
Hill saturation whose half-saturation is fixed at the channel's average adstocked spend (x / (x + K)); beside
them a linear trend, yearly Fourier terms (with a year and a half of data or more) and the file's controls. The
decays and the ridge penalty are chosen on a validation window cut from the END of the training data (the last
`VALIDATION_WEEKS` weeks; fitted on the weeks before), by a coordinate search over channels; then the chosen
model is refitted on every week. Nothing here sees the truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import Ridge

from tools.budget.data import SpendTable, weekly_array
from tools.budget.model import SEASONALITY_WEEKS
from tools.budget.simulate import geometric_adstock

DECAYS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
PENALTIES = (0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0)  # ridge alpha, on standardised features
VALIDATION_WEEKS = 26
PASSES = 2  # coordinate-search passes over the channels


@dataclass(frozen=True)
class RidgePeer:
    """A fitted ridge marketing-mix model: per channel the decay, the half-saturation and the coefficient of
    its saturated adstock feature (outcome units per unit of feature)."""

    channels: list[str]
    decays: np.ndarray  # (channels,)
    half_saturation: np.ndarray  # (channels,)
    coefficient: np.ndarray  # (channels,)
    penalty: float
    contribution: np.ndarray  # (channels,) contribution over the data's period
    spend_total: np.ndarray  # (channels,)

    def roas(self) -> np.ndarray:
        return np.asarray(self.contribution / self.spend_total)

    def contribution_share(self) -> np.ndarray:
        return np.asarray(self.contribution / self.contribution.sum())

    def period_outcome(self, channel: int, spend: float, weeks: int) -> float:
        """One channel's outcome over `weeks` of a steady weekly spend (`spend` over the period): the normalised
        adstock keeps a steady spend as it is."""
        weekly = spend / weeks
        k = float(self.half_saturation[channel])
        return float(self.coefficient[channel] * weekly / (weekly + k) * weeks)


def fit_ridge_peer(table: SpendTable) -> RidgePeer:
    spend = weekly_array(table)
    sales = table.frame["sales"].to_numpy(dtype=float)
    base = _base_features(table)
    n = len(table.channels)
    half = np.array([max(float(spend[:, c].mean()), 1e-9) for c in range(n)])
    fit_rows = np.arange(len(sales)) < len(sales) - VALIDATION_WEEKS
    decays = np.full(n, 0.4)
    best_error, penalty = np.inf, PENALTIES[0]
    for _ in range(PASSES):
        for c in range(n):
            for decay in DECAYS:
                trial = decays.copy()
                trial[c] = decay
                media = _media(spend, trial, half)
                error, chosen = _validation_error(np.hstack([media, base]), sales, fit_rows)
                if error < best_error - 1e-12:
                    best_error, penalty, decays = error, chosen, trial
    media = _media(spend, decays, half)
    coefficient = _fit(np.hstack([media, base]), sales, penalty)[:n]
    return RidgePeer(
        channels=list(table.channels),
        decays=decays,
        half_saturation=half,
        coefficient=coefficient,
        penalty=penalty,
        contribution=(media * coefficient).sum(axis=0),
        spend_total=spend.sum(axis=0),
    )


def _media(spend: np.ndarray, decays: np.ndarray, half: np.ndarray) -> np.ndarray:
    """(weeks, channels): Hill-saturated adstocked spend, each in [0, 1)."""
    stocked = np.column_stack([geometric_adstock(spend[:, c], float(decays[c])) for c in range(spend.shape[1])])
    return np.asarray(stocked / (stocked + half))


def _base_features(table: SpendTable) -> np.ndarray:
    weeks = table.weeks
    columns = [np.linspace(0.0, 1.0, weeks)]
    if weeks >= SEASONALITY_WEEKS:
        day = table.frame["date"].dt.dayofyear.to_numpy(dtype=float)
        for order in (1, 2):
            columns += [np.sin(2 * np.pi * order * day / 365.25), np.cos(2 * np.pi * order * day / 365.25)]
    columns += [table.frame[name].to_numpy(dtype=float) for name in table.controls]
    return np.column_stack(columns)


def _fit(features: np.ndarray, sales: np.ndarray, penalty: float) -> np.ndarray:
    """Coefficients on the original feature scale, from a ridge fit on standardised features."""
    mean, std = features.mean(axis=0), features.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    model = Ridge(alpha=penalty).fit((features - mean) / std, sales)
    return np.asarray(model.coef_ / std)


def _validation_error(features: np.ndarray, sales: np.ndarray, fit_rows: np.ndarray) -> tuple[float, float]:
    """The lowest validation mean squared error over the penalty grid, and its penalty."""
    train, held = features[fit_rows], features[~fit_rows]
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    best = (np.inf, PENALTIES[0])
    for penalty in PENALTIES:
        model = Ridge(alpha=penalty).fit((train - mean) / std, sales[fit_rows])
        error = float(np.mean((model.predict((held - mean) / std) - sales[~fit_rows]) ** 2))
        best = min(best, (error, penalty))
    return best
