"""Our recommender (`local_models.recommender`) behind the peers' interface, and the variants the suite fits:
the full model and one ablation per choice it makes. Imported only when it is about to run, so the suite still
runs (and says why) where the model is missing."""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

MODEL_MODULE = "local_models.recommender.train"
THOUSAND = 1000
SERVE_K = 10  # the recommend tool's default list length


@dataclass(frozen=True)
class Variant:
    label: str
    role: str  # "ours", "stand-in" (scored as a peer) or "ablation"
    changes: dict[str, Any] = field(default_factory=dict)  # RecommenderTrainConfig fields that differ from ours


VARIANTS = {
    "ours": Variant("ours (softmax loss, side and repeat features)", "ours"),
    "bce": Variant(
        "ours with loss=bce, one negative (classic SASRec's loss: the SASRec stand-in peer)",
        "stand-in",
        {"loss": "bce"},
    ),
    "no-side": Variant("ours without side features (category, price)", "ablation", {"side_features": False}),
    "no-repeat": Variant("ours without repeat features", "ablation", {"repeat_features": False}),
}


def why_ours_cannot_run() -> str | None:
    """None when our model imports; else what stops it, in a sentence for the report."""
    if importlib.util.find_spec("local_models.recommender") is None:
        return "local_models.recommender does not exist in this tree yet"
    try:
        importlib.import_module(MODEL_MODULE)
    except ImportError as exc:
        return f"{MODEL_MODULE} does not import ({type(exc).__name__}: {exc})"
    return None


class OurRecommender:
    """`fit_recommender` with RecommenderTrainConfig(seed=0, loss="softmax", side_features=True,
    repeat_features=True, max_seconds=...) changed by the variant; recommends with `exclude_purchased=False`,
    as every peer does."""

    def __init__(self, variant: Variant, max_seconds: float, seed: int = 0) -> None:
        self.variant, self.max_seconds, self.seed = variant, max_seconds, seed
        self.name = variant.label
        self.fitted: Any = None

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        from local_models.recommender.train import RecommenderTrainConfig, fit_recommender

        settings: dict[str, Any] = {
            "seed": self.seed,
            "loss": "softmax",
            "side_features": True,
            "repeat_features": True,
            "max_seconds": self.max_seconds,
        }
        config = RecommenderTrainConfig(**{**settings, **self.variant.changes})
        self.fitted = fit_recommender(purchases, items, config)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        ranked = self.fitted.top_k(list(customer_ids), k, exclude_purchased=False)
        return {c: [str(product) for product, _ in items] for c, items in zip(customer_ids, ranked, strict=True)}

    def measured(self, customer_ids: Sequence[str]) -> dict[str, float]:
        """The model's own training seconds, and the seconds `top_k` takes for 1,000 customers (the kept
        households, repeated when there are fewer), after a warm-up call."""
        thousand = list(itertools.islice(itertools.cycle(customer_ids), THOUSAND))
        self.fitted.top_k(thousand[:10], SERVE_K, exclude_purchased=False)
        start = time.perf_counter()
        self.fitted.top_k(thousand, SERVE_K, exclude_purchased=False)
        seconds = time.perf_counter() - start
        metrics = {str(k): float(v) for k, v in dict(self.fitted.metrics).items()}
        return {**metrics, "seconds for 1,000 customers": seconds}
