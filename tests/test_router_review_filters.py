"""The filters the offline router reads from a review request, on a clothing catalogue whose product ids are small
numbers (as real catalogues' often are): a star count or an amount is never a product id, clothing departments are
named the way shoppers say them, and yes/no questions about how something wears are review searches."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agent.router import Router
from eval.review_relevance import LabelledQuery
from eval.suites.review_on_topic import filter_misses
from routing_helpers import names, plan
from tools.catalogue import ingest_catalogue

CATALOGUE = [
    {"product_id": "2", "name": "Nova Wrap Dress", "category": "Dresses"},
    {"product_id": "3", "name": "Juniper Swim Top", "category": "Swim"},
    {"product_id": "4", "name": "Marlo Knit Cardigan", "category": "Knits"},
    {"product_id": "5", "name": "Quill Pyjama Set", "category": "Sleep"},
    {"product_id": "8", "name": "Tessa Sheer Tights", "category": "Legwear"},
    {"product_id": "12", "name": "Ember Straight Trousers", "category": "Pants"},
    {"product_id": "1078", "name": "Harlow Lace Bralette", "category": "Intimates"},
]


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Router:
    folder: Path = tmp_path_factory.mktemp("clothing") / "ws"
    ingest_catalogue(rows=CATALOGUE, workspace=folder)
    return Router(folder).warm_up()


def search(router: Router, request: str) -> dict[str, Any]:
    result = plan(router, request)
    assert names(result) == ["search_reviews"], (request, result.kind, result.message)
    return result.calls[0].arguments


@pytest.mark.parametrize(
    ("request_text", "filters"),
    [
        ("what do 4 and 5 star reviews say about the zip?", {"min_rating": 4, "max_rating": 5}),
        ("2-star reviews mentioning the hem", {"min_rating": 2, "max_rating": 2}),
        ("3+ star feedback on hoods", {"min_rating": 3}),
        ("reviews rated 1 to 2 stars about pilling", {"min_rating": 1, "max_rating": 2}),
        ("what did shoppers say over the last 8 weeks about the lining", {}),
    ],
)  # fmt: skip
def test_a_star_count_or_an_amount_is_no_product_id(router: Router, request_text: str, filters: dict) -> None:
    arguments = search(router, request_text)
    assert "product_ids" not in arguments
    assert {k: arguments.get(k) for k in ("min_rating", "max_rating") if k in arguments} == filters


def test_a_number_after_an_id_word_still_names_the_product(router: Router) -> None:
    assert search(router, "what do 5 star reviews of product 4 say?")["product_ids"] == ["4"]
    assert search(router, "reviews of item 12 about the waistband")["product_ids"] == ["12"]
    assert search(router, "show reviews of 1078")["product_ids"] == ["1078"]


def test_a_number_before_a_preposition_is_no_review_count(router: Router) -> None:
    assert "k" not in search(router, "complaints about zips breaking after 1 week in reviews")
    assert search(router, "show me 3 negative reviews about the collar")["k"] == 3


@pytest.mark.parametrize(
    ("request_text", "category"),
    [
        ("what do shoppers say about the fit of our swimwear", "Swim"),
        ("reviews of our pajamas mentioning warmth", "Sleep"),
        ("feedback on our trousers being too long", "Pants"),
        ("what do reviewers think of our lingerie", "Intimates"),
        # a word a department's name starts with is no department
        ("what do customers say about tight cuffs", None),
    ],
)  # fmt: skip
def test_departments_are_named_the_way_shoppers_say_them(router: Router, request_text: str, category: str) -> None:
    assert search(router, request_text).get("category") == category


@pytest.mark.parametrize(
    "request_text",
    ["do our trousers run short?", "is our sleepwear comfy enough for summer nights?", "does the Nova dress shrink?"],
)
def test_a_question_about_how_clothes_wear_searches_the_reviews(router: Router, request_text: str) -> None:
    search(router, request_text)


def labelled(**filters: Any) -> LabelledQuery:
    rule: dict[str, Any] = {"text_any": ["zip"]}
    if "product_ids" in filters:
        rule["product_ids"] = filters["product_ids"]
    if "category" in filters:
        rule["category"] = [filters["category"]]
    if filters.get("min_rating") or filters.get("max_rating"):
        rule["rating"] = list(range(filters.get("min_rating") or 1, (filters.get("max_rating") or 5) + 1))
    return LabelledQuery(id="x", query="zip", filters=filters, relevant=rule)


def test_the_eval_counts_which_part_of_the_planned_filters_differs() -> None:
    low = labelled(max_rating=2)
    assert filter_misses({"min_rating": 1, "max_rating": 2}, low) == []  # a minimum of 1 is no bound
    assert filter_misses({"max_rating": 3}, low) == ["rating"]
    assert filter_misses({"max_rating": 2}, labelled()) == ["rating_added"]  # "complaints" -> max 2, label none
    assert filter_misses({"product_ids": ["4"], "min_rating": 4}, labelled(min_rating=4, max_rating=5)) == ["products"]
    dresses = labelled(category="Dresses")
    assert filter_misses({"category": "Dresses", "date_from": "2026-01-01"}, dresses) == ["other"]
    assert filter_misses({}, dresses) == ["category"]
