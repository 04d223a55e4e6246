"""The reviews suite: embedding speed (fp32 vs our fast path), whole-ingest throughput, retrieval quality on
labelled queries, query latency with filters at 20k and 100k reviews, and insight sentiment vs VADER.

Every speed figure is a ratio against the plain fp32 MiniLM rate measured in the same run, because
these machines are noisy. `--quick` runs the same code on small samples (for the tests).
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from agent.demo import generate_demo_data
from agent.router import Router
from core.workspace import Workspace
from eval.data import REAL_REVIEW_COLUMNS, load_real_reviews, real_reviews_path
from eval.metrics import binary_scores, ndcg_at_k, percentile_ms, precision_at_k, recall_at_k, top_k_overlap
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.review_relevance import LabelledQuery, load_queries, relevant_ids
from local_models.embeddings import MiniLMEmbedder, cpu_has_native_bf16, get_embedder, openvino_available
from local_models.sentiment import LexiconSentiment, train_sentiment
from tools.aspects import find_mentions
from tools.catalogue import ingest_catalogue
from tools.review_data import ReviewRow, validate_review_records
from tools.review_index import ReviewFilters, ReviewIndex
from tools.review_store import ReviewStore
from tools.reviews import review_store, search_reviews
from tools.reviews.query import applied_filters, catalogue_names, search_text


@dataclass(frozen=True)
class Sizes:
    embed_sample: int
    ingest_sample: int
    quality_corpus: int | None  # None: every real review
    latency_sizes: tuple[int, ...]
    latency_queries: int
    on_topic: bool  # the on-topic share through the agent's query (full mode only: it embeds every review again)


SIZES = ByMode(
    quick=Sizes(
        embed_sample=200,
        ingest_sample=300,
        quality_corpus=1500,
        latency_sizes=(1000,),
        latency_queries=20,
        on_topic=False,
    ),
    full=Sizes(
        embed_sample=5000,
        ingest_sample=5000,
        quality_corpus=None,
        latency_sizes=(20_000, 100_000),
        latency_queries=200,
        on_topic=True,
    ),
)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    if real_reviews_path() is None:
        report.skipped = "the real reviews (../shared/data/reviews) are not here; nothing to measure"
        return
    sizes = SIZES.pick(quick)
    reviews = load_real_reviews()
    rows = _rows(reviews)
    with console.status("Embedding: fp32 vs fast path"):
        fp32_rate = _embedding_speed(report, rows, sizes)
    with console.status("Ingest throughput"):
        _ingest_speed(report, rows, sizes, fp32_rate, scratch / "ingest")
    with console.status("Retrieval quality on labelled queries"):
        corpus_ws = _quality(report, reviews, rows, sizes, scratch / "corpus")
    with console.status("Query latency"):
        _latency(report, rows, sizes, corpus_ws, scratch)
    with console.status("Sentiment vs VADER"):
        _sentiment(report, reviews, quick)


def _rows(reviews: pd.DataFrame) -> list[ReviewRow]:
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()} for r in reviews.to_dict("records")]
    parsed = validate_review_records(records, source="real reviews")
    parsed.raise_if_invalid()
    return parsed.rows


def _sample(rows: list[ReviewRow], n: int, seed: int = 0) -> list[ReviewRow]:
    picks = np.random.default_rng(seed).permutation(len(rows))[: min(n, len(rows))]
    return [rows[i] for i in sorted(picks)]


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


# -- 1. embedding speed and fidelity ------------------------------------------------------------------


def _embedding_speed(report: SuiteReport, rows: list[ReviewRow], sizes: Sizes) -> float:
    """Every embedding path this machine can run, on the same texts, against the plain fp32 baseline."""
    texts = [r.embedding_text for r in _sample(rows, sizes.embed_sample)]
    n = len(texts)
    plain = MiniLMEmbedder(precision="fp32", backend="torch", batch_size=32, sort_by_length=False, dedupe=False)
    plain.embed(texts[:64])  # warm-up: first calls allocate
    reference, plain_s = _timed(lambda: plain.embed(texts))
    fast = get_embedder()
    table_rows: list[list[Any]] = [["torch fp32, batches of 32 in file order (plain)", n / plain_s, 1.0, 1.0, 1.0]]
    fast_ratio = overlap = 0.0
    for embedder in _embedding_paths(fast):
        embedder.embed(texts[:64])
        vectors, seconds = _time_embedding(embedder, texts)
        path_overlap = top_k_overlap(reference, vectors, queries=min(n, 1000))
        min_cosine = float((reference * vectors).sum(axis=1).min())
        label = f"{embedder.name}, length-sorted batches of {embedder.batch_size}"
        if embedder is fast:
            label, fast_ratio, overlap = f"{label} (default fast path)", plain_s / seconds, path_overlap
        table_rows.append([label, n / seconds, plain_s / seconds, path_overlap, min_cosine])
    report.tables.append(
        Table(
            title=f"Embedding {n:,} real reviews (title + text, mean {np.mean([len(t) for t in texts]):.0f} chars)",
            columns=["path", "reviews/s", "x fp32 plain", "top-10 overlap vs fp32", "min cosine vs fp32"],
            rows=table_rows,
        )
    )
    report.target("embedding speed-up vs fp32 plain", fast_ratio, at_least=2.5)
    report.target("top-10 neighbour overlap vs fp32", overlap, at_least=0.95)
    return n / plain_s


def _time_embedding(embedder: MiniLMEmbedder, texts: list[str]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = embedder.embed(texts)
    return vectors, time.perf_counter() - start


def _embedding_paths(fast: MiniLMEmbedder) -> list[MiniLMEmbedder]:
    paths = [MiniLMEmbedder(precision="fp32", backend="torch")]
    if cpu_has_native_bf16():
        paths.append(MiniLMEmbedder(precision="bf16", backend="torch"))
    if openvino_available():
        paths.append(MiniLMEmbedder(precision="fp32", backend="openvino"))
    return [p for p in paths if p.name != fast.name] + [fast]


# -- 2. whole ingest ------------------------------------------------------------------------------


def _ingest_speed(report: SuiteReport, rows: list[ReviewRow], sizes: Sizes, fp32_rate: float, folder: Path) -> None:
    sample = _sample(rows, sizes.ingest_sample, seed=1)
    records = [_record(r) for r in sample]
    store = ReviewStore(Workspace.open(folder))
    store.collection(create=True)  # chromadb start-up is not ingest work

    def ingest() -> Any:
        parsed = validate_review_records(records, source="sample")
        return store.ingest(parsed, progress=False)

    first, seconds = _timed(ingest)
    again, again_s = _timed(ingest)
    rate = first.written / seconds
    report.tables.append(
        Table(
            title=f"Whole ingest of {len(sample):,} real reviews (validate + embed + chromadb writes)",
            columns=["run", "reviews written", "seconds", "reviews/s", "x fp32 plain embedding"],
            rows=[
                ["first ingest", first.written, seconds, rate, rate / fp32_rate],
                ["re-run (nothing changed)", again.written, again_s, None, None],
            ],
        )
    )
    report.target("whole ingest vs fp32 plain embedding", rate / fp32_rate, at_least=2.0)


def _record(row: ReviewRow) -> dict[str, Any]:
    """A validated real review back as the record it was read from."""
    return {name: getattr(row, name) for name in REAL_REVIEW_COLUMNS}


# -- 3. retrieval quality ---------------------------------------------------------------------------


def _quality(
    report: SuiteReport, reviews: pd.DataFrame, rows: list[ReviewRow], sizes: Sizes, folder: Path
) -> Workspace:
    corpus = rows if sizes.quality_corpus is None else _sample(rows, sizes.quality_corpus, seed=2)
    ids = {r.review_id for r in corpus}
    frame = reviews[reviews["review_id"].isin(ids)]
    workspace = Workspace.open(folder)
    store = review_store(workspace)
    parsed = validate_review_records([_record(r) for r in corpus], source="corpus")
    store.ingest(parsed, progress=False)
    queries = load_queries()
    fp32 = MiniLMEmbedder(precision="fp32", batch_size=64)
    fp32_index = _index_with(store.index(), fp32, {r.review_id: r.embedding_text for r in corpus})
    results: dict[str, list[dict[str, float]]] = {"fast": [], "fp32": []}
    for query in queries:
        relevant = relevant_ids(query, frame)
        if not relevant:
            continue
        fast_ranked = [
            h.review_id
            for h in search_reviews(query=query.query, k=10, workspace=workspace, **query.filters.as_kwargs()).hits
        ]
        # both sides embed the text the tool embeds (tools/reviews/query.py): this compares the embeddings only
        searched = search_text(query.query, applied_filters(_filters(query), catalogue_names(workspace)))
        fp32_ranked = [rid for rid, _ in fp32_index.search(fp32.embed([searched])[0], _filters(query), 10)]
        results["fast"].append(_scores(fast_ranked, relevant, query))
        results["fp32"].append(_scores(fp32_ranked, relevant, query))
    table_rows = []
    for path, label in (
        ("fp32", "fp32 (exact search)"),
        ("fast", f"fast path ({store.embedder.precision}, chromadb HNSW / filtered mirror)"),
    ):
        frame_scores = pd.DataFrame(results[path])
        for subset, part in (
            ("all", frame_scores),
            ("filtered", frame_scores[frame_scores.filtered == 1]),
            ("unfiltered", frame_scores[frame_scores.filtered == 0]),
        ):
            table_rows.append([label, subset, len(part), part.ndcg.mean(), part.recall.mean(), part.precision.mean()])
    report.tables.append(
        Table(
            title=f"Retrieval quality: {len(results['fast'])} labelled queries over {len(corpus):,} real reviews",
            columns=["embedding", "queries", "n", "nDCG@10", "Recall@10 (capped)", "P@10"],
            rows=table_rows,
            note=(
                "Relevance is decided by rule (regexes over title + text, plus the query's category/rating/product "
                "constraints; eval/cases/review_queries.jsonl), not by hand. "
                "Recall@10 is capped: hits / min(10, |relevant|)."
            ),
        )
    )
    fast_frame = pd.DataFrame(results["fast"])
    report.target(
        "nDCG@10 fast path minus fp32 (no quality lost)",
        float(fast_frame.ndcg.mean() - pd.DataFrame(results["fp32"]).ndcg.mean()),
        at_least=-0.02,
    )
    if sizes.on_topic:
        _on_topic(report, frame, corpus, workspace, fp32, fp32_index)
    return workspace


def _index_with(index: ReviewIndex, embedder: MiniLMEmbedder, texts: dict[str, str]) -> ReviewIndex:
    vectors = embedder.embed([texts[str(rid)] for rid in index.ids])
    return dataclasses.replace(index, vectors=vectors)


def _filters(query: LabelledQuery) -> ReviewFilters:
    f = query.filters
    return ReviewFilters(
        product_ids=tuple(f.product_ids) if f.product_ids else None,
        min_rating=f.min_rating,
        max_rating=f.max_rating,
        category=f.category,
    )


def _scores(ranked: list[str], relevant: set[str], query: LabelledQuery) -> dict[str, float]:
    return {
        "ndcg": ndcg_at_k(ranked, relevant),
        "recall": recall_at_k(ranked, relevant),
        "precision": precision_at_k(ranked, relevant),
        "filtered": float(not query.filters.is_empty),
    }


# -- 3b. on-topic share through the agent's query (full mode) ---------------------------------------------

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


def _on_topic(
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
    text_index = _index_with(fp32_index, fp32, {r.review_id: r.text for r in corpus})
    router = Router(workspace)
    queries = load_queries()
    dev = dev_queries([q.id for q in queries])
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
    _on_topic_table(report, pd.DataFrame(rows), planned)


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
    filters, store = _filters(query), review_store(workspace)
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
    calls = [c for c in router.plan(request.request, today=date(2026, 11, 30)).calls if c.name == "search_reviews"]
    if not calls:
        return None
    arguments = calls[0].arguments
    typed = str(arguments["query"])
    store = review_store(workspace)
    own = {k: v for k, v in arguments.items() if k in FILTER_ARGUMENTS and v is not None}
    cleaned = search_reviews(query=typed, k=10, workspace=workspace, **query.filters.as_kwargs()).hits
    own_hits = search_reviews(query=typed, k=10, workspace=workspace, **own).hits
    return {
        "agent_typed": _share([r.review_id for r, _ in store.search(typed, _filters(query), 10)], relevant),
        "agent": _share([h.review_id for h in cleaned], relevant),
        "agent_own": _share([h.review_id for h in own_hits], relevant),
        "same_filters": float(own == query.filters.as_kwargs()),
    }


FILTER_ARGUMENTS = ("product_ids", "category", "min_rating", "max_rating", "date_from", "date_to")


def _on_topic_table(report: SuiteReport, shares: pd.DataFrame, planned: list[dict[str, float] | None]) -> None:
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
                f"{sum(p['same_filters'] for p in routed):.0f} of them with the labelled filters. Queries: {counts}. "
                f"Dev and test are a fixed random split of the labelled queries (seed {SPLIT_SEED}); the query "
                "cleaning (tools/reviews/query.py) was chosen on dev only."
            ),
        )
    )
    test = parts[("test", "all")]
    report.target(
        "on-topic share, agent's query minus plain fp32 review text (test half)",
        float(test["agent"].mean() - test["plain_text"].mean()),
        at_least=-0.05,
    )


# -- 4. latency -------------------------------------------------------------------------------------

SCENARIOS: dict[str, dict[str, Any]] = {
    "no filter": {},
    "one product": {"product_ids": ["1078"]},
    "rating >= 4": {"min_rating": 4},
    "category + max rating": {"category": "Dresses", "max_rating": 2},
    "date range (90 days)": {"date_from": date(2024, 3, 1), "date_to": date(2024, 5, 30)},
    "product + rating + date": {"product_ids": ["862", "1094"], "min_rating": 3, "date_from": date(2024, 6, 1)},
}


def _latency(report: SuiteReport, rows: list[ReviewRow], sizes: Sizes, corpus_ws: Workspace, scratch: Path) -> None:
    texts = [q.query for q in load_queries()]
    known = dict(
        zip([str(i) for i in review_store(corpus_ws).index().ids], review_store(corpus_ws).index().vectors, strict=True)
    )
    by_text = {r.embedding_text: known[r.review_id] for r in rows if r.review_id in known}
    table_rows: list[list[Any]] = []
    for size in sizes.latency_sizes:
        workspace = Workspace.open(scratch / f"latency-{size}")
        records = _replicate(rows, size)
        parsed = validate_review_records(records, source=f"{size} reviews")
        review_store(workspace).ingest(parsed, progress=False, known_vectors=by_text)
        for name, filters in SCENARIOS.items():
            timings = _time_queries(workspace, texts, filters, sizes.latency_queries)
            table_rows.append([size, name, percentile_ms(timings, 50), percentile_ms(timings, 95)])
            if filters:
                report.target(f"p95 ms at {size:,} reviews, {name}", percentile_ms(timings, 95), at_most=50.0)
    report.tables.append(
        Table(
            title="search_reviews latency, end to end (query embedding + search + fetching the hits), k=10",
            columns=["reviews", "filter", "p50 ms", "p95 ms"],
            rows=table_rows,
            note=(
                "Above 22,641 the real reviews are replicated with new ids. Dates are synthetic (the data has none). "
                "Unfiltered queries use chromadb's HNSW index; filtered ones the in-memory filter mirror."
            ),
        )
    )


def _replicate(rows: list[ReviewRow], size: int) -> list[dict[str, Any]]:
    records = []
    for copy in range(size // len(rows) + 1):
        for row in rows:
            record = _record(row)
            if copy:
                record["review_id"] = f"{row.review_id}~{copy}"
            records.append(record)
            if len(records) == size:
                return records
    return records


def _time_queries(workspace: Workspace, texts: list[str], filters: dict[str, Any], n: int) -> list[float]:
    search_reviews(query="warm-up", k=10, workspace=workspace, **filters)
    timings = []
    for i in range(n):
        start = time.perf_counter()
        search_reviews(query=texts[i % len(texts)], k=10, workspace=workspace, **filters)
        timings.append(time.perf_counter() - start)
    return timings


# -- 5. sentiment -----------------------------------------------------------------------------------


def _sentiment(report: SuiteReport, reviews: pd.DataFrame, quick: bool) -> None:
    data = reviews.sample(n=3000 if quick else len(reviews), random_state=0)
    texts = (data["title"].where(data["title"] == "", data["title"] + ". ") + data["text"]).tolist()
    ratings = data["rating"].to_numpy()
    cut = int(len(data) * 0.8)
    model, train_s = _timed(lambda: train_sentiment(texts[:cut], ratings[:cut].tolist()))
    test_texts, test_ratings = texts[cut:], ratings[cut:]
    labelled = test_ratings != 3
    truth = (test_ratings[labelled] >= 4).astype(int)
    ours = (model.praise_probability(test_texts) >= 0.5).astype(int)[labelled]
    vader = (LexiconSentiment().praise_probability(test_texts) >= 0.525).astype(int)[labelled]
    rows: list[list[str | float]] = []
    for name, predicted in (("VADER (compound >= 0.05 = praise)", vader), ("ours: n-gram logistic regression", ours)):
        s = binary_scores(truth, predicted)
        rows.append([name, s["accuracy"], s["balanced_accuracy"], s["macro_f1"]])
    report.tables.append(
        Table(
            title=(
                f"Sentiment on held-out real reviews ({labelled.sum():,} rated 1-2 or 4-5; "
                f"trained on {cut:,} in {train_s:.1f} s)"
            ),
            columns=["model", "accuracy", "balanced accuracy", "macro-F1"],
            rows=rows,
            note="Labels: 1-2 stars = complaint, 4-5 = praise; 3-star reviews are left out. 80/20 split, seed 0.",
        )
    )
    margin = float(rows[1][3]) - float(rows[0][3])
    report.target("sentiment macro-F1 minus VADER's (real reviews)", margin, at_least=0.0)
    _clause_sentiment(report, quick)


def _clause_sentiment(report: SuiteReport, quick: bool) -> None:
    """Aspect-level polarity, which is what insight reports, on the demo store's ground-truth aspect labels:
    trained on one generated store's ratings, tested on another seed's labelled clauses."""
    with tempfile.TemporaryDirectory() as folder:
        train = _demo_reviews(Path(folder) / "train", 800 if quick else 5000, seed=3)
        test = _demo_reviews(Path(folder) / "test", 500 if quick else 2000, seed=11)
    texts = [f"{t}. {x}" if t else x for t, x in zip(train.title, train.text, strict=True)]
    model = train_sentiment(texts, train.rating.astype(int).tolist())
    clauses, truth = _labelled_clauses(test)
    rows: list[list[Any]] = []
    for name, scorer in (("VADER", LexiconSentiment()), ("ours", model)):
        said = scorer.polarity(clauses)
        right = np.mean([s == ("praise" if t else "complaint") for s, t in zip(said, truth, strict=True)])
        rows.append([name, len(clauses), float(right), float(np.mean([s == "mixed" for s in said]))])
    report.tables.append(
        Table(
            title=f"Aspect-mention polarity on the demo store's ground truth ({len(train):,} training reviews)",
            columns=["model", "aspect mentions", "accuracy", "share called mixed"],
            rows=rows,
            note="A mention counts as right when its polarity matches the generator's label for that aspect; "
            "'mixed' counts as wrong.",
        )
    )
    report.target("aspect polarity accuracy minus VADER's (demo labels)", rows[1][2] - rows[0][2], at_least=0.0)


def _demo_reviews(folder: Path, n_reviews: int, seed: int) -> pd.DataFrame:
    files = generate_demo_data(folder, n_reviews=n_reviews, n_customers=10, seed=seed, progress=False)
    return pd.read_csv(files.reviews, dtype=str, keep_default_na=False)


def _labelled_clauses(reviews: pd.DataFrame) -> tuple[list[str], list[int]]:
    clauses, truth = [], []
    for row in reviews.itertuples():
        labels = dict(pair.split(":") for pair in str(row.aspects).split(";") if ":" in pair)
        for mention in find_mentions(str(row.review_id), str(row.text), str(row.category), str(row.product_name)):
            if labels.get(mention.aspect) in ("pos", "neg"):
                clauses.append(mention.clause)
                truth.append(1 if labels[mention.aspect] == "pos" else 0)
    return clauses, truth
