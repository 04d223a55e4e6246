"""Ranking metrics for next-4-weeks purchases, per household, then averaged over households.

Relevant products are the distinct products a household bought in the test window. Recall here is plain
recall (hits over all of them, not capped at k as in `eval.metrics.recall_at_k`): a household that bought 50
products can reach at most 20/50 at k=20, the same for every model. A "repeat" is a relevant product the
household had bought before the cut-off, a "new" one a product it never had; the repeat and new figures score
the same top-k list against each part, averaged over the households that have such a product.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from eval.metrics import ndcg_at_k

COLUMNS = ("Recall@10", "Recall@20", "NDCG@10", "HR@10", "repeat Recall@20", "new Recall@20", "new NDCG@10")
DEPTH = 20  # the longest list any metric reads


def recall(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant)


def hit(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return float(not relevant.isdisjoint(ranked[:k]))


def household_scores(ranked: Sequence[str], truth: set[str], before: set[str]) -> dict[str, float]:
    """One household's figures; the repeat (new) ones only when it bought a repeat (new) product."""
    scores = {
        "Recall@10": recall(ranked, truth, 10),
        "Recall@20": recall(ranked, truth, 20),
        "NDCG@10": ndcg_at_k(ranked, truth, 10),
        "HR@10": hit(ranked, truth, 10),
    }
    repeats, new = truth & before, truth - before
    if repeats:
        scores["repeat Recall@20"] = recall(ranked, repeats, 20)
    if new:
        scores["new Recall@20"] = recall(ranked, new, 20)
        scores["new NDCG@10"] = ndcg_at_k(ranked, new, 10)
    return scores


def ranking_scores(
    recommended: Mapping[str, Sequence[str]], truth: Mapping[str, set[str]], before: Mapping[str, set[str]]
) -> dict[str, float]:
    """Each metric averaged over the households it applies to; a household without recommendations scores 0."""
    per_household = [household_scores(recommended.get(c, []), truth[c], before.get(c, set())) for c in truth]
    return {
        name: float(np.mean(values)) if (values := [s[name] for s in per_household if name in s]) else float("nan")
        for name in COLUMNS
    }


def window_facts(truth: Mapping[str, set[str]], before: Mapping[str, set[str]], known: set[str]) -> dict[str, float]:
    """What the window asks of any model: products per household, the share of (household, product) pairs that
    are repeats, and the share no model can recommend (products never sold before the cut-off)."""
    pairs = sum(len(t) for t in truth.values())
    repeats = sum(len(t & before.get(c, set())) for c, t in truth.items())
    unseen = sum(len(t - known) for t in truth.values())
    return {
        "products per household": pairs / max(len(truth), 1),
        "repeat share": repeats / max(pairs, 1),
        "unseen share": unseen / max(pairs, 1),
    }
