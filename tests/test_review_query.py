"""What a review search embeds (tools/reviews/query.py): the topic of a marketer's request, without the question's
frame and the words its filters already apply; on a real store, that changes which review ranks first."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.router import Router
from core.workspace import Workspace
from eval.review_relevance import load_queries
from eval.suites.review_on_topic import dev_queries, load_requests
from tools.catalogue import ingest_catalogue
from tools.review_index import ReviewFilters
from tools.reviews import ingest_reviews, review_store, search_reviews
from tools.reviews.query import AppliedFilters, applied_filters, catalogue_names, search_text

AURORA = AppliedFilters(product_ids=("1001",), product_names=("Aurora Linen Midi Dress",))
NIMBUS_SINCE = AppliedFilters(product_ids=("1017",), product_names=("Nimbus Wireless Headphones",), dates=True)
PANTS = AppliedFilters(category="Pants")


@pytest.mark.parametrize(
    ("query", "applied", "expected"),
    [
        ("What do customers say about dresses running small?", AppliedFilters(category="Dresses"), "running small"),
        ("What do customers say about the Aurora dress running small?", AURORA, "running small"),
        ("quality complaints about the Aurora dress in 1-3 star reviews", AURORA, "quality"),
        ("show me 5 reviews about battery life for the Nimbus headphones since March", NIMBUS_SINCE, "battery life"),
        ("what do customers say about product 1078 fit", AppliedFilters(product_ids=("1078",)), "fit"),
        ("4 and 5 star pants reviews about the high waist", PANTS, "high waist"),
        ("negative reviews about customer service or shipping", AppliedFilters(), "customer service or shipping"),
        ("what do positive reviews say about value for money", AppliedFilters(), "value for money"),
        # which way reviews lean is the rating filter's job, not the topic
        ("complaints about tight sleeves", AppliedFilters(), "tight sleeves"),
        ("5-star reviews about colours that pop", AppliedFilters(), "colours that pop"),
        # "may" is a month only where it is a date
        ("this may run small", AppliedFilters(dates=True), "this may run small"),
        ("does it run small? reviews from May 2026", AppliedFilters(dates=True), "it run small"),
        # a query that is only filter words keeps what it has; one that is only the question keeps the question
        ("Aurora dress", AURORA, "Aurora dress"),
        ("What do customers complain about for the Aurora dress?", AURORA, "What do customers complain"),
        # a query that is already a topic is left alone
        ("what to wear to a wedding", AppliedFilters(), "what to wear to a wedding"),
        ("dress runs small, had to order a size up", AppliedFilters(), "dress runs small, had to order a size up"),
        ("the stitching came apart", AppliedFilters(product_ids=("P007",)), "the stitching came apart"),
        # Chinese is embedded by multilingual-e5 as typed
        ("顾客对这款连衣裙有什么抱怨？", AppliedFilters(), "顾客对这款连衣裙有什么抱怨？"),
    ],
)  # fmt: skip
def test_the_search_embeds_the_topic_of_a_request(query: str, applied: AppliedFilters, expected: str) -> None:
    assert search_text(query, applied) == expected


def test_filters_become_the_words_they_apply() -> None:
    filters = ReviewFilters(product_ids=("1001", "9"), max_rating=2, category="Dresses")
    applied = applied_filters(filters, {"1001": "Aurora Linen Midi Dress", "1002": "Harbor Tee"})
    assert applied == AppliedFilters(
        product_ids=("1001", "9"), product_names=("Aurora Linen Midi Dress",), category="Dresses", dates=False
    )


CATALOGUE = [
    {"product_id": "1001", "name": "Aurora Linen Midi Dress", "category": "Dresses"},
    {"product_id": "1002", "name": "Harbor Organic Crew Tee", "category": "Tops"},
]
REVIEWS = [  # the Aurora dress's reviews: one says its name over and over, one is about the fit asked for
    ("name", "My Aurora linen midi dress! The Aurora midi dress in linen is the best linen midi dress."),
    ("fit", "It runs small: I had to order a size up."),
    ("colour", "The colour faded after one wash."),
    ("fabric", "Lovely fabric, soft and breathable."),
    ("gift", "Bought it as a gift for my sister, she wore it to a party."),
]


@pytest.fixture(scope="module")
def aurora_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real store (MiniLM, chromadb) whose catalogue names the Aurora dress."""
    folder = tmp_path_factory.mktemp("aurora") / "ws"
    ingest_catalogue(rows=CATALOGUE, workspace=folder)
    rows = [
        {"review_id": rid, "product_id": "1001", "rating": 3, "text": text, "category": "Dresses"}
        for rid, text in REVIEWS
    ]
    rows.append({"review_id": "tee", "product_id": "1002", "rating": 4, "text": "Runs small.", "category": "Tops"})
    ingest_reviews(rows=rows, workspace=folder, progress=False)
    return folder


def test_a_product_name_in_the_request_no_longer_outranks_the_topic(aurora_store: Path) -> None:
    request = "What do customers say about the Aurora linen midi dress running small?"
    store = review_store(aurora_store)
    as_typed = [review.review_id for review, _ in store.search(request, ReviewFilters(product_ids=("1001",)), 5)]
    assert as_typed[0] == "name"  # embedded whole, the name wins
    hits = search_reviews(query=request, product_ids=["1001"], k=5, workspace=aurora_store).hits
    assert hits[0].review_id == "fit"
    assert hits[0].score > 0.3
    assert {h.review_id for h in hits} == {rid for rid, _ in REVIEWS}  # the filter still holds


def test_the_agents_query_for_a_request_is_cleaned_to_its_topic(aurora_store: Path) -> None:
    plan = Router(aurora_store).plan("What do customers complain about for the Aurora dress fading in the wash?")
    call = next(c for c in plan.calls if c.name == "search_reviews")
    assert call.arguments["product_ids"] == ["1001"] and call.arguments["max_rating"] == 2
    filters = ReviewFilters(product_ids=("1001",), max_rating=2)
    workspace = Workspace.open(aurora_store)
    assert search_text(call.arguments["query"], applied_filters(filters, catalogue_names(workspace))) == (
        "fading in the wash"
    )


def test_the_catalogue_names_are_read_again_when_the_file_changes(tmp_path: Path) -> None:
    workspace = Workspace.open(tmp_path / "ws")
    assert catalogue_names(workspace) == {}
    ingest_catalogue(rows=CATALOGUE[:1], workspace=workspace)
    assert catalogue_names(workspace) == {"1001": "Aurora Linen Midi Dress"}
    ingest_catalogue(rows=[{"product_id": "1001", "name": "Aurora Dress"}], workspace=workspace)
    assert catalogue_names(workspace) == {"1001": "Aurora Dress"}


def test_the_eval_requests_phrase_labelled_queries_and_split_them_by_query() -> None:
    """eval/cases/review_requests.jsonl: each request belongs to a labelled query and names only its products;
    dev and test (the on-topic table of eval reviews) are fixed halves of the queries: a query's phrasings stay
    together."""
    queries = {q.id: q for q in load_queries()}
    requests = load_requests()
    assert len({r.id for r in requests}) == len(requests)
    for request in requests:
        products = set(queries[request.query_id].filters.product_ids or [])
        assert set(request.names) <= products, request.id
    dev = dev_queries(list(queries))
    assert dev == dev_queries(sorted(queries, reverse=True))
    assert abs(len(dev) - (len(queries) - len(dev))) <= 1
