"""Retrieval and classification metrics, written out so the definitions are visible."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def ndcg_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Binary-relevance nDCG@k: DCG of the ranking over the DCG of an ideal one."""
    dcg = sum(1.0 / math.log2(i + 2) for i, rid in enumerate(ranked[:k]) if rid in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal if ideal else 0.0


def recall_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    """Capped recall@k (BEIR's R_cap): hits in the top k over min(k, |relevant|), so a query with 300
    relevant reviews can still score 1.0 with ten right answers."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def precision_at_k(ranked: Sequence[str], relevant: set[str], k: int = 10) -> float:
    return len(set(ranked[:k]) & relevant) / k


def percentile_ms(seconds: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(seconds) * 1000.0, q))


def top_k_overlap(a: np.ndarray, b: np.ndarray, queries: int, k: int = 10) -> float:
    """Mean share of each query's top-k neighbours (itself excluded) that two embeddings agree on.
    a, b: (N, D) unit vectors of the same texts; the first `queries` rows are the queries."""
    overlaps = []
    for start in range(0, queries, 256):
        stop = min(start + 256, queries)
        tops = []
        for matrix in (a, b):
            scores = matrix[start:stop] @ matrix.T  # (Q, N)
            scores[np.arange(stop - start), np.arange(start, stop)] = -np.inf
            tops.append(np.argpartition(-scores, k, axis=1)[:, :k])
        overlaps += [len(set(x) & set(y)) / k for x, y in zip(tops[0], tops[1], strict=True)]
    return float(np.mean(overlaps))


def binary_scores(truth: np.ndarray, predicted: np.ndarray) -> dict[str, float]:
    """Accuracy, balanced accuracy and macro-F1 for 0/1 labels."""
    from sklearn.metrics import accuracy_score, balanced_accuracy_score, f1_score

    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "balanced_accuracy": float(balanced_accuracy_score(truth, predicted)),
        "macro_f1": float(f1_score(truth, predicted, average="macro")),
    }
