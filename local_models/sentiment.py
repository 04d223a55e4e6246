"""Review sentiment: a linear model over hashed word n-grams, trained on the workspace's own reviews with
their star ratings as labels (1-2 stars = complaint, 4-5 = praise).

Why this and not a lexicon: VADER scores "runs small" and "fell apart" as neutral; a model trained on the
store's own reviews learns its vocabulary. Why linear n-grams and not the MiniLM embedding: the score is
a sum over a clause's words, so it works on one clause as well as on a whole review and needs no extra
embedding pass, which keeps insight on a few thousand reviews under a second.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from local_models.checkpoint import fingerprint, load_checkpoint, save_checkpoint
from local_models.clauses import weak_clause_labels

KIND = "sentiment"
FORMAT_VERSION = 1
_NEGATORS = re.compile(
    r"\b(?:not|no|never|nothing|n't|isn't|wasn't|don't|doesn't|didn't|won't|can't|couldn't|hardly)\b"
)
_CLAUSE_END = re.compile(r"[.,;:!?]")


@dataclass(frozen=True)
class SentimentConfig:
    n_features: int = 2**18  # hashed feature space; collisions are rare at this size for review vocabularies
    ngram_max: int = 2  # unigrams and bigrams: "runs small", "not worth"
    negation_window: int = 3  # words after "not"/"no" get a NOT_ prefix ("not comfortable" != "comfortable")
    c: float = 4.0  # inverse L2 strength; chosen on held-out demo clause labels
    neutral_band: float = 0.1  # |p(praise) - 0.5| below this is "mixed"
    min_per_class: int = 20  # fewer labelled complaints or praises than this: refuse to train
    clause_weight: float = 0.25  # weight of one weakly labelled clause relative to one whole review


@dataclass
class SentimentModel:
    """p(praise) for any text, from a logistic regression on hashed n-grams."""

    config: SentimentConfig
    coef: np.ndarray  # (n_features,)
    intercept: float
    metrics: dict[str, float] = field(default_factory=dict)
    data_fingerprint: str = ""

    def praise_probability(self, texts: Sequence[str]) -> np.ndarray:
        """(N,) texts -> (N,) p(praise) in [0, 1]."""
        if not texts:
            return np.zeros(0)
        features = _vectorizer(self.config).transform([mark_negation(t, self.config.negation_window) for t in texts])
        logits = features @ self.coef + self.intercept  # (N,)
        probabilities: np.ndarray = 1.0 / (1.0 + np.exp(-np.asarray(logits).ravel()))
        return probabilities

    def polarity(self, texts: Sequence[str]) -> list[str]:
        """ "praise", "complaint" or "mixed" per text."""
        band = self.config.neutral_band
        return [
            "praise" if p >= 0.5 + band else "complaint" if p <= 0.5 - band else "mixed"
            for p in self.praise_probability(texts)
        ]

    def save(self, folder: Path) -> Path:
        manifest = {"config": asdict(self.config), "metrics": self.metrics, "data_fingerprint": self.data_fingerprint}
        arrays = {"coef": self.coef.astype(np.float32), "intercept": np.array([self.intercept])}
        return save_checkpoint(folder, kind=KIND, format_version=FORMAT_VERSION, manifest=manifest, arrays=arrays)

    @classmethod
    def load(cls, folder: Path) -> SentimentModel:
        checkpoint = load_checkpoint(folder, kind=KIND, format_versions=[FORMAT_VERSION])
        manifest = checkpoint.manifest
        return cls(
            config=SentimentConfig(**manifest["config"]),
            coef=checkpoint.arrays["coef"].astype(np.float64),
            intercept=float(checkpoint.arrays["intercept"][0]),
            metrics=dict(manifest.get("metrics", {})),
            data_fingerprint=str(manifest.get("data_fingerprint", "")),
        )


class NotEnoughLabelsError(ValueError):
    """Too few 1-2 or 4-5 star reviews to learn from."""


def train_sentiment(
    texts: Sequence[str], ratings: Sequence[int], config: SentimentConfig | None = None
) -> SentimentModel:
    """Fit on reviews rated 1-2 (complaint) and 4-5 (praise); 3-star reviews are ambiguous and left out."""
    config = config or SentimentConfig()
    labels = np.asarray(ratings)
    keep = labels != 3
    y = (labels[keep] >= 4).astype(np.int64)  # (M,) 1 = praise
    negatives, positives = int((y == 0).sum()), int((y == 1).sum())
    if min(negatives, positives) < config.min_per_class:
        raise NotEnoughLabelsError(
            f"need at least {config.min_per_class} reviews rated 1-2 and 4-5 each; have {negatives} and {positives}"
        )
    kept = [t for t, k in zip(texts, keep, strict=True) if k]
    # Whole reviews teach overall tone; clauses labelled from the writer's turns ("..., but it runs small"
    # in a 5-star review is a complaint) teach what one clause says on its own.
    clauses = [pair for text, label in zip(kept, y, strict=True) for pair in weak_clause_labels(text, bool(label))]
    examples = kept + [c for c, _ in clauses]
    targets = np.concatenate([y, np.array([label for _, label in clauses], dtype=np.int64)])
    features = _vectorizer(config).transform([mark_negation(t, config.negation_window) for t in examples])
    classifier = LogisticRegression(C=config.c, class_weight="balanced", max_iter=2000, solver="liblinear")
    weights = np.concatenate([np.ones(len(kept)), np.full(len(clauses), config.clause_weight)])
    classifier.fit(features, targets, sample_weight=weights)
    model = SentimentModel(
        config=config,
        coef=np.asarray(classifier.coef_, dtype=np.float64).ravel(),
        intercept=float(classifier.intercept_[0]),
        data_fingerprint=fingerprint(f"{r}\x1f{t}" for t, r in zip(texts, ratings, strict=True)),
    )
    model.metrics = {"train_reviews": float(len(kept)), "train_accuracy": _accuracy(model, kept, y)}
    return model


def validate_sentiment(
    texts: Sequence[str],
    ratings: Sequence[int],
    config: SentimentConfig | None = None,
    *,
    share: float = 0.2,
    max_fit: int = 8000,
    max_held_out: int = 2000,
    seed: int = 0,
) -> dict[str, float]:
    """Held-out figures for a model card: fit a model as `train_sentiment` does on most of the reviews and score
    it and VADER (compound >= 0.05 = praise, as in the eval) on the rest (1-2 stars = complaint, 4-5 = praise;
    3-star reviews left out). Samples are capped (`max_fit`, `max_held_out`) so this costs
    at most a few seconds on any store. Empty when there are too few labelled reviews to hold any out."""
    labels = np.asarray(ratings)
    order = np.random.default_rng(seed).permutation(np.flatnonzero(labels != 3))
    cut = int(len(order) * (1.0 - share))
    fit_rows, held_rows = order[:cut][:max_fit], order[cut:][:max_held_out]
    truth = (labels[held_rows] >= 4).astype(np.int64)  # (M,) 1 = praise
    if len(np.unique(truth)) < 2:
        return {}
    try:
        model = train_sentiment([texts[i] for i in fit_rows], labels[fit_rows].tolist(), config)
    except NotEnoughLabelsError:
        return {}
    held = [texts[i] for i in held_rows]
    figures = {"validation_reviews": float(len(held_rows)), "validation_fit_reviews": float(len(fit_rows))}
    for name, predicted in (
        ("", (model.praise_probability(held) >= 0.5).astype(np.int64)),
        ("_vader", (LexiconSentiment().praise_probability(held) >= 0.525).astype(np.int64)),
    ):
        figures[f"validation_balanced_accuracy{name}"] = _balanced_accuracy(truth, predicted)
        figures[f"validation_macro_f1{name}"] = _macro_f1(truth, predicted)
    return figures


def _balanced_accuracy(truth: np.ndarray, predicted: np.ndarray) -> float:
    return float(np.mean([(predicted[truth == c] == c).mean() for c in (0, 1)]))


def _macro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    scores = []
    for c in (0, 1):
        hits = float(((predicted == c) & (truth == c)).sum())
        said, real = float((predicted == c).sum()), float((truth == c).sum())
        scores.append(2 * hits / (said + real) if said + real else 0.0)
    return float(np.mean(scores))


def mark_negation(text: str, window: int = 3) -> str:
    """Prefix the few words after a negator with NOT_, stopping at punctuation: "not true to size" ->
    "not NOT_true NOT_to NOT_size"."""
    words: list[str] = []
    remaining = 0
    for raw in re.split(r"(\s+)", text.lower()):
        token = raw.strip()
        if not token:
            continue
        words.append(f"NOT_{token}" if remaining > 0 else token)
        remaining = window if _NEGATORS.search(token) else max(remaining - 1, 0)
        if _CLAUSE_END.search(token):
            remaining = 0
    return " ".join(words)


def _vectorizer(config: SentimentConfig) -> HashingVectorizer:
    return HashingVectorizer(
        n_features=config.n_features,
        ngram_range=(1, config.ngram_max),
        alternate_sign=False,
        norm="l2",
        lowercase=False,  # mark_negation lower-cases and keeps the NOT_ prefix distinct
        token_pattern=r"(?u)NOT_[a-z0-9']+|[a-z0-9']+|[!?]",
    )


def _accuracy(model: SentimentModel, texts: list[str], y: np.ndarray) -> float:
    return float(((model.praise_probability(texts) >= 0.5).astype(np.int64) == y).mean())


class LexiconSentiment:
    """VADER as a stand-in when a workspace has too few rated reviews to train on (and as the eval baseline)."""

    def __init__(self, neutral_band: float = 0.05) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self._analyzer = SentimentIntensityAnalyzer()
        self.neutral_band = neutral_band

    def praise_probability(self, texts: Sequence[str]) -> np.ndarray:
        """VADER's compound score in [-1, 1] mapped to [0, 1]."""
        return np.array([(self._analyzer.polarity_scores(t)["compound"] + 1.0) / 2.0 for t in texts])

    def polarity(self, texts: Sequence[str]) -> list[str]:
        band = self.neutral_band / 2.0  # VADER's customary +-0.05 on the compound scale
        return [
            "praise" if p >= 0.5 + band else "complaint" if p <= 0.5 - band else "mixed"
            for p in self.praise_probability(texts)
        ]
