"""The strict sense check for the small local model (issue 21): its fields may not bring in words that nothing backs.

Blind raters found about 3 of 4 local-model fields that passed every other rule to be nonsense, many of them with
garbled or invented words. Examples below are fields from that rating (development data for this rule)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from local_models.textgen.base import Generation, GenerationOptions
from test_ad_copy_sense import BODY_WASH, BOOTS, DRESS, FACE_CREAM
from tools.ad_copy.sense import MAX_NOVEL_WORDS, SenseGrounding, check_sense, novel_words

# (kind, model-written field, grounding): rated nonsense, passed every rule but this one
NONSENSE = [
    ("sms", "Dwallow, fragrance to your skin: 50 ml, fresh face cream with hyaluronic acid and squalane.", FACE_CREAM),
    ("meta_headline", "Fit in Full Grain and Elastic Shelves", BOOTS),
    ("preview", "Sensitive skin, nosebleeds and a tonkazin' nightshade.", FACE_CREAM),
    ("description", "A shimmering, sun-kissed body wash with sea minerals.", BODY_WASH),
    ("subject", "Toned and fit, comfortable, and well built.", BOOTS),
    ("headline", "Amusing Luxury for Comfort", DRESS),
]
# rated sensible: words from the grounding, a praised aspect's own words, the everyday words of copy
SENSIBLE = [
    ("headline", "A Midi Dress for Comfort", DRESS),
    ("preview", "100% European linen cut with a relaxed midi skirt.", DRESS),
    ("preview", "400 ml sulfate-free body wash, sea minerals.", BODY_WASH),
    ("headline", "Fit, Comfort: Chelsea Boots", BOOTS),
    ("description", "Smell, skin feel and a 50 ml face cream with hyaluronic acid and squalane.", FACE_CREAM),
    ("subject", "A linen dress you'll love.", DRESS),
]


@pytest.mark.parametrize(("kind", "text", "grounding"), NONSENSE, ids=[t for _, t, _ in NONSENSE])
def test_strict_mode_rejects_words_nothing_backs(kind: str, text: str, grounding: SenseGrounding) -> None:
    verdict = check_sense(text, kind, grounding, model_written=True, strict=True)
    assert not verdict.passed and verdict.rule == "novel_words", verdict
    assert len(novel_words(text, grounding)) > MAX_NOVEL_WORDS
    assert check_sense(text, kind, grounding, model_written=False, strict=True).rule != "novel_words"  # templates
    assert check_sense(text, kind, grounding, model_written=True).rule != "novel_words"  # a remote model's


@pytest.mark.parametrize(("kind", "text", "grounding"), SENSIBLE, ids=[t for _, t, _ in SENSIBLE])
def test_strict_mode_keeps_copy_made_of_backed_words(kind: str, text: str, grounding: SenseGrounding) -> None:
    assert check_sense(text, kind, grounding, model_written=True, strict=True).passed


def test_the_brand_and_quotes_are_not_novel_but_the_brand_alone_is_not_about_the_product() -> None:
    branded = dataclasses.replace(DRESS, brand="Northwind Outfitters")
    text = "Northwind: the Aurora Linen Midi Dress, loved for its style. Take a look this week."
    assert novel_words(text, DRESS) == ["northwind"]
    assert novel_words(text, branded) == []
    quoted = 'One owner says "the colour is gorgeous in person, truly stunning". Linen midi dress.'
    assert novel_words(quoted, DRESS) == []
    assert check_sense("Northwind Outfitters, always", "subject", branded).rule == "not_about_product"


class _Named:
    """A generator with a backend name and nothing to say (the writer only reads its name here)."""

    tuned_for = None

    def __init__(self, name: str) -> None:
        self.name = name
        self.model = name

    def generate(self, messages: Any, options: GenerationOptions | None = None) -> Generation:
        return Generation(texts=[""], backend=self.name, model=self.model)


@pytest.mark.parametrize(("backend", "strict"), [("local", True), ("openai", False)])
def test_the_local_model_is_held_to_the_strict_check(demo_store, backend: str, strict: bool) -> None:
    from core.workspace import Workspace
    from tools.ad_copy.grounding import build_grounding
    from tools.ad_copy.tool import GenerateAdCopyInput
    from tools.ad_copy.writer import CopyWriter
    from tools.brand import load_brand

    ws = Workspace.open(demo_store.workspace)
    grounding, summary = build_grounding(ws, "Aurora Linen Midi Dress", "")
    request = GenerateAdCopyInput(product="Aurora Linen Midi Dress", channel="google_search")
    writer = CopyWriter(_Named(backend), load_brand(workspace=ws), grounding, summary, request, embedder=None)  # type: ignore[arg-type]
    assert writer._strict is strict
    assert writer.sense.brand  # the demo brand's name is allowed in its copy
