"""Chinese reviews for a few demo products, written beside the English ones so the demo shows both languages.

A share of the reviews of `CHINESE_PRODUCTS` (one product with a planted story per category where the Chinese
lexicon has words for it) is written in Chinese from `phrases_zh.yaml`, with the English reviews' logic: the
same aspect choice, sentiment, star rating and planted flaws (agent/demo/reviews.py). They are extra rows with
their own random stream, appended after the English rows and numbered on from them, so every English row (its
id, text and rating) is what the demo wrote before Chinese reviews existed.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import date
from importlib import resources

import numpy as np
import pandas as pd
import yaml

from agent.demo.catalogue import Product
from agent.demo.reviews import (
    HOSTILE_SHARE,
    QUIRK_SHARE,
    REVIEW_COLUMNS,
    Mention,
    PhraseBook,
    Quirk,
    _band,
    _mentions,
    _ordered,
    _pick,
    _rating,
    _review_date,
    _review_kind,
    _row,
    _title,
    parse_phrasebook,
)

# The dress that runs small, the headphones short of their 30 hours, the lamp that arrives broken and the lotion
# whose scent is too strong: Chinese shoppers tell the same stories, in words the Chinese aspect lexicon knows.
CHINESE_PRODUCTS = ("1001", "1017", "1031", "1037")
CHINESE_SHARE = 0.15  # of each chosen product's reviews, once the Chinese ones are added
CLAUSE_JOIN = "，"


@functools.cache
def load_phrasebook_zh() -> PhraseBook:
    text = resources.files("agent.demo").joinpath("phrases_zh.yaml").read_text(encoding="utf-8")
    return parse_phrasebook(yaml.safe_load(text))


def chinese_counts(english: pd.DataFrame, share: float = CHINESE_SHARE) -> dict[str, int]:
    """How many Chinese reviews each chosen product gets, so they are `share` of its reviews in all."""
    if not 0 <= share < 1:
        raise ValueError(f"the Chinese share must be in [0, 1), not {share}")
    counts = english["product_id"].value_counts()
    return {pid: round(int(counts.get(pid, 0)) * share / (1 - share)) for pid in CHINESE_PRODUCTS}


def with_chinese_reviews(
    english: pd.DataFrame,
    products: Sequence[Product],
    window_start: date,
    end_date: date,
    rng: np.random.Generator,
    share: float = CHINESE_SHARE,
) -> pd.DataFrame:
    """`english` (simulate_reviews' frame, untouched) followed by the Chinese reviews, numbered on from it."""
    chinese = simulate_chinese_reviews(products, chinese_counts(english, share), window_start, end_date, rng)
    start = len(english) + 1
    chinese.insert(0, "review_id", [f"R{i:06d}" for i in range(start, start + len(chinese))])
    return pd.concat([english, chinese], ignore_index=True)


def simulate_chinese_reviews(
    products: Sequence[Product],
    counts: dict[str, int],
    window_start: date,
    end_date: date,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """`counts[product_id]` Chinese reviews per product, sorted by date and product, without review ids."""
    book = load_phrasebook_zh()
    by_id = {p.product_id: p for p in products}
    rows = []
    for product_id, count in counts.items():
        product = by_id[product_id]
        for _ in range(count):
            day = _review_date(product, window_start, end_date, rng)
            if rng.random() < HOSTILE_SHARE:
                hostile = book.hostile[int(rng.integers(len(book.hostile)))]
                rows.append(_row(product, hostile.rating, hostile.title, hostile.text, [], day, rng))
            else:
                rows.append(_review_zh(product, day, book, rng))
    frame = pd.DataFrame(rows, columns=list(REVIEW_COLUMNS[1:]))
    return frame.sort_values(["date", "product_id"], kind="stable", ignore_index=True)


def _review_zh(product: Product, day: date, book: PhraseBook, rng: np.random.Generator) -> dict[str, object]:
    # The English review's steps (agent/demo/reviews.py `_review`), so stars and aspects follow the same rules.
    kind = _review_kind(rng)
    mood = float(rng.normal(0.0, 0.3))
    mentions = _mentions(product, kind, mood, rng)
    overall = float(np.mean(list(product.aspect_quality.values()))) + mood
    rating = _rating(mentions, overall + float(rng.normal(0.0, 0.45)), rng)
    band = _band(rating)
    mentions = _ordered(mentions, band)
    if kind == "short":
        text, quirk = _pick(book.short[band], rng), None
    else:
        text, quirk = _compose_zh(product, mentions, band, kind == "long", book, rng)
    title = _title(mentions, band, quirk, book, rng)
    return _row(product, rating, title, _stylise_zh(text, rng), mentions, day, rng)


def _compose_zh(
    product: Product,
    mentions: list[Mention],
    band: str,
    long: bool,
    book: PhraseBook,
    rng: np.random.Generator,
) -> tuple[str, Quirk | None]:
    """Clauses joined by commas, as Chinese reviews run on: opener, context, what was said, then a closer."""
    parts: list[str] = []
    if rng.random() < (0.7 if long else 0.4):
        parts.append(_pick(book.openers[band], rng))
    for _ in range(int(rng.integers(1, 3)) if long else 0):
        parts.append(_pick(book.contexts[product.category], rng))
    body, quirk = _body_zh(product, mentions, long, book, rng)
    text = CLAUSE_JOIN.join(parts + body)
    if rng.random() < (0.7 if long else 0.35):
        stop, closer = _pick(("。", "！", CLAUSE_JOIN), rng), _pick(book.closers[band], rng)
        text += stop + closer + _pick(("。", "！", "", "！！"), rng)
    else:
        text += _pick(("。", "。", "！", ""), rng)
    return text.format_map({"name": product.name_zh or product.name}), quirk


def _body_zh(
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
        clause, quirk = _aspect_clause(product, mention, book, rng)
        first_quirk = quirk if i == 0 else first_quirk
        if previous is not None:
            key = "same" if previous == mention.polarity else f"to_{mention.polarity}"
            clause = _pick(book.connectors[key], rng) + clause  # Chinese connectors join without a space
        parts.append(clause)
        if long and rng.random() < 0.6:  # long reviews dwell on a point
            parts.append(_aspect_clause(product, mention, book, rng, exclude=clause)[0])
        previous = mention.polarity
    return parts, first_quirk


def _aspect_clause(
    product: Product,
    mention: Mention,
    book: PhraseBook,
    rng: np.random.Generator,
    exclude: str = "",
) -> tuple[str, Quirk | None]:
    quirk_key = product.quirks.get(mention.aspect)
    if mention.polarity == "neg" and quirk_key and rng.random() < QUIRK_SHARE:
        quirk = book.quirks[quirk_key]
        return _pick([p for p in quirk.phrases if not exclude.endswith(p)], rng), quirk
    pool = book.aspects[mention.aspect].pool(mention.polarity, product.category)
    return _pick([p for p in pool if not exclude.endswith(p)], rng), None


def _stylise_zh(text: str, rng: np.random.Generator) -> str:
    # Phone-typed reviews: some use spaces for commas, some pile on exclamation marks.
    roll = rng.random()
    if roll < 0.08:
        return text.replace(CLAUSE_JOIN, " ")
    if roll < 0.14:
        return text.rstrip("。！") + "！！！"
    return text
