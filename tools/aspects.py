"""Finding aspect mentions ("runs small" -> fit) in review text, by clause, from the lexicon in data/aspects.yaml."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources

import yaml

# Sentence ends, plus contrastive joins: "Love the colour, but it runs small" is praise and a complaint.
_CLAUSE_SPLIT = re.compile(
    r"(?<=[.!?])\s+|[\r\n]+|;\s*|,?\s+\b(?:but|however|although|though|except|unfortunately|sadly)\b[,:]?\s+",
    re.IGNORECASE,
)
MAX_CLAUSE_CHARS = 300


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


def split_clauses(text: str) -> list[str]:
    """Clauses of a review, trimmed; overlong run-ons are cut so one clause never swallows a review."""
    clauses = (c.strip(" ,-\u2013\u2014\t") for c in _CLAUSE_SPLIT.split(text))
    return [c[:MAX_CLAUSE_CHARS] for c in clauses if len(c) > 2]


def find_mentions(review_id: str, text: str, category: str = "", product_name: str = "") -> list[Mention]:
    """Every (aspect, clause) pair in a review; an aspect counts once per clause. The product's own name
    is ignored when matching, so "the Aurora Linen Dress" is not a mention of fabric."""
    aspects = [a for a in load_aspects() if a.applies_to(category)]
    name = re.compile(re.escape(product_name), re.IGNORECASE) if product_name.strip() else None
    mentions = []
    for clause in split_clauses(text):
        searchable = name.sub(" ", clause) if name else clause
        mentions += [Mention(review_id, a.key, clause) for a in aspects if a.pattern.search(searchable)]
    return mentions


def aspect_label(key: str) -> str:
    return next((a.label for a in load_aspects() if a.key == key), key)
