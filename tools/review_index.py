"""An in-memory mirror of the review collection's vectors and filterable fields.

Why: chromadb evaluates `where` filters in SQLite before the vector search, which costs ~40 ms at 20k
reviews and grows linearly. Filtering numpy columns and scoring the survivors exactly takes a few ms
at 100k. chromadb stays the store of record; this mirror is derived from it, saved beside it as a
snapshot, and rebuilt whenever its generation number no longer matches the store's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import atomic_file

DIM = 384
NO_DATE = -1
# Vector spaces: each review is embedded by one model, chosen by its language (tools/review_store.py); scores are
# only compared within a space. Stored as metadata "space"; rows written before spaces existed are MiniLM's.
SPACES = ("minilm", "e5")
FIELDS = ("ids", "vectors", "product_ids", "ratings", "categories", "dates", "spaces")


def space_code(name: object) -> int:
    return SPACES.index(str(name)) if name in SPACES else 0


@dataclass(frozen=True)
class ReviewFilters:
    """Filters a search can apply; None means "no constraint"."""

    product_ids: tuple[str, ...] | None = None
    min_rating: int | None = None
    max_rating: int | None = None
    category: str | None = None
    date_from: date | None = None
    date_to: date | None = None

    @property
    def active(self) -> bool:
        return any(v is not None for v in self.__dict__.values())


def date_ordinal(iso: str) -> int:
    return date.fromisoformat(iso).toordinal() if iso else NO_DATE


def normalise_category(category: str) -> str:
    return category.strip().casefold()


@dataclass
class ReviewIndex:
    """Column arrays over all reviews: ids (N,), vectors (N, 384) float32 unit-norm, and filter fields."""

    generation: int
    ids: np.ndarray  # (N,) str
    vectors: np.ndarray  # (N, 384) float32
    product_ids: np.ndarray  # (N,) str
    ratings: np.ndarray  # (N,) int8
    categories: np.ndarray  # (N,) str, case-folded
    dates: np.ndarray  # (N,) int32 date ordinals, NO_DATE when unknown
    spaces: np.ndarray  # (N,) int8 index into SPACES: the model that embedded the row

    @classmethod
    def empty(cls, generation: int = 0) -> ReviewIndex:
        return cls(
            generation,
            np.array([], dtype=str),
            np.zeros((0, DIM), np.float32),
            np.array([], dtype=str),
            np.zeros(0, np.int8),
            np.array([], dtype=str),
            np.zeros(0, np.int32),
            np.zeros(0, np.int8),
        )

    @classmethod
    def from_records(
        cls, generation: int, ids: list[str], vectors: np.ndarray, metadatas: list[dict[str, Any]]
    ) -> ReviewIndex:
        return cls(
            generation=generation,
            ids=np.array(ids, dtype=str),
            vectors=np.asarray(vectors, dtype=np.float32).reshape(-1, DIM),
            product_ids=np.array([str(m.get("product_id", "")) for m in metadatas], dtype=str),
            ratings=np.array([int(m.get("rating", 0)) for m in metadatas], dtype=np.int8),
            categories=np.array([normalise_category(str(m.get("category", ""))) for m in metadatas], dtype=str),
            dates=np.array([int(m.get("date_ord", NO_DATE)) for m in metadatas], dtype=np.int32),
            spaces=np.array([space_code(m.get("space", SPACES[0])) for m in metadatas], dtype=np.int8),
        )

    def __len__(self) -> int:
        return len(self.ids)

    def upsert(self, other: ReviewIndex) -> ReviewIndex:
        """A new index with `other`'s rows replacing rows of the same id and appended otherwise."""
        keep = ~np.isin(self.ids, other.ids)
        merged = {f: np.concatenate([getattr(self, f)[keep], getattr(other, f)]) for f in FIELDS}
        return ReviewIndex(generation=other.generation, **merged)

    def mask(self, filters: ReviewFilters, space: int | None = None) -> np.ndarray:
        """(N,) bool: rows that pass every active filter (and are in `space`, when given)."""
        keep = np.ones(len(self), dtype=bool) if space is None else self.spaces == space
        if filters.product_ids is not None:
            keep &= np.isin(self.product_ids, np.array(filters.product_ids, dtype=str))
        if filters.min_rating is not None:
            keep &= self.ratings >= filters.min_rating
        if filters.max_rating is not None:
            keep &= self.ratings <= filters.max_rating
        if filters.category is not None:
            keep &= self.categories == normalise_category(filters.category)
        if filters.date_from is not None:
            keep &= self.dates >= filters.date_from.toordinal()
        if filters.date_to is not None:
            keep &= (self.dates <= filters.date_to.toordinal()) & (self.dates != NO_DATE)
        return keep

    def search(
        self, query: np.ndarray, filters: ReviewFilters, k: int, space: int | None = None
    ) -> list[tuple[str, float]]:
        """Exact cosine top-k among rows passing `filters` (in `space`, when given; `query` must come from that
        space's model): [(review_id, score)], best first."""
        rows = np.flatnonzero(self.mask(filters, space))
        if rows.size == 0:
            return []
        # Gathering a small subset beats scoring everything; for big subsets one matvec is cheaper.
        if rows.size * 4 < len(self):
            scores = self.vectors[rows] @ query  # (M,)
        else:
            scores = (self.vectors @ query)[rows]  # (M,)
        top = np.argpartition(-scores, min(k, rows.size) - 1)[:k] if rows.size > k else np.arange(rows.size)
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(str(self.ids[rows[i]]), float(scores[i])) for i in top]

    # Snapshots: plain .npy arrays (no pickle), written to a temp name and renamed into place.
    def save(self, path: Path) -> None:
        with atomic_file(path) as handle:
            np.savez(
                handle,
                generation=np.array([self.generation], dtype=np.int64),
                ids=self.ids,
                vectors=self.vectors,
                product_ids=self.product_ids,
                ratings=self.ratings,
                categories=self.categories,
                dates=self.dates,
                spaces=self.spaces,
            )

    @classmethod
    def load(cls, path: Path) -> ReviewIndex | None:
        """The saved snapshot, or None when it is missing or unreadable (it is rebuilt then)."""
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(
                    generation=int(data["generation"][0]),
                    ids=data["ids"],
                    vectors=data["vectors"],
                    product_ids=data["product_ids"],
                    ratings=data["ratings"],
                    categories=data["categories"],
                    dates=data["dates"],
                    spaces=data["spaces"],  # a snapshot from before spaces: KeyError, rebuilt from the store
                )
        except (OSError, ValueError, KeyError):
            return None
