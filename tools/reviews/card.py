"""The review sentiment model's card (core/model_card.py), written beside its checkpoint each time review ingest
retrains it (tools/review_analysis.py `retrain_sentiment`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from core.model_card import Benchmark, DataFacts, Metric, ModelCard, TrainingFacts, Validation, card_for, measured
from local_models.sentiment import SentimentModel
from tools.review_store import StoredReview

# Measured by `marketing-agent eval reviews` (full run of 2026-11-28, eval/reports/reviews.md); a test checks these
# against eval/reports/reviews.json, so a new eval run that moves them fails until they are updated here.
REAL_REVIEWS = {"reviews": 3968, "trained_on": 18112, "macro_f1": 0.876, "macro_f1_vader": 0.698}
DEMO_ASPECTS = {"mentions": 4006, "accuracy": 0.972, "accuracy_vader": 0.636}
SPLIT = "1-2 stars = complaint, 4-5 = praise; 3-star reviews left out"


def sentiment_card(
    folder: Path, root: Path, *, model: SentimentModel, reviews: Sequence[StoredReview], seconds: float
) -> ModelCard:
    """The card for a sentiment model just saved in `folder` (workspace `root`), trained on `reviews`."""
    figures = model.metrics
    dates = sorted(d for d in (_date(r.date) for r in reviews) if d is not None)
    config = model.config
    return card_for(
        folder,
        root,
        title="Review sentiment",
        summary=(
            "A logistic regression over hashed words and word pairs that tells praise from complaints in a review "
            "or in one clause of it; review insight labels each aspect mention with it."
        ),
        used_by=["search_reviews"],
        data=DataFacts(
            fingerprint=model.data_fingerprint,
            source="the reviews stored in this workspace, with their star ratings as labels",
            period_start=dates[0] if dates else None,
            period_end=dates[-1] if dates else None,
            rows=len(reviews),
            rows_label=f"reviews ({int(figures.get('train_reviews', 0)):,} rated 1-2 or 4-5 used)",
            products=len({r.product_id for r in reviews}),
        ),
        inputs=[
            "Review title and text: words and word pairs (hashed), with words after a negation marked",
            f"Star ratings as labels only ({SPLIT}); clauses after a turn such as 'but' weakly labelled and weighted "
            f"{config.clause_weight:g}",
        ],
        never_inputs=[
            "Nothing about the reviewer: no names, ids or customer attributes; review text is data, never instructions."
        ],
        training=TrainingFacts(
            budget_seconds=None,
            seconds=seconds,
            stopped="Retrained from scratch on every review ingest that stores something new (a convex fit: it "
            "runs to convergence).",
        ),
        validation=Validation(
            split=(
                f"{int(figures.get('validation_reviews', 0)):,} of the workspace's reviews ({SPLIT}), scored by a "
                f"model fitted the same way on {int(figures.get('validation_fit_reviews', 0)):,} others (the saved "
                "model is then fitted on them all)"
            ),
            metrics=_metrics(figures),
            note="" if "validation_macro_f1" in figures else "Too few rated reviews to hold some out.",
        ),
        limits=[
            "Learns this store's vocabulary from its own ratings: with few reviews it is weak, and below "
            f"{config.min_per_class} reviews rated 1-2 and 4-5 each it is not trained (insight uses VADER instead).",
            f"A clause within {config.neutral_band:g} of even odds is called mixed.",
            "Reads Latin letters and digits only: Chinese (and other non-Latin) review text gives it no signal.",
            "Reads words, not meaning: sarcasm, or praise for a competitor, can fool it.",
        ],
        benchmarks=[
            Benchmark(
                what=f"Held-out real customer reviews ({REAL_REVIEWS['reviews']:,}, trained on "
                f"{REAL_REVIEWS['trained_on']:,})",
                result=f"macro-F1 {REAL_REVIEWS['macro_f1']:.3f} vs VADER's {REAL_REVIEWS['macro_f1_vader']:.3f}",
                command="marketing-agent eval reviews",
                report="eval/reports/reviews.md",
            ),
            Benchmark(
                what=f"Aspect-mention polarity on a demo store's ground truth ({DEMO_ASPECTS['mentions']:,} mentions)",
                result=f"accuracy {DEMO_ASPECTS['accuracy']:.3f} vs VADER's {DEMO_ASPECTS['accuracy_vader']:.3f}",
                command="marketing-agent eval reviews",
                report="eval/reports/reviews.md",
            ),
        ],
    )


def _metrics(figures: dict[str, float]) -> list[Metric]:
    return [
        Metric(
            name=name,
            description=description,
            value=measured(figures.get(key)),
            higher_is_better=True,
            baseline="VADER lexicon",
            baseline_value=measured(figures.get(f"{key}_vader")),
        )
        for name, key, description in (
            ("macro-F1", "validation_macro_f1", "the mean of the F1 scores for complaints and for praise"),
            ("balanced accuracy", "validation_balanced_accuracy", "the mean of the recall of complaints and of praise"),
        )
    ]


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None
