"""Writes a complete, coherent demo workspace: catalogue, reviews, sales, customers, brand, media spend.

Every component draws from its own child of one seed, so the same seed gives
byte-identical files and changing, say, `n_reviews` leaves sales untouched.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from agent.demo.attributes import with_attributes
from agent.demo.brand import write_brand
from agent.demo.catalogue import build_catalogue, catalogue_frame, product_aspects_frame
from agent.demo.customers import (
    SalesCalendar,
    assign_personas,
    customers_frame,
    make_customers,
    personas_frame,
    simulate_transactions,
)
from agent.demo.experiments import TESTS, simulate_test
from agent.demo.marketing import effects_frame, marketing_csv_frame, simulate_marketing
from agent.demo.reviews import simulate_reviews
from agent.demo.reviews_zh import CHINESE_SHARE, with_chinese_reviews
from agent.demo.sales import sales_csv_frame, simulate_sales, week_starts

MIN_WEEKS = 8


@dataclass(frozen=True)
class DemoFiles:
    """Paths of everything `generate_demo_data` wrote."""

    catalogue: Path
    reviews: Path
    sales: Path
    transactions: Path
    customers: Path
    brand: Path
    product_aspects: Path  # ground truth: hidden per-aspect quality, for evals only
    customer_personas: Path  # ground truth: each customer's persona, for evals only
    experiments: tuple[Path, ...]  # ad tests' daily results, one file per test (agent.demo.experiments.TESTS)
    marketing: Path  # weekly spend per channel and sales (agent.demo.marketing)
    marketing_effects: Path  # ground truth: each channel's true media effect, for evals only


def demo_paths(out_dir: Path) -> DemoFiles:
    truth = out_dir / "ground_truth"
    return DemoFiles(
        catalogue=out_dir / "catalogue.csv",
        reviews=out_dir / "reviews.csv",
        sales=out_dir / "sales.csv",
        transactions=out_dir / "transactions.csv",
        customers=out_dir / "customers.csv",
        brand=out_dir / "brand.yaml",
        product_aspects=truth / "product_aspects.csv",
        customer_personas=truth / "customer_personas.csv",
        experiments=tuple(out_dir / "experiments" / f"{test.file_stem}.csv" for test in TESTS),
        marketing=out_dir / "marketing.csv",
        marketing_effects=truth / "marketing_effects.csv",
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8")


def _check_sizes(n_reviews: int, n_customers: int, weeks: int) -> None:
    if n_reviews < 0 or n_customers < 0:
        raise ValueError("n_reviews and n_customers must be non-negative")
    if weeks < MIN_WEEKS:
        raise ValueError(f"weeks must be at least {MIN_WEEKS}")


def generate_demo_data(
    out_dir: Path,
    *,
    seed: int = 7,
    n_reviews: int = 5000,
    n_customers: int = 3000,
    weeks: int = 104,
    end_date: date = date(2026, 11, 1),
    progress: bool = True,
    chinese_share: float = CHINESE_SHARE,
) -> DemoFiles:
    """Generate the fictional store's data into `out_dir` and return the written paths.

    `n_reviews` English reviews are written, then Chinese ones for a few products until they are `chinese_share`
    of those products' reviews (agent/demo/reviews_zh.py); 0 writes English reviews only."""
    _check_sizes(n_reviews, n_customers, weeks)
    files = demo_paths(Path(out_dir))
    # later children for the ad tests, the customer attributes, the media spend and the Chinese reviews: spawn(n)'s
    # first children are the same for any n, so adding one at the end leaves every earlier file byte-identical
    catalogue_rng, sales_rng, review_rng, customer_rng, test_rng, attribute_rng, marketing_rng, chinese_rng = (
        np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(8)
    )
    starts = week_starts(end_date, weeks)
    window_start = starts[0]
    products = build_catalogue(window_start, end_date, catalogue_rng)
    _write_csv(catalogue_frame(products), files.catalogue)
    _write_csv(product_aspects_frame(products), files.product_aspects)

    sales = simulate_sales(products, starts, sales_rng, progress)
    _write_csv(sales_csv_frame(sales), files.sales)

    # Reviews can be written up to the end date, even past the last full sales week.
    reviews = simulate_reviews(products, n_reviews, window_start, end_date, review_rng, progress)
    reviews = with_chinese_reviews(reviews, products, window_start, end_date, chinese_rng, chinese_share)
    _write_csv(reviews, files.reviews)

    personas = assign_personas(n_customers, customer_rng)
    customers = make_customers(personas, window_start, end_date, customer_rng)
    calendar = SalesCalendar.from_sales(sales, products, starts)
    last_sales_day = starts[-1] + timedelta(days=6)
    transactions = simulate_transactions(customers, calendar, last_sales_day, customer_rng, progress)
    personas_of = pd.Series([c.persona for c in customers])
    _write_csv(with_attributes(customers_frame(customers), personas_of, attribute_rng), files.customers)
    _write_csv(personas_frame(customers), files.customer_personas)
    _write_csv(transactions, files.transactions)

    for test, path in zip(TESTS, files.experiments, strict=True):
        _write_csv(simulate_test(test, test_rng), path)

    marketing = simulate_marketing(sales, starts, marketing_rng)
    _write_csv(marketing_csv_frame(marketing.frame), files.marketing)
    _write_csv(effects_frame(marketing.process), files.marketing_effects)

    write_brand(files.brand)
    return files
