"""generate_ad_copy: channel-aware ad copy grounded in what customers say, checked against the brand's rules.

The grounding comes first: the catalogue's facts and the aspects reviews praise (with review ids), fenced as
data in the prompt. A text generator (local SmolLM2 by default, or OpenAI) writes several candidates per field,
few-shot; every candidate is cleaned, fitted to its length limit, checked against the hard rules
(tools/compliance.py) and then for sense (sense.py: does it read as copy for this product?). Variants are
assembled from passing candidates for diversity and ranked by score. Copy built from the grounding alone fills a
field only when no model candidate passes, and each variant's `sources` says which fields the model wrote.
Nothing that breaks a hard rule is returned; when too few variants pass, the result says so.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.errors import MarketingAgentError
from core.workspace import Workspace
from local_models.embeddings import MiniLMEmbedder
from local_models.textgen.base import ChatMessage, GenerationOptions, ProviderError, TextGenerator
from tools.ad_copy.grammar import plural_name
from tools.ad_copy.sense import SenseGrounding, check_sense, quote_problem
from tools.aspects import aspect_label
from tools.brand import BrandProfile, load_brand
from tools.catalogue import catalogue_row
from tools.compliance import (
    Check,
    Claim,
    ComplianceReport,
    Fact,
    Grounding,
    Limits,
    check_fields,
    grounding_words,
    is_safe_quote,
)
from tools.models import copywriter, embedder
from tools.other_brands import other_brand_problem
from tools.pii import find_pii, redact
from tools.unit import fields_of

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
# Samples per field kind, from one batched call that reads the prompt once (decoding dominates the cost here).
CANDIDATES = {"headline": 8, "meta_headline": 6, "subject": 6, "email_body": 4}
DEFAULT_CANDIDATES = 5
MAX_FOCUSES = 3
TEMPLATE_PENALTY = 0.8  # template copy ranks below model copy of the same quality
QUOTE_CHARS = 80
MIN_RELEVANCE = 0.2  # MiniLM cosine to the product's facts and praise below which copy is off topic
RELEVANCE_WEIGHT = 0.3
# Brand copy speaks as "we" to "you"; "I"/"my" is the model imitating a review or a chat.
FIRST_PERSON = re.compile(r"\b(I|I'm|I've|I'd|I'll|(?i:me|my|mine|myself))\b")
NEGATIVE_TONE = -0.3  # VADER compound score below which copy reads as a complaint


class GenerateAdCopyInput(BaseModel):
    """Ad copy for one product on one channel, grounded in its catalogue facts and what reviews praise."""

    model_config = ConfigDict(extra="forbid")

    product: str = Field(min_length=1, max_length=200, description="Product id or name from the catalogue.")
    channel: Channel = Field("google_search", description="google_search, meta_feed, email or sms.")
    n_variants: int = Field(3, ge=1, le=10, description="How many variants to return.")
    tone: str | None = Field(None, max_length=100, description="e.g. warm, playful (default: the brand's tone).")
    audience: str | None = Field(None, max_length=300, description="Who the copy is for, e.g. a segment name.")
    key_message: str | None = Field(
        None, max_length=300, description="Something the copy must get across (offers belong here)."
    )
    seed: int | None = Field(None, description="Same seed, same inputs: the same copy (local model).")


def variant_id(product_id: str, channel: str, fields: dict[str, str]) -> str:
    """A variant's stable id: the same copy for the same product and channel always gets it, so a test's results
    (an experiment file's variant_id) come back to the copy they measured."""
    text = "\x1f".join([product_id, channel, *(f"{name}={value}" for name, value in sorted(fields.items()))])
    return "v-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


class AdVariant(BaseModel):
    variant_id: str = Field(
        "", description="Stable id of this copy for this product and channel: use it as variant_id in test results."
    )
    fields: dict[str, str]
    score: float = Field(description="0-1: grounding, use of the space, key message, clean endings, diversity.")
    compliance: ComplianceReport
    evidence: list[Claim] = Field(description="Each product claim and the review ids / catalogue fields behind it.")
    sources: dict[str, str] = Field(
        description="Per field: model (written by the LLM), template, catalogue (the product name) or fixed."
    )


class PraisedAspect(BaseModel):
    aspect: str
    label: str
    review_ids: list[str]
    quote: str = ""


class AdGrounding(BaseModel):
    facts: dict[str, str] = Field(description="Catalogue field -> text the copy may state.")
    praised: list[PraisedAspect]
    avoided: list[str] = Field(description="Aspects customers complain about: the copy may not claim them.")
    reviews_analysed: int
    quotes_dropped: int = Field(
        0,
        description="Praise quotes left out of the prompt because they looked unsafe (instructions, links, personal "
        "data, another brand's name).",
    )


class GenerateAdCopyResult(BaseModel):
    product_id: str
    product_name: str
    channel: str
    variants: list[AdVariant]
    grounding: AdGrounding
    candidates: int = Field(description="Field candidates the model wrote.")
    rejected: dict[str, int] = Field(description="Hard rule -> model candidates it rejected.")
    backend: str
    model: str
    seconds: float
    summary: str
    warnings: list[str] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def limits(self) -> dict[str, int]:
        """Field -> its character limit on this channel (what the copy was checked against)."""
        return channel_limits(self.channel) if self.channel in CHANNEL_FIELDS else {}


# ----------------------------------------------------------------------------------------------------
# The tool


def generate_ad_copy(
    *,
    product: str,
    channel: Channel = "google_search",
    n_variants: int = 3,
    tone: str | None = None,
    audience: str | None = None,
    key_message: str | None = None,
    seed: int | None = None,
    workspace: str | Path | Workspace | None = None,
    generator: TextGenerator | None = None,
) -> GenerateAdCopyResult:
    """Write ad copy variants for a product on a channel (google_search, meta_feed, email or sms), grounded in
    what reviews praise and the catalogue's facts, each checked against channel limits and the brand's rules,
    with the evidence (review ids, catalogue fields) behind every product claim."""
    request, redacted = _without_personal_data(GenerateAdCopyInput.model_validate(fields_of(locals())))
    started = time.perf_counter()
    ws = Workspace.open(workspace)
    brand = load_brand(workspace=ws)
    grounding, summary = build_grounding(
        ws, request.product, request.key_message or "", audience=request.audience or "", brand=brand
    )
    if generator is None:
        generator = copywriter(ws.settings, ws.root)
    writer = CopyWriter(generator, brand, grounding, summary, request, embedder=embedder(ws.settings))
    variants, warnings = writer.write()
    result = GenerateAdCopyResult(
        product_id=grounding.product_id,
        product_name=grounding.product_name,
        channel=request.channel,
        variants=variants,
        grounding=summary,
        candidates=writer.candidates,
        rejected=dict(writer.rejected.most_common()),
        backend=generator.name,
        model=generator.model,
        seconds=round(time.perf_counter() - started, 3),
        summary="",
        warnings=[*redacted, *writer.warnings, *warnings],
    )
    result.summary = _summary(result, request.n_variants)
    return result


def _without_personal_data(request: GenerateAdCopyInput) -> tuple[GenerateAdCopyInput, list[str]]:
    """The brief with personal data replaced by tags: it goes into prompts (perhaps to a remote model), and copy
    may not carry personal data anyway."""
    changed: dict[str, str] = {}
    for name in ("key_message", "audience", "tone"):
        value = getattr(request, name)
        if value and redact(value).changed:
            changed[name] = redact(value).text
    if not changed:
        return request, []
    fields = ", ".join(name.replace("_", " ") for name in changed)
    return request.model_copy(update=changed), [f"Personal data in the {fields} was removed before writing copy."]


def _summary(result: GenerateAdCopyResult, wanted: int) -> str:
    praised = ", ".join(p.label for p in result.grounding.praised[:3]) or "no praised aspects"
    text = (
        f"{len(result.variants)} {result.channel} variant{'s' if len(result.variants) != 1 else ''} for "
        f"{result.product_name}, grounded in {result.grounding.reviews_analysed} reviews (praised: {praised})."
    )
    if len(result.variants) < wanted:
        text += f" Only {len(result.variants)} of {wanted} requested passed every rule."
    return text


# ----------------------------------------------------------------------------------------------------
# Grounding


def build_grounding(
    ws: Workspace, product: str, key_message: str, *, audience: str = "", brand: BrandProfile | None = None
) -> tuple[Grounding, AdGrounding]:
    """Catalogue facts and review praise for one product, each with its source. (`brand`: the workspace's
    profile when not given; its names, like the catalogue's, are the only ones a quote may carry.)"""
    row = catalogue_row(ws, product)
    pid = str(row["product_id"])
    facts = [
        Fact(str(row[c]), f"catalogue:{pid}.{c}")
        for c in ("name", "category", "subcategory", "description")
        if str(row.get(c, "") or "").strip()
    ]
    price = _price(row.get("price"))
    if price is not None:
        facts.append(Fact(f"${price:.2f}", f"catalogue:{pid}.price"))
    grounding = Grounding(
        product_id=pid,
        product_name=str(row["name"]),
        category=str(row.get("category", "") or ""),
        facts=facts,
        key_message=key_message,
        audience=audience,
    )
    insight = _insight(ws, pid)
    own = grounding_words(grounding, brand if brand is not None else load_brand(workspace=ws))
    praised, dropped = _praised(insight, own)
    complaints = {a.aspect: [q.review_id for q in a.complaint_quotes] for a in insight.complaints}
    grounding.praised = {p.aspect: p.review_ids for p in praised}
    grounding.complaints = {k: v for k, v in complaints.items() if k not in grounding.praised}
    summary = AdGrounding(
        facts={f.source.split(".", 1)[1]: f.text for f in facts},
        praised=praised,
        avoided=[aspect_label(a) for a in grounding.complaints],
        reviews_analysed=insight.reviews_analysed,
        quotes_dropped=dropped,
    )
    return grounding, summary


def _price(value: Any) -> float | None:
    try:
        price = float(str(value).replace("$", "").replace(",", ""))
    except ValueError:
        return None
    return price if math.isfinite(price) and price >= 0 else None


def _insight(ws: Workspace, product_id: str) -> Any:
    from tools.reviews import review_insight

    try:
        return review_insight(product_ids=[product_id], quotes=3, top=8, workspace=ws)
    except MarketingAgentError:
        from tools.review_analysis import ReviewInsight

        return ReviewInsight(
            reviews_analysed=0,
            average_rating=None,
            rating_counts={},
            praised=[],
            complaints=[],
            aspects=[],
            sentiment_model="none",
        )


def _praised(insight: Any, own: frozenset[str] = frozenset()) -> tuple[list[PraisedAspect], int]:
    """Praised aspects with their review ids, and one quote each that is safe to show a model: no instructions,
    links or personal data, and no name but the product's, the brand's and the catalogue's (`own`; none when not
    given): a quote that names another brand would carry it into the prompt and the templates."""
    praised, dropped = [], 0
    for aspect in insight.praised:
        ids = [q.review_id for q in aspect.praise_quotes]
        if not ids:
            continue
        safe = [q.text for q in aspect.praise_quotes if is_safe_quote(q.text) and not other_brand_problem(q.text, own)]
        dropped += len(aspect.praise_quotes) - len(safe)
        # a quote in copy must stand on its own: never "Besides that, ..." or a clipped "... and the"
        whole = [clipped for clipped in map(_clip, safe) if not quote_problem(clipped)]
        quote = whole[0] if whole else ""
        praised.append(
            PraisedAspect(aspect=aspect.aspect, label=short_label(aspect.aspect), review_ids=ids, quote=quote)
        )
    return praised, dropped


def short_label(aspect: str) -> str:
    """ "fit and sizing" -> "fit"; "see-through / sheer" -> "see-through"."""
    return re.split(r" and | / ", aspect_label(aspect))[0].strip()


def _clip(text: str) -> str:
    """A review quote short enough for a prompt or a template: whole if it fits, else its longest run of whole
    sentences or clauses that fits (at least 20 characters); else cut at a word, marked "..." (and then
    rejected by `quote_problem` as clipped)."""
    text = re.sub(r"\s+", " ", text).strip().strip('"')
    if len(text) <= QUOTE_CHARS and not text.endswith(("...", "\u2026")):
        return text
    head = text[: QUOTE_CHARS + 1]
    ends = [m.start() for m in re.finditer(r"[.!?,;](?=\s)", head) if m.start() >= 20]
    if ends:
        return head[: ends[-1] + (1 if head[ends[-1]] in ".!?" else 0)].strip()
    cut = text[:QUOTE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "..."


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
# Writing


@dataclass
class Candidate:
    text: str
    source: str  # model, template or fixed
    score: float
    report: ComplianceReport


class CopyWriter:
    """Writes candidates per field, keeps the ones that pass, and assembles ranked variants."""

    def __init__(
        self,
        generator: TextGenerator,
        brand: BrandProfile,
        grounding: Grounding,
        summary: AdGrounding,
        request: GenerateAdCopyInput,
        *,
        embedder: MiniLMEmbedder,
    ) -> None:
        self.generator = generator
        self._tuned = getattr(generator, "tuned_for", None) == "ad_copy"  # trained without worked examples
        # The small local model's fields that pass every other rule were rated nonsense 3 times in 4 (issue 21):
        # its fields may not bring in words that nothing backs. A remote model's (OpenAI) are judged as before.
        self._strict = getattr(generator, "name", "") == "local"
        self.embedder = embedder
        self.brand = brand
        self.grounding = grounding
        self.summary = summary
        self.request = request
        self.fields = CHANNEL_FIELDS[request.channel]
        self.limits = Limits({name: limit for name, (limit, _) in self.fields.items()})
        self.candidates = 0
        self.rejected: Counter[str] = Counter()
        self.warnings: list[str] = []
        self.seed = request.seed if request.seed is not None else _stable_seed(grounding.product_id, request.channel)
        self._pools: dict[str, list[Candidate]] = {}
        seen = [f.text for f in grounding.facts] + [grounding.key_message, request.audience or "", request.tone or ""]
        seen += [f"{p.label} {p.quote}" for p in summary.praised]
        self._leaks = example_words() - _words(" ".join(seen), min_length=1)
        self.sense = SenseGrounding(
            product_name=grounding.product_name,
            category=grounding.category,
            facts=[f.text for f in grounding.facts],
            praised=[p.label for p in summary.praised],
            quotes=[p.quote for p in summary.praised if p.quote],
            brief=[request.key_message or "", request.audience or ""],
            complaints=list(grounding.complaints),
            brand=brand.name or "",
        )

    def write(self) -> tuple[list[AdVariant], list[str]]:
        pools = {kind: self._pool(kind) for kind in dict.fromkeys(k for _, k in self.fields.values())}
        variants = self._assemble(pools)
        warnings = []
        if len(variants) < self.request.n_variants:
            warnings.append(
                f"only {len(variants)} of {self.request.n_variants} variants passed every rule; "
                "add a key message or more reviews, or ask for fewer variants"
            )
        return variants, warnings

    # -- candidates

    def _pool(self, kind: str) -> list[Candidate]:
        """Passing candidates for one field kind, best first (computed once per kind)."""
        if kind not in self._pools:
            self._pools[kind] = self._new_pool(kind)
        return self._pools[kind]

    def _new_pool(self, kind: str) -> list[Candidate]:
        if kind == "fixed":
            return [self._check_fixed()]
        if kind == "name":
            name = self._candidate(next(iter(self.fields)), self.grounding.product_name, "catalogue")
            return [name] if name else self._pool("headline")
        field_name, limit = self._field_of(kind)
        written = self._model_texts(kind, limit)
        pool = [c for c in (self._candidate(field_name, t, "model", logprob) for t, logprob in written) if c]
        pool += [c for c in (self._candidate(field_name, t, "template") for t in self._template_texts(kind)) if c]
        pool = self._rerank(pool)
        unique: dict[str, Candidate] = {}
        for c in sorted(pool, key=lambda c: -c.score):
            unique.setdefault(c.text.casefold(), c)
        return list(unique.values())

    def _field_of(self, kind: str) -> tuple[str, int]:
        name = next(n for n, (_, k) in self.fields.items() if k == kind)
        limit = self.fields[name][0]
        if kind == "sms":  # room for the brand's opt-out, which is appended
            limit -= len(" ".join(self.brand.disclaimers("sms"))) + 1
        return name, limit

    def _model_texts(self, kind: str, limit: int) -> list[tuple[str, float | None]]:
        """The model's candidates for `kind`, cleaned and fitted to `limit`, each with the model's mean
        log-probability per token of the sample it came from (None where the backend does not report it)."""
        texts: list[tuple[str, float | None]] = []
        spec = prompt_book()["kinds"][kind]
        for i, focus in enumerate(self._focuses()):
            data = self._prompt_data(focus)
            messages = render_messages(kind, data, self.brand, worked_examples=not self._tuned)
            options = GenerationOptions(
                max_tokens=int(spec["max_tokens"]),
                temperature=0.8,
                stop=("\n",),
                seed=self.seed + 101 * i + len(kind),
                n=CANDIDATES.get(kind, DEFAULT_CANDIDATES),
            )
            try:
                generation = self.generator.generate(messages, options)
            except ProviderError as exc:
                self.warnings.append(f"the text generator failed ({exc}); copy was built from the grounding")
                return texts
            self.warnings += [w for w in generation.warnings if w not in self.warnings]
            reasons = generation.finish_reasons or ["stop"] * len(generation.texts)
            logprobs: list[float | None] = [*generation.mean_logprobs] or [None] * len(generation.texts)
            fitted = [
                (fit_to_limit(drop_unfinished(clean_copy(t)) if why == "length" else clean_copy(t), limit), logprob)
                for t, why, logprob in zip(generation.texts, reasons, logprobs, strict=False)
            ]
            self.rejected["length"] += sum(1 for t, _ in fitted if not t)
            texts += [(t, logprob) for t, logprob in fitted if t]
            self.candidates += len(generation.texts)
        return texts

    def _focuses(self) -> list[str]:
        """What the copy should be about: one prompt, so the samples vary in what they pick up."""
        praised = " and ".join(p.label for p in self.summary.praised[:MAX_FOCUSES])
        if self.request.key_message:
            return ["the key message" + (f", and {praised}" if praised else "")]
        return [praised or "what the product is"]

    def _prompt_data(self, focus: str) -> dict[str, Any]:
        description = self.summary.facts.get("description", "")
        return {
            "name": self.grounding.product_name,
            "category": self.grounding.category,
            "facts": description[:300],
            "praised": [{"label": p.label, "quote": p.quote} for p in self.summary.praised[:3]],
            "audience": self.request.audience or "",
            "key_message": self.request.key_message or "",
            "focus": focus,
            "tone": self.request.tone or ", ".join(self.brand.tone_words[:2]) or "warm",
        }

    def _template_texts(self, kind: str) -> list[str]:
        """Copy built from the grounding alone. A quote goes with the aspect the copy names ("Customers keep
        mentioning its scent: "...""), so it is always one of that aspect's praise quotes."""
        praised = self.summary.praised
        quotes = {p.label: p.quote for p in praised if p.quote and len(p.quote) < 60}
        fact = short_fact(self.summary.facts.get("description", ""))
        name = self.grounding.product_name
        its, its_or_the = ("their", "the") if plural_name(name) else ("its", "its")
        values = {"name": name, "brand": self.brand.name or "Us", "fact": fact, "its": its, "its_or_the": its_or_the}
        values |= {"Its": its.title(), "Its_or_The": its_or_the.title()}
        out = []
        labels = [p.label for p in praised[:3]]
        # each aspect leads once before any leads twice ("fit and look", "look and colour", "colour and fit")
        turns = [(a, labels[(i + 1) % len(labels)]) for i, a in enumerate(labels)] if len(labels) > 1 else []
        pairs = list(dict.fromkeys(turns + list(itertools.permutations(labels, 2))))
        pairs = pairs or [(label, "") for label in labels] or [("", "")]
        for pattern in prompt_book()["templates"][kind]:
            for a, b in pairs[:3]:
                if ("{aspect" in pattern.lower() and not a) or ("{aspect2" in pattern.lower() and not b):
                    continue
                quote = quotes.get(a, "")
                if ("{quote}" in pattern and not quote) or ("{fact}" in pattern and not fact):
                    continue
                text = pattern.format(**values, quote=quote, aspect=a, aspect2=b, Aspect=a.title(), Aspect2=b.title())
                out.append(fit_to_limit(clean_copy(text), self._field_of(kind)[1]))
        return [t for t in dict.fromkeys(out) if t]

    def _candidate(
        self, field_name: str, text: str, source: str, mean_logprob: float | None = None
    ) -> Candidate | None:
        """`text` as a candidate for `field_name` if it passes every hard rule and the sense check, else None
        (a model candidate's failures are counted in `rejected`)."""
        body = text
        if field_name == "text" and self.request.channel == "sms":
            text = f"{text} {' '.join(self.brand.disclaimers('sms'))}".strip()
        report = check_fields(
            {field_name: text}, self.limits, self.request.channel, self.brand, self.grounding, whole_variant=False
        )
        unquoted = re.sub(r'"[^"]*"', "", text)  # a quoted customer may say "I"; the brand may not
        person = FIRST_PERSON.search(unquoted)
        if person:
            report.passed = False
            report.failures.append(Check(rule="first_person", passed=False, field=field_name, detail=person.group(0)))
        personal = find_pii(text)  # addresses, international phones and 2-series cards too (compliance's own check
        if personal and all(f.rule != "personal_data" for f in report.failures):  # reads emails, phones, cards)
            report.passed = False
            detail = personal[0].kind.lower().replace("_", " ")
            report.failures.append(Check(rule="personal_data", passed=False, field=field_name, detail=detail))
        leaked = self._leaks & _words(text, min_length=3)
        if leaked:
            report.passed = False
            report.failures.append(
                Check(rule="copied_example", passed=False, field=field_name, detail=", ".join(sorted(leaked)))
            )
        if report.passed and source in {"model", "template"}:
            kind = self.fields[field_name][1]
            sense = check_sense(
                body, kind, self.sense, model_written=source == "model", mean_logprob=mean_logprob, strict=self._strict
            )
            if not sense.passed:
                report.passed = False
                report.failures.append(
                    Check(rule=f"sense_{sense.rule}", passed=False, field=field_name, detail=sense.detail)
                )
        if not report.passed:
            if source == "model":
                self.rejected.update({f.rule for f in report.failures})
            return None
        score = self._field_score(field_name, text, report) * (TEMPLATE_PENALTY if source == "template" else 1.0)
        return Candidate(text, source, score, report)

    def _rerank(self, pool: list[Candidate]) -> list[Candidate]:
        """Drop copy that reads negative (VADER) or strays from the product (MiniLM cosine to its facts and
        praise below a floor); add relevance to the score of the rest."""
        if not pool:
            return pool
        relevance = self._relevance([c.text for c in pool])
        tone = _negativity([c.text for c in pool])
        kept = []
        for candidate, similar, negative in zip(pool, relevance, tone, strict=True):
            rule = "negative_tone" if negative else "off_topic" if similar < MIN_RELEVANCE else ""
            if rule:
                if candidate.source == "model":
                    self.rejected[rule] += 1
                continue
            candidate.score = round(candidate.score + RELEVANCE_WEIGHT * min(1.0, similar / 0.6), 4)
            kept.append(candidate)
        return kept

    def _relevance(self, texts: list[str]) -> list[float]:
        """Highest cosine similarity of each text to the product's description and praise quotes."""
        references = [self.grounding.product_name + ". " + self.summary.facts.get("description", "")]
        references += [f"{p.label}: {p.quote}" for p in self.summary.praised[:MAX_FOCUSES] if p.quote]
        vectors = self.embedder.embed([*texts, *references])
        similarity = vectors[: len(texts)] @ vectors[len(texts) :].T  # (T, R), rows are L2-normalised
        return [float(v) for v in similarity.max(axis=1)]

    def _check_fixed(self) -> Candidate:
        text = " ".join(self.brand.disclaimers(self.request.channel)) or (self.brand.name or "")
        report = check_fields(
            {"footer": text}, self.limits, self.request.channel, self.brand, self.grounding, whole_variant=False
        )
        return Candidate(text, "fixed", 1.0, report)

    def _field_score(self, field_name: str, text: str, report: ComplianceReport) -> float:
        limit = self.limits.fields[field_name]
        grounded = min(1.0, len({c.text.split(":")[0] for c in report.claims if c.kind == "aspect"}) / 1.0)
        space = min(1.0, len(text) / (0.5 * limit))
        key = 1.0
        if self.request.key_message:
            wanted = _words(self.request.key_message)
            key = len(wanted & _words(text)) / max(1, len(wanted))
        clean = 1.0 if re.search(r"[\w.!?)\"]$", text) and not text[:1].islower() else 0.5
        return round(0.3 * grounded + 0.15 * space + 0.1 * key + 0.15 * clean, 4)  # + relevance (0.3), see _rerank

    # -- variants

    def _assemble(self, pools: dict[str, list[Candidate]]) -> list[AdVariant]:
        """Greedy: each variant takes, per field, the best candidate not used yet, penalised by its word
        overlap with copy already chosen; variants that break a whole-variant rule are dropped."""
        used: dict[str, set[str]] = {kind: set() for kind in pools}
        chosen_words: list[set[str]] = []
        variants: list[AdVariant] = []
        for _ in range(self.request.n_variants * 2):
            if len(variants) == self.request.n_variants:
                break
            picked = self._pick(pools, used, chosen_words)
            if picked is None:
                break
            fields = {name: c.text for name, c in picked.items()}
            report = check_fields(fields, self.limits, self.request.channel, self.brand, self.grounding)
            for kind, c in zip((k for _, k in self.fields.values()), picked.values(), strict=True):
                if kind not in {"fixed", "name"}:
                    used[kind].add(c.text)
            if not report.passed:
                self.rejected.update({f.rule for f in report.failures})
                continue
            chosen_words.append(_words(" ".join(fields.values())))
            score = sum(c.score for c in picked.values()) / len(picked)
            variants.append(
                AdVariant(
                    variant_id=variant_id(self.grounding.product_id, self.request.channel, fields),
                    fields=fields,
                    score=round(score, 4),
                    compliance=report,
                    evidence=report.claims,
                    sources={name: c.source for name, c in picked.items()},
                )
            )
        return sorted(variants, key=lambda v: -v.score)

    def _pick(
        self, pools: dict[str, list[Candidate]], used: dict[str, set[str]], chosen: list[set[str]]
    ) -> dict[str, Candidate] | None:
        picked: dict[str, Candidate] = {}
        in_variant: set[str] = set()
        for name, (_, kind) in self.fields.items():
            options = [
                c
                for c in pools[kind]
                if kind in {"fixed", "name"} or (c.text not in used[kind] and c.text not in in_variant)
            ]
            if not options:
                return None
            best = max(options, key=lambda c: c.score - 0.3 * _overlap(c.text, chosen))
            picked[name] = best
            in_variant.add(best.text)
        return picked


def _negativity(texts: list[str]) -> list[bool]:
    analyzer = tone_analyzer()
    return [analyzer.polarity_scores(t)["compound"] < NEGATIVE_TONE for t in texts]


@functools.cache
def tone_analyzer() -> Any:
    """VADER, loaded once per process (reading its lexicon takes a moment)."""
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def _overlap(text: str, chosen: Sequence[set[str]]) -> float:
    words = _words(text)
    if not words or not chosen:
        return 0.0
    return max(len(words & other) / len(words) for other in chosen)


def _words(text: str, min_length: int = 4) -> set[str]:
    return {w for w in re.findall(r"[a-z][a-z-]*", text.lower()) if len(w) >= min_length}


def _stable_seed(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


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
