"""The demo store's ad tests: a finished email subject-line test with a clear winner and a homepage banner test
still running, as daily results files (`experiment FILE` reads them). True rates are fixed here, so evals and
tests know what the right reading is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DemoTest:
    name: str
    file_stem: str
    start: date
    days: int
    daily_exposures: int  # split evenly between the variants
    true_rates: dict[str, float]  # variant id -> true conversion (click) rate
    copy: dict[str, str]  # variant id -> the copy it stands for


TESTS = (
    DemoTest(
        name="Spring email",
        file_stem="spring_email_test",
        start=date(2026, 3, 2),
        days=21,
        daily_exposures=4_500,
        true_rates={"spring-a": 0.030, "spring-b": 0.039, "spring-c": 0.031},
        copy={
            "spring-a": "Subject: New season, new favourites",
            "spring-b": "Subject: Your spring wardrobe, 20% off this week",
            "spring-c": "Subject: Fresh arrivals are here",
        },
    ),
    DemoTest(
        name="Homepage banner",
        file_stem="homepage_banner_test",
        start=date(2026, 11, 21),
        days=10,
        daily_exposures=3_000,
        true_rates={"banner-control": 0.020, "banner-free-shipping": 0.022},
        copy={
            "banner-control": "Banner: Winter collection",
            "banner-free-shipping": "Banner: Free shipping on every winter order",
        },
    ),
)


def simulate_test(test: DemoTest, rng: np.random.Generator) -> pd.DataFrame:
    """Daily rows: date, variant_id, exposures, conversions (that day's counts), revenue (orders x ~$60)."""
    rows = []
    variants = list(test.true_rates)
    for day in range(test.days):
        when = test.start + timedelta(days=day)
        sends = rng.multinomial(test.daily_exposures, [1 / len(variants)] * len(variants))
        for variant, n in zip(variants, sends, strict=True):
            clicks = int(rng.binomial(int(n), test.true_rates[variant]))
            orders = int(rng.binomial(clicks, 0.12))
            revenue = float(np.round(rng.gamma(4.0, 15.0, orders).sum(), 2)) if orders else 0.0
            rows.append(
                {
                    "date": when.isoformat(),
                    "variant_id": variant,
                    "exposures": int(n),
                    "conversions": clicks,
                    "revenue": revenue,
                }
            )
    return pd.DataFrame(rows)
