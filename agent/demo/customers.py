"""Customers with distinct shopping personas, and the transactions they make.

Purchases reuse the weekly price/promo calendar from the sales simulation, so a
transaction in a promo week is charged that week's discounted shelf price.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
from tqdm import tqdm

from agent.demo.catalogue import Product, weighted_choice

CUSTOMER_COLUMNS = ("customer_id", "name", "email", "phone", "signup_date", "region")
TRANSACTION_COLUMNS = (
    "transaction_id",
    "customer_id",
    "date",
    "amount",
    "quantity",
    "product_id",
    "channel",
)
CHANNELS = ("web", "app", "store")
REGIONS = ("Northeast", "Southeast", "Midwest", "Southwest", "West")
REGION_MIX = (0.22, 0.24, 0.20, 0.14, 0.20)
AREA_CODES = (
    "212",
    "312",
    "415",
    "617",
    "206",
    "303",
    "512",
    "404",
    "305",
    "503",
    "612",
)

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Maya",
    "Noah",
    "Zoe",
    "Ethan",
    "Priya",
    "Lucas",
    "Chloe",
    "Mateo",
    "Nora",
    "Omar",
    "Isla",
    "Kenji",
    "Lena",
    "Diego",
    "Hana",
    "Felix",
    "Sofia",
    "Aaron",
    "Grace",
    "Ravi",
    "Elena",
    "Jonah",
    "Amara",
    "Theo",
    "Leila",
    "Samuel",
    "Ines",
    "Caleb",
    "Mei",
    "Jamal",
    "Freya",
    "Tomas",
    "Aisha",
    "Owen",
    "Clara",
    "Yusuf",
    "Ruby",
    "Marco",
    "Naomi",
    "Hugo",
    "Esme",
    "Andre",
    "Talia",
    "Rohan",
    "Wren",
    "Kofi",
    "Lucia",
    "Finn",
)
LAST_NAMES = (
    "Alder",
    "Brightwater",
    "Castellano",
    "Danvers",
    "Ellery",
    "Fairbanks",
    "Gallo",
    "Hartley",
    "Ishikawa",
    "Jovanovic",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Pemberton",
    "Quinlan",
    "Rasmussen",
    "Sandoval",
    "Thorne",
    "Underhill",
    "Valdez",
    "Whitlock",
    "Xu",
    "Yilmaz",
    "Zeller",
    "Ashdown",
    "Beaumont",
    "Calloway",
    "Delacroix",
    "Eastwood",
    "Fenwick",
    "Greer",
    "Holloway",
    "Iverson",
    "Jablonski",
    "Kerrigan",
    "Lockhart",
    "Mbeki",
    "Novak",
    "Oyelaran",
    "Prescott",
    "Reyes",
    "Sorensen",
    "Tanaka",
    "Umarov",
    "Vasquez",
    "Winslow",
    "Yamamoto",
    "Zhang",
)


@dataclass(frozen=True)
class PersonaProfile:
    """How a persona shops: volume, price taste, appetite for promotions, channel habits."""

    share: float
    purchases: tuple[int, int]
    price_taste: float  # >0 leans to pricier products, <0 to cheaper ones
    promo_seeking: float  # chance a purchase is timed to a promotion
    units: tuple[float, float, float]  # chance of buying 1, 2 or 3 units
    channels: tuple[float, float, float]


PERSONAS: dict[str, PersonaProfile] = {
    "loyal": PersonaProfile(0.20, (10, 28), 0.3, 0.0, (0.55, 0.30, 0.15), (0.35, 0.45, 0.20)),
    "lapsed": PersonaProfile(0.20, (3, 8), 0.0, 0.05, (0.75, 0.20, 0.05), (0.50, 0.30, 0.20)),
    "bargain_hunter": PersonaProfile(0.20, (4, 12), -0.8, 0.85, (0.50, 0.30, 0.20), (0.60, 0.30, 0.10)),
    "new": PersonaProfile(0.15, (1, 3), 0.0, 0.05, (0.80, 0.15, 0.05), (0.50, 0.40, 0.10)),
    "occasional": PersonaProfile(0.25, (1, 2), 0.0, 0.05, (0.85, 0.12, 0.03), (0.45, 0.20, 0.35)),
}


@dataclass(frozen=True)
class SalesCalendar:
    """Week x product grid of shelf prices (NaN before launch) and promo flags."""

    weeks: list[date]
    product_ids: list[str]
    price: np.ndarray
    promo: np.ndarray
    popularity: np.ndarray
    list_price: np.ndarray

    @classmethod
    def from_sales(cls, sales: pd.DataFrame, products: Sequence[Product], weeks: list[date]) -> SalesCalendar:
        ids = [p.product_id for p in products]
        week_index = {d: i for i, d in enumerate(weeks)}
        price = np.full((len(weeks), len(ids)), np.nan)
        promo = np.zeros((len(weeks), len(ids)), dtype=bool)
        rows = [week_index[d] for d in sales["date"]]
        cols = [ids.index(s) for s in sales["series_id"]]
        price[rows, cols] = sales["price"].to_numpy(dtype=float)
        promo[rows, cols] = sales["promo"].to_numpy(dtype=int) == 1
        return cls(
            weeks,
            ids,
            price,
            promo,
            np.array([p.popularity for p in products]),
            np.array([p.price for p in products]),
        )


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    email: str
    phone: str
    signup_date: date
    region: str
    persona: str


def assign_personas(n_customers: int, rng: np.random.Generator) -> list[str]:
    # Exact shares (then shuffled) so small test populations still hold every persona.
    names = list(PERSONAS)
    counts = [round(PERSONAS[name].share * n_customers) for name in names[:-1]]
    counts.append(n_customers - sum(counts))
    personas = [name for name, count in zip(names, counts, strict=False) for _ in range(max(count, 0))]
    return [personas[int(i)] for i in rng.permutation(len(personas))][:n_customers]


def _signup_date(persona: str, window_start: date, end_date: date, rng: np.random.Generator) -> date:
    def between(first: date, last: date) -> date:
        return first + timedelta(days=int(rng.integers(0, max((last - first).days, 0) + 1)))

    if persona == "new":
        return between(end_date - timedelta(days=90), end_date - timedelta(days=3))
    if persona in ("loyal", "lapsed"):
        return between(window_start - timedelta(days=700), window_start + timedelta(days=60))
    return between(window_start - timedelta(days=400), end_date - timedelta(days=60))


def _contact(index: int, rng: np.random.Generator) -> tuple[str, str, str]:
    first = FIRST_NAMES[int(rng.integers(len(FIRST_NAMES)))]
    last = LAST_NAMES[int(rng.integers(len(LAST_NAMES)))]
    # Reserved example domains and 555-01xx numbers can never reach a real person.
    handle = re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())
    domain = "example.com" if rng.random() < 0.8 else "example.org"
    area = AREA_CODES[int(rng.integers(len(AREA_CODES)))]
    phone = f"+1-{area}-555-01{int(rng.integers(100)):02d}"
    return f"{first} {last}", f"{handle}{index}@{domain}", phone


def make_customers(personas: list[str], window_start: date, end_date: date, rng: np.random.Generator) -> list[Customer]:
    customers = []
    for index, persona in enumerate(personas, start=1):
        name, email, phone = _contact(index, rng)
        region = weighted_choice(REGIONS, REGION_MIX, rng)
        signup = _signup_date(persona, window_start, end_date, rng)
        customers.append(Customer(f"C{index:05d}", name, email, phone, signup, region, persona))
    return customers


def _active_weeks(customer: Customer, calendar: SalesCalendar) -> tuple[int, int]:
    """Half-open range of week indices in which this customer may buy."""
    n_weeks = len(calendar.weeks)
    # First week whose Sunday is on or after signup.
    first = min(
        bisect_left(calendar.weeks, customer.signup_date - timedelta(days=6)),
        n_weeks - 1,
    )
    if customer.persona == "lapsed":
        # Lapsed shoppers were active in the first half of the window and then stopped,
        # leaving at least ~7 months of silence before the end.
        stop = max(first + 1, min(n_weeks // 2, n_weeks - 30))
        return first, stop
    return first, n_weeks


def _purchase_weeks(customer: Customer, count: int, calendar: SalesCalendar, rng: np.random.Generator) -> np.ndarray:
    first, stop = _active_weeks(customer, calendar)
    if customer.persona == "loyal":
        # Loyal customers buy steadily: evenly spaced visits with a little jitter.
        spaced = np.linspace(first, stop - 1, count) + rng.integers(-2, 3, size=count)
        return np.clip(np.rint(spaced), first, stop - 1).astype(int)
    return np.sort(rng.integers(first, stop, size=count))


def _promo_week(first: int, stop: int, calendar: SalesCalendar, rng: np.random.Generator) -> int:
    # Bargain hunters gravitate to weeks with the most deals on (hello, Black Friday).
    deals = calendar.promo[first:stop].sum(axis=1).astype(float)
    if deals.sum() == 0:
        return int(rng.integers(first, stop))
    return first + int(np.searchsorted(np.cumsum(deals), rng.random() * deals.sum(), side="right"))


def _choose_product(
    week: int,
    profile: PersonaProfile,
    on_promo: bool,
    calendar: SalesCalendar,
    rng: np.random.Generator,
) -> int:
    available = ~np.isnan(calendar.price[week])
    if on_promo and (available & calendar.promo[week]).any():
        available = available & calendar.promo[week]
    weights = np.where(available, calendar.popularity * calendar.list_price**profile.price_taste, 0.0)
    cumulative = np.cumsum(weights)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], side="right"))


def _purchase_date(week_start: date, signup: date, end_date: date, rng: np.random.Generator) -> date:
    day = week_start + timedelta(days=int(rng.integers(0, 7)))
    return min(max(day, signup), end_date)


def _customer_transactions(
    customer: Customer,
    calendar: SalesCalendar,
    end_date: date,
    rng: np.random.Generator,
) -> list[dict[str, object]]:
    profile = PERSONAS[customer.persona]
    count = int(rng.integers(profile.purchases[0], profile.purchases[1] + 1))
    first, stop = _active_weeks(customer, calendar)
    rows: list[dict[str, object]] = []
    for planned_week in _purchase_weeks(customer, count, calendar, rng):
        on_promo = rng.random() < profile.promo_seeking
        week = _promo_week(first, stop, calendar, rng) if on_promo else int(planned_week)
        product = _choose_product(week, profile, on_promo, calendar, rng)
        units = weighted_choice((1, 2, 3), profile.units, rng)
        day = _purchase_date(calendar.weeks[week], customer.signup_date, end_date, rng)
        rows.append(
            {
                "customer_id": customer.customer_id,
                "date": day.isoformat(),
                "amount": f"{units * calendar.price[week, product]:.2f}",
                "quantity": units,
                "product_id": calendar.product_ids[product],
                "channel": weighted_choice(CHANNELS, profile.channels, rng),
            }
        )
    return rows


def simulate_transactions(
    customers: Sequence[Customer],
    calendar: SalesCalendar,
    end_date: date,
    rng: np.random.Generator,
    progress: bool = True,
) -> pd.DataFrame:
    rows: list[dict[str, object]] = []
    for customer in tqdm(customers, desc="transactions", disable=not progress, leave=False):
        rows.extend(_customer_transactions(customer, calendar, end_date, rng))
    frame = pd.DataFrame(rows, columns=list(TRANSACTION_COLUMNS[1:]))
    frame = frame.sort_values(["date", "customer_id", "product_id"], kind="stable", ignore_index=True)
    width = max(7, len(str(len(frame))))
    frame.insert(0, "transaction_id", [f"T{i:0{width}d}" for i in range(1, len(frame) + 1)])
    return frame


def customers_frame(customers: Sequence[Customer]) -> pd.DataFrame:
    rows = [
        {
            "customer_id": c.customer_id,
            "name": c.name,
            "email": c.email,
            "phone": c.phone,
            "signup_date": c.signup_date.isoformat(),
            "region": c.region,
        }
        for c in customers
    ]
    return pd.DataFrame(rows, columns=list(CUSTOMER_COLUMNS))


def personas_frame(customers: Sequence[Customer]) -> pd.DataFrame:
    rows = [{"customer_id": c.customer_id, "persona": c.persona} for c in customers]
    return pd.DataFrame(rows, columns=["customer_id", "persona"])
