"""The budget model: a Bayesian marketing-mix model fitted with PyMC-Marketing, kept as plain posterior draws.

Fitting: PyMC-Marketing's MMM (`pymc_marketing.mmm.multidimensional.MMM`) with per-channel geometric adstock
(carry-over, `L_MAX` weeks) and logistic saturation, a linear trend, yearly seasonality (Fourier terms, with a
year and a half of data or more), the file's controls, and saturation coefficients whose prior scales follow each
channel's spend share (PyMC-Marketing's own recommendation). NUTS on 2 chains; divergences, R-hat and effective
sample sizes are kept and reported.

Kept: the posterior draws of each channel's adstock, saturation and coefficient, the scales PyMC-Marketing
used, each channel's contribution over the data's period, and what the data held (spend, weeks). Plans and
scenarios are computed from these arrays with numpy, so answering never imports PyMC; the arrays reproduce
PyMC-Marketing's own channel contributions (checked at fit time).
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from tools.budget.data import SpendTable, weekly_array
from tools.budget.simulate import L_MAX, geometric_adstock, logistic_saturation

KIND = "budget_model"
FORMAT_VERSION = 1
RECENT_WEEKS = 13  # "current spend" is the average of the last quarter
SEASONALITY_WEEKS = 78  # Fourier seasonality from a year and a half of data
MAX_RHAT = 1.05
MIN_ESS = 100


@dataclass(frozen=True)
class FitConfig:
    draws: int = 500
    tune: int = 500
    chains: int = 2
    target_accept: float = 0.9
    seed: int = 0
    progress: bool = False


@dataclass
class BudgetPosterior:
    """Posterior draws (flattened over chains) and the facts of the data the model was fitted on."""

    channels: list[str]
    controls: list[str]
    outcome_label: str
    first_week: str
    last_week: str
    weeks: int
    alpha: np.ndarray  # (draws, channels) adstock decay
    lam: np.ndarray  # (draws, channels) saturation steepness, on PyMC-Marketing's scaled spend
    beta: np.ndarray  # (draws, channels) coefficient, on the scaled outcome
    channel_scale: np.ndarray  # (channels,) spend scale PyMC-Marketing divided by
    target_scale: float
    contribution: np.ndarray  # (draws, channels) contribution over the data's period, in outcome units
    spend_total: np.ndarray  # (channels,)
    spend_recent: np.ndarray  # (channels,) average weekly spend over the last RECENT_WEEKS weeks
    spend_max: np.ndarray  # (channels,) largest weekly spend seen
    outcome_total: float
    diagnostics: dict[str, Any] = field(default_factory=dict)
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def draws(self) -> int:
        return int(self.beta.shape[0])

    def index(self, channel: str) -> int:
        return self.channels.index(channel)

    def weekly_response(self, weekly_spend: np.ndarray) -> np.ndarray:
        """(draws, channels): each channel's contribution per week of a steady weekly spend (carry-over built up;
        the normalised adstock keeps a steady spend as it is). `weekly_spend` has shape (channels,) or
        (..., channels)."""
        x = np.asarray(weekly_spend, dtype=float) / self.channel_scale
        return np.asarray(self.beta * logistic_saturation(x[..., None, :], self.lam) * self.target_scale)

    def period_outcome(self, spend: np.ndarray, weeks: int) -> np.ndarray:
        """(draws, channels): each channel's outcome over `weeks` when its total `spend` is spread evenly."""
        return self.weekly_response(np.asarray(spend, dtype=float) / weeks) * weeks

    def roas(self) -> np.ndarray:
        """(draws, channels): contribution over the data's period / spend over that period."""
        return np.asarray(self.contribution / self.spend_total)

    def contribution_share(self) -> np.ndarray:
        """(draws, channels): each channel's share of the media contribution."""
        return np.asarray(self.contribution / self.contribution.sum(axis=1, keepdims=True))

    def fitted_contribution(self, spend: np.ndarray) -> np.ndarray:
        """(draws, weeks, channels) contributions over a spend history (weeks, channels), as PyMC-Marketing's."""
        out = np.empty((self.draws, spend.shape[0], len(self.channels)))
        for c in range(len(self.channels)):
            x = spend[:, c] / self.channel_scale[c]
            for d in range(self.draws):
                stocked = geometric_adstock(x, float(self.alpha[d, c]), L_MAX)
                out[d, :, c] = self.beta[d, c] * logistic_saturation(stocked, self.lam[d, c])
        return out * self.target_scale


def fit_budget_model(table: SpendTable, config: FitConfig = FitConfig()) -> BudgetPosterior:
    """Fit the marketing-mix model on a checked weekly table."""
    import pymc as pm
    from pymc_extras.prior import Prior
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    spend = weekly_array(table)
    share = spend.sum(axis=0) / spend.sum()
    n = len(table.channels)
    frame = table.frame.copy()
    frame["trend"] = np.linspace(0.0, 1.0, len(frame))
    controls = ["trend"]
    for name in table.controls:
        values = frame[name].to_numpy()
        binary = set(np.unique(values)) <= {0.0, 1.0}
        frame[f"control_{name}"] = values if binary else (values - values.mean()) / values.std()
        controls.append(f"control_{name}")
    saturation = LogisticSaturation(
        priors={
            "beta": Prior("HalfNormal", sigma=n * share, dims="channel"),
            "lam": Prior("Gamma", alpha=3, beta=1, dims="channel"),
        }
    )
    mmm = MMM(
        date_column="date",
        channel_columns=table.channels,
        target_column="sales",
        control_columns=controls,
        adstock=GeometricAdstock(l_max=L_MAX),
        saturation=saturation,
        yearly_seasonality=2 if table.weeks >= SEASONALITY_WEEKS else None,
    )
    X = frame[["date", *table.channels, *controls]]
    y = frame["sales"].rename("sales")
    started = time.perf_counter()
    with _quiet():
        mmm.build_model(X, y)
        mmm.add_original_scale_contribution_variable(var=["channel_contribution"])
        # Sampled here rather than by `mmm.fit`, which computes the deterministics with a progress bar it
        # cannot turn off (it would be drawn on a server's stdout); the steps are the same as fit's.
        with mmm.model:
            idata = pm.sample(
                var_names=[variable.name for variable in mmm.model.free_RVs],
                chains=config.chains,
                cores=min(config.chains, 2),
                draws=config.draws,
                tune=config.tune,
                target_accept=config.target_accept,
                random_seed=config.seed,
                progressbar=config.progress,
            )
            idata.posterior = pm.compute_deterministics(
                idata.posterior,
                merge_dataset=True,
                progressbar=config.progress,
            )
    seconds = time.perf_counter() - started
    post = idata.posterior

    def draws(name: str) -> np.ndarray:
        values = post[name].transpose("chain", "draw", "channel").to_numpy()
        return np.asarray(values.reshape(-1, values.shape[-1]), dtype=float)

    scales = mmm.get_scales_as_xarray()
    channel_scale = np.asarray(scales["channel_scale"].sel(channel=table.channels).to_numpy(), dtype=float)
    target_scale = float(np.asarray(scales["target_scale"].to_numpy()).reshape(-1)[0])
    contribution_series = post["channel_contribution_original_scale"].transpose("chain", "draw", "date", "channel")
    contribution = contribution_series.sum("date").to_numpy().reshape(-1, n)
    recent = spend[-RECENT_WEEKS:].mean(axis=0)
    posterior = BudgetPosterior(
        channels=list(table.channels),
        controls=list(table.controls),
        outcome_label=table.outcome_label,
        first_week=table.frame["date"].iloc[0].strftime("%Y-%m-%d"),
        last_week=table.frame["date"].iloc[-1].strftime("%Y-%m-%d"),
        weeks=table.weeks,
        alpha=draws("adstock_alpha"),
        lam=draws("saturation_lam"),
        beta=draws("saturation_beta"),
        channel_scale=channel_scale,
        target_scale=target_scale,
        contribution=np.asarray(contribution, dtype=float),
        spend_total=spend.sum(axis=0),
        spend_recent=recent,
        spend_max=spend.max(axis=0),
        outcome_total=float(table.frame["sales"].sum()),
        diagnostics=_diagnostics(idata, seconds, config),
    )
    _check_reproduces(posterior, spend, contribution_series.to_numpy().reshape(-1, table.weeks, n))
    posterior.manifest = {
        "data_fingerprint": fingerprint([table.frame.to_csv(index=False)]),
        "source": table.source,
        "config": config.__dict__,
        "engine": f"pymc-marketing {_version('pymc-marketing')}",
    }
    return posterior


def _diagnostics(idata: Any, seconds: float, config: FitConfig) -> dict[str, Any]:
    import arviz as az

    names = ["adstock_alpha", "saturation_lam", "saturation_beta"]
    with _quiet():
        rhat = az.rhat(idata, var_names=names)  # type: ignore[no-untyped-call]
        ess = az.ess(idata, var_names=names)  # type: ignore[no-untyped-call]
    max_rhat = max(float(rhat[name].max()) for name in names)
    min_ess = min(float(ess[name].min()) for name in names)
    divergences = int(idata.sample_stats["diverging"].sum())
    problems = []
    if divergences:
        problems.append(f"{divergences} divergent transitions: parts of the posterior may be missed")
    if not np.isfinite(max_rhat) or max_rhat > MAX_RHAT:
        problems.append(f"R-hat up to {max_rhat:.3f} (above {MAX_RHAT}): the chains disagree")
    if min_ess < MIN_ESS:
        problems.append(f"effective sample size down to {min_ess:.0f} (below {MIN_ESS}): intervals are rough")
    return {
        "divergences": divergences,
        "max_rhat": round(max_rhat, 4),
        "min_ess": round(min_ess, 1),
        "chains": config.chains,
        "draws": config.draws,
        "tune": config.tune,
        "fit_seconds": round(seconds, 1),
        "converged": not problems,
        "problems": problems,
    }


def _check_reproduces(posterior: BudgetPosterior, spend: np.ndarray, expected: np.ndarray) -> None:
    """The kept arrays must give PyMC-Marketing's own contributions (a few draws checked)."""
    picks = np.linspace(0, posterior.draws - 1, num=min(5, posterior.draws)).astype(int)
    sub = BudgetPosterior(**{**posterior.__dict__, "alpha": posterior.alpha[picks], "lam": posterior.lam[picks],
                             "beta": posterior.beta[picks]})  # fmt: skip
    ours = sub.fitted_contribution(spend)
    theirs = expected[picks]
    scale = max(float(np.abs(theirs).max()), 1e-9)
    if float(np.abs(ours - theirs).max()) > 1e-6 * scale:
        raise RuntimeError("the budget model's kept posterior does not reproduce PyMC-Marketing's contributions")


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


@contextmanager
def _quiet() -> Iterator[None]:
    """Silence PyMC's and ArviZ's advisory warnings and info logs for the duration (diagnostics are ours)."""
    prefixes = ("pymc", "pytensor", "pymc_marketing", "arviz")
    known = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in prefixes]
    names = [*prefixes, "pymc.stats.convergence", "pymc.sampling.mcmc", *known]  # children may set their own level
    levels = {name: logging.getLogger(name).level for name in names}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in names:
            logging.getLogger(name).setLevel(logging.CRITICAL)  # PyMC logs a low ESS as an error
        try:
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


# ----------------------------------------------------------------------------------------------------
# Save and load

_ARRAYS = ("alpha", "lam", "beta", "channel_scale", "contribution", "spend_total", "spend_recent", "spend_max")


def save_budget_model(folder: Path, posterior: BudgetPosterior) -> Path:
    manifest = {
        "channels": posterior.channels,
        "controls": posterior.controls,
        "outcome_label": posterior.outcome_label,
        "first_week": posterior.first_week,
        "last_week": posterior.last_week,
        "weeks": posterior.weeks,
        "target_scale": posterior.target_scale,
        "outcome_total": posterior.outcome_total,
        "diagnostics": posterior.diagnostics,
        **posterior.manifest,
    }
    arrays = {name: np.asarray(getattr(posterior, name), dtype=float) for name in _ARRAYS}
    return save_checkpoint(folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays=arrays)


def load_budget_model(folder: Path) -> BudgetPosterior:
    checkpoint = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION])
    m = checkpoint.manifest
    known = {"channels", "controls", "outcome_label", "first_week", "last_week", "weeks", "target_scale",
             "outcome_total", "diagnostics"}  # fmt: skip
    return BudgetPosterior(
        channels=list(m["channels"]),
        controls=list(m["controls"]),
        outcome_label=str(m["outcome_label"]),
        first_week=str(m["first_week"]),
        last_week=str(m["last_week"]),
        weeks=int(m["weeks"]),
        target_scale=float(m["target_scale"]),
        outcome_total=float(m["outcome_total"]),
        diagnostics=dict(m["diagnostics"]),
        manifest={k: v for k, v in m.items() if k not in known},
        **{name: checkpoint.arrays[name] for name in _ARRAYS},
    )


def quantiles(values: np.ndarray, qs: tuple[float, ...] = (0.1, 0.5, 0.9)) -> list[float]:
    return [float(v) for v in np.quantile(values, qs)]


def weeks_frame(posterior: BudgetPosterior) -> pd.DatetimeIndex:
    return pd.date_range(posterior.first_week, periods=posterior.weeks, freq="7D")
