"""Regenerate the golden checkpoints that tests/test_golden_checkpoints.py loads (see README.md beside this file).

    .venv/bin/python tests/golden/make_golden.py              # all three
    .venv/bin/python tests/golden/make_golden.py forecaster   # or some of: forecaster segmenter sentiment

Run it by hand, and only when a change to a checkpoint's format or to a model's numbers is intended: it overwrites
the committed checkpoints, their inputs and the predictions they gave, so the test passes again by construction.
Say in the commit why the old checkpoints may no longer load or predict the same (and whether a user's workspace
needs retraining). Everything is tiny, seeded and synthetic: no data from ../shared, a few KB per model.
"""

from __future__ import annotations

import json
import shutil
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from local_models.forecaster.model import ForecasterConfig
from local_models.forecaster.train import (
    History,
    TrainConfig,
    data_fingerprint,
    fit_ensemble,
    load_forecaster,
    predict,
    save_forecaster,
)
from local_models.segmenter.model import SegmenterConfig
from local_models.segmenter.train import (
    SegmenterTrainConfig,
    daily_events,
    fit_segmenter,
    load_segmenter,
    make_examples,
    predict_customers,
    save_segmenter,
)
from local_models.sentiment import SentimentConfig, SentimentModel, train_sentiment

GOLDEN = Path(__file__).resolve().parent
SEED = 20261204

# ----------------------------------------------------------------------------------------------------
# Forecaster: weekly-style series with a 4-step season, a binary promotion and a price known ahead, and a
# past-only covariate (visits); an ensemble of two members with different contexts, on the log scale.

FORECASTER_CONFIG = ForecasterConfig(
    horizon=4,
    context=8,
    period=4,
    patch=2,
    quantiles=(0.1, 0.5, 0.9),
    known_covariates=("promo", "price"),
    past_covariates=("visits",),
    binary_covariates=("promo",),
    log_transform=True,
    d_model=8,
    n_heads=2,
    n_layers=1,
    d_ff=16,
    freq="W-SUN",
    covariate_defaults={"promo": "0 (none planned)", "price": "last known value"},
)


def sales_series(rng: np.random.Generator, series_id: str, length: int) -> dict[str, Any]:
    """One series as plain lists: level x season x promotion lift x price effect, with noise."""
    steps = np.arange(length + FORECASTER_CONFIG.horizon)  # the last `horizon` steps are the planned future
    promo = (rng.random(len(steps)) < 0.2).astype(float)
    price = np.round(20.0 * (1.0 - 0.1 * promo) + rng.normal(0.0, 0.5, len(steps)), 2)
    season = 1.0 + 0.3 * np.sin(2 * np.pi * steps / FORECASTER_CONFIG.period)
    level = rng.uniform(5.0, 50.0)
    sales = rng.poisson(level * season * (1.0 + 0.5 * promo) * (20.0 / price))[:length].astype(float)
    visits = np.round(sales * rng.uniform(8.0, 12.0, length))
    known = np.stack([promo, price], axis=1)
    return {
        "series_id": series_id,
        "values": sales.tolist(),
        "known": known[:length].tolist(),
        "past": visits[:, None].tolist(),
        "future_known": known[length:].tolist(),
    }


def history_from(series: dict[str, Any]) -> History:
    return History(
        series["series_id"],
        np.asarray(series["values"], dtype=np.float64),
        known=np.asarray(series["known"], dtype=np.float64),
        past=np.asarray(series["past"], dtype=np.float64),
    )


def make_forecaster(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    training = [history_from(sales_series(rng, f"sku-{i}", int(rng.integers(24, 40)))) for i in range(8)]
    fitted = fit_ensemble(
        training,
        FORECASTER_CONFIG,
        TrainConfig(max_steps=60, batch_size=16, eval_every=20, warmup_steps=5, min_observed=4, seed=SEED, threads=1),
        members=2,
    )
    # New series to forecast, one shorter than the context (left-padded and masked inside the model).
    inputs = {"series": [sales_series(rng, f"new-{i}", n) for i, n in enumerate((30, 17, 6))]}
    stored = np.asarray([[np.nan, *s["values"][-5:]] for s in inputs["series"]])  # extra arrays pass through
    save_forecaster(
        folder / "checkpoint",
        fitted.model,
        metrics=fitted.metrics,
        extra={"data_fingerprint": data_fingerprint(training), "series_ids": [s.series_id for s in training]},
        arrays={"history_values": stored},
    )
    model, _, _ = load_forecaster(folder / "checkpoint")
    histories = [history_from(s) for s in inputs["series"]]
    futures = [np.asarray(s["future_known"], dtype=np.float64) for s in inputs["series"]]
    quantiles = predict(model, histories, futures)  # (S, H, Q)
    _check_same(quantiles, predict(fitted.model, histories, futures), "forecaster")
    write_json(folder / "inputs.json", inputs)
    write_json(folder / "expected.json", {"quantiles": quantiles.tolist(), "history_values": stored.tolist()})


# ----------------------------------------------------------------------------------------------------
# Customer model: two years of purchases by a few dozen customers of different habits, with returns.

SEGMENTER_CONFIG = SegmenterConfig(
    max_events=6, channels=3, product_buckets=8, d_model=8, n_heads=2, n_layers=1, d_ff=16, embedding_dim=4
)
SEGMENTER_WINDOW_DAYS = 91  # the forecast window the tool asks for (a quarter)


def transactions(rng: np.random.Generator, customers: int) -> list[dict[str, Any]]:
    start = date(2024, 1, 1)
    rows = []
    for c in range(customers):
        gap, first, spend = rng.uniform(10, 120), int(rng.integers(0, 500)), rng.uniform(10, 200)
        day = first
        while day < 730:
            returned = rng.random() < 0.05
            amount = round(float(rng.gamma(4.0, spend / 4.0)), 2)
            rows.append(
                {
                    "customer_id": f"c{c:03d}",
                    "date": (start + timedelta(days=day)).isoformat(),
                    "amount": -amount if returned else amount,
                    "quantity": int(rng.integers(1, 4)),
                    "product_id": f"p{int(rng.integers(0, 12))}",
                    "channel": str(rng.choice(["web", "store", "app"])),
                    "is_return": bool(returned),
                }
            )
            day += max(1, int(rng.exponential(gap)))
    return rows


def events_from(rows: list[dict[str, Any]]) -> pd.DataFrame:
    return daily_events(pd.DataFrame(rows))


def make_segmenter(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    inputs: dict[str, Any] = {"transactions": transactions(rng, 40), "window_days": SEGMENTER_WINDOW_DAYS}
    events = events_from(inputs["transactions"])
    train = SegmenterTrainConfig(windows_days=(60, 120), max_epochs=3, batch_size=16, seed=SEED, threads=1)
    fitted = fit_segmenter(events, SEGMENTER_CONFIG, train)
    cutoff = events["date"].max() + pd.Timedelta(days=1)
    inputs["cutoff"] = cutoff.date().isoformat()
    save_segmenter(folder / "checkpoint", fitted, extra={"as_of": inputs["cutoff"]})
    loaded, _, _ = load_segmenter(folder / "checkpoint")
    examples = make_examples(
        events, cutoff, SEGMENTER_WINDOW_DAYS, SEGMENTER_CONFIG, loaded.vocabulary, with_labels=False
    )
    forecast = predict_customers(loaded.model, examples)
    _check_same(forecast.embedding, predict_customers(fitted.model, examples).embedding, "segmenter")
    write_json(folder / "inputs.json", inputs)
    write_json(
        folder / "expected.json",
        {
            "customer_ids": forecast.customer_ids.tolist(),
            "embedding": forecast.embedding.tolist(),
            "expected_purchases": forecast.expected_purchases.tolist(),
            "expected_spend": forecast.expected_spend.tolist(),
        },
    )


# ----------------------------------------------------------------------------------------------------
# Sentiment: rated reviews from a few phrases, including praise with a "but" turn and negations.

PRAISE = ["love the fabric", "fits perfectly", "great colour", "very comfortable", "arrived fast", "worth the price"]
COMPLAINTS = [
    "runs small",
    "fell apart after a week",
    "the seams ripped",
    "not comfortable",
    "colour faded",
    "too thin",
]
SENTIMENT_CONFIG = SentimentConfig(n_features=2**10, min_per_class=5)


def reviews(rng: np.random.Generator, n: int) -> tuple[list[str], list[int]]:
    texts, ratings = [], []
    for _ in range(n):
        rating = int(rng.integers(1, 6))
        good, bad = str(rng.choice(PRAISE)), str(rng.choice(COMPLAINTS))
        if rating >= 4:
            text = f"{good.capitalize()}, but it {bad}." if rng.random() < 0.3 else f"{good.capitalize()}!"
        elif rating <= 2:
            text = f"{bad.capitalize()}. On the plus side, {good}." if rng.random() < 0.3 else f"{bad.capitalize()}."
        else:
            text = f"{good.capitalize()}, {bad}."
        texts.append(text)
        ratings.append(rating)
    return texts, ratings


def make_sentiment(folder: Path) -> None:
    rng = np.random.default_rng(SEED)
    texts, ratings = reviews(rng, 120)
    fitted = train_sentiment(texts, ratings, SENTIMENT_CONFIG)
    fitted.save(folder / "checkpoint")
    loaded = SentimentModel.load(folder / "checkpoint")
    inputs = {
        "texts": [
            "Love the fabric and it fits perfectly.",
            "It runs small and the seams ripped.",
            "Great colour, but it is not comfortable.",
            "Not worth the price",
            "Arrived fast; too thin though.",
            "",
            "A sentence with no known words at all",
        ]
    }
    probabilities = loaded.praise_probability(inputs["texts"])
    # The checkpoint stores the weights as float32: the reloaded model differs from the fitted one by rounding only.
    _check_same(probabilities, fitted.praise_probability(inputs["texts"]), "sentiment", rtol=1e-5)
    write_json(folder / "inputs.json", inputs)
    write_json(
        folder / "expected.json",
        {"praise_probability": probabilities.tolist(), "polarity": loaded.polarity(inputs["texts"])},
    )


# ----------------------------------------------------------------------------------------------------


def _check_same(reloaded: np.ndarray, fitted: np.ndarray, what: str, rtol: float = 1e-6) -> None:
    """The saved checkpoint must predict what the model in memory predicted, or the golden files prove nothing."""
    if not np.allclose(reloaded, fitted, rtol=rtol, atol=1e-7):
        raise SystemExit(f"{what}: the reloaded checkpoint predicts differently from the fitted model")


def write_json(path: Path, payload: dict[str, Any]) -> None:
    path.write_text(json.dumps(payload, indent=1, sort_keys=True) + "\n", encoding="utf-8")


MAKERS = {"forecaster": make_forecaster, "segmenter": make_segmenter, "sentiment": make_sentiment}


def main(names: list[str]) -> None:
    unknown = sorted(set(names) - set(MAKERS))
    if unknown:
        raise SystemExit(f"unknown golden model(s) {', '.join(unknown)}; choose from {', '.join(MAKERS)}")
    torch.manual_seed(SEED)
    for name in names or list(MAKERS):
        folder = GOLDEN / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        MAKERS[name](folder)
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
        print(f"{name}: {folder.relative_to(GOLDEN.parent.parent)} ({size / 1024:.0f} KB)")


if __name__ == "__main__":
    main(sys.argv[1:])
