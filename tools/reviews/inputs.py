"""The reviews tools' inputs: what search_reviews and review_insight accept, and the filters they share.

Kept apart from tools/reviews/tool.py, which loads the review store (chromadb, torch, scikit-learn: ~5 s of CPU on
2 cores), so that a command-line typo ("--min-rating 9") is reported at once, before any of that is imported.
"""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools.review_index import ReviewFilters


class ReviewFilterFields(BaseModel):
    """Filters shared by search and insight."""

    model_config = ConfigDict(extra="forbid")

    product_ids: list[str] | None = Field(None, max_length=1000, description="Only these products.")
    min_rating: int | None = Field(None, ge=1, le=5, description="Lowest star rating to include.")
    max_rating: int | None = Field(None, ge=1, le=5, description="Highest star rating to include.")
    category: str | None = Field(None, max_length=200, description="Only this product category (case-insensitive).")
    date_from: date | None = Field(None, description="Reviews on or after this date.")
    date_to: date | None = Field(None, description="Reviews on or before this date.")

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> ReviewFilterFields:
        if self.min_rating is not None and self.max_rating is not None and self.min_rating > self.max_rating:
            raise ValueError(f"min_rating {self.min_rating} is above max_rating {self.max_rating}")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValueError(f"date_from {self.date_from} is after date_to {self.date_to}")
        return self

    def filters(self) -> ReviewFilters:
        return ReviewFilters(
            product_ids=tuple(self.product_ids) if self.product_ids else None,
            min_rating=self.min_rating,
            max_rating=self.max_rating,
            category=self.category or None,
            date_from=self.date_from,
            date_to=self.date_to,
        )


class ReviewFilterArgs(TypedDict, total=False):
    """ReviewFilterFields as keyword arguments, for functions that take the filters without being a tool unit
    (whose signature must spell out every field): mypy checks the callers, pydantic the values."""

    product_ids: list[str] | None
    min_rating: int | None
    max_rating: int | None
    category: str | None
    date_from: date | None
    date_to: date | None


class SearchReviewsInput(ReviewFilterFields):
    """Find customer reviews about something, optionally filtered, optionally with aspect insight."""

    query: str = Field(min_length=1, max_length=2000, description="What to look for, in plain words.")
    k: int = Field(10, ge=1, le=100, description="How many reviews to return.")
    insight: bool = Field(False, description="Also summarise praised and criticised aspects of the matches.")


class ReviewInsightInput(ReviewFilterFields):
    """Summarise what customers praise and complain about, for products or a topic."""

    query: str | None = Field(None, max_length=2000, description="Optional topic; without it, all filtered reviews.")
    quotes: int = Field(3, ge=1, le=3, description="Quotes per aspect and polarity.")
    top: int = Field(5, ge=1, le=20, description="Aspects listed as praised and as complaints.")

    @model_validator(mode="after")
    def _needs_scope(self) -> ReviewInsightInput:
        if not self.query and not self.filters().active:
            raise ValueError("say what to analyse: a query, product_ids, a category, or a rating or date range")
        return self
