"""Intent detection: which tool (or refusal, or question) a piece of a request asks for.

Two kinds of evidence are added up per intent: a logistic regression over MiniLM embeddings, trained at first
use on the exemplar requests (`exemplars.yaml`; ~1 s, cached per process), which knows how requests are
phrased; and keyword cues (`lexicon.yaml`), which know the words that settle it ("forecast", "reviews",
"headline"). Either alone is brittle: the embedding misses rare words and typos, keywords miss paraphrases.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression

from agent.router.lexicon import Exemplars, Lexicon, all_cues, intents

CUE_CAP = 0.8  # keywords can outvote the classifier, but not without limit


class Embedder(Protocol):
    """Text -> L2-normalised vectors, one row per text (local_models.embeddings.MiniLMEmbedder fits)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class IntentModel:
    classifier: LogisticRegression
    labels: tuple[str, ...]


_models: dict[tuple[str, int], IntentModel] = {}
_lock = threading.Lock()


def intent_model(embedder: Embedder, exemplars: Exemplars) -> IntentModel:
    """The classifier for these exemplars and this embedder, trained once per process."""
    key = (exemplars.fingerprint, id(embedder))
    with _lock:
        if key not in _models:
            _models[key] = _train(embedder, exemplars)
        return _models[key]


def _train(embedder: Embedder, exemplars: Exemplars) -> IntentModel:
    vectors = embedder.embed(list(exemplars.texts))  # (N, 384)
    classifier = LogisticRegression(C=8.0, max_iter=2000, class_weight="balanced")
    classifier.fit(vectors, list(exemplars.labels))
    return IntentModel(classifier, tuple(str(c) for c in classifier.classes_))


class IntentScorer:
    """Scores every intent for pieces of a request."""

    def __init__(self, embedder: Embedder, lexicon: Lexicon, exemplars: Exemplars) -> None:
        self.embedder = embedder
        self.lexicon = lexicon
        self.model = intent_model(embedder, exemplars)

    def score(self, texts: Sequence[str]) -> list[dict[str, float]]:
        """Per text: intent -> classifier probability + keyword cues."""
        if not texts:
            return []
        probabilities = self.model.classifier.predict_proba(self.embedder.embed(list(texts)))  # (T, intents)
        return [self._combine(text, row) for text, row in zip(texts, probabilities, strict=True)]

    def _combine(self, text: str, probabilities: np.ndarray) -> dict[str, float]:
        scores = dict.fromkeys(intents(), 0.0)
        for label, probability in zip(self.model.labels, probabilities, strict=True):
            scores[label] = float(probability)
        for intent, boost in self.cues(text).items():
            scores[intent] += boost
        return scores

    def cues(self, text: str) -> dict[str, float]:
        """Keyword evidence per intent: the weights of the cue patterns that match, capped."""
        found: dict[str, float] = {}
        for intent, cues in all_cues(self.lexicon).items():
            weight = sum(cue.weight for cue in cues if cue.pattern.search(text))
            if weight > 0:  # a negative cue takes back others' weight ("Facebook ads are useless" asks no ad)
                found[intent] = min(weight, CUE_CAP)
        return found
