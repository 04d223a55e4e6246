"""Rule semantics and packaged-file checks for eval/review_relevance.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from eval.review_relevance import (
    Engine,
    LabelledQuery,
    QueryFileError,
    load_queries,
    relevant_ids,
)

ENGINES: list[Engine] = ["auto", "python"]


@pytest.fixture
def reviews() -> pd.DataFrame:
    rows = [
        # review_id, product_id, rating, title, text, category
        ("wc-1", "100", 2, "Runs small", "Had to order a size up.", "Dresses"),
        (
            "wc-2",
            "100",
            5,
            "Love it",
            "Not too small at all, it runs small only in theory",
            "Dresses",
        ),
        ("wc-3", "200", 2, None, "This top runs small in the shoulders.", "Knits"),
        (
            "wc-4",
            "300",
            4,
            "RUNS SMALL",
            "Gorgeous colour, wore it to a wedding.",
            "Dresses",
        ),
        ("wc-5", "300", 1, "Returned", "Too big and the zipper broke.", "Dresses"),
        ("wc-6", "400", 3, "ok", "Sheer fabric; I wear a cami under it.", "Blouses"),
    ]
    return pd.DataFrame(rows, columns=["review_id", "product_id", "rating", "title", "text", "category"])


def make_query(relevant: dict[str, Any], filters: dict[str, Any] | None = None) -> LabelledQuery:
    return LabelledQuery.model_validate({"id": "t", "query": "test", "filters": filters or {}, "relevant": relevant})


@pytest.mark.parametrize("engine", ENGINES)
def test_text_any_matches_title_and_text_case_insensitively(reviews: pd.DataFrame, engine: Engine) -> None:
    query = make_query({"text_any": ["runs? small"]})
    # wc-4 only says it in an upper-case title; wc-3 has no title at all.
    assert relevant_ids(query, reviews, engine=engine) == {
        "wc-1",
        "wc-2",
        "wc-3",
        "wc-4",
    }


@pytest.mark.parametrize("engine", ENGINES)
def test_text_none_excludes_negations(reviews: pd.DataFrame, engine: Engine) -> None:
    query = make_query({"text_any": ["runs? small", "too small"], "text_none": ["not too small"]})
    got = relevant_ids(query, reviews, engine=engine)
    # wc-2 matches text_any; only text_none keeps it out.
    assert "wc-2" not in got
    assert got == {"wc-1", "wc-3", "wc-4"}


@pytest.mark.parametrize("engine", ENGINES)
def test_text_all_requires_every_pattern(reviews: pd.DataFrame, engine: Engine) -> None:
    query = make_query({"text_any": ["runs small"], "text_all": ["size up|order", r"\bhad\b"]})
    assert relevant_ids(query, reviews, engine=engine) == {"wc-1"}


def test_structured_constraints_combine(reviews: pd.DataFrame) -> None:
    base = {"text_any": ["runs? small"]}
    assert relevant_ids(make_query({**base, "category": ["Dresses"]}), reviews) == {
        "wc-1",
        "wc-2",
        "wc-4",
    }
    assert relevant_ids(make_query({**base, "rating": [1, 2]}), reviews) == {
        "wc-1",
        "wc-3",
    }
    assert relevant_ids(make_query({**base, "product_ids": ["300", "200"]}), reviews) == {
        "wc-3",
        "wc-4",
    }
    combined = make_query(
        {**base, "category": ["Dresses"], "rating": [4, 5], "product_ids": ["100"]},
        filters={"category": "Dresses", "min_rating": 4, "product_ids": ["100"]},
    )
    assert relevant_ids(combined, reviews) == {"wc-2"}


def test_nothing_matches_returns_empty_set(reviews: pd.DataFrame) -> None:
    assert relevant_ids(make_query({"text_any": ["velvet"]}), reviews) == set()
    assert relevant_ids(make_query({"text_any": ["small"], "category": ["Swim"]}), reviews) == set()


def test_upper_case_and_re_only_patterns_keep_their_meaning(
    reviews: pd.DataFrame,
) -> None:
    # An upper-case literal or escape (\S) must still match case-insensitively, and a look-ahead
    # (not RE2 syntax) must fall back to Python's re without changing the answer.
    upper = make_query({"text_any": [r"ZIPPER\sBROKE"]})
    escape = make_query({"text_any": [r"wedding\S"]})
    lookahead = make_query({"text_any": [r"runs small(?! in the shoulders)"]})
    for engine in ENGINES:
        assert relevant_ids(upper, reviews, engine=engine) == {"wc-5"}
        assert relevant_ids(escape, reviews, engine=engine) == {"wc-4"}
        assert relevant_ids(lookahead, reviews, engine=engine) == {
            "wc-1",
            "wc-2",
            "wc-4",
        }


def test_missing_columns_are_reported(reviews: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="category"):
        relevant_ids(make_query({"text_any": ["x"]}), reviews.drop(columns=["category"]))


def test_packaged_queries_load_and_are_well_formed() -> None:
    queries = load_queries()
    ids = [q.id for q in queries]
    assert len(set(ids)) == len(ids) >= 40
    filtered = [q for q in queries if not q.filters.is_empty]
    assert len(filtered) >= 15
    assert any(q.filters.product_ids for q in filtered)
    assert any(q.filters.min_rating or q.filters.max_rating for q in filtered)
    assert any(len(q.filters.as_kwargs()) >= 2 for q in filtered)
    assert all(q.query.strip() and q.relevant.text_any for q in queries)


def _write(tmp_path: Path, *records: dict[str, Any]) -> Path:
    path = tmp_path / "queries.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def _record(qid: str, **relevant: Any) -> dict[str, Any]:
    return {"id": qid, "query": "q", "relevant": {"text_any": ["ok"], **relevant}}


def test_bad_regex_is_reported_with_query_id(tmp_path: Path) -> None:
    path = _write(tmp_path, _record("q-good"), _record("q-bad", text_none=["runs (small"]))
    with pytest.raises(QueryFileError, match=r"q-bad.*invalid regex in text_none: 'runs \(small'"):
        load_queries(path)


def test_bad_regex_in_model_names_query_id() -> None:
    with pytest.raises(ValueError, match="q-model"):
        LabelledQuery.model_validate({"id": "q-model", "query": "q", "relevant": {"text_any": ["["]}})


def test_duplicate_ids_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(QueryFileError, match="duplicate query id 'q1'"):
        load_queries(_write(tmp_path, _record("q1"), _record("q1")))


def test_rule_must_carry_the_query_filters(tmp_path: Path) -> None:
    record = {**_record("q-f"), "filters": {"category": "Dresses", "max_rating": 2}}
    with pytest.raises(QueryFileError, match=r"q-f.*relevant.category.*relevant.rating"):
        load_queries(_write(tmp_path, record))
    record["relevant"] = {
        "text_any": ["ok"],
        "category": ["Dresses"],
        "rating": [1, 2, 3],
    }
    with pytest.raises(QueryFileError, match=r"rating filter 1\.\.2"):
        load_queries(_write(tmp_path, record))
