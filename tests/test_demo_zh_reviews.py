"""The demo's Chinese reviews: a share of a few products' reviews, read as intended by the Chinese aspect lexicon and
sentiment model, and added without changing a byte of what the demo wrote in English."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from agent.demo import DemoFiles, generate_demo_data
from agent.demo.catalogue import PRODUCT_RANGE
from agent.demo.reviews import load_phrasebook
from agent.demo.reviews_zh import CHINESE_PRODUCTS, CHINESE_SHARE, load_phrasebook_zh
from core.zh import has_chinese
from tools.aspects_zh import aspects_zh
from tools.language import detect_language
from tools.review_data import read_review_file
from tools.sentiment_zh import score_sentiment_zh

N_REVIEWS = 5000  # the demo's default: enough Chinese reviews (about 110) to measure agreement on

# The Chinese lexicon's keys (tools/aspects_zh.py) that name each demo aspect. Skin feel (滋润, 油腻, 吸收) and ease
# of use (操作, 上手) have no key there, so the lexicon cannot find them and they are not scored.
LEXICON_KEYS: dict[str, set[str]] = {
    "fit": {"fit"},
    "quality": {"quality", "workmanship", "fabric"},
    "comfort": {"comfort"},
    "style": {"style", "colour"},
    "design": {"style", "colour"},
    "price": {"price"},
    "shipping": {"shipping", "packaging"},
    "durability": {"quality", "workmanship"},
    "battery": {"battery"},
    "sound": {"sound"},
    "scent": {"scent"},
    "packaging": {"packaging"},
}


def _generate(out_dir: Path, share: float = CHINESE_SHARE) -> DemoFiles:
    return generate_demo_data(out_dir, n_reviews=N_REVIEWS, n_customers=50, progress=False, chinese_share=share)


def _paths(files: DemoFiles) -> list[Path]:
    found: list[Path] = []
    for f in fields(files):
        value = getattr(files, f.name)
        found += list(value) if isinstance(value, tuple) else [value]
    return found


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoFiles:
    return _generate(tmp_path_factory.mktemp("demo-zh"))


@pytest.fixture(scope="module")
def chinese(demo: DemoFiles) -> pd.DataFrame:
    frame = _read(demo.reviews).iloc[N_REVIEWS:].astype({"rating": int})
    return frame[frame["aspects"] != ""]  # hostile rows (injections, spam) say nothing about an aspect


def test_english_rows_are_byte_identical_to_a_demo_without_chinese(demo: DemoFiles, tmp_path: Path) -> None:
    english = _generate(tmp_path, share=0.0)
    before = english.reviews.read_bytes()
    after = demo.reviews.read_bytes()
    assert after.startswith(before) and len(after) > len(before)
    for old, new in zip(_paths(english), _paths(demo), strict=True):
        if new != demo.reviews:  # and every other file is untouched
            assert old.read_bytes() == new.read_bytes(), new.name


def test_chinese_reviews_are_a_share_of_a_few_products(demo: DemoFiles) -> None:
    reviews = _read(demo.reviews)
    is_chinese = reviews["text"].map(has_chinese) | reviews["title"].map(has_chinese)
    assert not is_chinese.iloc[:N_REVIEWS].any() and is_chinese.iloc[N_REVIEWS:].all()
    assert reviews["review_id"].is_unique
    assert list(reviews["review_id"].iloc[N_REVIEWS:]) == [
        f"R{i:06d}" for i in range(N_REVIEWS + 1, len(reviews) + 1)
    ]  # numbered on from the English ids, which the web page's citations also recognise
    share = is_chinese.groupby(reviews["product_id"]).mean()
    assert set(share[share > 0].index) == set(CHINESE_PRODUCTS)
    assert share[list(CHINESE_PRODUCTS)].between(CHINESE_SHARE - 0.02, CHINESE_SHARE + 0.02).all()
    categories = {spec.category for spec in PRODUCT_RANGE if spec.product_id in CHINESE_PRODUCTS}
    assert len(categories) == len(CHINESE_PRODUCTS)  # one product per category
    assert all(detect_language(text) == "zh" for text in reviews["text"].iloc[N_REVIEWS:])


def test_the_review_reader_accepts_every_chinese_row(demo: DemoFiles) -> None:
    parsed = read_review_file(demo.reviews)
    assert not parsed.problems and len(parsed.rows) == len(_read(demo.reviews))
    rows = {row.review_id: row for row in parsed.rows}
    for review in _read(demo.reviews).iloc[N_REVIEWS:].itertuples():
        assert rows[str(review.review_id)].text == review.text  # Chinese and its punctuation survive as written


def test_star_ratings_agree_with_the_chinese_sentiment_model(chinese: pd.DataFrame) -> None:
    clear = chinese[chinese["rating"] != 3]
    praise = [p > 0.5 for p in score_sentiment_zh(list(clear["text"]))]
    agreement = sum(said == (stars >= 4) for said, stars in zip(praise, clear["rating"], strict=True)) / len(clear)
    assert len(clear) >= 60 and agreement >= 0.8, agreement


def test_the_chinese_lexicon_finds_the_aspects_each_review_talks_about(chinese: pd.DataFrame) -> None:
    found = wanted = 0
    for review in chinese.itertuples():
        keys = {a.aspect for a in aspects_zh(review.text)}
        for label in str(review.aspects).split(";"):
            aspect = label.split(":")[0]
            if aspect in LEXICON_KEYS:
                wanted += 1
                found += bool(keys & LEXICON_KEYS[aspect])
    assert wanted >= 100 and found / wanted >= 0.8, found / wanted


def test_the_chinese_phrase_book_matches_the_english_one() -> None:
    english, book = load_phrasebook(), load_phrasebook_zh()
    assert set(book.aspects) == set(english.aspects) and set(book.quirks) == set(english.quirks)
    assert set(book.contexts) == set(english.contexts)
    for aspect, phrases in english.aspects.items():
        assert len(book.aspects[aspect].pos) >= len(phrases.pos), aspect
        assert len(book.aspects[aspect].neg) >= len(phrases.neg), aspect
    for key, quirk in english.quirks.items():
        assert book.quirks[key].aspect == quirk.aspect and len(book.quirks[key].phrases) >= len(quirk.phrases)


def test_every_chinese_template_fills_cleanly() -> None:
    book = load_phrasebook_zh()
    tables = [book.openers, book.closers, book.contexts]  # clauses: the composer joins and punctuates them
    templates = [t for table in tables for pool in table.values() for t in pool]
    for phrases in book.aspects.values():
        templates += [*phrases.pos, *phrases.neg]
        templates += [t for pools in phrases.by_category.values() for p in pools.values() for t in p]
    templates += [t for quirk in book.quirks.values() for t in quirk.phrases]
    for template in templates:
        filled = template.format(name="Aurora 亚麻中长连衣裙")
        assert has_chinese(filled) and "{" not in filled, template
        assert not filled.endswith(("。", "，", "！", ".", ",")), template
    assert all(has_chinese(text) for pool in book.short.values() for text in pool)  # whole reviews, as typed
