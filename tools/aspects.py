"""Finding aspect mentions ("runs small" -> fit) in review text, by clause, from the lexicon in data/aspects.yaml.
A clause ("Love the colour" / "but it runs small") is the unit: one review can praise one aspect and pan another."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

from local_models.clauses import split_clauses


@dataclass(frozen=True)
class Aspect:
    """One aspect of a product that customers talk about."""

    key: str
    label: str
    pattern: re.Pattern[str]
    categories: tuple[str, ...] = ()

    def applies_to(self, category: str) -> bool:
        if not self.categories or not category:
            return True
        folded = category.casefold()
        return any(c in folded for c in self.categories)


@dataclass(frozen=True)
class Mention:
    """A clause of a review that talks about an aspect."""

    review_id: str
    aspect: str
    clause: str


@functools.cache
def load_aspects() -> tuple[Aspect, ...]:
    """The packaged aspect lexicon, compiled once."""
    raw = yaml.safe_load(resources.files("tools").joinpath("data/aspects.yaml").read_text(encoding="utf-8"))
    return tuple(_aspect(key, spec) for key, spec in raw.items())


def _aspect(key: str, spec: dict[str, object]) -> Aspect:
    patterns = [str(p) for p in spec.get("patterns", [])]  # type: ignore[attr-defined]
    combined = re.compile(r"\b(?:" + "|".join(f"(?:{p})" for p in patterns) + r")\b", re.IGNORECASE)
    categories = tuple(str(c).casefold() for c in spec.get("categories", []))  # type: ignore[attr-defined]
    return Aspect(key=key, label=str(spec.get("label", key)), pattern=combined, categories=categories)


def find_mentions(review_id: str, text: str, category: str = "", product_name: str = "") -> list[Mention]:
    """Every (aspect, clause) pair in a review; an aspect counts once per clause. The product's own name
    is ignored when matching, so "the Aurora Linen Dress" is not a mention of fabric."""
    aspects = [a for a in load_aspects() if a.applies_to(category)]
    name = re.compile(re.escape(product_name), re.IGNORECASE) if product_name.strip() else None
    mentions = []
    for clause in split_clauses(text):
        searchable = name.sub(" ", clause.text) if name else clause.text
        mentions += [Mention(review_id, a.key, clause.text) for a in aspects if a.pattern.search(searchable)]
    return mentions


def aspect_label(key: str) -> str:
    return next((a.label for a in load_aspects() if a.key == key), key)
