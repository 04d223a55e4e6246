"""One store's benchmark: every peer and our model's variants fitted on the same training purchases in this run,
timed, and scored on the same test window; ALS's and EASE's settings chosen on the validation split first."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from rich.console import Console

from eval.suites.recommend.data import Split, validation_split
from eval.suites.recommend.metrics import DEPTH, ranking_scores
from eval.suites.recommend.ours import VARIANTS, OurRecommender
from eval.suites.recommend.peers import ItemKNN, PersonalFrequency, Popularity, Recommender
from eval.suites.recommend.tuned import Als, AlsSettings, Ease, EaseSettings

Settings = TypeVar("Settings")


@dataclass(frozen=True)
class Result:
    model: str
    role: str  # "peer", "stand-in" (a peer built from our code), "ours" or "ablation"
    scores: dict[str, float]
    fit_seconds: float
    recommend_seconds: float  # per 1,000 customers, top DEPTH
    measured: dict[str, float] = field(default_factory=dict)  # what a model reports of itself


@dataclass(frozen=True)
class Plan:
    """What to fit on a store."""

    knn_min_buyers: int
    als: tuple[AlsSettings, ...]
    ease: tuple[EaseSettings, ...]
    variants: tuple[str, ...]  # our model's rows (keys of VARIANTS); empty when it cannot run
    our_seconds: float


def evaluate(model: Recommender, split: Split, role: str) -> Result:
    """Fit on the split's training purchases, recommend DEPTH products to every kept household, score them."""
    start = time.perf_counter()
    model.fit(split.train, split.items)
    fit_seconds = time.perf_counter() - start
    customers = split.customers
    start = time.perf_counter()
    recommended = model.recommend(customers, DEPTH)
    per_thousand = (time.perf_counter() - start) * 1000.0 / max(len(customers), 1)
    measured = model.measured(customers) if isinstance(model, OurRecommender) else {}
    scores = ranking_scores(recommended, split.truth, split.before)
    return Result(model.name, role, scores, fit_seconds, per_thousand, measured)


def choose(
    make: Callable[[Settings], Recommender], settings: Sequence[Settings], validation: Split
) -> tuple[Settings, list[Result]]:
    """The settings with the best validation Recall@20 (the first on ties), and every candidate's scores."""
    tried = [evaluate(make(s), validation, "validation") for s in settings]
    best = max(range(len(tried)), key=lambda i: (tried[i].scores["Recall@20"], -i))
    return settings[best], tried


def benchmark(split: Split, plan: Plan, console: Console, store: str) -> tuple[list[Result], list[Result]]:
    """(test-window results, validation results of the tuned peers' candidates)."""
    results: list[Result] = []
    for peer in (Popularity(), Popularity(recent_weeks=4), PersonalFrequency(), ItemKNN(plan.knn_min_buyers)):
        with console.status(f"{store}: {peer.name}"):
            results.append(evaluate(peer, split, "peer"))
    validation = validation_split(split)
    with console.status(f"{store}: choosing ALS settings on validation ({len(plan.als)} candidates)"):
        als, als_tried = choose(Als, plan.als, validation)
    with console.status(f"{store}: choosing EASE's lambda on validation ({len(plan.ease)} candidates)"):
        ease, ease_tried = choose(Ease, plan.ease, validation)
    for model in (Als(als), Ease(ease)):
        with console.status(f"{store}: {model.name}"):
            results.append(evaluate(model, split, "peer"))
    for key in plan.variants:
        variant = VARIANTS[key]
        with console.status(f"{store}: {variant.label} (training up to {plan.our_seconds:.0f} s)"):
            results.append(evaluate(OurRecommender(variant, plan.our_seconds), split, variant.role))
    return results, als_tried + ease_tried
