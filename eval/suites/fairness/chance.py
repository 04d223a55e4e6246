"""How often chance alone gets a real list flagged: lists of the same size drawn at random from the same households
(no group favoured), judged by the audit's own statistics. A flag that random lists get as often is weak evidence;
one they almost never get is strong."""

from __future__ import annotations

import numpy as np

from eval.suites.fairness.planted import judge
from tools.fairness.tool import AuditFairnessResult

DRAWS = 1000


def chance_flagged(result: AuditFairnessResult, attribute: str, draws: int = DRAWS, seed: int = 0) -> float:
    """The share of `draws` random lists, as long as the audited one (among the households with attributes), in
    which the audit flags a group of `attribute`."""
    sizes_by_group = {f.group: f.size for f in result.findings if f.attribute == attribute}
    labels = sorted(sizes_by_group)
    sizes = np.array([sizes_by_group[g] for g in labels], dtype=np.int64)
    rng = np.random.default_rng([seed, result.selected])
    counts = rng.multivariate_hypergeometric(sizes, result.selected, size=draws)
    hits = sum(bool(judge(row, sizes, labels, seed=seed * draws + i).flagged.any()) for i, row in enumerate(counts))
    return hits / draws
