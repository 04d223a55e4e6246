"""The reviews suite: embedding speed (fp32 vs our fast path), whole-ingest throughput, retrieval quality on
labelled queries, query latency with filters at 20k and 100k reviews, and insight sentiment vs VADER.

Every speed figure is a ratio against the plain fp32 MiniLM rate measured in the same run, because
these machines are noisy. `--quick` runs the same code on small samples (for the tests).
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from agent.demo import generate_demo_data
from core.workspace import Workspace
from eval.data import REAL_REVIEW_COLUMNS, load_real_reviews, real_reviews_path
from eval.metrics import binary_scores, ndcg_at_k, percentile_ms, precision_at_k, recall_at_k, top_k_overlap
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.review_relevance import LabelledQuery, load_queries, relevant_ids
from eval.suites.review_on_topic import index_with, labelled_filters, on_topic
from local_models.embeddings import MiniLMEmbedder, cpu_has_native_bf16, get_embedder, openvino_available
from local_models.sentiment import LexiconSentiment, train_sentiment
from tools.aspects import find_mentions
from tools.review_data import ReviewRow, validate_review_records
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
    reviews_read: int | None = None  # a random sample of the real reviews to read (None: all); checking and redacting
    # all 25,741 rows takes ~15 s, and quick mode's samples come from far fewer


SIZES = ByMode(
    quick=Sizes(
        embed_sample=200,
        ingest_sample=300,
        quality_corpus=1000,
        latency_sizes=(1000,),
        latency_queries=20,
        on_topic=False,
        reviews_read=6000,
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
    if sizes.reviews_read is not None and sizes.reviews_read < len(reviews):
        reviews = reviews.sample(n=sizes.reviews_read, random_state=0).sort_index()
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
    fp32_index = index_with(store.index(), fp32, {r.review_id: r.embedding_text for r in corpus})
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
        searched = search_text(query.query, applied_filters(labelled_filters(query), catalogue_names(workspace)))
        fp32_ranked = [rid for rid, _ in fp32_index.search(fp32.embed([searched])[0], labelled_filters(query), 10)]
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
        on_topic(report, frame, corpus, workspace, fp32, fp32_index)
    return workspace


def _scores(ranked: list[str], relevant: set[str], query: LabelledQuery) -> dict[str, float]:
    return {
        "ndcg": ndcg_at_k(ranked, relevant),
        "recall": recall_at_k(ranked, relevant),
        "precision": precision_at_k(ranked, relevant),
        "filtered": float(not query.filters.is_empty),
    }


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
    # reviews the quality corpus has embedded first, so a store no bigger than the corpus embeds nothing again
    ordered = [r for r in rows if r.review_id in known] + [r for r in rows if r.review_id not in known]
    table_rows: list[list[Any]] = []
    for size in sizes.latency_sizes:
        workspace = Workspace.open(scratch / f"latency-{size}")
        records = _replicate(ordered, size)
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
