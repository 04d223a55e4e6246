"""1. The detector: recall per kind on seeded records and false positives on clean and real text, ours against
Presidio's defaults."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pandas as pd

from eval.pii_cases import ENTITY, Seeded

TARGET_RECALL = 0.99
TARGET_PRECISION = 0.95


Span = tuple[str, int, int]  # (entity, start, end)
Finder = Callable[[str], list[Span]]


@dataclass
class DetectorScore:
    name: str
    seeded: Counter[str] = field(default_factory=Counter)  # kind -> values
    found: Counter[str] = field(default_factory=Counter)  # right entity covering the value
    redacted: Counter[str] = field(default_factory=Counter)  # any entity covering the value
    true_spans: Counter[str] = field(default_factory=Counter)  # entity -> spans over a seeded value
    false_spans: Counter[str] = field(default_factory=Counter)  # entity -> spans over nothing seeded
    clean_texts: int = 0
    clean_flagged: int = 0
    real_texts: int = 0
    real_flagged: Counter[str] = field(default_factory=Counter)  # entity -> real reviews flagged
    real_examples: list[str] = field(default_factory=list)
    ms_per_text: float = 0.0
    misses: list[str] = field(default_factory=list)
    false_examples: list[str] = field(default_factory=list)
    by_format: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def recall(self, kind: str) -> float | None:
        return self.found[kind] / self.seeded[kind] if self.seeded[kind] else None

    def redaction_rate(self, kind: str) -> float | None:
        return self.redacted[kind] / self.seeded[kind] if self.seeded[kind] else None

    def precision(self, entity: str) -> float | None:
        spans = self.true_spans[entity] + self.false_spans[entity]
        return self.true_spans[entity] / spans if spans else None


def presidio_defaults() -> Finder:
    """Presidio's own recognisers as the project used them before this suite (the peer to beat)."""
    from tools.pii import MIN_SCORE, PRESIDIO_ENTITIES  # first: it keeps tldextract from downloading

    from presidio_analyzer import AnalyzerEngine  # isort: skip
    from presidio_analyzer.nlp_engine import NoOpNlpEngine  # isort: skip

    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])

    def find(text: str) -> list[Span]:
        found = analyzer.analyze(text=text, language="en", entities=list(PRESIDIO_ENTITIES), score_threshold=MIN_SCORE)
        return [(r.entity_type, r.start, r.end) for r in found]

    return find


def ours() -> Finder:
    from tools.pii import find_pii

    return lambda text: [(s.kind, s.start, s.end) for s in find_pii(text)]


def real_review_texts(limit: int) -> list[str]:
    """Real customer reviews (public, CC0, already anonymised), when ../shared/data has them: a finding in one is
    almost surely a false positive."""
    from eval.data import real_reviews_path

    path = real_reviews_path()
    if path is None or limit <= 0:
        return []
    frame = pd.read_csv(path, usecols=["Review Text"], nrows=limit)
    return frame["Review Text"].dropna().astype(str).tolist()


def score_detectors(records: list[Seeded], clean: list[str], real: Sequence[str] = ()) -> list[DetectorScore]:
    scores = []
    for name, find in (("Presidio defaults", presidio_defaults()), ("ours", ours())):
        score = score_detector(name, find, records, clean)
        _score_real(score, find, real)
        scores.append(score)
    return scores


def _score_real(score: DetectorScore, find: Finder, texts: Sequence[str]) -> None:
    score.real_texts = len(texts)
    for text in texts:
        spans = find(text)
        for entity in {e for e, _, _ in spans}:
            score.real_flagged[entity] += 1
        for entity, start, end in spans:
            _example(score.real_examples, f"{entity} in {snippet_around(text, start, end)}", limit=12)


def score_detector(name: str, find: Finder, records: list[Seeded], clean: list[str]) -> DetectorScore:
    score = DetectorScore(name)
    started, texts = time.perf_counter(), 0
    for record in records:
        for text, truth in record.labelled_texts():
            texts += 1
            _score_text(score, record, text, truth, find(text))
    for text in clean:
        spans = find(text)
        score.clean_texts += 1
        score.clean_flagged += 1 if spans else 0
        for entity, start, end in spans:
            score.false_spans[entity] += 1
            _example(score.false_examples, f"{entity} in {snippet_around(text, start, end)}")
    score.ms_per_text = 1000 * (time.perf_counter() - started) / max(1, texts + len(clean))
    return score


def _score_text(
    score: DetectorScore, record: Seeded, text: str, truth: list[tuple[str, str]], spans: list[Span]
) -> None:
    located = [(kind, text.find(value), text.find(value) + len(value)) for kind, value in truth]
    for kind, start, end in located:
        covering = [e for e, s, t in spans if s <= start and t >= end]
        score.seeded[kind] += 1
        score.found[kind] += 1 if ENTITY[kind] in covering else 0
        score.redacted[kind] += 1 if covering else 0
        label = {"phone": record.phone_format, "card": record.card_brand, "address": record.address_format}.get(kind)
        if label is not None:
            score.by_format[kind][f"{label} seeded"] += 1
            score.by_format[kind][f"{label} found"] += 1 if ENTITY[kind] in covering else 0
        if ENTITY[kind] not in covering and len(score.misses) < 400:
            score.misses.append(f"{kind}: {text[start:end]!r}")
    for entity, s, t in spans:
        hit = any(s < end and t > start for _, start, end in located)
        (score.true_spans if hit else score.false_spans)[entity] += 1
        if not hit:
            _example(score.false_examples, f"{entity} in {snippet_around(text, s, t)}")


def snippet_around(text: str, start: int, end: int, margin: int = 30) -> str:
    return repr(f"{text[max(0, start - margin) : start]}«{text[start:end]}»{text[end : end + margin]}")


def _example(examples: list[str], example: str, limit: int = 200) -> None:
    if len(examples) < limit:
        examples.append(example)
