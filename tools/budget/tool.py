"""plan_budget: where to spend. The workspace's marketing-mix model (`tools/budget/model.py`, fitted with
PyMC-Marketing by `train_budget_model`) gives each channel's ROAS and contribution with intervals and its
response curve; the optimiser (`tools/budget/optimise.py`) splits a total budget to maximise the expected outcome
under per-channel minimums, maximums and fixed channels; what-if scenarios change today's spend by channel.

Three modes, from the arguments:
- plan (`total_budget`): the best split of the total over `period_weeks`, beside the current split (today's
  channel shares of the same total), each with the expected outcome and its 80% interval;
- scenario (`changes`, e.g. {"tv": "-30%", "search": "+5000"}): today's spend level changed as asked, against
  today's level;
- effects (neither): each channel's ROAS, contribution and marginal ROAS at today's level.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.errors import DataError, DataProblem, MarketingAgentError
from core.model_card import card_reference, write_card
from core.workspace import Workspace
from tools.budget.data import SpendTable, read_spend_file
from tools.budget.model import (
    BudgetPosterior,
    FitConfig,
    fit_budget_model,
    load_budget_model,
    quantiles,
    save_budget_model,
)
from tools.budget.optimise import InfeasibleBudget, maximise
from tools.model_cache import ModelCache
from tools.unit import fields_of

MODEL_FOLDER = "budget"
WIDE_ROAS = 3.0  # a channel whose ROAS p90 is this many times its p10 is not pinned down by the data
EXTRAPOLATION = 1.5  # a planned weekly spend this many times the most ever spent is beyond the data
CURVE_POINTS = 41
INTERVAL = (0.1, 0.5, 0.9)
MAX_AMOUNT = 1e12  # the largest budget or bound taken: beyond it a number is a typo

# Words marketers use for a channel, and the channel names they usually mean.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "search": ("google", "google_ads", "adwords", "sem", "paid_search", "ppc", "bing", "google_search"),
    "social": ("meta", "facebook", "fb", "instagram", "ig", "paid_social", "meta_ads", "social_media", "meta_feed"),
    "display": ("banners", "banner", "programmatic", "gdn"),
    "tv": ("television", "ctv", "linear_tv", "tv_ads"),
    "video": ("youtube", "online_video", "olv"),
    "email": ("e_mail", "newsletter", "crm"),
}

ChannelName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Change = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


# ----------------------------------------------------------------------------------------------------
# Training


@dataclass(frozen=True)
class BudgetReport:
    folder: Path
    weeks: int
    channels: list[str]
    diagnostics: dict[str, Any]
    effects: list[ChannelEffect]
    warnings: list[str]


def train_budget_model(
    path: str | Path | None = None,
    *,
    table: SpendTable | None = None,
    column_map: dict[str, str] | None = None,
    draws: int = 500,
    tune: int = 500,
    chains: int = 2,
    seed: int = 0,
    progress: bool = False,
    workspace: str | Path | Workspace | None = None,
) -> BudgetReport:
    """Check a weekly marketing file (or table) and fit the workspace's marketing-mix model on it."""
    if table is None:
        if path is None:
            raise ValueError("pass a weekly marketing file path or a table")
        table = read_spend_file(path, column_map=column_map)
    ws = Workspace.open(workspace).ensure()
    config = FitConfig(draws=draws, tune=tune, chains=chains, seed=seed, progress=progress)
    posterior = fit_budget_model(table, config)
    folder = ws.models_dir / MODEL_FOLDER
    save_budget_model(folder, posterior)
    from tools.budget.card import budget_card

    write_card(folder, budget_card(folder, ws.root, posterior=posterior, table=table))
    _cache.forget(folder)
    warnings = list(table.warnings) + list(posterior.diagnostics.get("problems", []))
    return BudgetReport(folder, table.weeks, list(table.channels), posterior.diagnostics, _effects(posterior), warnings)


_cache: ModelCache[BudgetPosterior] = ModelCache(
    load_budget_model,
    what="budget model",
    train_hint="Train one with `marketing-agent train-budget-model FILE` (weekly rows: date, spend_<channel>..., "
    "sales).",
)


def budget_model(workspace: str | Path | Workspace | None = None) -> BudgetPosterior:
    """The workspace's fitted budget model (ModelNotTrainedError, saying how to train one, when there is none)."""
    ws = Workspace.open(workspace)
    return _cache.get(ws.models_dir / MODEL_FOLDER, ws.root)


# ----------------------------------------------------------------------------------------------------
# The tool's models


class PlanBudgetInput(BaseModel):
    """Split a marketing budget across channels, try a what-if, or read each channel's ROAS."""

    model_config = ConfigDict(extra="forbid")

    total_budget: float | None = Field(
        None, gt=0, le=MAX_AMOUNT, description="The total to split across channels over the period (plan mode)."
    )
    period_weeks: int = Field(4, ge=1, le=52, description="The period the budget covers, in weeks (a month is 4).")
    channels: list[ChannelName] | None = Field(
        None, max_length=50, description="Only these channels (default: every channel the model knows)."
    )
    min_spend: dict[ChannelName, float] | None = Field(
        None, description="Least spend per channel over the period, e.g. {'tv': 2000}."
    )
    max_spend: dict[ChannelName, float] | None = Field(
        None, description="Most spend per channel over the period, e.g. {'display': 5000}."
    )
    fixed: list[ChannelName] | None = Field(
        None, max_length=50, description="Channels held at their current spend level."
    )
    changes: dict[ChannelName, Change] | None = Field(
        None,
        description="What-if changes to today's spend: '-30%', '+5000', 'x0.5' or '0' per channel (scenario mode).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> PlanBudgetInput:
        for name, bounds in (("min_spend", self.min_spend), ("max_spend", self.max_spend)):
            for channel, amount in (bounds or {}).items():
                if not np.isfinite(amount) or amount < 0 or amount > MAX_AMOUNT:
                    raise ValueError(f"{name} for {channel!r} must be a number from 0 to {MAX_AMOUNT:,.0f}")
        if self.changes and self.total_budget is not None:
            raise ValueError(
                "a what-if changes today's spend, so it takes no total_budget: ask for the plan and the what-if "
                "separately"
            )
        return self


class ChannelEffect(BaseModel):
    """What one channel returned over the data's period, by the model."""

    channel: str
    roas: float = Field(description="Modelled contribution over the data's period / spend over it (median).")
    roas_p10: float
    roas_p90: float
    contribution_share: float = Field(description="Its share of the media-driven outcome (median), 0-1.")
    share_p10: float
    share_p90: float
    spend: float = Field(description="What it spent over the data's period.")
    weekly_spend: float = Field(description="Its current spend per week (average of the last 13 weeks).")
    marginal_roas: float = Field(description="Outcome from one more unit of spend per week at today's level (median).")
    well_measured: bool = Field(description="False when the data cannot pin its ROAS down (a wide interval).")


class ChannelAllocation(BaseModel):
    """One channel's spend over the period and its modelled outcome (median and 80% interval)."""

    channel: str
    spend: float
    current_spend: float = Field(description="The comparison: today's split of the same total, or today's level.")
    outcome_p50: float
    outcome_p10: float
    outcome_p90: float
    weekly_spend: float
    beyond_data: bool = Field(description="True when its weekly spend is above the most it ever spent.")


class Outcome(BaseModel):
    """A split's total spend and modelled media-driven outcome over the period (median and 80% interval)."""

    spend: float
    outcome_p50: float
    outcome_p10: float
    outcome_p90: float


class CurvePoint(BaseModel):
    weekly_spend: float
    outcome_p50: float
    outcome_p10: float
    outcome_p90: float


class ResponseCurve(BaseModel):
    """Outcome per week against a steady weekly spend, for one channel."""

    channel: str
    points: list[CurvePoint]
    current_weekly_spend: float
    planned_weekly_spend: float | None = None
    max_seen: float = Field(description="The most it ever spent in a week: the curve beyond is extrapolated.")


class ModelFacts(BaseModel):
    weeks: int
    first_week: str
    last_week: str
    outcome_label: str
    engine: str
    converged: bool
    divergences: int
    max_rhat: float
    min_ess: float
    problems: list[str] = Field(default_factory=list)


class PlanBudgetResult(BaseModel):
    mode: Literal["plan", "scenario", "effects"]
    period_weeks: int
    total_budget: float | None = None
    allocation: list[ChannelAllocation] = Field(default_factory=list)
    planned: Outcome | None = Field(None, description="The plan's (or scenario's) total.")
    current: Outcome | None = Field(None, description="The comparison's total: today's split or today's level.")
    uplift_p50: float | None = Field(None, description="Planned minus current outcome (median over the posterior).")
    uplift_p10: float | None = None
    uplift_p90: float | None = None
    channels: list[ChannelEffect] = Field(default_factory=list)
    curves: list[ResponseCurve] = Field(default_factory=list)
    model: ModelFacts
    model_card: dict[str, str] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------------------------------
# The tool


def plan_budget(
    *,
    total_budget: float | None = None,
    period_weeks: int = 4,
    channels: list[str] | None = None,
    min_spend: dict[str, float] | None = None,
    max_spend: dict[str, float] | None = None,
    fixed: list[str] | None = None,
    changes: dict[str, str] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> PlanBudgetResult:
    """Where to spend, from the workspace's marketing-mix model: split `total_budget` over `period_weeks` across
    channels to maximise the expected outcome (with per-channel `min_spend`/`max_spend` over the period and
    `fixed` channels held at today's level), or try `changes` to today's spend ("-30%", "+5000"), or, with
    neither, report each channel's ROAS and contribution. Outcomes come with 80% intervals."""
    request = PlanBudgetInput.model_validate(fields_of(locals()))
    ws = Workspace.open(workspace)
    model = budget_model(ws)
    folder = ws.models_dir / MODEL_FOLDER
    weeks = request.period_weeks
    known = model.channels
    problems: list[DataProblem] = []
    chosen = [_resolve(c, known, problems) for c in request.channels] if request.channels else list(known)
    lows = {_resolve(c, known, problems): v for c, v in (request.min_spend or {}).items()}
    highs = {_resolve(c, known, problems): v for c, v in (request.max_spend or {}).items()}
    held = [_resolve(c, known, problems) for c in request.fixed or []]
    changed = {_resolve(c, known, problems): v for c, v in (request.changes or {}).items()}
    if problems:
        raise DataError("plan_budget", problems, hint="Name channels the budget model knows.")
    chosen = list(dict.fromkeys([*chosen, *[c for c in (*lows, *highs, *held) if c not in chosen]]))
    index = [model.index(c) for c in chosen]
    today = model.spend_recent * weeks  # today's level over the period, per channel
    warnings: list[str] = list(model.diagnostics.get("problems", []))
    if request.total_budget is not None:
        mode: Literal["plan", "scenario", "effects"] = "plan"
        spend, compare = best_split(model, request.total_budget, weeks, chosen, lows, highs, held, warnings)
    elif changed:
        mode = "scenario"
        spend = today.copy()
        for channel, change in changed.items():
            spend[model.index(channel)] = _apply(change, today[model.index(channel)], channel)
        compare = today.copy()
        index = sorted({*index, *(model.index(c) for c in changed)}) if request.channels else index
    else:
        mode = "effects"
        spend, compare = today.copy(), today.copy()
    effects = _effects(model)
    shown = [effects[i] for i in index]
    warnings += [
        f"The data cannot pin down {e.channel}'s ROAS ({e.roas_p10:.2f} to {e.roas_p90:.2f}): treat its share as a "
        "rough guess, and vary its spend (a test or flighting) to learn more."
        for e in shown
        if not e.well_measured
    ]
    outcome = model.period_outcome(spend, weeks)  # (draws, channels)
    before = model.period_outcome(compare, weeks)
    allocation = []
    for i in index:
        low, mid, high = quantiles(outcome[:, i], INTERVAL)
        beyond = bool(spend[i] / weeks > EXTRAPOLATION * model.spend_max[i] + 1e-9)
        allocation.append(
            ChannelAllocation(
                channel=known[i],
                spend=float(spend[i]),
                current_spend=float(compare[i]),
                outcome_p50=mid,
                outcome_p10=low,
                outcome_p90=high,
                weekly_spend=float(spend[i]) / weeks,
                beyond_data=beyond,
            )
        )
        if beyond:
            warnings.append(
                f"{known[i]} at {spend[i] / weeks:,.0f} a week is above {EXTRAPOLATION:g}x the most it ever spent in a "
                f"week ({model.spend_max[i]:,.0f}): its curve there is extrapolated."
            )
    planned = _total(outcome[:, index], float(spend[index].sum()))
    current = _total(before[:, index], float(compare[index].sum()))
    gain = outcome[:, index].sum(axis=1) - before[:, index].sum(axis=1)
    g_low, g_mid, g_high = quantiles(gain, INTERVAL)
    if mode == "plan" and g_low <= 0 < g_high:
        warnings.append(
            "The plan may not beat the current split: its 80% interval of extra outcome includes zero, so the "
            "data cannot tell the two apart."
        )
    return PlanBudgetResult(
        mode=mode,
        period_weeks=weeks,
        total_budget=request.total_budget,
        allocation=allocation,
        planned=planned if mode != "effects" else None,
        current=current,
        uplift_p50=g_mid if mode != "effects" else None,
        uplift_p10=g_low if mode != "effects" else None,
        uplift_p90=g_high if mode != "effects" else None,
        channels=shown,
        curves=[_curve(model, i, spend[i] / weeks if mode != "effects" else None) for i in index],
        model=_facts(model),
        model_card=card_reference(folder, ws.root),
        warnings=warnings,
    )


def best_split(
    model: BudgetPosterior,
    total: float,
    weeks: int,
    chosen: list[str],
    lows: dict[str, float],
    highs: dict[str, float],
    held: list[str],
    warnings: list[str],
) -> tuple[np.ndarray, np.ndarray]:
    """The best split of `total` over the chosen channels, and today's split of the same total: the optimiser
    over the posterior-mean response curves (public so the benchmark scores this very path)."""
    index = [model.index(c) for c in chosen]
    today = model.spend_recent * weeks
    lo = [lows.get(c, 0.0) for c in chosen]
    hi = [highs.get(c, total) for c in chosen]
    for k, channel in enumerate(chosen):
        if channel in held:
            lo[k] = hi[k] = float(today[model.index(channel)])

    def curve(i: int) -> Callable[[np.ndarray], np.ndarray]:
        def mean_outcome(spend: np.ndarray) -> np.ndarray:
            weekly = np.zeros(len(model.channels))
            weekly[i] = float(spend) / weeks
            return np.asarray(model.weekly_response(weekly)[:, i].mean() * weeks)

        return mean_outcome

    pinned = sum(float(today[model.index(c)]) for c in held)
    if held and set(chosen) <= set(held):
        everything = f"every channel is held at today's level ({pinned:,.0f} over the period): nothing is left to split"
        raise DataError(
            "plan_budget",
            [DataProblem(everything)],
            hint="Leave at least one channel free, or ask a what-if such as 'cut tv by 30%'.",
        )
    if pinned > total + 1e-6:
        over = f"the channels held at today's level take {pinned:,.0f}, more than the budget of {total:,.0f}"
        raise DataError(
            "plan_budget",
            [DataProblem(over)],
            hint="Raise the budget or hold fewer channels.",
        )
    now = today[index]
    current_share = now / now.sum() if now.sum() > 0 else np.full(len(index), 1 / len(index))
    try:
        best = maximise([curve(i) for i in index], total, lo, hi, starts=[list(current_share * total)])
    except InfeasibleBudget as exc:
        raise DataError("plan_budget", [DataProblem(str(exc))], hint="Change the budget or the bounds.") from None
    spend = np.zeros(len(model.channels))
    spend[index] = best
    compare = np.zeros(len(model.channels))
    compare[index] = current_share * total
    if held:
        warnings.append(
            "Held at today's level: " + ", ".join(f"{c} ({today[model.index(c)]:,.0f})" for c in held) + "."
        )
    return spend, compare


_CHANGE = re.compile(r"^(?P<op>[-+x*]|)\s*\$?\s*(?P<num>\d+(?:[.,]\d+)*)\s*(?P<unit>%|k)?$", re.IGNORECASE)


def _apply(change: str, current: float, channel: str) -> float:
    """Today's spend on a channel after a what-if: '-30%', '+5000', '+5k', 'x0.5', '0', '8000' (a new level)."""
    found = _CHANGE.match(change.replace(" ", "").lower())
    if found is None:
        raise DataError(
            "changes",
            [DataProblem(f"{channel}: {change!r} is not a change; write -30%, +5000, x0.5 or a new amount")],
        )
    number = float(found["num"].replace(",", ""))
    if found["unit"] == "k":
        number *= 1000
    op = found["op"]
    if found["unit"] == "%":
        new = current * (1 + (number if op == "+" else -number if op == "-" else number - 100) / 100)
    elif op in ("x", "*"):
        new = current * number
    elif op == "+":
        new = current + number
    elif op == "-":
        new = current - number
    else:
        new = number
    return max(new, 0.0)


def _resolve(name: str, known: list[str], problems: list[DataProblem]) -> str:
    """A channel the model knows, from its name or a word marketers use for it."""
    key = re.sub(r"[\s\-]+", "_", name.strip().lower())
    key = key[len("spend_") :] if key.startswith("spend_") else key
    if key in known:
        return key
    for channel, words in SYNONYMS.items():
        if key in words and channel in known:
            return channel
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.75)
    if close:
        return close[0]
    problems.append(DataProblem(f"the budget model has no channel {name!r}; its channels are {', '.join(known)}"))
    return key


def _effects(model: BudgetPosterior) -> list[ChannelEffect]:
    roas, share = model.roas(), model.contribution_share()
    step = np.maximum(model.spend_recent * 0.01, 1e-6)
    base = model.weekly_response(model.spend_recent)
    bumped = model.weekly_response(model.spend_recent + step)
    marginal = (bumped - base) / step  # per unit of weekly spend, steady state
    effects = []
    for i, channel in enumerate(model.channels):
        r_low, r_mid, r_high = quantiles(roas[:, i], INTERVAL)
        s_low, s_mid, s_high = quantiles(share[:, i], INTERVAL)
        effects.append(
            ChannelEffect(
                channel=channel,
                roas=r_mid,
                roas_p10=r_low,
                roas_p90=r_high,
                contribution_share=s_mid,
                share_p10=s_low,
                share_p90=s_high,
                spend=float(model.spend_total[i]),
                weekly_spend=float(model.spend_recent[i]),
                marginal_roas=float(np.median(marginal[:, i])),
                well_measured=bool(r_low > 0 and r_high / r_low < WIDE_ROAS),
            )
        )
    return effects


def _total(outcome: np.ndarray, spend: float) -> Outcome:
    low, mid, high = quantiles(outcome.sum(axis=1), INTERVAL)
    return Outcome(spend=float(spend), outcome_p50=mid, outcome_p10=low, outcome_p90=high)


def _curve(model: BudgetPosterior, i: int, planned: float | None) -> ResponseCurve:
    top = max(2.0 * float(model.spend_max[i]), 1.2 * (planned or 0.0))
    grid = np.linspace(0.0, top, CURVE_POINTS)
    full = np.zeros((CURVE_POINTS, len(model.channels)))
    full[:, i] = grid
    response = model.weekly_response(full)[:, :, i]  # (points, draws)
    q = np.quantile(response, INTERVAL, axis=1)
    points = [
        CurvePoint(weekly_spend=float(s), outcome_p10=float(a), outcome_p50=float(b), outcome_p90=float(c))
        for s, a, b, c in zip(grid, q[0], q[1], q[2], strict=True)
    ]
    return ResponseCurve(
        channel=model.channels[i],
        points=points,
        current_weekly_spend=float(model.spend_recent[i]),
        planned_weekly_spend=None if planned is None else float(planned),
        max_seen=float(model.spend_max[i]),
    )


def _facts(model: BudgetPosterior) -> ModelFacts:
    d = model.diagnostics
    return ModelFacts(
        weeks=model.weeks,
        first_week=model.first_week,
        last_week=model.last_week,
        outcome_label=model.outcome_label,
        engine=str(model.manifest.get("engine", "pymc-marketing")),
        converged=bool(d.get("converged", False)),
        divergences=int(d.get("divergences", 0)),
        max_rhat=float(d.get("max_rhat", float("nan"))),
        min_ess=float(d.get("min_ess", float("nan"))),
        problems=list(d.get("problems", [])),
    )


def known_channels(workspace: str | Path | Workspace | None = None) -> list[str]:
    """The channels of the workspace's budget model ([] without one): for the router's channel slots."""
    try:
        return list(budget_model(workspace).channels)
    except MarketingAgentError:  # no model (or an unreadable one): no channels to offer
        return []
