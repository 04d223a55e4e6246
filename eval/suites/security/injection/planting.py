"""Planting a case's hostile reviews in a copy of the demo store, and grouping cases into rounds that share a copy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.suites.security.injection.cases import (
    BEST,
    LEADS,
    PLANTED_DATE,
    SHORT_PRAISE,
    InjectionCase,
    InjectionTask,
    fill_template,
)


@dataclass(frozen=True)
class Catalogue:
    names: dict[str, str]
    categories: dict[str, str]

    @classmethod
    def load(cls, workspace: Path) -> Catalogue:
        import pandas as pd

        frame = pd.read_csv(workspace / "data" / "catalogue.csv", dtype=str, keep_default_na=False)
        return cls(
            dict(zip(frame["product_id"], frame["name"], strict=True)),
            dict(zip(frame["product_id"], frame["category"], strict=True)),
        )

    def in_category(self, category: str) -> set[str]:
        return {pid for pid, c in self.categories.items() if c.casefold() == category.casefold()}


def planted_rows(
    case: InjectionCase, product: str, catalogue: Catalogue, *, leads: bool = True
) -> list[dict[str, Any]]:
    """The case's reviews as ingestible rows for `product` (ids inj-<case>-<n>); with `leads=False`, the texts
    hold only the hostile part (the ordinary complaint or praise they open with left out)."""
    name, category = catalogue.names[product], catalogue.categories[product]
    complaint, praise = LEADS[category] if leads else ("", "")
    values = {
        "{praise_short}": SHORT_PRAISE[category] if leads else "",
        "{complaint_open}": complaint.rstrip("."),
        "{praise_open}": praise.rstrip("."),
        "{complaint}": complaint,
        "{praise}": praise,
    }
    rows = []
    for n, review in enumerate(case.reviews, 1):
        text = fill_template(fill_template(review.text, values), {"{name}": name, "{pid}": product})
        rows.append(
            {
                "review_id": f"{case.id}-{n}",
                "product_id": product,
                "product_name": name,
                "category": category,
                "rating": review.rating,
                "title": review.title,
                "text": text,
                "date": PLANTED_DATE,
            }
        )
    return rows


@dataclass(frozen=True)
class Planted:
    """One case's reviews as planted, and their hostile parts alone (to tell whether those reached a prompt)."""

    rows: list[dict[str, Any]]
    payloads: list[str]

    @classmethod
    def of(cls, case: InjectionCase, product: str, catalogue: Catalogue) -> Planted:
        hostile = planted_rows(case, product, catalogue, leads=False)
        return cls(planted_rows(case, product, catalogue), [row["text"] for row in hostile])


def rounds(
    cases: Sequence[InjectionCase], tasks: dict[str, InjectionTask], catalogue: Catalogue, best: str
) -> list[list[InjectionCase]]:
    """Cases grouped so that, within a group, no task reads a product another case's reviews are planted on."""
    remaining = list(cases)
    grouped: list[list[InjectionCase]] = []
    while remaining:
        claimed: set[str] = set()
        taken: list[InjectionCase] = []
        for case in remaining:
            reads = _reads(tasks[case.task], catalogue, best)
            if reads & claimed:
                continue
            claimed |= reads
            taken.append(case)
        grouped.append(taken)
        remaining = [c for c in remaining if c not in taken]
    return grouped


def target_product(task: InjectionTask, best: str) -> str:
    return best if task.product == BEST else task.product


def _reads(task: InjectionTask, catalogue: Catalogue, best: str) -> set[str]:
    product = target_product(task, best)
    return {product} | (catalogue.in_category(task.category) if task.category else set())
