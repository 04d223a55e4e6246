"""search_reviews and review_insight on the demo store: the contract, filters, citations, bad input."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from tools import TOOLS, langchain_tools, review_insight, search_reviews


def test_contract_fields_and_scores_are_sorted(demo_store) -> None:
    result = search_reviews(query="the dress runs small", k=5, workspace=demo_store.workspace)
    assert len(result.hits) == 5
    hit = result.hits[0]
    assert {"review_id", "product_id", "rating", "snippet", "score"} <= set(hit.model_dump())
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert "small" in " ".join(h.snippet.lower() for h in result.hits)


@pytest.mark.parametrize(
    ("filters", "check"),
    [
        ({"product_ids": ["1017"]}, lambda h: h.product_id == "1017"),
        ({"min_rating": 4}, lambda h: h.rating >= 4),
        ({"max_rating": 2, "min_rating": 1}, lambda h: h.rating <= 2),
        ({"category": "electronics"}, lambda h: h.category == "Electronics"),  # case-insensitive
        (
            {"date_from": date(2026, 1, 1), "date_to": date(2026, 3, 31)},
            lambda h: "2026-01-01" <= h.date <= "2026-03-31",
        ),
    ],
)
def test_every_filter_is_honoured(demo_store, filters, check) -> None:
    result = search_reviews(query="battery and charging", k=8, workspace=demo_store.workspace, **filters)
    assert result.hits
    assert all(check(h) for h in result.hits)


def test_no_match_is_an_empty_result_with_a_note(demo_store) -> None:
    result = search_reviews(query="anything", product_ids=["no-such-product"], workspace=demo_store.workspace)
    assert result.hits == []
    assert result.warnings == ["No reviews match these filters."]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"query": ""}, "at least 1 character"),
        ({"query": "x", "k": 0}, "greater than or equal to 1"),
        ({"query": "x", "min_rating": 4, "max_rating": 2}, "min_rating 4 is above max_rating 2"),
        ({"query": "x", "date_from": "2026-05-01", "date_to": "2026-01-01"}, "is after date_to"),
        ({"query": "x", "stars": 5}, "Extra inputs are not permitted"),
    ],
)
def test_bad_arguments_fail_validation_with_a_reason(demo_store, arguments, message) -> None:
    """Arguments that arrive as data (a plan, a model's tool call, a request body) go through the unit."""
    with pytest.raises(ValidationError, match=message):
        TOOLS["search_reviews"].run(arguments, workspace=demo_store.workspace)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [({"query": ""}, "at least 1 character"), ({"query": "x", "k": 0}, "greater than or equal to 1")],
)
def test_bad_values_in_a_python_call_fail_validation_with_a_reason(demo_store, arguments, message) -> None:
    with pytest.raises(ValidationError, match=message):
        search_reviews(workspace=demo_store.workspace, **arguments)


def test_an_unknown_argument_in_a_python_call_is_named() -> None:
    """The function's signature is typed: mypy flags the call, and Python names the argument at run time."""
    with pytest.raises(TypeError, match="stars"):
        search_reviews(query="x", stars=5)  # type: ignore[call-arg]


def test_insight_finds_the_planted_fit_problem_with_real_citations(demo_store) -> None:
    insight = review_insight(product_ids=["1001"], workspace=demo_store.workspace)  # the dress that runs small
    assert insight.reviews_analysed > 10
    top_complaint = insight.complaints[0]
    assert top_complaint.aspect == "fit"
    assert top_complaint.share_negative > 0.5
    assert "trained on" in insight.sentiment_model
    quoted = {q.review_id: q.text for q in top_complaint.complaint_quotes}
    assert 1 <= len(quoted) <= 3
    from tools.reviews import review_store

    stored = review_store(demo_store.workspace).get(list(quoted))
    for review_id, text in quoted.items():
        assert text.rstrip("…") in stored[review_id].text  # quotes are verbatim, cited by id
        assert stored[review_id].product_id == "1001"


def test_insight_counts_add_up(demo_store) -> None:
    insight = review_insight(product_ids=["1017"], workspace=demo_store.workspace)  # headphones, weak battery
    for aspect in insight.aspects:
        assert aspect.praise + aspect.complaints + aspect.mixed == aspect.mentions
        assert aspect.reviews <= aspect.mentions
    assert sum(insight.rating_counts.values()) == insight.reviews_analysed
    assert "battery" in [a.aspect for a in insight.complaints]


def test_search_with_insight_and_a_topic_only_insight(demo_store) -> None:
    result = search_reviews(query="late delivery", insight=True, k=3, workspace=demo_store.workspace)
    assert result.insight is not None
    assert "shipping" in [a.aspect for a in result.insight.complaints]
    with pytest.raises(ValidationError, match="say what to analyse"):
        review_insight(workspace=demo_store.workspace)


def test_insight_takes_the_same_filters_as_search() -> None:
    from tools.reviews.inputs import ReviewFilterArgs, ReviewFilterFields

    assert ReviewFilterArgs.__optional_keys__ == set(ReviewFilterFields.model_fields)
    with pytest.raises(ValidationError, match="stars"):
        review_insight(query="fit", stars=5)  # type: ignore[call-arg]


def test_registry_and_langchain_tool(demo_store) -> None:
    assert "search_reviews" in TOOLS
    assert "Search customer reviews" in TOOLS["search_reviews"].description
    tool = {t.name: t for t in langchain_tools(demo_store.workspace)}["search_reviews"]
    output = tool.invoke({"query": "runs small", "k": 2, "product_ids": ["1001"]})
    assert '"product_id":"1001"' in output
