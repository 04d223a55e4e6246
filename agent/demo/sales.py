"""Weekly unit sales per product, with the price and promotion calendar behind them.

Demand = base level x trend x yearly seasonality x price elasticity x promo lift x
holiday lift x launch ramp, then negative-binomial noise: enough structure that a
forecaster has something real to find, and a promo analysis has a real lift to measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from tqdm import tqdm

from agent.demo.catalogue import Product

SALES_COLUMNS = ("date", "series_id", "quantity", "price", "promo", "holiday")

# (peak week of year, amplitude): apparel sells in spring/summer, electronics before
# Christmas, home and beauty are fairly steady with a gifting bump.
SEASONALITY: dict[str, tuple[float, float]] = {
    "Apparel": (23.0, 0.35),
    "Footwear": (16.0, 0.25),
    "Electronics": (48.0, 0.40),
    "Home": (46.0, 0.15),
    "Beauty": (50.0, 0.15),
}

# Typical weekly units for a product of median popularity.
CATEGORY_VOLUME: dict[str, float] = {
    "Apparel": 30.0,
    "Footwear": 18.0,
    "Electronics": 14.0,
    "Home": 20.0,
    "Beauty": 40.0,
}

# Extra demand in retail holiday weeks, by category.
HOLIDAY_LIFT: dict[str, dict[str, float]] = {
    "black_friday": {
        "Electronics": 2.2,
        "Apparel": 1.6,
        "Footwear": 1.5,
        "Home": 1.6,
        "Beauty": 1.5,
    },
    "cyber_monday": {
        "Electronics": 1.7,
        "Apparel": 1.3,
        "Footwear": 1.3,
        "Home": 1.3,
        "Beauty": 1.3,
    },
    "christmas": {
        "Electronics": 1.6,
        "Apparel": 1.2,
        "Footwear": 1.2,
        "Home": 1.4,
        "Beauty": 1.4,
    },
    "mothers_day": {
        "Electronics": 1.0,
        "Apparel": 1.2,
        "Footwear": 1.05,
        "Home": 1.15,
        "Beauty": 1.6,
    },
    "valentines": {
        "Electronics": 1.05,
        "Apparel": 1.05,
        "Footwear": 1.0,
        "Home": 1.05,
        "Beauty": 1.3,
    },
}

DISCOUNTS = np.array([0.10, 0.15, 0.20, 0.25, 0.30])


@dataclass(frozen=True)
class PriceCalendar:
    """Per-week regular price and promo discount for one product (weeks since launch)."""

    regular: np.ndarray
    discount: np.ndarray

    @property
    def price(self) -> np.ndarray:
        return np.round(self.regular * (1.0 - self.discount), 2)

    @property
    def promo(self) -> np.ndarray:
        return (self.discount > 0).astype(int)


def week_starts(end_date: date, weeks: int) -> list[date]:
    """Mondays of the last `weeks` full weeks that end on or before `end_date`."""
    last_full_week_end = end_date - timedelta(days=(end_date.weekday() + 1) % 7)
    last_start = last_full_week_end - timedelta(days=6)
    return [last_start - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + timedelta(days=offset + 7 * (n - 1))


def _monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def holiday_weeks(starts: list[date]) -> dict[date, str]:
    """Week start -> retail event, for the events that move demand in this store."""
    events: dict[date, str] = {}
    for year in sorted({d.year for d in starts} | {starts[-1].year + 1}):
        thanksgiving = _nth_weekday(year, 11, 3, 4)
        black_friday = thanksgiving + timedelta(days=1)
        events[_monday_of(black_friday)] = "black_friday"
        events[_monday_of(black_friday + timedelta(days=3))] = "cyber_monday"
        # The week of Christmas Eve and the one before it carry the gift rush.
        christmas_eve_week = _monday_of(date(year, 12, 24))
        events[christmas_eve_week] = "christmas"
        events[christmas_eve_week - timedelta(weeks=1)] = "christmas"
        events[_monday_of(_nth_weekday(year, 5, 6, 2))] = "mothers_day"
        events.setdefault(_monday_of(date(year, 2, 14)), "valentines")
    window = set(starts)
    return {day: name for day, name in events.items() if day in window}


def _regular_prices(current_price: float, n_weeks: int, rng: np.random.Generator) -> np.ndarray:
    # Walk backwards from today's catalogue price so the catalogue and the latest
    # sales row always agree; earlier prices differ by a few permanent changes.
    prices = np.full(n_weeks, current_price)
    n_changes = int(rng.choice([0, 1, 2], p=[0.5, 0.35, 0.15])) if n_weeks > 12 else 0
    change_weeks = rng.choice(np.arange(4, n_weeks - 4), size=n_changes, replace=False)
    for change_week in sorted((int(w) for w in change_weeks), reverse=True):
        factor = float(rng.choice([0.85, 0.9, 1.05, 1.08, 1.1]))
        prices[:change_week] = max(float(np.round(prices[change_week] / factor)), 1.0)
    return prices


def _promo_discounts(starts: list[date], events: dict[date, str], rng: np.random.Generator) -> np.ndarray:
    discount = np.zeros(len(starts))
    week = 0
    while week < len(starts):
        if rng.random() < 0.05:
            length = int(rng.integers(1, 3))
            discount[week : week + length] = rng.choice(DISCOUNTS)
            week += length + 3  # a cool-down so promos don't run back to back
        week += 1
    # Storewide Black Friday / Cyber Monday sale covers most of the range.
    for i, start in enumerate(starts):
        if events.get(start) in ("black_friday", "cyber_monday") and rng.random() < 0.7:
            discount[i] = rng.choice(DISCOUNTS[2:])
    return discount


def price_calendar(
    product: Product,
    starts: list[date],
    events: dict[date, str],
    rng: np.random.Generator,
) -> PriceCalendar:
    regular = _regular_prices(product.price, len(starts), rng)
    return PriceCalendar(regular, _promo_discounts(starts, events, rng))


def _seasonality(category: str, starts: list[date]) -> np.ndarray:
    peak, amplitude = SEASONALITY[category]
    week_of_year = np.array([d.isocalendar().week for d in starts], dtype=float)
    return 1.0 + amplitude * np.cos(2 * np.pi * (week_of_year - peak) / 52.18)


def _expected_demand(
    product: Product,
    starts: list[date],
    calendar: PriceCalendar,
    events: dict[date, str],
    rng: np.random.Generator,
) -> np.ndarray:
    base = CATEGORY_VOLUME[product.category] * product.popularity
    years = np.array([(d - starts[0]).days / 365.25 for d in starts])
    trend = np.exp(rng.normal(0.05, 0.15) * years)
    weeks_live = np.array([(d - product.launch_date).days / 7 for d in starts])
    launch_ramp = 1.0 - 0.6 * np.exp(-np.maximum(weeks_live, 0) / 4)
    # Elasticity reacts to the price actually paid; the promo lift is the extra
    # attention a promotion gets (email, banner) on top of the lower price.
    elasticity = rng.uniform(0.8, 1.5)
    price_effect = (calendar.price / product.price) ** (-elasticity)
    promo_lift = np.where(calendar.promo == 1, rng.uniform(1.15, 1.35), 1.0)
    holiday = np.array([HOLIDAY_LIFT[events[d]][product.category] if d in events else 1.0 for d in starts])
    season = _seasonality(product.category, starts)
    demand: np.ndarray = base * trend * season * price_effect * promo_lift * holiday * launch_ramp
    return demand


def _sample_units(mean: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    # Negative binomial: Poisson-like but overdispersed, as real weekly sales are.
    dispersion = 8.0
    units: np.ndarray = rng.negative_binomial(dispersion, dispersion / (dispersion + mean))
    return units


def simulate_sales(
    products: list[Product],
    starts: list[date],
    rng: np.random.Generator,
    progress: bool = True,
) -> pd.DataFrame:
    """Long-format weekly sales; each series starts at the first Monday on/after launch."""
    events = holiday_weeks(starts)
    frames = []
    for product in tqdm(products, desc="sales", disable=not progress, leave=False):
        calendar = price_calendar(product, starts, events, rng)
        units = _sample_units(_expected_demand(product, starts, calendar, events, rng), rng)
        live = np.array([d >= product.launch_date for d in starts])
        frame = pd.DataFrame(
            {
                "date": starts,
                "series_id": product.product_id,
                "quantity": units.astype(int),
                "price": calendar.price,
                "promo": calendar.promo,
                "holiday": [int(d in events) for d in starts],
            }
        )
        frames.append(frame[live])
    return pd.concat(frames, ignore_index=True)[list(SALES_COLUMNS)]


def sales_csv_frame(sales: pd.DataFrame) -> pd.DataFrame:
    out = sales.copy()
    out["date"] = [d.isoformat() for d in out["date"]]
    out["price"] = [f"{p:.2f}" for p in out["price"]]
    return out
