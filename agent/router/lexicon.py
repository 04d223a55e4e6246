"""The router's data files (package data): exemplar requests per intent and the lexicon of cues and slot words.

Kept as YAML so that adding a phrasing marketers use is a data change, not a code change; compiled once per
process.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from tools.registry import TOOLS

STRONG_CUE = 0.4  # a cue this heavy lets a fragment start its own step
REFUSE, ASK = "out_of_scope", "clarify"


def intents() -> tuple[str, ...]:
    """What a step can be: one of the registered tools, a refusal or a question."""
    return (*TOOLS, REFUSE, ASK)


@dataclass(frozen=True)
class Cue:
    weight: float
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class NotYet:
    """A job no registered tool does yet: what to call it in a refusal, and how requests for it read."""

    what: str
    patterns: tuple[re.Pattern[str], ...]


@dataclass(frozen=True)
class Lexicon:
    """Compiled lexicon.yaml; see that file for what each entry means."""

    cues: dict[str, tuple[Cue, ...]]
    injection: tuple[re.Pattern[str], ...]
    actions: tuple[re.Pattern[str], ...]
    not_yet: dict[str, NotYet]  # keyed by the tool that will do the job
    polite_openers: re.Pattern[str]
    split: re.Pattern[str]
    leading_connectors: re.Pattern[str]
    modifiers: re.Pattern[str]
    anaphora: re.Pattern[str]
    one_product: re.Pattern[str]
    details: re.Pattern[str]
    follow_up_openers: re.Pattern[str]
    all_products: re.Pattern[str]
    channels: dict[str, re.Pattern[str]]
    tones: dict[str, str]
    tone_pattern: re.Pattern[str]
    tone_fallback: re.Pattern[str]
    meta_questions: re.Pattern[str]
    segment_filters: dict[str, re.Pattern[str]]
    segment_name: re.Pattern[str]
    segment_product: tuple[re.Pattern[str], ...]
    review_grounding: re.Pattern[str]
    ad_request: re.Pattern[str]
    negative: re.Pattern[str]
    positive: re.Pattern[str]
    offers: tuple[re.Pattern[str], ...]
    key_message_verbs: re.Pattern[str]
    people: str
    audience_lead: str
    category_synonyms: dict[str, str]
    product_synonyms: dict[str, str]
    common_name_words: frozenset[str]
    product_kinds: frozenset[str]
    known_names: frozenset[str]
    stop_words: frozenset[str]
    product_id_prefix: re.Pattern[str]
    quantity: re.Pattern[str]
    number_words: dict[str, int]
    words: frozenset[str]  # every plain word the lexicon mentions: typo targets


@dataclass(frozen=True)
class Exemplars:
    texts: tuple[str, ...]
    labels: tuple[str, ...]
    fingerprint: str  # changes when the file changes: the classifier cache key


def _read(name: str) -> tuple[dict[str, Any], str]:
    text = resources.files("agent.router").joinpath(name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ValueError(f"agent/router/{name} must hold a mapping")
    return data, text


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def load_exemplars() -> Exemplars:
    """The exemplar requests, one label per text, for the intent classifier: exemplars.yaml, plus the exemplars
    registered tools bring with them."""
    pairs, text = _yaml_exemplars()
    for unit in TOOLS.values():
        pairs += tuple((example.lower(), unit.name) for example in unit.exemplars)
        text += "\n" + unit.name + "\n" + "\n".join(unit.exemplars)
    return Exemplars(
        texts=tuple(t for t, _ in pairs),
        labels=tuple(label for _, label in pairs),
        fingerprint=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


@functools.cache
def _yaml_exemplars() -> tuple[tuple[tuple[str, str], ...], str]:
    data, text = _read("exemplars.yaml")
    by_intent: dict[str, list[str]] = data["intents"]
    unknown = set(by_intent) - set(intents())
    if unknown:
        raise ValueError(f"agent/router/exemplars.yaml names unknown intents: {sorted(unknown)}")
    pairs = tuple((str(example).lower(), intent) for intent, examples in by_intent.items() for example in examples)
    return pairs, text


def all_cues(lexicon: Lexicon) -> dict[str, tuple[Cue, ...]]:
    """The lexicon's keyword cues per intent, plus the cues registered tools bring with them."""
    found = dict(lexicon.cues)
    for unit in TOOLS.values():
        if unit.cues:
            found[unit.name] = found.get(unit.name, ()) + _unit_cues(unit.cues)
    return found


@functools.cache
def _unit_cues(cues: tuple[tuple[float, str], ...]) -> tuple[Cue, ...]:
    return tuple(Cue(float(weight), _compile(pattern)) for weight, pattern in cues)


@functools.cache
def load_lexicon() -> Lexicon:
    data, _ = _read("lexicon.yaml")
    oos = data["out_of_scope"]
    tones = {str(k): str(v) for k, v in data["tones"].items()}
    return Lexicon(
        cues={
            intent: tuple(Cue(float(w), _compile(p)) for w, p in entries) for intent, entries in data["cues"].items()
        },
        injection=tuple(_compile(p) for p in oos["injection"]),
        actions=tuple(_compile(p) for p in oos["actions"]),
        not_yet={
            tool: NotYet(str(entry["what"]), tuple(_compile(p) for p in entry["patterns"]))
            for tool, entry in data["not_yet"].items()
        },
        polite_openers=_compile(oos["polite_openers"]),
        split=_compile(data["split"]),
        leading_connectors=_compile(data["leading_connectors"]),
        modifiers=_compile(data["modifiers"]),
        anaphora=_compile(data["anaphora"]),
        one_product=_compile(data["one_product"]),
        details=_compile(data["details"]),
        follow_up_openers=_compile(data["follow_up_openers"]),
        all_products=_compile(data["all_products"]),
        channels={name: _compile(p) for name, p in data["channels"].items()},
        tones=tones,
        tone_pattern=_compile(data["tone_pattern"].format(words="|".join(sorted(tones, key=len, reverse=True)))),
        tone_fallback=_compile(data["tone_fallback"]),
        meta_questions=_compile(data["meta_questions"]),
        segment_filters={name: _compile(p) for name, p in data["segment_filters"].items()},
        segment_name=_compile(data["segment_name"]),
        segment_product=tuple(_compile(p) for p in data["segment_product"]),
        review_grounding=_compile(data["review_grounding"]),
        ad_request=_compile(data["ad_request"]),
        negative=_compile(data["ratings"]["negative"]),
        positive=_compile(data["ratings"]["positive"]),
        offers=tuple(_compile(p) for p in data["offers"]),
        key_message_verbs=_compile(data["key_message_verbs"]),
        people=str(data["people"]),
        audience_lead=str(data["audience_lead"]),
        category_synonyms={str(k).lower(): str(v) for k, v in data["category_synonyms"].items()},
        product_synonyms={str(k).lower(): str(v).lower() for k, v in data["product_synonyms"].items()},
        common_name_words=frozenset(str(w) for w in data["common_name_words"]),
        product_kinds=frozenset(str(w).lower() for w in data["product_kinds"]),
        known_names=frozenset(str(w) for w in data["known_names"]),
        stop_words=frozenset(str(w) for w in data["stop_words"]),
        product_id_prefix=_compile(data["product_id_prefix"]),
        quantity=_compile(data["quantity"]),
        number_words={str(k): int(v) for k, v in data["number_words"].items()},
        words=_plain_words(data),
    )


def _plain_words(data: Any) -> frozenset[str]:
    """Alphabetic words (4+ letters) anywhere in the lexicon, regex syntax stripped: what typos are fixed to."""
    found: set[str] = set()
    _collect(data, found)
    return frozenset(found)


def _collect(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _collect(key, found)
            _collect(value, found)
    elif isinstance(node, list):
        for item in node:
            _collect(item, found)
    elif isinstance(node, str):
        # "\b(reviews?|ratings?)" -> reviews, ratings; escapes like \w and \d are dropped first
        cleaned = re.sub(r"\\[a-z]", " ", node.lower()).replace("?", "")
        found.update(w for w in re.findall(r"[a-z]+", cleaned) if len(w) >= 4)
