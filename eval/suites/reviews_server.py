"""The review store on a Chroma server beside the embedded store, measured in one run on the same real reviews:
ingest throughput, retrieval quality on the labelled queries (which must not change), and search latency with
filters at growing sizes.

The server is a real `chroma run` on loopback, started here (eval/servers.py) and stopped after; each store
is its own workspace, so each gets its own collection on it. Query vectors and review vectors are the same in
both modes (one embedder, vectors computed once), so any difference comes from the store.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from core.workspace import Workspace
from eval.data import load_real_reviews, real_reviews_path
from eval.metrics import percentile_ms
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.review_relevance import load_queries, relevant_ids
from eval.servers import chroma_server
from eval.suites.reviews import SCENARIOS, _record, _replicate, _rows, _sample, _scores, _time_queries, _timed
from tools.review_data import ReviewRow, validate_review_records
from tools.review_store import IngestReport, ReviewStore
from tools.reviews import review_store, search_reviews

MODES = ("embedded", "server")


@dataclass(frozen=True)
class Sizes:
    ingest_sample: int
    quality_corpus: int | None  # None: every real review
    latency_sizes: tuple[int, ...]
    latency_queries: int


SIZES = ByMode(
    quick=Sizes(ingest_sample=300, quality_corpus=1500, latency_sizes=(3000,), latency_queries=20),
    full=Sizes(ingest_sample=5000, quality_corpus=None, latency_sizes=(20_000, 100_000), latency_queries=200),
)


@dataclass(frozen=True)
class Stores:
    """Where each mode's workspaces go: `folder/<mode>-<name>`, on the server at `url` for mode "server"."""

    folder: Path
    url: str

    def workspace(self, mode: str, name: str) -> Workspace:
        opened = Workspace.open(self.folder / f"{mode}-{name}")
        settings = opened.settings.model_copy(
            update={"chroma_url": self.url if mode == "server" else None, "chroma_collection": None}
        )
        return dataclasses.replace(opened, settings=settings)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    if real_reviews_path() is None:
        report.skipped = "the real reviews (../shared/data/reviews) are not here; nothing to measure"
        return
    sizes = SIZES.pick(quick)
    reviews = load_real_reviews()
    rows = _rows(reviews)
    with console.status("Starting a Chroma server on loopback"), chroma_server(scratch / "chroma-server") as url:
        stores = Stores(scratch, url)
        report.notes.append(f"Chroma server: `chroma run` (chromadb {_chromadb_version()}) on {url}, same machine.")
        with console.status("Ingest throughput, embedded and server"):
            _ingest(report, rows, sizes, stores)
        with console.status("Retrieval quality, embedded and server"):
            known = _quality(report, reviews, rows, sizes, stores)
        with console.status("Query latency, embedded and server"):
            _latency(report, rows, sizes, stores, known)


def _chromadb_version() -> str:
    import chromadb

    return str(chromadb.__version__)


# -- 1. ingest ------------------------------------------------------------------------------------------------


def _ingest(report: SuiteReport, rows: list[ReviewRow], sizes: Sizes, stores: Stores) -> None:
    """Whole ingest (validate + embed + write), its re-run, and the writes alone (vectors already known)."""
    records = [_record(r) for r in _sample(rows, sizes.ingest_sample, seed=1)]
    warm = review_store(stores.workspace("embedded", "ingest"))
    warm.embedder.embed([r.embedding_text for r in rows[:64]])  # one embedder for both: load it before timing
    table_rows: list[list[Any]] = []
    known: dict[str, np.ndarray] = {}
    for mode in MODES:
        store = review_store(stores.workspace(mode, "ingest"))
        store.collection(create=True)  # start-up is not ingest work
        first, seconds = _timed_ingest(store, records)
        _, again_s = _timed_ingest(store, records)
        index = store.index()
        known = known or _vectors_by_text(rows, index.ids, index.vectors)
        writer = review_store(stores.workspace(mode, "writes"))
        writer.collection(create=True)
        _, writes_s = _timed_ingest(writer, records, known)
        table_rows.append([mode, first.written, seconds, first.written / seconds, again_s, len(records) / writes_s])
    report.tables.append(
        Table(
            title=f"Ingest of {len(records):,} real reviews, embedded vs Chroma server",
            columns=["store", "written", "whole ingest s", "reviews/s", "re-run s (nothing new)", "writes only /s"],
            rows=table_rows,
            note="Whole ingest: validate + embed + write in batches of 512. Writes only: the same reviews into a "
            "fresh store with their vectors known, so only the store's work is timed.",
        )
    )
    report.target("server whole-ingest rate / embedded", table_rows[1][3] / table_rows[0][3], at_least=0.8)
    report.target("server store-writes rate / embedded", table_rows[1][5] / table_rows[0][5], at_least=0.5)


def _timed_ingest(
    store: ReviewStore, records: list[dict[str, Any]], known: dict[str, np.ndarray] | None = None
) -> tuple[IngestReport, float]:
    """Validate and write `records` (embedding those whose text is not in `known`): the report and seconds."""
    report: IngestReport
    report, seconds = _timed(
        lambda: store.ingest(validate_review_records(records), progress=False, known_vectors=known)
    )
    return report, seconds


def _vectors_by_text(rows: list[ReviewRow], ids: np.ndarray, vectors: np.ndarray) -> dict[str, np.ndarray]:
    by_id = dict(zip([str(i) for i in ids], vectors, strict=True))
    return {r.embedding_text: by_id[r.review_id] for r in rows if r.review_id in by_id}


# -- 2. retrieval quality -------------------------------------------------------------------------------------


def _quality(
    report: SuiteReport, reviews: pd.DataFrame, rows: list[ReviewRow], sizes: Sizes, stores: Stores
) -> dict[str, np.ndarray]:
    """The labelled queries against both stores holding the same corpus; returns the corpus's vectors by text."""
    corpus = rows if sizes.quality_corpus is None else _sample(rows, sizes.quality_corpus, seed=2)
    frame = reviews[reviews["review_id"].isin({r.review_id for r in corpus})]
    records = [_record(r) for r in corpus]
    embedded = stores.workspace("embedded", "corpus")
    review_store(embedded).ingest(validate_review_records(records), progress=False)  # embeds once
    index = review_store(embedded).index()
    known = _vectors_by_text(rows, index.ids, index.vectors)
    server = stores.workspace("server", "corpus")
    review_store(server).ingest(validate_review_records(records), progress=False, known_vectors=known)
    scores: dict[str, list[dict[str, float]]] = {mode: [] for mode in MODES}
    same: dict[bool, list[float]] = {True: [], False: []}  # filtered? -> top-10 overlap per query
    for query in load_queries():
        relevant = relevant_ids(query, frame)
        if not relevant:
            continue
        ranked = {
            mode: [
                h.review_id
                for h in search_reviews(query=query.query, k=10, workspace=ws, **query.filters.as_kwargs()).hits
            ]
            for mode, ws in (("embedded", embedded), ("server", server))
        }
        overlap = len(set(ranked["embedded"]) & set(ranked["server"])) / max(1, len(ranked["embedded"]))
        same[not query.filters.is_empty].append(overlap if ranked["embedded"] != ranked["server"] else 1.0)
        for mode in MODES:
            scores[mode].append(_scores(ranked[mode], relevant, query))
    _quality_table(report, scores, len(corpus))
    # Filtered queries run on the same mirror code over the same rows: identical rankings. Unfiltered ones run on
    # two HNSW graphs built apart (approximate, randomised): near-identical, and no worse.
    identical = float(np.mean([o == 1.0 for o in same[True]]))
    report.target("filtered queries with the same ranked top-10 (share)", identical, at_least=1.0)
    report.target("unfiltered queries: top-10 overlap server vs embedded", float(np.mean(same[False])), at_least=0.95)
    gap = float(pd.DataFrame(scores["server"]).ndcg.mean() - pd.DataFrame(scores["embedded"]).ndcg.mean())
    report.target("nDCG@10 server minus embedded", gap, at_least=-0.01)
    return known


def _quality_table(report: SuiteReport, scores: dict[str, list[dict[str, float]]], corpus: int) -> None:
    table_rows = []
    for mode in MODES:
        frame = pd.DataFrame(scores[mode])
        for subset, part in (
            ("all", frame),
            ("filtered", frame[frame.filtered == 1]),
            ("unfiltered", frame[frame.filtered == 0]),
        ):
            table_rows.append([mode, subset, len(part), part.ndcg.mean(), part.recall.mean(), part.precision.mean()])
    report.tables.append(
        Table(
            title=f"Retrieval quality: {len(scores['server'])} labelled queries over {corpus:,} real reviews",
            columns=["store", "queries", "n", "nDCG@10", "Recall@10 (capped)", "P@10"],
            rows=table_rows,
            note="The same vectors in both stores: filtered queries are served by the in-memory filter mirror, "
            "unfiltered ones by each store's HNSW index. Relevance as in the reviews suite (rules, not hand labels).",
        )
    )


# -- 3. latency -----------------------------------------------------------------------------------------------


def _latency(
    report: SuiteReport, rows: list[ReviewRow], sizes: Sizes, stores: Stores, known: dict[str, np.ndarray]
) -> None:
    texts = [q.query for q in load_queries()]
    rows = [r for r in rows if r.embedding_text in known]  # (quick: the corpus sample) nothing left to embed
    timings: dict[tuple[int, str, str], list[float]] = {}
    writes: list[list[Any]] = []
    for size in sizes.latency_sizes:
        records = _replicate(rows, size)
        for mode in MODES:
            workspace = stores.workspace(mode, f"latency-{size}")
            _, seconds = _timed_ingest(review_store(workspace), records, known)
            writes.append([size, mode, seconds, size / seconds])
            for name, filters in SCENARIOS.items():
                timings[size, mode, name] = _time_queries(workspace, texts, filters, sizes.latency_queries)
    report.tables.append(
        Table(
            title="Writing the stores for the latency runs (vectors known: the store's work alone)",
            columns=["reviews", "store", "seconds", "reviews/s"],
            rows=writes,
        )
    )
    _latency_table(report, sizes, timings)


def _latency_table(report: SuiteReport, sizes: Sizes, timings: dict[tuple[int, str, str], list[float]]) -> None:
    table_rows: list[list[Any]] = []
    for size in sizes.latency_sizes:
        for name, filters in SCENARIOS.items():
            cells = [percentile_ms(timings[size, mode, name], q) for mode in MODES for q in (50, 95)]
            table_rows.append([size, name, *cells])
            if filters:
                report.target(
                    f"server p95 ms at {size:,} reviews, {name}", percentile_ms(timings[size, "server", name], 95),
                    at_most=50.0,
                )  # fmt: skip
    report.tables.append(
        Table(
            title="search_reviews latency, end to end (query embedding + search + fetching the hits), k=10",
            columns=["reviews", "filter", "embedded p50 ms", "embedded p95 ms", "server p50 ms", "server p95 ms"],
            rows=table_rows,
            note="Above 22,641 the real reviews are replicated with new ids; dates are synthetic. On the server "
            "every search also asks it for the collection's generation (one count request) and fetches its hits.",
        )
    )
