"""Weekly media spend for four channels, with known true effects, on top of the demo store's own sales.

The outcome `sales` is the store's weekly revenue from its generated SKU sales (quantity x price, summed per
week: the baseline that trend, seasonality, promotions and holidays already shape) plus each channel's true
contribution, from the same model family the budget model fits (`tools.budget.simulate.TrueChannel`:
normalised geometric adstock, then logistic saturation, times a coefficient). No noise is added: the SKU
sales are noisy already.

The true parameters live in `CHANNELS` (one place for tests and docs to quote); `marketing_truth` turns a
written file back into a `Process` whose `.roas()`, `.contribution_share()` and `.oracle()` are the truth
the fitted model is judged against. The spend plan varies enough to learn from (the demo's sales carry about
$9k of weekly noise that no control explains, so media must move more than that): search and social run most
weeks with wide swings and the odd dark stretch, display in on/off bursts, tv in flights of varying weight with
weeks off between; a shared quarterly plan moves them a little together. Controls: the store's retail events
(one 0/1 column each), the same calendar the sales were drawn with.

With the demo's seed (7) and two years of weeks: media is about 30% of sales on about $13,800 of spend a week;
true ROAS search 5.63, social 3.42, display 2.18, tv 1.70; contribution shares 0.34, 0.27, 0.16, 0.22
(`data/ground_truth/marketing_effects.csv` holds them for any seed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from agent.demo.sales import holiday_weeks
from tools.budget.simulate import Process, TrueChannel


@dataclass(frozen=True)
class DemoChannel:
    """A channel's true effect and the spend plan it is bought with."""

    truth: TrueChannel
    typical: float  # a typical weekly spend in a week it runs, in dollars
    on_share: float  # share of weeks it runs (1.0: always on)
    burst: tuple[int, int]  # range of weeks in an on (or off) stretch, for channels that pause
    swing: float  # week-to-week variation of its spend (log scale)


# The demo's true media effects. `scale` is each channel's typical weekly spend when it runs, so `lam` reads as how
# saturated a typical week is: tv saturates hardest (a typical week reaches 64% of its ceiling), search returns the
# most per dollar; tv's carry-over lasts longest.
CHANNELS: tuple[DemoChannel, ...] = (
    DemoChannel(TrueChannel("search", alpha=0.2, lam=0.8, beta=45_000.0, scale=3_000.0), 3_000.0, 0.85, (4, 10), 0.5),
    DemoChannel(TrueChannel("social", alpha=0.35, lam=0.7, beta=46_000.0, scale=4_500.0), 4_500.0, 0.75, (3, 8), 0.5),
    DemoChannel(TrueChannel("display", alpha=0.3, lam=0.6, beta=38_000.0, scale=5_000.0), 5_000.0, 0.6, (2, 4), 0.5),
    DemoChannel(TrueChannel("tv", alpha=0.5, lam=1.5, beta=27_000.0, scale=10_000.0), 10_000.0, 0.5, (2, 5), 0.5),
)
NAMES = tuple(c.truth.name for c in CHANNELS)
EVENTS = ("black_friday", "cyber_monday", "christmas", "mothers_day", "valentines")
MARKETING_COLUMNS = ("date", *(f"spend_{n}" for n in NAMES), "sales", *EVENTS)


def weekly_revenue(sales: pd.DataFrame, starts: list[date]) -> np.ndarray:
    """The store's revenue per week (quantity x price over every SKU), in `starts` order."""
    revenue = (sales["quantity"] * sales["price"]).groupby(sales["date"]).sum()
    return np.round(revenue.reindex(starts, fill_value=0.0).to_numpy(dtype=float), 2)


def _on_weeks(weeks: int, channel: DemoChannel, rng: np.random.Generator) -> np.ndarray:
    """Which weeks a channel runs: stretches on and off, each `burst` weeks long, near its `on_share`."""
    if channel.on_share >= 1.0:
        return np.ones(weeks, dtype=bool)
    low, high = channel.burst
    on = np.zeros(weeks, dtype=bool)
    week, running = 0, bool(rng.random() < channel.on_share)
    while week < weeks:
        length = int(rng.integers(low, high + 1))
        if not running:  # off stretches scaled so the share of weeks on is about on_share
            length = max(1, round(length * (1 - channel.on_share) / channel.on_share))
        on[week : week + length] = running
        week += length
        running = not running
    return on


def spend_plan(weeks: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Each channel's weekly spend in dollars: a shared quarterly plan, its own swings, and its weeks off."""
    shared = rng.normal(0.0, 1.0, (weeks + 12) // 13 + 1)
    plan = np.repeat(shared, 13)[:weeks]  # budgets set per quarter move every channel a little together
    spends = {}
    for channel in CHANNELS:
        own = rng.normal(0.0, 1.0, weeks)
        on = _on_weeks(weeks, channel, rng)
        if channel.on_share < 1.0:  # a flight's weight is set once per flight, then small weekly swings
            flight = np.cumsum(np.r_[True, on[1:] != on[:-1]])
            weight = rng.normal(0.0, 1.0, int(flight.max()) + 1)[flight]
            own = 0.8 * weight + 0.6 * own
        level = channel.typical * np.exp(channel.swing * (0.3 * plan + 0.95 * own) - channel.swing**2 / 2)
        spends[channel.truth.name] = np.round(np.where(on, level, 0.0), 2)
    return spends


@dataclass(frozen=True)
class DemoMarketing:
    """The written frame (MARKETING_COLUMNS), the revenue it was built on, and the truth as a Process."""

    frame: pd.DataFrame
    revenue: np.ndarray
    process: Process


def simulate_marketing(sales: pd.DataFrame, starts: list[date], rng: np.random.Generator) -> DemoMarketing:
    """The demo's weekly marketing data: spend per channel, sales = revenue + true media contributions, events."""
    revenue = weekly_revenue(sales, starts)
    spends = spend_plan(len(starts), rng)
    frame = pd.DataFrame({"date": pd.to_datetime(starts), **{f"spend_{n}": spends[n] for n in NAMES}})
    process = marketing_truth(frame)
    media = sum(process.contributions().values())
    frame["sales"] = np.round(revenue + media, 2)
    events = holiday_weeks(starts)
    for event in EVENTS:
        frame[event] = [int(events.get(d) == event) for d in starts]
    return DemoMarketing(frame[list(MARKETING_COLUMNS)], revenue, Process(frame, process.channels))


def marketing_truth(frame: pd.DataFrame) -> Process:
    """The true effects behind a demo marketing frame (its `spend_<channel>` columns): ROAS, shares, the oracle."""
    return Process(frame, tuple(c.truth for c in CHANNELS))


def marketing_csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["date"] = out["date"].dt.strftime("%Y-%m-%d")
    for column in [f"spend_{n}" for n in NAMES] + ["sales"]:
        out[column] = [f"{v:.2f}" for v in out[column]]
    return out


def effects_frame(process: Process) -> pd.DataFrame:
    """Ground truth per channel, for evals and docs: the parameters and what they imply over the data's period."""
    roas, share = process.roas(), process.contribution_share()
    return pd.DataFrame(
        {
            "channel": process.names,
            "alpha": [c.alpha for c in process.channels],
            "lam": [c.lam for c in process.channels],
            "beta": [c.beta for c in process.channels],
            "scale": [c.scale for c in process.channels],
            "spend": [round(float(process.spend(n).sum()), 2) for n in process.names],
            "roas": [round(roas[n], 4) for n in process.names],
            "contribution_share": [round(share[n], 4) for n in process.names],
        }
    )
