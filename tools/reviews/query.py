"""What a review search embeds: the topic of a request, without the words that ask for it or that its filters
already apply.

The offline router hands search_reviews a marketer's whole sentence ("What do customers complain about for the
Aurora dress?"), and API callers often do the same. Embedded whole, the words the filters already enforce pull the
ranking away from the topic: with product_ids set, the product's name favours the reviews that merely name it;
with a category set, "dresses" favours reviews about dresses in general (all of them are dresses); "5-star",
"negative reviews" and "complaints about" say which way the reviews lean, which the rating filter says (the router
sets one for them), not what they are about. So those words go, with the question's frame ("what do customers say
about", "show me reviews that mention"), before embedding; what is left is the topic ("tight sleeves").

Chosen by `marketing-agent eval reviews` (full: "On-topic share of top-10 hits"), on a development half of the
labelled queries and their marketer phrasings: sentiment words go whether or not a rating filter is set, and
category words when the category is filtered (both measured better there than keeping them); the other half
reports it. Chinese text is left as typed (multilingual-e5 embeds it, and its question words differ); the router's
English gloss of a Chinese request is English text and is cleaned like any other.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from core.workspace import Workspace
from tools.catalogue import catalogue_path
from tools.language import HAN
from tools.review_index import ReviewFilters

FLAGS = re.IGNORECASE


def _compiled(*patterns: str) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, FLAGS) for p in patterns)


# A question's frame: how a marketer asks for reviews, never what the reviews are about.
FRAME = _compiled(
    r"\b(?:can|could|would|will) you\b",
    r"^\W*(?:please|pls)\b",
    r"^\W*(?:what|why|how)\s+(?:do|does|did|are|is|were|was|have|has)\b",
    r"^\W*(?:do|does|did|are|is|were|was|have|has)\b",
    r"\b(?:are|is) there(?: any)?\b",
    r"^\W*any\b",
    r"\b(?:show|find|give|list|pull|fetch|get)(?: (?:me|us))?"
    r"(?= (?:(?:the|some|all|any|top|\d+) )*(?:\S+ )?(?:reviews?|comments|feedback|quotes|examples)\b)",
    r"\b\d+ (?=(?:\S+ )?(?:reviews|comments|quotes|examples)\b)",
    r"\b(?:customers?|shoppers|buyers|reviewers?|people|users|clients)\b(?! (?:service|support|care)\b)",
    r"\b(?:say|says|said|saying|think|thinks|feel|feels|mention|mentions|mentioned|mentioning|write|writes|"
    r"wrote|talk|talks|talking|tell|tells)\b(?: (?:about|of|on|regarding|that))?",
    r"\b(?:reviews?|comments?|feedback|quotes|testimonials)\b"
    r"(?: (?:about|of|on|regarding|that|which|where|from|mentioning|saying|for))?",
    r"\baccording to\b",
    r"\bour\b",
)
STAR_PHRASES = _compiled(
    r"\b[1-5](?:\s*(?:-|to|and|or)\s*[1-5])?\s*\+?\s*-?\s*stars?"
    r"(?: (?:and|or) (?:up|above|more|higher|better|below|under|less|lower|worse))?\b",
    r"\b(?:under|below|less than|fewer than|over|above|more than) [1-5] stars?\b",
)
# Which way the reviews lean ("negative reviews", "happy customers", "complaints about"): the rating filter says it
# (the router sets one for these words), and in the embedding it only dilutes the topic.
SENTIMENT = _compiled(
    r"\b(?:negative|positive|critical|glowing|bad|good|happy|unhappy|satisfied|dissatisfied|angry|"
    r"low[- ]rated|top[- ]rated|highly rated)\b(?= (?:reviews?|customers?|shoppers|buyers|reviewers?|feedback|"
    r"comments))",
    r"\b(?:complain\w*|complaints?|praise\w*|(?:like|love|dislike|hate)s? about)\b"
    r"(?: (?:about|of|on|regarding|that|from|in|with))?",
)
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
YEAR = r"(?:19|20)\d\d"
DATE_PHRASES = _compiled(
    # a month only after a word that makes it a date ("since March", not "may run small"), or with a year
    rf"\b(?:since|after|before|until|from|between|during|in|of|through)\s+{MONTH}(?:\s+\d{{1,2}}(?:st|nd|rd|th)?)?"
    rf"(?:,?\s+{YEAR})?(?:\s+(?:and|to|until|through|-)\s+{MONTH}(?:\s+{YEAR})?)?\b",
    rf"\b{MONTH}\s+{YEAR}\b",
    rf"\b(?:since|after|before|until|from|between|during|in|for|of)?\s*(?:q[1-4]\s+)?{YEAR}\b",
    r"\b(?:since|after|before|until|from|to|between|and)?\s*\d{4}-\d{2}-\d{2}\b",
    r"\b(?:in the |over the )?(?:last|past|previous|this)\s+(?:\d+\s+)?(?:days?|weeks?|months?|years?|quarter)\b",
    r"\b(?:year to date|ytd)\b",
)
# Words that carry no topic: a text left with none of them falls back (see search_text).
EMPTY_WORDS = frozenset(
    {"the", "a", "an", "of", "for", "to", "in", "on", "at", "and", "or", "with", "about", "from", "by", "this", "that"}
    | {"it", "is", "are", "these", "those", "them", "what", "any", "some", "me", "us", "we", "our", "be", "been"}
    | {"being", "have", "has", "had"}
)

DANGLING = frozenset({"the", "a", "an", "of", "for", "to", "in", "on", "at", "and", "or", "with", "about", "from"})
LEADING = frozenset({"that", "which", "who", "where"})  # left at the start once "reviews" has gone


@dataclass(frozen=True)
class AppliedFilters:
    """What a search's filters already say, as words a query may repeat."""

    product_ids: tuple[str, ...] = ()
    product_names: tuple[str, ...] = ()
    category: str | None = None
    dates: bool = False


def applied_filters(filters: ReviewFilters, names: Mapping[str, str]) -> AppliedFilters:
    """`filters` as words: the products' names from `names` (product id -> name; ids without one keep only the id)."""
    ids = filters.product_ids or ()
    return AppliedFilters(
        product_ids=tuple(ids),
        product_names=tuple(names[i] for i in ids if names.get(i)),
        category=filters.category,
        dates=filters.date_from is not None or filters.date_to is not None,
    )


def search_text(query: str, applied: AppliedFilters | None = None) -> str:
    """The words of `query` a search should embed: its topic, without the question's frame, its sentiment and star
    phrases, and the words `applied` filters enforce. A query that is nothing but those ("What do customers
    complain about for the Aurora dress?") keeps its frame, losing only the filter words; one that is nothing but
    filter words stays as typed. A query with none of those words, and Chinese text, stay exactly as typed."""
    if HAN.search(query):
        return query
    applied = applied or AppliedFilters()
    unfiltered = _remove(_filter_patterns(applied), query)
    if _remove(SENTIMENT + FRAME, unfiltered) == query:  # nothing to drop: embedded exactly as typed
        return query
    without_filters = _tidy(unfiltered)
    topic = _tidy(_remove(SENTIMENT + FRAME, without_filters))
    if _has_topic(topic):
        return topic
    return without_filters if _has_topic(without_filters) else query


def _filter_patterns(applied: AppliedFilters) -> tuple[re.Pattern[str], ...]:
    patterns = [*STAR_PHRASES, *(_id_pattern(i) for i in applied.product_ids)]
    words = {w for name in applied.product_names for w in _name_words(name)}
    patterns += [re.compile(rf"\b{re.escape(w)}(?:s|es)?\b", FLAGS) for w in sorted(words)]
    if applied.category:
        patterns.append(_category_pattern(applied.category))
    if applied.dates:
        patterns += DATE_PHRASES
    return tuple(patterns)


def _id_pattern(product_id: str) -> re.Pattern[str]:
    """A product id as typed, with the word that introduces it: "product 1078", "SKU-4471-BL", "#1078"."""
    return re.compile(rf"(?:\b(?:product|item|sku|style|id)\s*)?#?(?<![\w-]){re.escape(product_id)}(?![\w-])", FLAGS)


def _name_words(name: str) -> list[str]:
    return [w for w in re.findall(r"[a-z0-9]+", name.lower()) if w not in EMPTY_WORDS and len(w) > 1]


def _category_pattern(category: str) -> re.Pattern[str]:
    """A category's name, singular or plural: "Dresses" matches "dress" and "dresses", "Knits" "knit"."""
    name = " ".join(category.lower().split())
    forms = {name, name + "s", name + "es"}
    if name.endswith("s"):
        forms |= {name.removesuffix("s"), name.removesuffix("es")}
    alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True) if f)
    return re.compile(rf"\b(?:{alternatives})\b", FLAGS)


def _remove(patterns: Iterable[re.Pattern[str]], text: str) -> str:
    for pattern in patterns:
        text = pattern.sub(" ", text)
    return text


def _tidy(text: str) -> str:
    """Spaces collapsed, no space before punctuation, no joining word or punctuation left dangling at either end
    ("the ... for the" once a product's name has gone)."""
    words = re.sub(r"\s+([,.;:?!])", r"\1", text).split()
    while words and words[-1].strip(",.;:?!-").lower() in DANGLING:
        words.pop()
    while words and words[0].strip(",.;:?!-").lower() in DANGLING | LEADING:
        words.pop(0)
    return " ".join(words).strip(" ,.;:?!-")


def _has_topic(text: str) -> bool:
    return any(len(w) > 2 and w not in EMPTY_WORDS for w in re.findall(r"[a-z]+", text.lower()))


def catalogue_names(workspace: Workspace) -> dict[str, str]:
    """Product id -> name from the workspace's catalogue ({} without one), read again only when the file changes
    (searches with a product filter ask for it every time)."""
    path = catalogue_path(workspace)
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _names_at(path, stamp)


@functools.lru_cache(maxsize=8)
def _names_at(path: Path, stamp: int) -> dict[str, str]:
    del stamp  # part of the cache key only
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            str(row.get("product_id") or ""): str(row.get("name") or "")
            for row in csv.DictReader(handle)
            if row.get("product_id")
        }
