"""The ad-copy channels and their fields, the prompts (prompts/ad_copy.yaml) and the cleaning of model output
into one line of copy that fits its limit."""

from __future__ import annotations

import functools
import re
from importlib import resources
from typing import Any, Literal

import jinja2
import yaml

from local_models.textgen.base import ChatMessage
from tools.brand import BrandProfile

Channel = Literal["google_search", "meta_feed", "email", "sms"]

# Field -> (max characters, the prompt kind that writes it). "footer" is fixed text (the disclaimers).
CHANNEL_FIELDS: dict[str, dict[str, tuple[int, str]]] = {
    "google_search": {
        "headline_1": (30, "name"),  # the product name leads every variant (pinned headline 1) when it fits
        "headline_2": (30, "headline"),
        "headline_3": (30, "headline"),
        "description_1": (90, "description"),
        "description_2": (90, "description"),
    },
    "meta_feed": {"primary_text": (125, "primary_text"), "headline": (40, "meta_headline")},
    "email": {
        "subject": (60, "subject"),
        "preview": (90, "preview"),
        "body": (500, "email_body"),
        "footer": (400, "fixed"),
    },
    "sms": {"text": (160, "sms")},
}


# ----------------------------------------------------------------------------------------------------
# Prompts


@functools.cache
def prompt_book() -> dict[str, Any]:
    raw: dict[str, Any] = yaml.safe_load(resources.files("prompts").joinpath("ad_copy.yaml").read_text("utf-8"))
    return raw


@functools.cache
def _template(text: str) -> jinja2.Template:
    env = jinja2.Environment(autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=False)  # noqa: S701 - plain text prompts, not HTML
    return env.from_string(text)


def render_messages(
    kind: str, data: dict[str, Any], brand: BrandProfile, *, worked_examples: bool = True
) -> list[ChatMessage]:
    """The system rules, the kind's worked examples as chat turns (unless `worked_examples` is False: a model
    fine-tuned for ad copy, tools/ad_copy/finetune.py, was trained without them), then this product's data."""
    book = prompt_book()
    spec = book["kinds"][kind]
    data_template = _template(book["data"])
    messages = [
        ChatMessage(
            "system",
            _template(book["system"]).render(
                brand=brand.name or "", voice=first_sentence(brand.voice) if brand.voice else ""
            ),
        )
    ]
    wanted = instruction(kind)
    for example in spec["examples"] if worked_examples else []:
        shown = {**_blank_data(), **example["data"], "instruction": wanted}
        messages += [ChatMessage("user", data_template.render(**shown)), ChatMessage("assistant", example["answer"])]
    product = {**_blank_data(), **data, "instruction": wanted}
    messages.append(ChatMessage("user", data_template.render(**product)))
    return messages


def kind_limit(kind: str) -> int:
    """The character limit a prompt kind writes to: the tightest limit of the fields it fills, on any channel."""
    limits = [
        limit for fields in CHANNEL_FIELDS.values() for limit, written_by in fields.values() if written_by == kind
    ]
    return min(limits)


def instruction(kind: str) -> str:
    """The kind's instruction with its length limit filled in from CHANNEL_FIELDS (less the prompt's headroom)."""
    spec = prompt_book()["kinds"][kind]
    return _template(spec["instruction"]).render(limit=kind_limit(kind) - int(spec.get("headroom", 0)))


def channel_limits(channel: str) -> dict[str, int]:
    """Field -> character limit on `channel` (what the copy is checked against, and what the chat page shows)."""
    return {name: limit for name, (limit, _) in CHANNEL_FIELDS[channel].items()}


def _blank_data() -> dict[str, Any]:
    return {"category": "", "facts": "", "praised": [], "audience": "", "key_message": "", "focus": "", "tone": ""}


@functools.cache
def example_words() -> frozenset[str]:
    """Words only the worked examples' products have (listed in the prompt file)."""
    return frozenset(str(w).lower() for w in prompt_book()["example_words"])


# ----------------------------------------------------------------------------------------------------
# Cleaning model output


_LABEL = re.compile(
    r"^\s*(?:[\w ]{0,20}(?:headline|subject|text|sentence|copy|answer|message|preview)\s*\d*\s*[:\-]\s*)", re.I
)


def clean_copy(text: str) -> str:
    """One line of copy: no labels ("Headline: "), wrapping quotes, markdown, hashtags or emoji."""
    text = text.strip().split("\n", 1)[0]
    text = _LABEL.sub("", text)
    text = re.sub(r"[*_#`]+", "", text)
    text = re.sub(r"[^\w\s.,!?'\u2019\"():;%$&/@+-]", "", text)  # emoji and symbols; @ and + stay for the PII check
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) >= 2 and text[0] in "\"'\u201c" and text[-1] in "\"'\u201d":
        text = text[1:-1].strip()
    return text.replace("\u2019", "'")


def fit_to_limit(text: str, limit: int) -> str:
    """`text` if it fits; else its longest run of whole sentences or clauses that fits (at least half the
    limit); else nothing. Never cuts a word or leaves a dangling connective."""
    if len(text) <= limit:
        return text
    for pattern in (r"(?<=[.!?])\s", r"(?<=[,;:])\s|\s[-\u2013]\s"):
        cut = ""
        for match in re.finditer(pattern, text):
            if match.start() <= limit:
                cut = text[: match.start()]
        cut = re.sub(r"[\s,;:\u2013-]+$", "", cut)
        cut = re.sub(r"\s+(and|or|but|with|for|to|the|a|an|of|in|on)$", "", cut, flags=re.I)
        if len(cut) >= limit // 2:
            return cut
    return ""


def drop_unfinished(text: str) -> str:
    """Text cut off by the token limit, minus its unfinished last sentence or clause (empty if none is whole)."""
    return fit_to_limit(text, len(text) - 1) if len(text) > 1 else ""


def short_fact(description: str, limit: int = 60) -> str:
    """The description's first clause that fits `limit`, as a sentence: "Midi dress cut from 100% European linen." """
    for piece in re.split(r"[.;,!?]\s+|\s+with\s+|\s+and\s+", description.strip()):
        clause = piece.strip().rstrip(".")
        if 12 <= len(clause) < limit:
            return clause[0].upper() + clause[1:] + "."
    return ""


def first_sentence(text: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return sentence if sentence.endswith((".", "!", "?")) else sentence + "."
