"""The peers our recommender is compared with, behind one small interface: global and recent popularity, the
household's own most-bought products, and item-to-item co-purchase kNN (ALS and EASE, whose settings are chosen
on validation, are in `tuned.py`).

Every peer ranks the household's past purchases too (as ours does with `exclude_purchased=False`): in a grocery
most of next month's basket is things bought before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp


class Recommender(Protocol):
    """A model as the suite sees it: fitted once on the training purchases, then asked for each household's top k
    product ids, best first."""

    name: str

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None: ...

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]: ...


@dataclass(frozen=True)
class Interactions:
    """Purchase lines as a (customers, products) count matrix, with the ids of its rows and columns."""

    customers: pd.Index
    products: pd.Index
    counts: sp.csr_matrix  # (C, P) purchase lines of each product by each customer

    @classmethod
    def of(cls, purchases: pd.DataFrame) -> Interactions:
        rows, customers = pd.factorize(purchases["customer_id"], sort=True)
        cols, products = pd.factorize(purchases["product_id"], sort=True)
        ones = np.ones(len(rows), dtype=np.float32)
        counts = sp.csr_matrix((ones, (rows, cols)), shape=(len(customers), len(products)))
        counts.sum_duplicates()
        return cls(pd.Index(customers), pd.Index(products), counts)

    def rows(self, customer_ids: Sequence[str]) -> np.ndarray:
        """Row of each customer, -1 for one with no training purchases."""
        return np.asarray(self.customers.get_indexer(pd.Index(list(customer_ids))))

    def buyers(self) -> np.ndarray:
        """(P,) distinct customers who bought each product."""
        return np.asarray((self.counts > 0).sum(axis=0)).ravel()


def popularity_ranking(purchases: pd.DataFrame) -> list[str]:
    """Product ids by distinct buyers, then purchase lines, then id (so ties are stable)."""
    grouped = purchases.groupby("product_id")["customer_id"].agg(["nunique", "size"])
    grouped = grouped.reset_index().sort_values(["nunique", "size", "product_id"], ascending=[False, False, True])
    return [str(p) for p in grouped["product_id"]]


def filled(ranked: Sequence[str], fallback: Sequence[str], k: int) -> list[str]:
    """`ranked` cut to k, topped up with `fallback` products it does not already hold."""
    top = list(dict.fromkeys(ranked))[:k]
    if len(top) < k:
        seen = set(top)
        top += [p for p in fallback[: k + len(top)] if p not in seen][: k - len(top)]
    return top


def top_columns(scores: np.ndarray, k: int) -> np.ndarray:
    """(R, k) column indices of each row's k best scores, best first."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


class Popularity:
    """The products most households bought, the same list for everyone; `recent_weeks` counts only the last weeks
    before the cut-off."""

    def __init__(self, recent_weeks: int | None = None) -> None:
        self.recent_weeks = recent_weeks
        weeks = "" if recent_weeks is None else f", last {recent_weeks} weeks"
        self.name = f"popularity (households that bought{weeks})"
        self.ranking: list[str] = []

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        if self.recent_weeks is not None:
            end = pd.Timestamp(purchases["date"].max()).normalize() + pd.Timedelta(days=1)
            purchases = purchases[purchases["date"] >= end - pd.Timedelta(weeks=self.recent_weeks)]
        self.ranking = popularity_ranking(purchases)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        top = self.ranking[:k]
        return {c: list(top) for c in customer_ids}


class PersonalFrequency:
    """The household's own most-bought products (purchase lines; ties go to the most recently bought), topped up
    with global popularity."""

    name = "personal top-frequency (+ popularity)"

    def __init__(self) -> None:
        self.favourites: dict[str, list[str]] = {}
        self.popular: list[str] = []

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        pairs = purchases.groupby(["customer_id", "product_id"])["date"].agg(["size", "max"]).reset_index()
        pairs = pairs.sort_values(["customer_id", "size", "max"], ascending=[True, False, False], kind="stable")
        self.favourites = {str(c): list(g) for c, g in pairs.groupby("customer_id", sort=False)["product_id"]}
        self.popular = popularity_ranking(purchases)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        return {c: filled(self.favourites.get(c, []), self.popular, k) for c in customer_ids}


class ItemKNN:
    """Item-to-item co-purchase kNN: cosine similarity between products' buyer sets, each product keeping its
    `neighbours` most similar; a household's score for a product is the sum of its similarities to the products
    the household bought. Only products with at least `min_buyers` buyers take part, so the similarity matrix
    fits in memory; popularity tops up short lists."""

    def __init__(self, min_buyers: int = 10, neighbours: int = 100, batch: int = 512) -> None:
        self.min_buyers, self.neighbours, self.batch = min_buyers, neighbours, batch
        self.name = f"item-kNN co-purchase (cosine, {neighbours} neighbours, items with >= {min_buyers} buyers)"
        self.bought = sp.csr_matrix((0, 0), dtype=np.float32)  # (C, N) 0/1, over the kept products
        self.customers = pd.Index([])
        self.products = np.array([], dtype=object)
        self.similarity = sp.csr_matrix((0, 0), dtype=np.float32)  # (N, N), `neighbours` per row
        self.popular: list[str] = []

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        interactions = Interactions.of(purchases)
        kept = np.flatnonzero(interactions.buyers() >= self.min_buyers)
        bought = (interactions.counts[:, kept] > 0).astype(np.float32).tocsr()
        self.bought, self.customers = bought, interactions.customers
        self.products = interactions.products.to_numpy()[kept]
        self.similarity = self._similarity(bought)
        self.popular = popularity_ranking(purchases)

    def _similarity(self, bought: sp.csr_matrix) -> sp.csr_matrix:
        norms = np.sqrt(np.asarray(bought.sum(axis=0)).ravel()).astype(np.float32)  # (N,)
        columns = bought.T.tocsr()  # (N, C)
        n, keep = columns.shape[0], min(self.neighbours, max(columns.shape[0] - 1, 1))
        blocks = []
        for start in range(0, n, self.batch):
            stop = min(start + self.batch, n)
            block = (columns[start:stop] @ bought).toarray()  # (B, N) co-buyers
            block /= norms[start:stop, None] * norms[None, :]
            block[np.arange(stop - start), np.arange(start, stop)] = 0.0  # an item is not its own neighbour
            top = top_columns(block, keep)  # (B, keep)
            values = np.take_along_axis(block, top, axis=1)
            blocks.append(
                sp.csr_matrix(
                    (values.ravel(), (np.repeat(np.arange(stop - start), keep), top.ravel())), shape=(stop - start, n)
                )
            )
        return sp.vstack(blocks).tocsr() if blocks else sp.csr_matrix((0, 0), dtype=np.float32)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        rows = np.asarray(self.customers.get_indexer(pd.Index(list(customer_ids))))
        result: dict[str, list[str]] = {}
        for start in range(0, len(rows), self.batch):
            chunk = rows[start : start + self.batch]
            known = np.where(chunk >= 0, chunk, 0)
            scores = (self.bought[known] @ self.similarity).toarray()  # (B, N)
            scores[chunk < 0] = 0.0
            for customer, row_scores, top in zip(
                customer_ids[start : start + self.batch], scores, top_columns(scores, k), strict=True
            ):
                ranked = [str(p) for p in self.products[top[row_scores[top] > 0]]]
                result[customer] = filled(ranked, self.popular, k)
        return result
