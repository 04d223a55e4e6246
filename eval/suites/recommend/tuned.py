"""The two learned peers whose settings are chosen on the validation split (the last 4 training weeks, never the
test window): implicit-feedback ALS from the `implicit` library, and EASE (Steck 2019, the closed-form linear
item-item model) on the most-bought products.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp

from eval.suites.recommend.peers import Interactions, filled, popularity_ranking, top_columns


@dataclass(frozen=True)
class AlsSettings:
    factors: int
    regularization: float
    alpha: float  # confidence per unit of log(1 + purchase lines)
    iterations: int = 15

    def __str__(self) -> str:
        return f"factors={self.factors}, reg={self.regularization:g}, alpha={self.alpha:g}, it={self.iterations}"


class Als:
    """implicit's AlternatingLeastSquares (conjugate gradient, CPU) on log(1 + purchase lines), seed 0."""

    def __init__(self, settings: AlsSettings, seed: int = 0) -> None:
        self.settings, self.seed = settings, seed
        self.name = f"ALS (implicit; {settings})"
        self.model: Any = None
        self.interactions: Interactions | None = None
        self.weights = sp.csr_matrix((0, 0), dtype=np.float32)
        self.popular: list[str] = []

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        from implicit.cpu.als import AlternatingLeastSquares
        from threadpoolctl import threadpool_limits

        self.interactions = Interactions.of(purchases)
        self.weights = self.interactions.counts.copy()
        self.weights.data = np.log1p(self.weights.data)
        # implicit runs its own threads; BLAS's pool on top of them oversubscribes the cores (implicit checks,
        # and warns, when the model is made)
        with threadpool_limits(1, "blas"):
            self.model = AlternatingLeastSquares(
                factors=self.settings.factors,
                regularization=self.settings.regularization,
                alpha=self.settings.alpha,
                iterations=self.settings.iterations,
                random_state=self.seed,
            )
            self.model.fit(self.weights, show_progress=False)
        self.popular = popularity_ranking(purchases)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        assert self.interactions is not None, "fit first"
        rows = self.interactions.rows(customer_ids)
        known = rows >= 0
        ranked: dict[str, list[str]] = {}
        if known.any():
            ids, _ = self.model.recommend(rows[known], self.weights[rows[known]], N=k, filter_already_liked_items=False)
            products = self.interactions.products.to_numpy()
            for customer, top in zip(np.asarray(customer_ids)[known], ids, strict=True):
                ranked[str(customer)] = [str(p) for p in products[top[top >= 0]]]
        return {c: filled(ranked.get(c, []), self.popular, k) for c in customer_ids}


@dataclass(frozen=True)
class EaseSettings:
    l2: float  # lambda, added to the Gram matrix's diagonal
    products: int  # the most-bought products it models (its matrix is products x products)

    def __str__(self) -> str:
        return f"lambda={self.l2:g}, top {self.products:,} products"


class Ease:
    """EASE: B = I - P diag(1 / diag(P)) with P = (X'X + lambda I)^-1 on 0/1 household x product data, diagonal
    zero; a household's scores are its row of X times B. Popularity tops up short lists."""

    def __init__(self, settings: EaseSettings) -> None:
        self.settings = settings
        self.name = f"EASE ({settings})"
        self.bought = sp.csr_matrix((0, 0), dtype=np.float32)  # (C, N) 0/1 over the modelled products
        self.customers = pd.Index([])
        self.products = np.array([], dtype=object)
        self.weights = np.zeros((0, 0), dtype=np.float32)  # (N, N)
        self.popular: list[str] = []

    def fit(self, purchases: pd.DataFrame, items: pd.DataFrame | None) -> None:
        interactions = Interactions.of(purchases)
        buyers = interactions.buyers()
        kept = np.sort(np.argsort(-buyers, kind="stable")[: self.settings.products])
        self.bought = (interactions.counts[:, kept] > 0).astype(np.float64).tocsr()
        self.customers, self.products = interactions.customers, interactions.products.to_numpy()[kept]
        gram = (self.bought.T @ self.bought).toarray()  # (N, N)
        gram[np.diag_indices_from(gram)] += self.settings.l2
        inverse = np.linalg.inv(gram)
        weights = inverse / -np.diag(inverse)[None, :]
        np.fill_diagonal(weights, 0.0)
        self.weights = weights.astype(np.float32)
        self.bought = self.bought.astype(np.float32)
        self.popular = popularity_ranking(purchases)

    def recommend(self, customer_ids: Sequence[str], k: int) -> dict[str, list[str]]:
        rows = np.asarray(self.customers.get_indexer(pd.Index(list(customer_ids))))
        bought = self.bought[np.where(rows >= 0, rows, 0)]
        scores = np.asarray(bought @ self.weights)  # (C, N)
        modelled = (rows >= 0) & (bought.getnnz(axis=1) > 0)  # else its scores are all 0: popularity instead
        result: dict[str, list[str]] = {}
        for customer, has_history, top in zip(customer_ids, modelled, top_columns(scores, k), strict=True):
            ranked = [str(p) for p in self.products[top]] if has_history else []
            result[customer] = filled(ranked, self.popular, k)
        return result
