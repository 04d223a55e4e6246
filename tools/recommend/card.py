"""The recommender's model card (core/model_card.py), written by `train_recommender` beside the checkpoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from core.model_card import (
    NO_CUSTOMER_ATTRIBUTES,
    Benchmark,
    DataFacts,
    Metric,
    ModelCard,
    TrainingFacts,
    Validation,
    card_for,
    measured,
)
from local_models.recommender.train import FittedRecommender

PRIOR = " Starts from the frequency prior and keeps it unless training beats it."
RECALL = "share of the products each held-out customer bought in the {days} days after a cut-off that are in its top 20"


def recommender_card(
    folder: Path,
    root: Path,
    *,
    fitted: FittedRecommender,
    lines: pd.DataFrame,
    side_facts: bool,
    source: str,
    fingerprint: str,
) -> ModelCard:
    """The card for a recommender just saved in `folder` (workspace `root`); `lines` are the purchase lines it
    learnt from, `side_facts` whether a catalogue gave products' categories and prices."""
    train, metrics, config = fitted.train, fitted.metrics, fitted.model.config
    return card_for(
        folder,
        root,
        title="Product recommender",
        summary=(
            "A Transformer over each customer's purchase history that scores every product for their next "
            f"{train.window_days} days, repeat purchases and new products alike; also picks who to target for a "
            "product and what to feature for a segment."
        ),
        used_by=["recommend_products"],
        data=DataFacts(
            fingerprint=fingerprint,
            source=source,
            period_start=lines["date"].min().date(),
            period_end=lines["date"].max().date(),
            rows=len(lines),
            rows_label="purchase lines (customer, day, product)",
            customers=len(fitted.customer_ids),
            products=fitted.vocabulary.size - 2,
        ),
        inputs=_inputs(fitted, side_facts),
        never_inputs=[NO_CUSTOMER_ATTRIBUTES],
        training=TrainingFacts(
            budget_seconds=train.max_seconds,
            seconds=metrics.get("train_seconds", 0.0),
            seed=train.seed,
            stopped=(
                f"{int(metrics.get('epochs', 0))} epochs (at most {train.max_epochs}; early stopping after "
                f"{train.patience} without a gain in held-out recall@20) on {int(metrics.get('examples', 0)):,} "
                f"examples from up to {train.max_cutoffs} cut-offs {train.stride_days} days apart; {train.loss} loss."
                + (PRIOR if config.repeat_prior else "")
            ),
        ),
        validation=Validation(
            split=(
                f"{train.validation_share:.0%} of customers ({int(metrics.get('validation_customers', 0)):,}), all "
                "their cut-offs, never trained on"
            ),
            metrics=_metrics(metrics, train.window_days),
            note="Popularity gives everyone the same 20 best sellers, counting buyers over the whole data (which "
            "favours it slightly). The held-out customers also chose the stopping epoch, so the model's figure "
            "leans a little optimistic.",
        ),
        limits=[
            f"Recommends only the {fitted.vocabulary.size - 2:,} products bought by at least {train.min_buyers} "
            "customers in its data; newer products get no personal score until it is retrained.",
            f"Scores the {train.window_days} days from {fitted.as_of} and knows only the customers with a purchase "
            "before then: a new customer appears once it is retrained.",
            f"Reads at most each customer's last {config.max_events} purchase lines and scores at most "
            f"{config.max_repeats} of their past products for repeats.",
            "On The Complete Journey benchmark, personal top-frequency still scores slightly higher overall and "
            "recent popularity does better on products new to a customer.",
        ],
        benchmarks=[
            Benchmark(
                what="The same design on The Complete Journey (2,469 households, one year) against popularity, "
                "personal top-frequency, item-kNN, ALS, EASE and a SASRec stand-in",
                result="see the report's Recall@20 and NDCG@10 tables",
                command="marketing-agent eval recommend",
                report="eval/reports/recommend.md",
            )
        ],
    )


def _inputs(fitted: FittedRecommender, side_facts: bool) -> list[str]:
    config = fitted.model.config
    inputs = [
        "Each customer's purchase history: which products, on which days, how many times",
        "How many customers bought each product (its popularity)",
    ]
    if config.repeat_features:
        inputs.append("For products a customer bought before: how often and how recently")
    if config.side_features and side_facts:
        inputs.append("Each product's category and price band, from the catalogue")
    return inputs


def _metrics(metrics: dict[str, float], days: int) -> list[Metric]:
    recall = RECALL.format(days=days)
    found = [
        Metric(
            name="recall@20",
            description=recall,
            value=measured(metrics.get("validation_recall_at_20")),
            higher_is_better=True,
            baseline="popularity",
            baseline_value=measured(metrics.get("validation_recall_at_20_popularity")),
        )
    ]
    prior = measured(metrics.get("validation_recall_at_20_frequency_prior"))
    if prior is not None:
        found.append(
            Metric(
                name="recall@20",
                description=recall,
                value=measured(metrics.get("validation_recall_at_20")),
                higher_is_better=True,
                baseline="personal top-frequency + popularity",
                baseline_value=prior,
            )
        )
    return found
