"""The demo store's product range, plus the hidden per-aspect quality that drives reviews.

The range itself is fixed so demos can tell the same stories on every seed ("the Aurora
dress runs small", "the Nimbus headphones never reach their 30 hours"); the seed only
moves launch dates, popularity and the quality of the aspects that are not planted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from importlib import resources
from typing import TypeVar

import numpy as np
import pandas as pd
import yaml

from tools.catalogue import COLUMNS as CATALOGUE_COLUMNS  # the demo writes what the catalogue tool reads

CATEGORY_ASPECTS: dict[str, tuple[str, ...]] = {
    "Apparel": ("fit", "quality", "comfort", "style", "price", "shipping"),
    "Footwear": ("fit", "comfort", "durability", "quality", "price", "shipping"),
    "Electronics": ("battery", "sound", "quality", "ease_of_use", "price", "shipping"),
    "Home": ("quality", "ease_of_use", "design", "price", "shipping"),
    "Beauty": ("scent", "skin_feel", "packaging", "price", "shipping"),
}

T = TypeVar("T")


@dataclass(frozen=True)
class ProductSpec:
    """A hand-written catalogue entry; `planted` and `quirks` are the stories reviews tell."""

    product_id: str
    name: str
    noun: str
    category: str
    subcategory: str
    price: float
    description: str
    plural: bool = False
    planted: Mapping[str, float] = field(default_factory=dict)
    quirks: Mapping[str, str] = field(default_factory=dict)
    hero: bool = False
    name_zh: str = ""  # the name Chinese shoppers and marketers use (brand word kept in Latin letters)


@dataclass(frozen=True, kw_only=True)
class Product(ProductSpec):
    """A product as the simulation sees it: its catalogue entry plus what the catalogue never shows."""

    launch_date: date
    popularity: float
    aspect_quality: Mapping[str, float]


def _product_range() -> tuple[ProductSpec, ...]:
    """The hand-written range in products.yaml (package data), checked as it is read."""
    raw = yaml.safe_load(resources.files("agent.demo").joinpath("products.yaml").read_text("utf-8"))
    specs = tuple(ProductSpec(**entry) for entry in raw["products"])
    unknown = {s.category for s in specs} - set(CATEGORY_ASPECTS)
    if unknown:
        raise ValueError(f"agent/demo/products.yaml: unknown categories {sorted(unknown)}")
    return specs


PRODUCT_RANGE: tuple[ProductSpec, ...] = _product_range()


def weighted_choice(options: Sequence[T], weights: Sequence[float], rng: np.random.Generator) -> T:
    """One option drawn by weight; the simulators call this in hot loops where the
    overhead of `Generator.choice(p=...)` (it validates p every call) dominates."""
    roll = rng.random() * sum(weights)
    for option, weight in zip(options, weights, strict=True):
        roll -= weight
        if roll < 0:
            return option
    return options[-1]


def _launch_date(spec: ProductSpec, window_start: date, end_date: date, rng: np.random.Generator) -> date:
    # Products with a planted story launch before the window so every seed has enough
    # reviews and sales to tell it; about a third of the rest launch mid-window, which
    # gives forecasting series of different lengths.
    span = (end_date - window_start).days
    mid_window = rng.random() < 0.3 and span >= 30 * 7
    if spec.hero or spec.quirks or not mid_window:
        return window_start - timedelta(days=int(rng.integers(30, 900)))
    earliest, latest = 4 * 7, span - 20 * 7
    return window_start + timedelta(days=int(rng.integers(earliest, latest)))


def _aspect_quality(spec: ProductSpec, rng: np.random.Generator) -> dict[str, float]:
    # Unplanted aspects are "mostly fine" so the planted flaws stand out as the worst.
    quality: dict[str, float] = {}
    for aspect in CATEGORY_ASPECTS[spec.category]:
        if aspect in spec.planted:
            value = spec.planted[aspect] + rng.normal(0.0, 0.03)
        else:
            value = float(np.clip(rng.normal(0.45, 0.25), -0.1, 0.9))
        quality[aspect] = round(float(np.clip(value, -1.0, 1.0)), 3)
    return quality


def build_catalogue(window_start: date, end_date: date, rng: np.random.Generator) -> list[Product]:
    products = []
    for spec in PRODUCT_RANGE:
        launch = _launch_date(spec, window_start, end_date, rng)
        # Log-normal popularity gives a long tail: a few products get hundreds of reviews,
        # others a few dozen; heroes are boosted so the demo stories have volume.
        popularity = float(rng.lognormal(0.0, 0.6)) * (2.5 if spec.hero else 1.0)
        quality = _aspect_quality(spec, rng)
        products.append(
            Product(**vars(spec), launch_date=launch, popularity=round(popularity, 4), aspect_quality=quality)
        )
    return products


def catalogue_frame(products: list[Product]) -> pd.DataFrame:
    rows = [
        {
            "product_id": p.product_id,
            "name": p.name,
            "category": p.category,
            "subcategory": p.subcategory,
            "price": f"{p.price:.2f}",
            "launch_date": p.launch_date.isoformat(),
            "description": p.description,
            "name_zh": p.name_zh,
        }
        for p in products
    ]
    return pd.DataFrame(rows, columns=list(CATALOGUE_COLUMNS))


def product_aspects_frame(products: list[Product]) -> pd.DataFrame:
    rows = [
        {"product_id": p.product_id, "aspect": aspect, "mean_sentiment": f"{score:.3f}"}
        for p in products
        for aspect, score in p.aspect_quality.items()
    ]
    return pd.DataFrame(rows, columns=["product_id", "aspect", "mean_sentiment"])
