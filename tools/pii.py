"""Personal data in free text: found by Presidio's pattern recognisers (offline) and replaced by tags.

Emails, phone numbers (national formats of the common regions, and any `+<country code>` number that is a
possible number), payment card numbers (Luhn-checked), IBANs, IP addresses and US SSNs are Presidio's own
recognisers. Presidio has no street-address recogniser without an NLP model, so `STREET_ADDRESS` is ours: a
conservative pattern (house number, capitalised street name and a street word such as "Street" or "Ave",
optionally unit, city, state/ZIP or UK postcode; lowercase only with a full street word; common German and
French forms). Names and free-form places need an NLP model and are out of reach here.

    redaction = redact("Email jo@example.com or ship to 12 Elm Street")
    redaction.text   # "Email <EMAIL_ADDRESS> or ship to <STREET_ADDRESS>"
    redaction.found  # {"EMAIL_ADDRESS": 1, "STREET_ADDRESS": 1}

Tools use this module directly (review ingest, ad copy); the agent's guardrails re-export it.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.errors import MarketingAgentError

# Presidio imports tldextract, which downloads the public suffix list unless told not to (no internet here).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

PRESIDIO_ENTITIES = ("EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "US_SSN")
ENTITIES = (*PRESIDIO_ENTITIES, "STREET_ADDRESS")
MIN_SCORE = 0.3  # Presidio's phone recogniser scores a well-formed number 0.4; bare digit runs score lower
# National formats are read for these regions; `+<country code>` numbers are read for every country.
PHONE_REGIONS = ("US", "GB", "DE", "FR", "IL", "IN", "CA", "BR", "AU", "IE", "ES", "IT", "NL")
TAG = re.compile("<(?:{})>".format("|".join(ENTITIES)))

# A cheap gate run before Presidio: every entity needs an @, a digit run of 7+, an IP-like run, or (addresses)
# a street word after a house number. Most review text has none, so ingest stays fast.
_GATE = re.compile(
    r"\S@\S|\d(?:[\s().\-/]{0,3}\d){6}|\b\d{1,3}(?:\.\d{1,3}){3}\b|[0-9a-f]{1,4}:[0-9a-f]{0,4}:[0-9a-f]{0,4}"
)
_WORDS = re.compile(r"[a-zé]+")
_STREET_WORDS = frozenset(
    re.findall(
        r"\S+",
        "street st avenue ave road rd lane ln drive dr boulevard blvd court ct place pl terrace crescent parkway "
        "pkwy highway hwy square sq close way row mews gardens grove circle trail rue bd chemin allée impasse quai",
    )
)
_GERMAN_STREETS = ("straße", "strasse", "str.", "weg", "platz", "gasse", "allee")
_ADDRESS_GATE = re.compile(
    r"\d[\w\s,.'\u2019-]{1,60}?\b(?:street|st|avenue|ave|road|rd|lane|ln|drive|dr|boulevard|blvd|court|ct|place|pl|"
    r"terrace|crescent|parkway|pkwy|highway|hwy|square|sq|close|way|row|mews|gardens|grove|circle|trail)\b"
    r"|(?:straße|strasse|str\.|weg|platz|gasse|allee)\s*\d|\d[\s,]+(?:bis |ter )?(?:rue|avenue|boulevard|bd|"
    r"place|chemin|allée|impasse|quai)\b"
)

_STREET_WORD = (
    r"(?:Street|Avenue|Road|Lane|Drive|Boulevard|Court|Place|Terrace|Crescent|Parkway|Highway|Square|Close|Way|"
    r"Row|Mews|Gardens|Grove|Circle|Trail|St|Ave|Rd|Ln|Dr|Blvd|Ct|Pl|Pkwy|Hwy|Sq)"
)
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Unit|Suite|Ste|Flat|Fl|#)\.?\s*#?[A-Za-z0-9]{1,6})?"
_CITY = r"(?:,\s*[A-Z][a-z'.-]+(?:\s[A-Z][a-z'.-]+){0,2})?"
_ZIP = r"(?:,?\s*(?:[A-Z]{2}\s+\d{5}(?:-\d{4})?|\d{5}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}))?"
# Words that follow a number in ordinary text ("3 hours to drive", "8 on the road"): never a street name.
_NOT_A_STREET_NAME = (
    r"(?!(?:the|a|an|on|in|to|of|for|and|or|my|your|our|this|that|these|those|down|up|off|at|by|with|from|"
    r"hours?|days?|weeks?|months?|years?|minutes?|mins?|miles?|km|times?|pairs?|sizes?|stars?|people|kids|"
    r"items?|orders?|pieces?|pcs)\b)"
)
ADDRESS_PATTERNS = (
    (  # 221B Baker Street, London NW1 6XE; 1234 N Maple Ave., Apt 5, Springfield, IL 62704
        "street_capitalised",
        rf"(?-i:\b\d{{1,5}}[A-Z]?(?:-\d{{1,5}})?\s+(?:[A-Z][A-Za-z'\u2019.-]*\s+){{1,3}}{_STREET_WORD}\b\.?"
        rf"{_UNIT}{_CITY}{_ZIP})",
        0.5,
    ),
    (  # ship to 48 elm street (lowercase: only full street words, one or two name words)
        "street_lowercase",
        rf"\b\d{{1,5}}[a-z]?\s+(?:{_NOT_A_STREET_NAME}[a-z]{{2,}}\s+){{1,2}}(?:street|avenue|road|lane|boulevard)\b",
        0.35,
    ),
    (  # Hauptstraße 5, 10115 Berlin
        "street_german",
        r"(?-i:\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|platz|gasse|allee)\s+\d{1,4}[a-z]?\b"
        r"(?:,\s*\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+)?)",
        0.5,
    ),
    (  # 12 rue de Rivoli, 75001 Paris
        "street_french",
        r"(?-i:\b\d{1,4}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|impasse|quai)\s+"
        r"(?:(?:de|du|des|la|le)\s+|l'|d'){0,2}[A-ZÉ][\w'\u2019-]+(?:\s+[A-Z][\w'\u2019-]+){0,2}(?:,?\s*\d{5}\s+[A-Z][a-zé-]+)?)",
        0.5,
    ),
)
# +44 7700 900123, +1 (415) 555-0132: a leading + and a country code make it a phone wherever the digits could be
# one (phonenumbers' "possible number"), even where they are not an assigned range.
INTERNATIONAL_PHONE = r"(?<![\w+])\+\d{1,3}(?:[\s.-]?\(?\d{1,5}\)?){2,6}(?!\w)"
# Presidio's card pattern predates Mastercard's 2221-2720 range; these numbers are Luhn-checked like the rest.
MASTERCARD_2_SERIES = r"\b2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)[- ]?\d{4}[- ]?\d{4}[- ]?\d{4}\b"


# Digits right after these words are an order, invoice, lot or item number, not a phone ("Order #16846262",
# "INV-366979145", "lot 938894575"): national formats of many regions accept any 8-10 digit run.
NOT_A_PHONE_BEFORE = re.compile(
    r"(?:\b(?:order|invoice|inv|lot|batch|sku|item|tracking|serial|part|model|ean|upc|isbn|receipt|ticket|case|"
    r"booking|confirmation)\b\s*(?:number|no\.?|num|id|ref)?\s*[:#-]?\s*|#\s*|[A-Za-z]-)$",
    re.IGNORECASE,
)


MIN_NATIONAL_DIGITS = 7  # a phone written without a country code has at least this many digits (area code included)


class PiiDetectorError(MarketingAgentError):
    """The PII detector could not be loaded: nothing is sent, stored or logged without it."""


@dataclass(frozen=True)
class PiiSpan:
    kind: str
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Redaction:
    text: str
    found: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.found)


def might_contain_pii(text: str) -> bool:
    """False when `text` cannot hold any entity we look for (no Presidio call needed). Runs on lowercase text
    without IGNORECASE: Python's regex engine is several times slower with it."""
    if not text or ("@" not in text and not any(ch.isdigit() for ch in text)):
        return False
    lower = text.lower()
    if _GATE.search(lower) is not None:
        return True
    street = not _STREET_WORDS.isdisjoint(_WORDS.findall(lower)) or any(s in lower for s in _GERMAN_STREETS)
    return street and _ADDRESS_GATE.search(lower) is not None


class PiiDetector:
    """Presidio's analyzer with our recognisers, built once per process (thread-safe; a few ms per short text)."""

    _lock = threading.Lock()
    _analyzer: Any = None

    def find(self, text: str) -> list[PiiSpan]:
        """Non-overlapping findings in `text`, in order (of overlapping ones, the higher score, then the longer)."""
        if not might_contain_pii(text):
            return []
        results = self._load().analyze(text=text, language="en", entities=list(ENTITIES), score_threshold=MIN_SCORE)
        spans = [PiiSpan(r.entity_type, r.start, r.end, float(r.score)) for r in results]
        spans = [s for s in spans if not _numbered_thing(text, s)]
        return sorted(_without_overlaps(spans), key=lambda s: s.start)

    def redact(self, text: str) -> Redaction:
        spans = self.find(text)
        if not spans:
            return Redaction(text)
        pieces, at = [], 0
        for span in spans:
            pieces += [text[at : span.start], f"<{span.kind}>"]
            at = span.end
        pieces.append(text[at:])
        return Redaction("".join(pieces), dict(Counter(s.kind for s in spans)))

    def redact_value(self, value: Any, found: Counter[str] | None = None) -> Any:
        """`value` (text, or dicts and lists of them) with PII redacted in every string; counts go to `found`."""
        if isinstance(value, str):
            redaction = self.redact(value)
            if found is not None:
                found.update(redaction.found)
            return redaction.text
        if isinstance(value, Mapping):
            return {key: self.redact_value(item, found) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(item, found) for item in value]
        return value

    @classmethod
    def _load(cls) -> Any:
        with cls._lock:
            if cls._analyzer is None:
                cls._analyzer = _build_analyzer()
            return cls._analyzer


def _build_analyzer() -> Any:
    try:
        from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import CreditCardRecognizer, PhoneRecognizer
    except ImportError as exc:  # a broken install: refuse rather than let PII through
        raise PiiDetectorError(
            f"the PII detector (presidio) is not installed ({exc}); reinstall the project: pip install -e ."
        ) from exc
    nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    analyzer = AnalyzerEngine(nlp_engine=nlp, supported_languages=["en"])
    analyzer.registry.remove_recognizer("PhoneRecognizer")
    analyzer.registry.add_recognizer(PhoneRecognizer(supported_regions=PHONE_REGIONS))
    analyzer.registry.add_recognizer(_international_phone_recognizer(Pattern, PatternRecognizer))
    series_two = [Pattern("mastercard_2_series", MASTERCARD_2_SERIES, 0.3)]
    analyzer.registry.add_recognizer(CreditCardRecognizer(patterns=series_two, name="Mastercard2SeriesRecognizer"))
    addresses = [Pattern(name, regex, score) for name, regex, score in ADDRESS_PATTERNS]
    analyzer.registry.add_recognizer(
        PatternRecognizer(supported_entity="STREET_ADDRESS", name="StreetAddressRecognizer", patterns=addresses)
    )
    return analyzer


def _international_phone_recognizer(pattern: Any, recognizer: Any) -> Any:
    """`+<country code>` numbers that phonenumbers calls possible (Presidio's matcher takes only valid ones)."""

    class InternationalPhoneRecognizer(recognizer):  # type: ignore[misc]
        def validate_result(self, pattern_text: str) -> bool:
            import phonenumbers

            try:
                number = phonenumbers.parse(pattern_text, None)
            except phonenumbers.NumberParseException:
                return False
            return bool(phonenumbers.is_possible_number(number))

    return InternationalPhoneRecognizer(
        supported_entity="PHONE_NUMBER",
        name="InternationalPhoneRecognizer",
        patterns=[pattern("international_phone", INTERNATIONAL_PHONE, 0.4)],
    )


def _numbered_thing(text: str, span: PiiSpan) -> bool:
    """A national-format "phone" that is something else: fewer than 7 digits (body measurements "38-27-35", weight
    ranges "138-140"), or a number the words before it call an order, invoice, item ... number."""
    if span.kind != "PHONE_NUMBER" or text[span.start] == "+" or text.startswith("00", span.start):
        return False
    if sum(ch.isdigit() for ch in text[span.start : span.end]) < MIN_NATIONAL_DIGITS:
        return True
    return NOT_A_PHONE_BEFORE.search(text[max(0, span.start - 40) : span.start]) is not None


def _without_overlaps(spans: list[PiiSpan]) -> list[PiiSpan]:
    kept: list[PiiSpan] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start - s.end)):
        if all(span.end <= k.start or span.start >= k.end for k in kept):
            kept.append(span)
    return kept


_detector = PiiDetector()


def find_pii(text: str) -> list[PiiSpan]:
    return _detector.find(text)


def redact(text: str) -> Redaction:
    """`text` with emails, phones, cards, IBANs, IPs, SSNs and street addresses replaced by tags (<PHONE_NUMBER>)."""
    return _detector.redact(text)


def redact_value(value: Any, found: Counter[str] | None = None) -> Any:
    return _detector.redact_value(value, found)


def has_redaction_tag(text: str) -> bool:
    """Whether `text` carries a tag left by redaction (the clause held personal data)."""
    return TAG.search(text) is not None
