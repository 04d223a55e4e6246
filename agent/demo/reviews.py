"""Customer reviews composed from phrase templates, driven by each product's hidden quality.

Each review picks a few aspects to talk about, draws a sentiment per aspect from the
product's latent quality plus the reviewer's mood, derives a star rating that agrees with
those sentiments, and writes text from `phrases.yaml`. The aspects and their polarity are
kept as ground truth so aspect-extraction can be scored.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from importlib import resources

import numpy as np
import pandas as pd
import yaml
from tqdm import tqdm

from agent.demo.catalogue import Product, weighted_choice

REVIEW_COLUMNS = (
    "review_id",
    "product_id",
    "product_name",
    "category",
    "rating",
    "title",
    "text",
    "date",
    "channel",
    "aspects",
)
BANDS = ("pos", "neg", "mixed")
CHANNELS = ("web", "app", "store")
CHANNEL_MIX = (0.55, 0.30, 0.15)
HOSTILE_SHARE = 0.01
QUIRK_SHARE = 0.75  # how often a planted flaw is described in its own specific words

# How readily shoppers talk about each aspect, before the product's flaws boost it.
ASPECT_SALIENCE: dict[str, float] = {
    "fit": 1.4,
    "quality": 1.0,
    "comfort": 1.0,
    "style": 0.8,
    "price": 0.6,
    "shipping": 0.35,
    "durability": 0.8,
    "battery": 1.1,
    "sound": 1.2,
    "ease_of_use": 0.7,
    "design": 0.8,
    "scent": 1.2,
    "skin_feel": 1.2,
    "packaging": 0.5,
}

Phrases = tuple[str, ...]


@dataclass(frozen=True)
class AspectPhrases:
    pos: Phrases
    neg: Phrases
    title_pos: Phrases
    title_neg: Phrases
    by_category: Mapping[str, Mapping[str, Phrases]]

    def pool(self, polarity: str, category: str) -> Phrases:
        extra = self.by_category.get(category, {}).get(polarity, ())
        return (self.pos if polarity == "pos" else self.neg) + extra

    def titles(self, polarity: str) -> Phrases:
        return self.title_pos if polarity == "pos" else self.title_neg


@dataclass(frozen=True)
class Quirk:
    aspect: str
    phrases: Phrases
    titles: Phrases


@dataclass(frozen=True)
class HostileReview:
    title: str
    text: str
    rating: int


@dataclass(frozen=True)
class PhraseBook:
    openers: Mapping[str, Phrases]
    closers: Mapping[str, Phrases]
    short: Mapping[str, Phrases]
    titles: Mapping[str, Phrases]
    connectors: Mapping[str, Phrases]
    contexts: Mapping[str, Phrases]
    aspects: Mapping[str, AspectPhrases]
    quirks: Mapping[str, Quirk]
    hostile: tuple[HostileReview, ...]


@dataclass(frozen=True)
class Mention:
    """One aspect a reviewer talks about, with the sentiment they feel about it."""

    aspect: str
    polarity: str
    score: float


# --- loading phrases.yaml -------------------------------------------------------------


def _mapping(value: object, where: str) -> Mapping[str, object]:
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise TypeError(f"phrases.yaml: {where} must be a mapping")
    return value


def _strings(value: object, where: str) -> Phrases:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError(f"phrases.yaml: {where} must be a list of strings")
    return tuple(value)


def _table(value: object, where: str) -> dict[str, Phrases]:
    return {k: _strings(v, f"{where}.{k}") for k, v in _mapping(value, where).items()}


def _aspect_phrases(value: object, where: str) -> AspectPhrases:
    raw = _mapping(value, where)
    by_category = {
        cat: _table(pools, f"{where}.by_category.{cat}")
        for cat, pools in _mapping(raw.get("by_category", {}), where).items()
    }
    return AspectPhrases(
        pos=_strings(raw["pos"], f"{where}.pos"),
        neg=_strings(raw["neg"], f"{where}.neg"),
        title_pos=_strings(raw["title_pos"], f"{where}.title_pos"),
        title_neg=_strings(raw["title_neg"], f"{where}.title_neg"),
        by_category=by_category,
    )


def _quirk(value: object, where: str) -> Quirk:
    raw = _mapping(value, where)
    return Quirk(
        str(raw["aspect"]),
        _strings(raw["phrases"], f"{where}.phrases"),
        _strings(raw["titles"], f"{where}.titles"),
    )


def _hostile(value: object) -> tuple[HostileReview, ...]:
    if not isinstance(value, list):
        raise TypeError("phrases.yaml: hostile must be a list")
    rows = [_mapping(item, "hostile[]") for item in value]
    return tuple(HostileReview(str(r["title"]), str(r["text"]), int(str(r["rating"]))) for r in rows)


def parse_phrasebook(raw: object) -> PhraseBook:
    doc = _mapping(raw, "document")
    return PhraseBook(
        openers=_table(doc["openers"], "openers"),
        closers=_table(doc["closers"], "closers"),
        short=_table(doc["short"], "short"),
        titles=_table(doc["titles"], "titles"),
        connectors=_table(doc["connectors"], "connectors"),
        contexts=_table(doc["contexts"], "contexts"),
        aspects={k: _aspect_phrases(v, f"aspects.{k}") for k, v in _mapping(doc["aspects"], "aspects").items()},
        quirks={k: _quirk(v, f"quirks.{k}") for k, v in _mapping(doc["quirks"], "quirks").items()},
        hostile=_hostile(doc["hostile"]),
    )


@functools.cache
def load_phrasebook() -> PhraseBook:
    text = resources.files("agent.demo").joinpath("phrases.yaml").read_text(encoding="utf-8")
    return parse_phrasebook(yaml.safe_load(text))


# --- sentiment and rating -------------------------------------------------------------


def _pick(pool: Sequence[str], rng: np.random.Generator) -> str:
    return pool[int(rng.integers(len(pool)))]


def _mention_count(kind: str, n_aspects: int, rng: np.random.Generator) -> int:
    if kind == "short":
        return 0
    if kind == "long":
        return min(n_aspects, weighted_choice((3, 4, 5), (0.3, 0.4, 0.3), rng))
    return weighted_choice((1, 2, 3), (0.35, 0.4, 0.25), rng)


def _mentions(product: Product, kind: str, mood: float, rng: np.random.Generator) -> list[Mention]:
    aspects = list(product.aspect_quality)
    count = _mention_count(kind, len(aspects), rng)
    # People talk about what stands out, so a planted flaw gets mentioned far more often.
    weights = np.array([ASPECT_SALIENCE[a] * (1 + 3 * max(0.0, -product.aspect_quality[a])) for a in aspects])
    chosen = rng.choice(len(aspects), size=count, replace=False, p=weights / weights.sum())
    mentions = []
    for index in chosen:
        aspect = aspects[int(index)]
        score = product.aspect_quality[aspect] + mood + float(rng.normal(0.0, 0.45))
        mentions.append(Mention(aspect, "pos" if score > 0 else "neg", score))
    return mentions


def _rating_bounds(mentions: Sequence[Mention]) -> tuple[int, int]:
    # Keeps stars consistent with what was said: all praise is 4-5, all complaints 1-2.
    positives = sum(m.polarity == "pos" for m in mentions)
    negatives = len(mentions) - positives
    if not mentions:
        return 1, 5
    if negatives == 0:
        return 4, 5
    if positives == 0:
        return 1, 2
    if positives > negatives:
        return 3, 5
    return (1, 3) if negatives > positives else (2, 4)


def _rating(mentions: Sequence[Mention], overall: float, rng: np.random.Generator) -> int:
    sentiment = float(np.mean([m.score for m in mentions])) if mentions else overall
    raw = 3.2 + 2 * math.tanh(1.5 * sentiment) + float(rng.normal(0.0, 0.4))
    low, high = _rating_bounds(mentions)
    return min(max(int(np.clip(np.rint(raw), 1, 5)), low), high)


def _band(rating: int) -> str:
    return "pos" if rating >= 4 else "neg" if rating <= 2 else "mixed"


# --- composing text -------------------------------------------------------------------


def _lower_first(sentence: str) -> str:
    if sentence.startswith(("I ", "I'", "{")) or not sentence:
        return sentence
    return sentence[0].lower() + sentence[1:]


def _connect(
    sentence: str,
    previous: str,
    polarity: str,
    book: PhraseBook,
    rng: np.random.Generator,
) -> str:
    key = "same" if previous == polarity else f"to_{polarity}"
    connector = _pick(book.connectors[key], rng)
    return f"{connector} {_lower_first(sentence)}" if connector else sentence


def _aspect_sentence(
    product: Product,
    mention: Mention,
    book: PhraseBook,
    rng: np.random.Generator,
    exclude: str = "",
) -> tuple[str, Quirk | None]:
    quirk_key = product.quirks.get(mention.aspect)
    if mention.polarity == "neg" and quirk_key and rng.random() < QUIRK_SHARE:
        quirk = book.quirks[quirk_key]
        return _pick([p for p in quirk.phrases if p != exclude], rng), quirk
    pool = book.aspects[mention.aspect].pool(mention.polarity, product.category)
    return _pick([p for p in pool if p != exclude], rng), None


def _ordered(mentions: list[Mention], band: str) -> list[Mention]:
    # Lead with the side that decided the rating, as people do ("Love it, but ...").
    if band == "mixed":
        return mentions
    lead = "pos" if band == "pos" else "neg"
    return sorted(mentions, key=lambda m: m.polarity != lead)


def _body(
    product: Product,
    mentions: list[Mention],
    long: bool,
    book: PhraseBook,
    rng: np.random.Generator,
) -> tuple[list[str], Quirk | None]:
    parts: list[str] = []
    first_quirk: Quirk | None = None
    previous: str | None = None
    for i, mention in enumerate(mentions):
        sentence, quirk = _aspect_sentence(product, mention, book, rng)
        first_quirk = quirk if i == 0 else first_quirk
        parts.append(_connect(sentence, previous, mention.polarity, book, rng) if previous else sentence)
        if long and rng.random() < 0.6:  # long reviews dwell on a point
            parts.append(_aspect_sentence(product, mention, book, rng, exclude=sentence)[0])
        previous = mention.polarity
    return parts, first_quirk


def _fills(product: Product) -> dict[str, str]:
    return {
        "name": product.name,
        "noun": product.noun,
        "them": "them" if product.plural else "it",
    }


def _compose(
    product: Product,
    mentions: list[Mention],
    band: str,
    long: bool,
    book: PhraseBook,
    rng: np.random.Generator,
) -> tuple[str, Quirk | None]:
    parts: list[str] = []
    if rng.random() < (0.8 if long else 0.45):
        parts.append(_pick(book.openers[band], rng))
    for _ in range(int(rng.integers(1, 3)) if long else 0):
        parts.append(_pick(book.contexts[product.category], rng))
    body, quirk = _body(product, mentions, long, book, rng)
    parts.extend(body)
    if rng.random() < (0.75 if long else 0.35):
        parts.append(_pick(book.closers[band], rng))
    return " ".join(parts).format_map(_fills(product)), quirk


def _title(
    mentions: list[Mention],
    band: str,
    quirk: Quirk | None,
    book: PhraseBook,
    rng: np.random.Generator,
) -> str:
    if not mentions or rng.random() < 0.5:
        return _pick(book.titles[band], rng)
    if quirk is not None:
        return _pick(quirk.titles, rng)
    first = mentions[0]
    return _pick(book.aspects[first.aspect].titles(first.polarity), rng)


def _typos(text: str, rng: np.random.Generator) -> str:
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in rng.permutation(candidates)[: int(rng.integers(1, 4))]:
        word = words[int(i)]
        j = int(rng.integers(1, len(word) - 2))
        words[int(i)] = word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    return " ".join(words)


def _stylise(text: str, title: str, rng: np.random.Generator) -> tuple[str, str]:
    # Real reviews are messy: some shoppers never press shift, some type fast, some shout.
    roll = rng.random()
    if roll < 0.06:
        return text.lower(), title.lower()
    if roll < 0.11:
        return _typos(text, rng), title
    if roll < 0.15:
        return text.replace(". ", "! ").rstrip(".") + "!!", title
    return text, title


# --- whole reviews --------------------------------------------------------------------


def _review_date(product: Product, window_start: date, end_date: date, rng: np.random.Generator) -> date:
    first = max(product.launch_date, window_start)
    return first + timedelta(days=int(rng.integers(0, (end_date - first).days + 1)))


def _review_kind(rng: np.random.Generator) -> str:
    return weighted_choice(("short", "normal", "long"), (0.12, 0.7, 0.18), rng)


def _row(
    product: Product,
    rating: int,
    title: str,
    text: str,
    mentions: list[Mention],
    day: date,
    rng: np.random.Generator,
) -> dict[str, object]:
    return {
        "product_id": product.product_id,
        "product_name": product.name,
        "category": product.category,
        "rating": rating,
        "title": title,
        "text": text,
        "date": day.isoformat(),
        "channel": weighted_choice(CHANNELS, CHANNEL_MIX, rng),
        "aspects": ";".join(f"{m.aspect}:{m.polarity}" for m in mentions),
    }


def _hostile_review(product: Product, day: date, book: PhraseBook, rng: np.random.Generator) -> dict[str, object]:
    # A third are genuine complaints typed in a furious all-caps rant (aspects still
    # true); the rest are spam, markup or prompt-injection attempts with no aspects.
    if rng.random() < 0.33:
        mentions = [m for m in _mentions(product, "normal", -0.9, rng) if m.polarity == "neg"]
        if mentions:
            text, _ = _compose(product, mentions, "neg", False, book, rng)
            title = "WORST PURCHASE EVER"
            return _row(product, 1, title, text.upper() + " !!!", mentions, day, rng)
    hostile = book.hostile[int(rng.integers(len(book.hostile)))]
    return _row(product, hostile.rating, hostile.title, hostile.text, [], day, rng)


def _review(product: Product, day: date, book: PhraseBook, rng: np.random.Generator) -> dict[str, object]:
    kind = _review_kind(rng)
    mood = float(rng.normal(0.0, 0.3))  # some reviewers are generous, some are grumpy
    mentions = _mentions(product, kind, mood, rng)
    overall = float(np.mean(list(product.aspect_quality.values()))) + mood
    rating = _rating(mentions, overall + float(rng.normal(0.0, 0.45)), rng)
    band = _band(rating)
    mentions = _ordered(mentions, band)
    if kind == "short":
        text, quirk = _pick(book.short[band], rng), None
    else:
        text, quirk = _compose(product, mentions, band, kind == "long", book, rng)
    title = _title(mentions, band, quirk, book, rng)
    text, title = _stylise(text, title, rng)
    return _row(product, rating, title, text, mentions, day, rng)


def _review_weights(products: Sequence[Product], window_start: date, end_date: date) -> np.ndarray:
    # Popular products, and products on sale for longer, collect more reviews.
    span = (end_date - window_start).days
    live = [(end_date - max(p.launch_date, window_start)).days / span for p in products]
    # The floor keeps even niche, recently launched products at a few dozen reviews.
    weights = np.array([(p.popularity + 0.3) * share for p, share in zip(products, live, strict=False)])
    normalised: np.ndarray = weights / weights.sum()
    return normalised


def simulate_reviews(
    products: Sequence[Product],
    n_reviews: int,
    window_start: date,
    end_date: date,
    rng: np.random.Generator,
    progress: bool = True,
) -> pd.DataFrame:
    book = load_phrasebook()
    picks = rng.choice(
        len(products),
        size=n_reviews,
        p=_review_weights(products, window_start, end_date),
    )
    rows = []
    for index in tqdm(picks, desc="reviews", disable=not progress, leave=False):
        product = products[int(index)]
        day = _review_date(product, window_start, end_date, rng)
        if rng.random() < HOSTILE_SHARE:
            rows.append(_hostile_review(product, day, book, rng))
        else:
            rows.append(_review(product, day, book, rng))
    frame = pd.DataFrame(rows, columns=list(REVIEW_COLUMNS[1:]))
    frame = frame.sort_values(["date", "product_id"], kind="stable", ignore_index=True)
    frame.insert(0, "review_id", [f"R{i:06d}" for i in range(1, len(frame) + 1)])
    return frame
