"""Checks every piece of ad copy against channel limits, the brand profile and the evidence behind it.

Hard rules decide whether a variant may be shown at all: length limits, banned words and claims, required
disclaimers, personal data, links off the allowlist, instruction-like or template text, another brand's name or a
comparison with competitors (tools/other_brands.py), and any product claim
(an aspect such as comfort, a number, a superlative or guarantee, an offer) that the catalogue, the reviews or
the marketer's own brief does not back. Each backed claim carries its evidence: review ids or catalogue fields.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, Field

from tools.aspects import aspect_label, find_mentions, load_aspects
from tools.brand import DEFAULT_EMAIL_FOOTER, DEFAULT_SMS_OPT_OUT, BrandProfile
from tools.other_brands import RULE as OTHER_BRAND
from tools.other_brands import other_brand_problem, own_words
from tools.pii import find_pii, has_redaction_tag

# Words that claim more than a fact: allowed only when the same phrase appears in the catalogue or brief.
SUPERLATIVES = re.compile(
    r"\b(best|#\s?1|number one|no\.? ?1|greatest|ultimate|perfect(ly)?|unbeatable|unmatched|world'?s|"
    r"most (popular|comfortable|loved|trusted)|top[- ]rated|leading|finest|flawless|revolutionary|"
    r"guarantee[ds]?|promise[ds]?|never (fails?|breaks?)|forever|always|risk[- ]free|proven|latest|newest|"
    r"most advanced|state[- ]of[- ]the[- ]art|cutting[- ]edge|award[- ]winning|best[- ]selling|bestseller|"
    # awards, recalls and endorsements are facts about the product that only the catalogue or the brief may state
    r"awards?|recall(?:ed|s)?|certified|(?:approved|endorsed|recommended) by|as seen (?:on|in))\b|\b100 ?%",
    re.IGNORECASE,
)
OFFERS = re.compile(
    r"(?<![-\w])free\b(?!-)|\b(discount(s|ed)?|sale|deals?|save|savings|coupon|promo( code)?|\d+ ?% off|"
    r"clearance|bogo|half price)\b",
    re.IGNORECASE,
)
URL = re.compile(r"\b(?:https?://)?((?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,})(?:/[^\s]*)?", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"(?<!\w)(?:\+?\d[\s().-]?){7,14}\d(?!\w)")
NUMBER = re.compile(r"(?<![\w.])\$?\d+(?:[.,]\d+)*(?:\s?%)?")
INSTRUCTION_LIKE = re.compile(
    r"ignore (all |any )?(previous|prior|above|earlier)|system prompt|disregard|new instructions|"
    r"</?script|<\s*/?\s*[a-z]+[^>]*>|```|\b(assistant|system|user)\s*:|as an ai\b|language model|"
    r"tool[_ ]call|\{\s*\"|"
    # Text that talks to the agent or about its work, rather than about the product: a review or copy that
    # addresses "the assistant" or "the marketer", names a tool, or says what goes "in the ad" is an order.
    r"\b(?:the|an?|your|our) (?:ai|assistant|chatbot|bot|marketer|language model)\b|\bai assistant\b|"
    r"\b(?:search_reviews|forecast_sales|segment_customers|generate_ad_copy)\b|"
    r"\b(?:brand|banned) (?:rules?|words?)\b|\b(?:previous|prior|these|following|my) instructions\b|"
    r"\b(?:in|into|to) (?:the|your|every|each) (?:ads?|headlines?|copy|answer|response|reply)\b|"
    r"\b(?:tell|inform|remind) (?:the|every|all|your) (?:marketer|readers?|customers?|users?)\b|"
    r"\bdeveloper (?:message|mode|note)|\bpolicy update\b|\boverride\b|\bdecode\b|\bbase64\b|\brot13\b|"
    r"\bpart \d+ of \d+\b|[\u200b-\u200d\u2060\ufeff]",
    re.IGNORECASE,
)
PLACEHOLDER = re.compile(
    r"[\[\]{}<>|#*_]|\b(headline|description|subject line|preview text|primary text|lorem|ipsum|xxx+|tbd|"
    r"insert|placeholder|product name)\b|\b(tone|focus|audience|facts|customers praise)\s*:",
    re.IGNORECASE,
)
SHORT_FIELD = 160  # in fields up to this long, a content word used twice reads as degenerate output
FUNCTION_WORDS = frozenset(
    [
        "your",
        "with",
        "that",
        "this",
        "from",
        "have",
        "they",
        "their",
        "them",
        "what",
        "more",
        "just",
        "into",
        "every",
        "very",
        "when",
        "will",
        "than",
        "then",
        "here",
        "there",
        "also",
        "were",
        "been",
        "about",
        "after",
        "before",
        "each",
        "only",
        "over",
        "such",
    ]
)


class Check(BaseModel):
    rule: str
    passed: bool
    hard: bool = True
    field: str = ""
    detail: str = ""


class Claim(BaseModel):
    """Something the copy asserts about the product, and what backs it."""

    field: str
    kind: str = Field(description="aspect, number, superlative or offer")
    text: str
    evidence: list[str] = Field(description="review:<id>, catalogue:<product>.<field> or brief:key_message")


class ComplianceReport(BaseModel):
    passed: bool
    failures: list[Check] = Field(default_factory=list, description="Hard rules broken (empty when passed).")
    warnings: list[Check] = Field(default_factory=list, description="Soft rules broken.")
    rules_checked: int = 0
    claims: list[Claim] = Field(default_factory=list)


@dataclass(frozen=True)
class Fact:
    text: str
    source: str  # e.g. "catalogue:1001.description"


@dataclass
class Grounding:
    """What copy about one product may say, with the source of each statement."""

    product_id: str
    product_name: str
    category: str = ""
    facts: list[Fact] = field(default_factory=list)
    praised: dict[str, list[str]] = field(default_factory=dict)  # aspect -> review ids that praise it
    complaints: dict[str, list[str]] = field(default_factory=dict)  # aspect -> review ids that complain
    key_message: str = ""
    audience: str = ""  # the brief's audience (a segment's name may be written into the copy)

    def fact_sources(self, text: str) -> list[str]:
        """Sources whose text contains `text` (case-insensitive, spacing-insensitive)."""
        needle = _squash(text)
        found = [f.source for f in self.facts if needle and needle in _squash(f.text)]
        if needle and needle in _squash(self.key_message):
            found.append("brief:key_message")
        return found

    def number_sources(self, number: str) -> list[str]:
        value = _number_value(number)
        if value is None:
            return []
        sources = [f.source for f in self.facts if value in {_number_value(n) for n in NUMBER.findall(f.text)}]
        if value in {_number_value(n) for n in NUMBER.findall(self.key_message)}:
            sources.append("brief:key_message")
        return sources


@dataclass(frozen=True)
class Limits:
    """Maximum characters per field of one channel, in display order."""

    fields: Mapping[str, int]


def check_fields(
    fields: Mapping[str, str],
    limits: Limits,
    channel: str,
    brand: BrandProfile,
    grounding: Grounding,
    *,
    whole_variant: bool = True,
) -> ComplianceReport:
    """Every rule on every field; `whole_variant=False` skips rules that need all fields (disclaimers)."""
    checks: list[Check] = []
    claims: list[Claim] = []
    disclaimers = brand.disclaimers(channel)
    own = grounding_words(grounding, brand)
    for name, text in fields.items():
        body = _without(text, disclaimers)
        checks += _field_checks(name, text, body, limits, brand, grounding.product_name)
        problem = other_brand_problem(body, own)
        checks.append(Check(rule=OTHER_BRAND, passed=not problem, field=name, detail=problem))
        field_claims, claim_checks = _claims(name, body, grounding)
        claims += field_claims
        checks += claim_checks
    if whole_variant:
        checks += _disclaimer_checks(fields, disclaimers)
        checks.append(_missing_fields(fields, limits))
    failures = [c for c in checks if c.hard and not c.passed]
    warnings = [c for c in checks if not c.hard and not c.passed]
    return ComplianceReport(
        passed=not failures, failures=failures, warnings=warnings, rules_checked=len(checks), claims=claims
    )


def grounding_words(grounding: Grounding, brand: BrandProfile) -> frozenset[str]:
    """Every word the grounding and the brand's own profile use: the names copy may write (the product's, the
    brand's, the catalogue's, the brief's); any other name is another brand's."""
    disclaimers = [d for group in brand.required_disclaimers.values() for d in group]
    return own_words(
        [
            grounding.product_name,
            grounding.category,
            *(f.text for f in grounding.facts),
            grounding.key_message,
            grounding.audience,
            brand.name,
            brand.voice,
            brand.audience,
            *brand.tone_words,
            *disclaimers,
            DEFAULT_SMS_OPT_OUT,
            DEFAULT_EMAIL_FOOTER,
        ]
    )


def _field_checks(
    name: str, text: str, body: str, limits: Limits, brand: BrandProfile, product_name: str
) -> list[Check]:
    limit = limits.fields.get(name)
    checks = [
        Check(rule="not_empty", passed=bool(text.strip()), field=name),
        Check(
            rule="length",
            passed=limit is None or len(text) <= limit,
            field=name,
            detail=f"{len(text)} of {limit} characters" if limit else "",
        ),
    ]
    checks += _list_checks("banned_word", name, text, brand.banned_words, whole_words=True)
    checks += _list_checks("banned_claim", name, text, brand.banned_claims, whole_words=False)
    checks += [
        _pattern_check("personal_data", name, body, (EMAIL, PHONE), "email address or phone number"),
        _card_check(name, body),
        _url_check(name, body, brand.url_allowlist),
        _pattern_check("instruction_like_text", name, body, (INSTRUCTION_LIKE,), "text that reads like instructions"),
        _pattern_check("template_text", name, body, (PLACEHOLDER,), "template or markup leftovers"),
        _repetition_check(name, body, set(re.findall(r"[a-z']+", product_name.lower()))),
    ]
    return checks


def _list_checks(rule: str, name: str, text: str, items: Iterable[str], *, whole_words: bool) -> list[Check]:
    folded = _squash(text)
    hits = []
    for item in items:
        needle = _squash(item)
        if not needle:
            continue
        if whole_words:
            if re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", folded):
                hits.append(item)
        elif needle in folded:
            hits.append(item)
    return [Check(rule=rule, passed=not hits, field=name, detail=", ".join(hits))]


def _pattern_check(rule: str, name: str, text: str, patterns: Iterable[re.Pattern[str]], what: str) -> Check:
    found = [m.group(0) for p in patterns for m in p.finditer(text)]
    return Check(rule=rule, passed=not found, field=name, detail=f"{what}: {found[0]!r}" if found else "")


def _card_check(name: str, text: str) -> Check:
    for match in re.finditer(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)", text):
        digits = re.sub(r"\D", "", match.group(0))
        if _luhn(digits):
            return Check(rule="personal_data", passed=False, field=name, detail="a payment card number")
    return Check(rule="personal_data", passed=True, field=name)


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _url_check(name: str, text: str, allowlist: list[str]) -> Check:
    allowed = [a.lower().strip().removeprefix("https://").removeprefix("http://").strip("/") for a in allowlist]
    for match in URL.finditer(text):
        host = match.group(1).lower()
        if not any(host == a or host.endswith("." + a) for a in allowed):
            return Check(rule="link_allowlist", passed=False, field=name, detail=f"{match.group(0)!r} is not allowed")
    return Check(rule="link_allowlist", passed=True, field=name)


def _repetition_check(name: str, text: str, exempt: set[str]) -> Check:
    words = [w for w in re.findall(r"[a-z']+", text.lower()) if len(w) > 3 and w not in FUNCTION_WORDS]
    allowed = 1 if len(text) <= SHORT_FIELD else 2
    repeated = [w for w, n in Counter(words).items() if n > allowed and w not in exempt]
    pairs = list(itertools.pairwise(words))
    repeated += [" ".join(p) for p, n in Counter(pairs).items() if n > 1]
    return Check(rule="repetition", passed=not repeated, field=name, detail=", ".join(repeated[:3]))


def _claims(name: str, text: str, grounding: Grounding) -> tuple[list[Claim], list[Check]]:
    claims: list[Claim] = []
    checks: list[Check] = []
    for claim in _aspect_claims(name, text, grounding) + _phrase_claims(name, text, grounding):
        claims.append(claim)
        checks.append(
            Check(
                rule=f"{claim.kind}_backed",
                passed=bool(claim.evidence),
                field=name,
                detail="" if claim.evidence else _unbacked(claim, grounding),
            )
        )
    return [c for c in claims if c.evidence], checks


def _aspect_claims(name: str, text: str, grounding: Grounding) -> list[Claim]:
    claims = []
    for mention in find_mentions(name, text, grounding.category, grounding.product_name):
        evidence = grounding.praised.get(mention.aspect, [])[:3]
        words = _aspect_words(mention.clause, mention.aspect, grounding)
        evidence = [f"review:{r}" for r in evidence] or [s for w in words for s in grounding.fact_sources(w)]
        claims.append(Claim(field=name, kind="aspect", text=f"{mention.aspect}: {mention.clause}", evidence=evidence))
    return claims


def _aspect_words(clause: str, aspect: str, grounding: Grounding) -> list[str]:
    """The words in `clause` that made it a mention of `aspect` (so "linen" can be backed by the catalogue)."""
    pattern = next((a.pattern for a in load_aspects() if a.key == aspect), None)
    return [m.group(0) for m in pattern.finditer(clause)] if pattern else []


def _phrase_claims(name: str, text: str, grounding: Grounding) -> list[Claim]:
    claims = []
    for match in NUMBER.finditer(text):
        claims.append(
            Claim(field=name, kind="number", text=match.group(0), evidence=grounding.number_sources(match.group(0)))
        )
    for match in SUPERLATIVES.finditer(text):
        phrase = _phrase_around(text, match)
        claims.append(Claim(field=name, kind="superlative", text=phrase, evidence=grounding.fact_sources(phrase)))
    for match in OFFERS.finditer(text):
        backed = ["brief:key_message"] if OFFERS.search(grounding.key_message) else []
        claims.append(Claim(field=name, kind="offer", text=match.group(0), evidence=backed))
    return claims


def _phrase_around(text: str, match: re.Match[str]) -> str:
    """The superlative with the word after it ("100% European"), which must appear in a fact as written."""
    after = re.match(r"\s*[\w'-]+", text[match.end() :])
    return (match.group(0) + (after.group(0) if after else "")).strip()


def _unbacked(claim: Claim, grounding: Grounding) -> str:
    if claim.kind == "aspect":
        aspect = claim.text.split(":", 1)[0]
        if aspect in grounding.complaints:
            return f"claims {aspect_label(aspect)}, which customers complain about"
        return f"claims {aspect_label(aspect)}, which no review praises and the catalogue does not state"
    if claim.kind == "offer":
        return f"offer wording {claim.text!r} without an offer in the brief"
    return f"{claim.kind} {claim.text!r} is not in the catalogue or the brief"


def _disclaimer_checks(fields: Mapping[str, str], disclaimers: list[str]) -> list[Check]:
    everything = _squash(" ".join(fields.values()))
    return [
        Check(rule="required_disclaimer", passed=_squash(d) in everything, detail=d[:80])
        for d in disclaimers
        if d.strip()
    ]


def _missing_fields(fields: Mapping[str, str], limits: Limits) -> Check:
    missing = [f for f in limits.fields if not fields.get(f, "").strip()]
    return Check(rule="all_fields", passed=not missing, detail=", ".join(missing))


def _without(text: str, disclaimers: list[str]) -> str:
    """Text minus its disclaimers, whose links and numbers are the brand's own."""
    for d in disclaimers:
        text = re.sub(re.escape(d.strip()), " ", text, flags=re.IGNORECASE) if d.strip() else text
    return text


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def _number_value(text: str) -> float | None:
    digits = re.sub(r"[^\d.]", "", text.replace(",", ""))
    try:
        return round(float(digits), 2)
    except ValueError:
        return None


def is_safe_quote(text: str) -> bool:
    """Quotes that read like instructions, or carry links or personal data (or held it before redaction: a tag
    such as <PHONE_NUMBER>), never reach a prompt."""
    if any(p.search(text) for p in (INSTRUCTION_LIKE, URL, EMAIL, PHONE)):
        return False
    return not has_redaction_tag(text) and not find_pii(text)
