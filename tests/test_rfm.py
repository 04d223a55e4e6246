"""RFM: features on hand-computed tables, quintile scores with ties, the segment table, returns, demo data."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from agent.demo import generate_demo_data
from core.errors import DataError
from tools.rfm import (
    FEATURE_COLUMNS,
    SEGMENT_GRID,
    SEGMENT_NAMES,
    SEGMENT_RULES,
    rfm_features,
    rfm_segments,
    segment_summary,
)
from tools.transactions_data import TransactionsTable, read_transactions_file, transactions_from_frame


def _table(rows: list[tuple[str, str, float, str, str]], negative: str = "returns") -> TransactionsTable:
    frame = pd.DataFrame(rows, columns=["customer_id", "date", "amount", "product_id", "channel"])
    return transactions_from_frame(frame, negative=negative)  # type: ignore[arg-type]


# Five customers; the last transaction is on 2024-01-25, so as_of defaults to 2024-01-26.
SMALL = [
    ("A", "2024-01-01", 100.0, "p1", "web"),
    ("A", "2024-01-10", 50.0, "p2", "app"),
    ("A", "2024-01-20", 200.0, "p1", "web"),
    ("B", "2024-01-05", 20.0, "", ""),
    ("C", "2024-01-02", 30.0, "p1", "store"),
    ("C", "2024-01-02", 40.0, "p1", "app"),  # same day: one more order, not more frequency
    ("C", "2024-01-15", 30.0, "p1", "app"),
    ("D", "2024-01-03", 80.0, "p3", "app"),
    ("D", "2024-01-18", 500.0, "p4", "web"),
    ("D", "2024-01-19", -100.0, "p4", "web"),  # a return: nets against spend, not a purchase
    ("E", "2024-01-25", 5.0, "p1", "web"),
]


def test_features_on_a_hand_computed_table() -> None:
    features = rfm_features(_table(SMALL))
    assert list(features.columns) == list(FEATURE_COLUMNS)
    assert features.index.name == "customer_id"
    assert features.index.tolist() == ["A", "B", "C", "D", "E"]
    assert features["recency_days"].tolist() == [6, 21, 11, 8, 1]
    assert features["tenure_days"].tolist() == [25, 21, 24, 23, 1]
    assert features["frequency"].tolist() == [3, 1, 2, 2, 1]
    assert features["orders"].tolist() == [3, 1, 3, 2, 1]
    assert features["returns"].tolist() == [0, 0, 0, 1, 0]
    assert features["monetary"].tolist() == [350.0, 20.0, 100.0, 480.0, 5.0]
    assert features["avg_order_value"].round(4).tolist() == [116.6667, 20.0, 33.3333, 240.0, 5.0]
    assert features["return_rate"].round(6).tolist() == [0.0, 0.0, 0.0, round(100 / 580, 6), 0.0]
    assert features["main_channel"].tolist() == ["web", "", "app", "app", "web"]  # D: app/web tie -> "app"
    assert features["distinct_products"].tolist() == [2, 0, 1, 2, 1]
    assert features.loc["D", "first_purchase"] == pd.Timestamp("2024-01-03")
    assert features.loc["D", "last_purchase"] == pd.Timestamp("2024-01-18")  # the return is not a purchase
    for column in ("recency_days", "frequency", "orders", "returns", "tenure_days", "distinct_products"):
        assert features[column].dtype == np.int64, column
    for column in ("monetary", "avg_order_value", "return_rate"):
        assert features[column].dtype == np.float64, column
    assert str(features["last_purchase"].dtype) == "datetime64[ns]"


def test_scores_and_segments_on_a_hand_computed_table() -> None:
    segmented = rfm_segments(rfm_features(_table(SMALL)))
    # n=5: distinct values score 1..5 by rank. Frequency ties share their mid-rank:
    # B,E (rank 1.5) -> 2; C,D (rank 3.5) -> 4; A -> 5.
    assert segmented["r_score"].tolist() == [4, 1, 2, 3, 5]
    assert segmented["f_score"].tolist() == [5, 2, 4, 4, 2]
    assert segmented["m_score"].tolist() == [4, 2, 3, 5, 1]
    assert segmented["fm_score"].tolist() == [4, 2, 3, 4, 1]
    assert segmented["rfm_segment"].tolist() == [
        "Champions",
        "Hibernating",
        "At Risk",
        "Loyal Customers",
        "New Customers",
    ]
    assert list(segmented.columns[: len(FEATURE_COLUMNS)]) == list(FEATURE_COLUMNS)
    summary = segment_summary(segmented)
    assert summary.index.tolist() == ["Champions", "Loyal Customers", "New Customers", "At Risk", "Hibernating"]
    assert summary["size"].tolist() == [1, 1, 1, 1, 1]
    assert summary["share"].tolist() == [0.2] * 5
    assert summary.loc["Champions", "why"] == "bought recently, buy often and spend the most"


def test_as_of_cuts_the_window() -> None:
    table = _table(SMALL)
    features = rfm_features(table, as_of=pd.Timestamp("2024-01-10"))
    # Transactions after as_of are left out; a purchase on as_of itself counts, with recency 0.
    assert features.index.tolist() == ["A", "B", "C", "D"]
    assert features["recency_days"].tolist() == [0, 5, 8, 7]
    assert features["monetary"].tolist() == [150.0, 20.0, 70.0, 80.0]
    assert rfm_features(table, as_of="2024-01-30")["recency_days"].tolist() == [10, 25, 15, 12, 5]
    with pytest.raises(DataError, match="no transactions on or before 2023-12-31"):
        rfm_features(table, as_of=pd.Timestamp("2023-12-31"))
    with pytest.raises(DataError, match="is not a date"):
        rfm_features(table, as_of="soon")


def test_one_customer_table() -> None:
    table = _table([("only", "2024-05-01", 42.0, "p1", "web")])
    segmented = rfm_segments(rfm_features(table))
    assert segmented.index.tolist() == ["only"]
    row = segmented.loc["only"]
    assert (row["recency_days"], row["frequency"], row["monetary"], row["tenure_days"]) == (1, 1, 42.0, 1)
    # One customer is the middle of their own distribution.
    assert (row["r_score"], row["f_score"], row["m_score"]) == (3, 3, 3)
    assert row["rfm_segment"] == "Need Attention"


def test_heavy_ties_share_scores() -> None:
    rows = [(f"c{i:02d}", "2024-01-01", 10.0, "p", "web") for i in range(18)]
    rows += [("big1", "2024-03-01", 500.0, "p", "web"), ("big1", "2024-03-02", 500.0, "p", "web")]
    rows += [("big2", "2024-02-01", 300.0, "p", "web")]
    segmented = rfm_segments(rfm_features(_table(rows)))
    ties = segmented.loc[[f"c{i:02d}" for i in range(18)]]
    for column in ("r_score", "f_score", "m_score", "rfm_segment"):
        assert ties[column].nunique() == 1, column
    # 18 of 20 tied at the bottom: mid-rank 9.5 of 20 -> score 3; the two others rank above them.
    assert ties["r_score"].iloc[0] == 3
    assert segmented.loc[["big1"], ["r_score", "f_score", "m_score"]].to_numpy().ravel().tolist() == [5, 5, 5]
    assert segmented.loc[["big2"], ["r_score", "f_score", "m_score"]].to_numpy().ravel().tolist() == [5, 3, 5]
    assert segmented["rfm_segment"].isin(SEGMENT_NAMES).all()
    all_tied = rfm_segments(rfm_features(_table([(f"t{i}", "2024-01-01", 5.0, "", "") for i in range(7)])))
    assert set(all_tied["r_score"]) == set(all_tied["f_score"]) == set(all_tied["m_score"]) == {3}


def test_scores_are_quintiles_and_order_independent() -> None:
    rng = np.random.default_rng(3)
    n = 100
    features = pd.DataFrame(
        {
            "recency_days": rng.permutation(n),
            "frequency": rng.permutation(n) + 1,
            "monetary": rng.permutation(n) * 1.5,
        },
        index=pd.Index([f"c{i}" for i in range(n)], name="customer_id"),
    )
    segmented = rfm_segments(features)
    for column in ("r_score", "f_score", "m_score"):
        assert segmented[column].value_counts().sort_index().tolist() == [20] * 5
    assert (segmented.loc[features["recency_days"] < 20, "r_score"] == 5).all()
    shuffled = rfm_segments(features.sample(frac=1.0, random_state=1)).loc[segmented.index]
    pd.testing.assert_frame_equal(shuffled, segmented)
    empty = rfm_segments(features.iloc[:0])
    assert len(empty) == 0 and "rfm_segment" in empty.columns
    with pytest.raises(ValueError, match="monetary"):
        rfm_segments(features.drop(columns="monetary"))


def test_segment_table_covers_every_score_once() -> None:
    names = [rule.name for rule in SEGMENT_RULES]
    assert len(names) == len(set(names)) == 11
    assert set(SEGMENT_GRID.ravel()) == set(names)  # every segment is reachable
    assert all(rule.why for rule in SEGMENT_RULES)
    for r, f, m in itertools.product(range(1, 6), repeat=3):
        fm = (f + m) // 2
        matches = [x.name for x in SEGMENT_RULES if x.recency[0] <= r <= x.recency[1] and x.fm[0] <= fm <= x.fm[1]]
        assert matches, (r, f, m)
        assert SEGMENT_GRID[r - 1, fm - 1] == matches[0]


def test_returns_net_against_spend() -> None:
    rows = [
        ("net", "2024-01-01", 50.0, "p1", "web"),
        ("net", "2024-01-05", -20.0, "p1", "web"),
        ("over", "2024-01-02", 10.0, "p2", "app"),
        ("over", "2024-01-03", -30.0, "p2", "app"),  # refunds beyond spend floor at 0
        ("refund_only", "2024-01-04", -15.0, "p3", "store"),
        ("plain", "2024-01-06", 8.0, "p4", "web"),
    ]
    features = rfm_features(_table(rows))
    assert features.loc[["net"], ["monetary", "orders", "returns", "frequency"]].to_numpy().ravel().tolist() == [
        30.0,
        1,
        1,
        1,
    ]
    assert features.loc["net", "return_rate"] == 0.4
    assert features.loc["net", "recency_days"] == 6  # from the purchase, not the later return
    assert features.loc[["over"], ["monetary", "return_rate", "avg_order_value"]].to_numpy().ravel().tolist() == [
        0.0,
        1.0,
        0.0,
    ]
    refund = features.loc["refund_only"]
    assert (refund["frequency"], refund["orders"], refund["returns"], refund["monetary"]) == (0, 0, 1, 0.0)
    assert (refund["recency_days"], refund["return_rate"], refund["main_channel"]) == (3, 1.0, "")
    segmented = rfm_segments(features)
    assert segmented["rfm_segment"].isin(SEGMENT_NAMES).all()
    dropped = rfm_features(_table(rows, negative="drop"))
    assert dropped.loc["net", "monetary"] == 50.0
    assert "refund_only" not in dropped.index


# ----------------------------------------------------------------------------------------------------
# Demo data


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rfm-demo")
    generate_demo_data(folder, n_reviews=10, n_customers=300, progress=False)
    return folder


def test_demo_transactions_read_cleanly(demo_dir: Path) -> None:
    table = read_transactions_file(demo_dir / "transactions.csv")
    assert table.warnings == []
    assert table.customers == 300
    assert not table.frame["is_return"].any()
    assert (table.frame["amount"] > 0).all()
    assert set(table.frame["channel"]) <= {"web", "app", "store"}
    assert table.frame["date"].dt.day_of_week.between(0, 6).all()
    # customers.csv carries names, emails and phones: joined in, they are dropped and never echoed.
    customers = pd.read_csv(demo_dir / "customers.csv", dtype=str)
    joined = pd.read_csv(demo_dir / "transactions.csv", dtype=str).merge(customers, on="customer_id")
    crm = transactions_from_frame(joined, source="crm")
    assert crm.warnings[0] == "ignored personal columns: email, name, phone"
    assert crm.warnings[1:] == ["ignored columns: signup_date, region, age_band, gender, income_band"]
    text = repr(crm) + crm.frame.to_csv()
    for value in customers["email"].tolist() + customers["phone"].tolist() + customers["name"].tolist():
        assert value not in text


def test_demo_personas_separate_on_recency(demo_dir: Path) -> None:
    segmented = rfm_segments(rfm_features(read_transactions_file(demo_dir / "transactions.csv")))
    personas = pd.read_csv(demo_dir / "ground_truth" / "customer_personas.csv", dtype=str).set_index("customer_id")
    joined = segmented.join(personas, how="inner")
    assert len(joined) == 300
    by_persona = joined.groupby("persona")[["recency_days", "frequency", "monetary"]].mean()
    recency = by_persona["recency_days"].astype(float)
    assert recency["lapsed"] > recency["loyal"]
    frequency = by_persona["frequency"].astype(float)
    assert frequency["loyal"] > frequency["occasional"]
    assert joined["rfm_segment"].isin(SEGMENT_NAMES).all()
    loyal_good = joined.loc[joined["persona"] == "loyal", "rfm_segment"].isin(["Champions", "Loyal Customers"])
    assert loyal_good.mean() > 0.5
