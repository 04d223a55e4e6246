"""The customer model's card (core/model_card.py), written by `train_segmenter` beside the checkpoint."""

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
from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.train import SegmenterTrainConfig
from tools.transactions_data import TransactionsTable

PAST_RATE = "past rate"


def segmenter_card(
    folder: Path,
    root: Path,
    *,
    table: TransactionsTable,
    config: SegmenterConfig,
    train: SegmenterTrainConfig,
    metrics: dict[str, float],
    fingerprint: str,
    as_of: pd.Timestamp,
    period_days: int,
    k: int,
    k_chosen_by: str,
) -> ModelCard:
    """The card for a customer model just saved in `folder` (workspace `root`)."""
    dates = table.frame["date"]
    return card_for(
        folder,
        root,
        title="Customer model",
        summary=(
            "A Transformer over each customer's recent purchases that predicts their purchases and spend over the "
            f"next {period_days} days; its forecasts beside each customer's recency, frequency and spend, clustered "
            f"into {k} segments, group customers who buy alike."
        ),
        used_by=["segment_customers"],
        data=DataFacts(
            fingerprint=fingerprint,
            source=table.source,
            period_start=dates.min().date(),
            period_end=dates.max().date(),
            rows=len(table.frame),
            rows_label="transactions",
            customers=table.customers,
        ),
        inputs=_inputs(config),
        never_inputs=[NO_CUSTOMER_ATTRIBUTES, "Names, emails and phones are dropped when the file is read."],
        training=TrainingFacts(
            budget_seconds=train.max_seconds,
            seconds=metrics.get("train_seconds", 0.0),
            seed=train.seed,
            stopped=(
                f"{int(metrics.get('epochs', 0))} epochs (at most {train.max_epochs}; early stopping after "
                f"{train.patience} without a gain on the held-out customers); learnt from what customers did in the "
                f"{', '.join(str(w) for w in train.windows_days)} days after cut-offs before the data's end "
                f"({int(metrics.get('examples', 0)):,} examples)."
            ),
        ),
        validation=Validation(
            split=(
                f"{train.validation_share:.0%} of customers ({int(metrics.get('validation_customers', 0)):,}), "
                "all their cut-offs, never trained on"
            ),
            metrics=_metrics(metrics),
            note=f"The {PAST_RATE} baseline predicts each customer keeps buying at their own past rate (purchases "
            "and spend per day since their first purchase, over at least one window). The held-out customers also "
            "chose the stopping epoch, so these figures lean a little optimistic.",
        ),
        limits=[
            f"Predicts the {period_days} days after {as_of.date().isoformat()} (the day after the data ends); "
            "customers who first buy later are unknown until it is retrained.",
            f"Segments are {k} clusters of its forecast purchases and spend with standardised log RFM (k chosen by "
            f"{k_chosen_by}; retraining with another seed moves few customers); their names come from rules on RFM "
            "figures, not from the model.",
            "Reads at most the last "
            f"{config.max_events} purchase days per customer; older behaviour counts only through the RFM "
            "summary figures.",
            "Spend is net of returns within each window (never below zero).",
        ],
        benchmarks=[
            Benchmark(
                what="The same design on CDNOW (39-week calibration, 39-week holdout) against BG/NBD fitted in the "
                "same run",
                result="see the report's per-customer MAE table",
                command="marketing-agent eval segments",
                report="eval/reports/segments.md",
            )
        ],
    )


def _inputs(config: SegmenterConfig) -> list[str]:
    inputs = [
        f"Each customer's last {config.max_events} purchase days: amount, quantity, days since the previous one, "
        "how long ago, and whether it was a return",
        "The sales channel of each purchase (the most common channels; the rest as unknown)",
    ]
    if config.product_buckets:
        inputs.append(f"The products bought, hashed into {config.product_buckets} groups")
    inputs.append(
        "Recency, frequency, spend, tenure, average order value and return rate computed from the transactions, "
        "and the length of the window to predict"
    )
    return inputs


def _metrics(metrics: dict[str, float]) -> list[Metric]:
    return [
        Metric(
            name="purchases MAE",
            description="mean absolute error of each held-out customer's purchase days in the window after a cut-off",
            value=measured(metrics.get("validation_purchases_mae")),
            higher_is_better=False,
            baseline=PAST_RATE,
            baseline_value=measured(metrics.get("validation_purchases_mae_past_rate")),
        ),
        Metric(
            name="spend MAE",
            description="mean absolute error of each held-out customer's net spend in that window, in the data's "
            "currency",
            value=measured(metrics.get("validation_spend_mae")),
            higher_is_better=False,
            baseline=PAST_RATE,
            baseline_value=measured(metrics.get("validation_spend_mae_past_rate")),
        ),
    ]
