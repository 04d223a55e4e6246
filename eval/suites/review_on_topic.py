"""The reviews suite's on-topic table (full mode): the share of top-10 hits on topic for plain fp32 cosine, the
store, and the store through the query the offline router extracts from a marketer's request
(eval/cases/review_requests.jsonl), on a fixed dev/test split of the labelled queries. Its own module to keep
eval/suites/reviews.py readable; `marketing-agent eval reviews` runs it.

`python -m eval.suites.review_on_topic [--split dev|test|both]` runs only its router check, in seconds (no review is
embedded): how many of the planned review searches carry exactly the labelled filters, and which part differs."""

from __future__ import annotations

import argparse
import dataclasses
import json
import tempfile
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from agent.router import Router
from core.workspace import Workspace
from eval.data import load_real_reviews
from eval.report import SuiteReport, Table
from eval.review_relevance import LabelledQuery, load_queries, relevant_ids
from local_models.embeddings import MiniLMEmbedder
from tools.catalogue import ingest_catalogue
from tools.review_data import ReviewRow
from tools.review_index import ReviewFilters, ReviewIndex
from tools.reviews import review_store, search_reviews


def index_with(index: ReviewIndex, embedder: MiniLMEmbedder, texts: dict[str, str]) -> ReviewIndex:
    vectors = embedder.embed([texts[str(rid)] for rid in index.ids])
    return dataclasses.replace(index, vectors=vectors)


def labelled_filters(query: LabelledQuery) -> ReviewFilters:
    f = query.filters
    return ReviewFilters(
        product_ids=tuple(f.product_ids) if f.product_ids else None,
        min_rating=f.min_rating,
        max_rating=f.max_rating,
        category=f.category,
    )


# -- on-topic share through the agent's query (full mode) ---------------------------------------------

ON_TOPIC_TITLE = "On-topic share of top-10 hits: plain fp32 cosine vs the store vs the store through the agent's query"
SPLIT_SEED = 19  # the fixed dev/test split of the labelled queries: query cleaning was chosen on dev only
PATHS = {
    "plain_text": "plain fp32 cosine, review text, labelled query",
    "plain_title": "plain fp32 cosine, title + text, labelled query",
    "store_typed": "store, labelled query as typed (no cleaning)",
    "store": "store via search_reviews, labelled query",
    "agent_typed": "store, the agent's query as typed (no cleaning: before the fix)",
    "agent": "store via search_reviews, the agent's query",
    "agent_own": "store via search_reviews, the agent's query and its own filters",
}


@dataclass(frozen=True)
class MarketerRequest:
    """A labelled query as a marketer would ask the agent for it (eval/cases/review_requests.jsonl); `names` gives
    the catalogue names it uses for the query's products."""

    id: str
    query_id: str
    request: str
    names: dict[str, str]


def load_requests(path: Path | None = None) -> list[MarketerRequest]:
    source = path or Path(str(files("eval") / "cases" / "review_requests.jsonl"))
    lines = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [MarketerRequest(d["id"], d["query_id"], d["request"], dict(d.get("names", {}))) for d in lines]


def dev_queries(query_ids: list[str]) -> set[str]:
    """Half of the labelled queries (a fixed random half): the development split; the rest is the test split."""
    order = np.random.default_rng(SPLIT_SEED).permutation(sorted(query_ids))
    return {str(i) for i in order[: len(order) // 2]}


def on_topic(
    report: SuiteReport,
    frame: pd.DataFrame,
    corpus: list[ReviewRow],
    workspace: Workspace,
    fp32: MiniLMEmbedder,
    fp32_index: ReviewIndex,
) -> None:
    """The share of top-10 hits on topic (relevant by the labelled rules) for plain fp32 cosine, the store, and the
    store through the query the offline router extracts from a marketer's request, with the labelled filters."""
    requests = load_requests()
    _write_catalogue(workspace, frame, requests)
    text_index = index_with(fp32_index, fp32, {r.review_id: r.text for r in corpus})
    router = Router(workspace)
    queries = load_queries()
    dev = dev_queries([q.id for q in queries])
    agreement = router_filters(router, requests, queries, dev)
    rows, planned = [], []
    for query in queries:
        relevant = relevant_ids(query, frame)
        if not relevant:
            continue
        shares = _labelled_shares(
            query, relevant, workspace, fp32, {"plain_text": text_index, "plain_title": fp32_index}
        )
        asked = [_request_shares(router, r, query, relevant, workspace) for r in requests if r.query_id == query.id]
        planned += asked
        routed = [a for a in asked if a is not None]
        if routed:
            shares |= {key: float(np.mean([a[key] for a in routed])) for key in routed[0]}
        rows.append({"split": "dev" if query.id in dev else "test", "filtered": not query.filters.is_empty, **shares})
    _on_topic_table(report, pd.DataFrame(rows), planned, agreement)


def _write_catalogue(workspace: Workspace, frame: pd.DataFrame, requests: list[MarketerRequest]) -> None:
    """A catalogue for the real reviews (which name no products): each product's category, the names the requests
    use, and "Style <id>" for the rest."""
    names = {pid: name for r in requests for pid, name in r.names.items()}
    category = frame.groupby("product_id")["category"].agg(lambda c: c.mode().iloc[0] if len(c.mode()) else "")
    rows = [{"product_id": p, "name": names.get(str(p), f"Style {p}"), "category": c} for p, c in category.items()]
    ingest_catalogue(rows=rows, workspace=workspace)


def _share(ranked: list[str], relevant: set[str]) -> float:
    top = ranked[:10]
    return sum(r in relevant for r in top) / len(top) if top else 0.0


def _labelled_shares(
    query: LabelledQuery,
    relevant: set[str],
    workspace: Workspace,
    fp32: MiniLMEmbedder,
    plain: dict[str, ReviewIndex],
) -> dict[str, float]:
    filters, store = labelled_filters(query), review_store(workspace)
    vector = fp32.embed([query.query])[0]
    shares = {
        key: _share([rid for rid, _ in index.search(vector, filters, 10)], relevant) for key, index in plain.items()
    }
    shares["store_typed"] = _share([r.review_id for r, _ in store.search(query.query, filters, 10)], relevant)
    hits = search_reviews(query=query.query, k=10, workspace=workspace, **query.filters.as_kwargs()).hits
    return shares | {"store": _share([h.review_id for h in hits], relevant)}


def _request_shares(
    router: Router, request: MarketerRequest, query: LabelledQuery, relevant: set[str], workspace: Workspace
) -> dict[str, float] | None:
    """The agent's query for `request` searched three ways; None when the router plans no review search."""
    arguments = planned_search(router, request)
    if arguments is None:
        return None
    typed = str(arguments["query"])
    store = review_store(workspace)
    own = {k: v for k, v in arguments.items() if k in FILTER_ARGUMENTS and v is not None}
    cleaned = search_reviews(query=typed, k=10, workspace=workspace, **query.filters.as_kwargs()).hits
    own_hits = search_reviews(query=typed, k=10, workspace=workspace, **own).hits
    return {
        "agent_typed": _share([r.review_id for r, _ in store.search(typed, labelled_filters(query), 10)], relevant),
        "agent": _share([h.review_id for h in cleaned], relevant),
        "agent_own": _share([h.review_id for h in own_hits], relevant),
        "same_filters": float(not filter_misses(own, query)),
    }


FILTER_ARGUMENTS = ("product_ids", "category", "min_rating", "max_rating", "date_from", "date_to")
# how a planned search's filters can differ from the labelled ones (filter_misses)
MISSES = {
    "products": "product ids",
    "rating": "rating bounds",
    "rating_added": "a max 2 or min 4 bound where the label has none (the router's policy for complaint and praise "
    "words, eval/routing.py)",
    "category": "category",
    "other": "other filters (dates)",
}


def planned_search(router: Router, request: MarketerRequest) -> dict[str, Any] | None:
    """The arguments of the first search_reviews call the offline router plans for `request`; None without one."""
    plan = router.plan(request.request, today=date(2026, 11, 30))
    return next((dict(c.arguments) for c in plan.calls if c.name == "search_reviews"), None)


def filter_misses(planned: Mapping[str, Any], query: LabelledQuery) -> list[str]:
    """The parts of a planned search's filters that differ from `query`'s (keys of MISSES); [] when they are the
    same. Rating bounds compare as ranges: a minimum of 1 or a maximum of 5 is no bound ("1-2 star" is max 2)."""
    labelled, misses = query.filters, []
    if sorted(planned.get("product_ids") or []) != sorted(labelled.product_ids or []):
        misses.append("products")
    bounds = _bounds(planned.get("min_rating"), planned.get("max_rating"))
    wanted = _bounds(labelled.min_rating, labelled.max_rating)
    if bounds != wanted:
        misses.append("rating_added" if wanted == (None, None) and bounds in ((None, 2), (4, None)) else "rating")
    if planned.get("category") != labelled.category:
        misses.append("category")
    if any(planned.get(k) is not None for k in FILTER_ARGUMENTS[4:]):
        misses.append("other")
    return misses


def _bounds(low: int | None, high: int | None) -> tuple[int | None, int | None]:
    return (None if low in (None, 1) else low, None if high in (None, 5) else high)


def router_filters(
    router: Router, requests: list[MarketerRequest], queries: list[LabelledQuery], dev: set[str]
) -> dict[str, Counter[str]]:
    """Per split, the marketer requests the router plans as a review search ("searches"), those whose filters are
    exactly the labelled ones ("same"), and how many differ in each part (MISSES). No embedding: a quick check of
    the router's filter extraction."""
    by_id = {q.id: q for q in queries}
    counts: dict[str, Counter[str]] = {"dev": Counter(), "test": Counter()}
    for request in requests:
        query = by_id[request.query_id]
        count = counts["dev" if query.id in dev else "test"]
        count["requests"] += 1
        arguments = planned_search(router, request)
        if arguments is None:
            continue
        misses = filter_misses({k: v for k, v in arguments.items() if v is not None}, query)
        count.update(["searches", *misses] if misses else ["searches", "same"])
    return counts


def describe_filters(counts: Mapping[str, Counter[str]]) -> str:
    """ "dev 34 of 62 searches (62 requests) ...": the counts router_filters gives, as words."""
    parts = []
    for split, count in counts.items():
        wrong = ", ".join(f"{MISSES[k]} {count[k]}" for k in MISSES if count[k])
        parts.append(
            f"{split} {count['same']} of {count['searches']} searches ({count['requests']} requests)"
            + (f"; wrong: {wrong}" if wrong else "")
        )
    return "; ".join(parts)


def _on_topic_table(
    report: SuiteReport,
    shares: pd.DataFrame,
    planned: list[dict[str, float] | None],
    agreement: Mapping[str, Counter[str]],
) -> None:
    parts = {
        (split, subset): shares[(shares.split == split) & (shares.filtered | (subset == "all"))]
        for split in ("dev", "test")
        for subset in ("all", "filtered")
    }
    rows = [[label, *(float(part[key].mean()) for part in parts.values())] for key, label in PATHS.items()]
    routed = [p for p in planned if p is not None]
    counts = ", ".join(f"{s} {sub} {len(part)}" for (s, sub), part in parts.items())
    report.tables.append(
        Table(
            title=ON_TOPIC_TITLE,
            columns=["path", "dev: all", "dev: filtered", "test: all", "test: filtered"],
            rows=rows,
            note=(
                "Command: `marketing-agent eval reviews` (full mode only). On topic: relevant by the labelled query's "
                "rules (eval/cases/review_queries.jsonl), over the whole real corpus; the filters are the labelled "
                "query's except in the last row. The agent's query is what the offline router puts in search_reviews' "
                "`query` for two marketer phrasings of each labelled query (eval/cases/review_requests.jsonl), "
                f"averaged per query; {len(routed)} of {len(planned)} requests were planned as a review search, "
                f"{sum(p['same_filters'] for p in routed):.0f} of them with the labelled filters (by split: "
                f"{describe_filters(agreement)}). Queries: {counts}. "
                f"Dev and test are a fixed random split of the labelled queries (seed {SPLIT_SEED}); the query "
                "cleaning (tools/reviews/query.py) was chosen on dev only."
            ),
        )
    )
    test = parts[("test", "all")]
    report.target(  # against plain fp32 on the text the store embeds (title + text): the like-for-like baseline
        "on-topic share, agent's query minus plain fp32 title + text (test half)",
        float(test["agent"].mean() - test["plain_title"].mean()),
        at_least=-0.05,
    )


def main() -> None:
    """`python -m eval.suites.review_on_topic [--split dev|test|both]`: router_filters on the real reviews'
    catalogue, in seconds (no review is embedded)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--split", choices=("dev", "test", "both"), default="dev")
    split = parser.parse_args().split
    with tempfile.TemporaryDirectory() as folder:
        workspace = Workspace.open(Path(folder))
        requests, queries = load_requests(), load_queries()
        _write_catalogue(workspace, load_real_reviews(), requests)
        counts = router_filters(Router(workspace), requests, queries, dev_queries([q.id for q in queries]))
    print(describe_filters({s: c for s, c in counts.items() if split in (s, "both")}))


if __name__ == "__main__":
    main()
