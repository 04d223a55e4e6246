"""The sense check: does a candidate field read as ad copy for this product? (issue 21)

The hard rules (tools/compliance.py) decide whether copy may ship at all: limits, brand words, claims with
evidence, personal data, links. Copy can pass all of them and still be nonsense that no marketer would ship
("Bristle on the Fit that's Fit for Bed" as a headline for leather boots). This module rejects such candidates
so that the field falls back to copy built from the grounding (the templates). Every rule is cheap (regular
expressions and word sets, plus the model's own likelihood when the backend reports it) and has a name, which
the ad-copy result counts under `rejected` as `sense_<rule>`:

- `meta`: talks about the copy or to the marketer ("Here's a headline", "Sure!", "tagline", "ad copy").
- `connective_start`: the field starts with a connective that leans on text the reader never sees ("But",
  "And", "Besides that,", "Also", "However", ...).
- `dangling_end`: the field stops mid-phrase: it ends on an article, preposition, conjunction, possessive or
  auxiliary ("... the comfort of the"), on a comma, colon or dash, on "..." or a lone letter (cut off), or on a
  determiner with no noun after it ("brings style to the first.").
- `repeated_word`: the same word (or stem) twice in a row anywhere ("the the", "beautiful beauty"); in a short
  field (a headline, a subject, anything up to 60 characters) the same content word twice ("Fit ... Fit"), not
  counting the product's name; a repeated two-word phrase. Quoted text is not counted against the copy.
- `lowercase_sentence`: a sentence-type field (description, primary text, preview, body, SMS) with a sentence
  that starts in lower case: a fragment, or two texts run together.
- `title_case_sentence`: a sentence-type field written In Title Case Like A Headline (five or more capitalised
  words making up most of it): a word list, not a sentence.
- `too_short`: a sentence-type field of under four words, or a field that is only the product's name.
- `pronoun_number`: a plural product name with the product as "its" ("the Chelsea Boots, loved for its
  comfort", "Customers praise its fit" for earbuds): raters fail it on language (tools/ad_copy/grammar.py).
- `word_list`: four or more single words piled in a comma list ("A great, unique, classic, stylish top").
- `not_about_product`: no content word of the field is in the grounding (product name, catalogue facts,
  praised aspects and their quotes, key message, audience; the category alone does not count): it could as
  well be about any product.
- `unbacked_attribute`: a product attribute that is a fact about the product (warm, tiny, lightweight,
  waterproof, organic, handmade, tasty, for winter, ...) that nothing in the grounding supports: "Warm and
  Comfortable" for a linen summer dress, "Tiny and elegant" for a midi dress. (Aspects such as comfort or
  style are the hard rules' `aspect_backed`; this list covers attributes the aspect lexicon has no entry for.)
- `complained_aspect`: the copy talks about an aspect customers complain about ("offered in sizes XS to XL" for
  a dress that runs small), even where a catalogue fact lets it pass the hard rules: copy leaves it out.
- `novel_words`: (model-written fields, strict mode: the small local model) more than MAX_NOVEL_WORDS content
  words that are in none of the grounding, the aspect lexicon's words for a praised aspect, or the everyday words
  of copy (tools/ad_copy/grammar.py COPY_WORDS): garbled or invented words the other rules miss ("Dwallow,
  fragrance to your skin", "Elastic Shelves", "nosebleeds", "shimmering, sun-kissed"). Quotes are not counted.
- `broken_quote`: quoted text that is not a self-contained phrase: unbalanced quote marks, a quote that starts
  with a connective ("Besides that, ...", "but ...") or ends cut off ("...", a comma, "and", "the").
- `unsourced_quote`: (model-written fields) quoted text that is in none of the review quotes the model was
  shown: a quote the model made up.
- `low_likelihood`: (when the backend reports it) the model's own mean log-probability per token of the
  sample, under its unwarped distribution, is below `MIN_MEAN_LOGPROB`: a sample the model itself found
  unlikely, which in practice is garbled.

`check_sense` returns the first rule a field breaks (or none). Quotes are checked by `quote_problem`, which the
tool also uses to pick the review quotes it shows the model and puts in templates, so that template copy never
quotes a fragment either.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from tools.ad_copy.grammar import COPY_WORDS, STOP_WORDS, content_words, plural_name, stem

# Field kinds (tools/ad_copy/text.py CHANNEL_FIELDS) whose copy is a headline: fragments and title case are
# normal there. Every other kind is written in sentences.
HEADLINE_KINDS = frozenset({"name", "headline", "meta_headline", "subject"})
SHORT_FIELD = 60  # in fields up to this long, any content word used twice reads as degenerate
MIN_SENTENCE_WORDS = 4
# Mean log-probability per token (natural log, the model's unwarped distribution) below which a sample is
# rejected. Read off SmolLM2-135M's samples (temperature 0.8) that passed the hard rules in 20 eval cases: below
# -2.6 nearly all were garbled ("Rockside for Beauty", "Lemon Sparkle Lids Face Cream"), between -2.6 and -2.4
# three of four ("Nice Look, Great Comfort, Stores"); fluent copy sits between -1 and -2.4, but so does some
# nonsense, which is what the other rules are for.
MIN_MEAN_LOGPROB = -2.4
# Content words nothing backs that a model-written field may use (see `novel_words`). Chosen on the blind labels of
# the 2026-12-07 rating (179 distinct model-written fields, 35 rated sensible), which are development data for it:
# see eval/ad_copy/ratings/README.md.
MAX_NOVEL_WORDS = 1


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


QUOTE_MARKS = '"\u201c\u201d'
# Connectives that make a phrase lean on what came before it: a field may not start with one, nor may a quote.
CONNECTIVE_START = re.compile(
    r"^(?:but|and|or|nor|yet|besides|also|plus|however|although|though|whereas|then|moreover|furthermore|"
    r"additionally|anyway|otherwise|(?:so|still)(?=\s*,)|so that|that said|even so|other than that|apart from that|"
    r"aside from that|except|on top of that|as well|in addition|as a result|that's why|this is why)\b",
    re.IGNORECASE,
)
# A quote may not start with these either, though a field may ("Because every walk counts", "Which colour?").
# An interjection before a connective ("Oh and the size chart was accurate", "Well, but ...") or an aside marker
# ("btw", "P.S.") opens mid-thought as much as the connective alone: a blind rater failed "Oh and ..." on quotes.
QUOTE_ONLY_START = re.compile(
    r"^(?:because|which|who|whose|since|while|until|unless|if|when|too|by the way|btw|p\.?s\.?(?=[\s,:])|"
    r"(?:oh|ah|well|ok|okay|anyway|yeah|and yes)\s*,?\s+(?:and|but|also|plus|too|so|then)\b)",
    re.IGNORECASE,
)
# Words a complete phrase does not end on (articles, prepositions, conjunctions, possessives, auxiliaries).
DANGLING_WORDS = _word_set(
    "a an the and or but nor so yet with without for to of in on at by from into onto than as that which who "
    "whose whom your our its their my his her this these those is are was were be been has have had will would "
    "can could should very more most less such if when while because although though about like just also "
    "plus both either neither every each some any no not"
)
# A determiner followed by an adjective or ordinal with no noun after it, at the end of a field.
HEADLESS_END = re.compile(
    r"\b(?:the|a|an|your|our|its|their)\s+(?:first|second|third|next|last|same|other|very|most|new|best|whole|"
    r"perfect|right|only)\W*$",
    re.IGNORECASE,
)
META = re.compile(
    r"^(?:sure|certainly|of course|okay|ok)\b\s*[,!.]|"
    r"\bhere(?:'s| is| are) (?:a|an|the|your|one|some|my)\b[^.!?]{0,30}\b(?:ad|headline|copy|text|sentence|line|"
    r"subject|message|version|option|description)s?\b|"
    r"\b(?:ad copy|tag ?line|slogan|call to action|cta|(?:ad|email|text) (?:variant|version)|option \d|"
    r"\d+ characters|character limit|word count)\b",
    re.IGNORECASE,
)
# Four or more single words in a comma list ("great, unique, classic, stylish"): a pile, not copy.
WORD_LIST = re.compile(r"\b(?:[\w'-]+,\s+){3,}(?:and\s+)?[\w'-]+\b", re.IGNORECASE)

# Attributes that state a fact about the product, each with the grounding words that support it. An attribute
# in the copy with none of its support in the grounding is an invented fact that the aspect lexicon misses.
_NOT_WEATHER = r"(?!\s+(?:weather|days?|climates?|nights?|months|temperatures?|summer|evenings?|afternoons?|spells?))"
ATTRIBUTES: dict[str, tuple[str, str]] = {
    # name: (attribute in the copy, support in the grounding)
    "warm": (  # the product's warmth, not the weather's ("for warm days" is an occasion)
        rf"warm(?:er|est|th|ing)?{_NOT_WEATHER}|toasty|insulat\w*|thermal|heated",
        rf"warm(?:er|est|th|ing)?{_NOT_WEATHER}|toasty|insulat|thermal|heated|fleece|wool|cashmere|sherpa|down\b|"
        r"winter|cold",
    ),
    "cosy": (r"cos(?:y|ier|iest)|coz(?:y|ier|iest)|snug(?:gly)?", r"cos[yi]|coz[yi]|snug|warm|fleece|wool|knit|plush"),
    "cool": (
        r"cool(?:ing|er)?|breezy|airy",
        r"cool|breath|air|breez|linen|mesh|summer|ventilat|light(?:weight)?|heat|hot",
    ),
    "small": (
        r"tiny|compact|mini|pocket[- ]?sized|petite",
        r"tiny|compact|mini|pocket|petite|small|little|fold|travel|slim",
    ),
    "big": (
        r"huge|giant|roomy|spacious|oversized|massive|enormous",
        r"huge|giant|roomy|spacious|oversized|massive|enormous|room|space|large|big|capacity|plenty",
    ),
    "light": (
        r"light(?:weight)?|featherweight|feather[- ]light|ultralight|weightless",
        r"light|weigh|feather|ultralight|airy|gram|\bg\b|kg|linen|mesh|nylon",
    ),
    "tough": (
        r"heavy[- ]duty|rugged|tough|indestructible|bomb[- ]?proof|rock[- ]solid",
        r"heavy|rugged|tough|sturd|durab|solid|strong|steel|reinforc|lasts|held up|holding up",
    ),
    "waterproof": (
        r"water[- ]?proof|water[- ]resistant|water[- ]repellent|weather[- ]?proof|rain[- ]?proof|splash[- ]?proof",
        r"water[- ]?proof|water[- ]resist|water[- ]repel|weather[- ]?proof|rain|wet|splash",
    ),
    "washable": (
        r"(?:machine[- ])?washable|wipe[- ]clean|dishwasher[- ]safe",
        r"wash|wipe|dishwasher|clean",
    ),
    "stretchy": (r"stretch(?:y|es)?|elastic", r"stretch|elastic|spandex|elastane|lycra"),
    "eco": (
        r"organic|eco[- ]friendly|sustainabl[ey]|recycled|vegan|biodegradable|non[- ]toxic|bpa[- ]free|"
        r"hypoallergenic|plastic[- ]free",
        r"organic|eco|sustainab|recycl|vegan|biodegrad|non[- ]toxic|bpa|hypoallergenic|plastic[- ]free",
    ),
    "handmade": (r"hand[- ]?made|hand[- ]?crafted|artisan(?:al)?|hand[- ]?stitched", r"hand|artisan|craft"),
    "luxury": (
        r"luxur\w*|premium|high[- ]end|designer|opulent|lavish",
        r"luxur|premium|high[- ]end|designer|quality|full[- ]grain|silk|cashmere|european|italian",
    ),
    "season": (
        r"winter|wintry|snow(?:y)?|christmas|xmas|holiday season|all[- ]season|year[- ]round",
        r"winter|snow|christmas|xmas|holiday|gift|all[- ]season|year[- ]round|cold|warm|insulat|wool|fleece",
    ),
    "summer": (r"summer(?:y|time)?|sunny|beach", r"summer|sun|beach|linen|warm weather|heat|hot|light|breath"),
    "taste": (
        r"tasty|delicious|yummy|flavou?r(?:s|ful|ed)?|savou?ry|mouth[- ]?watering|desserts?",
        r"tast|delicious|yumm|flavou?r|savou?r|food|snack|drink|teas?\b|coffee|chocolate|sauce|spice|cook|bak|chew|"
        r"recipe",
    ),
    "speed": (
        r"instant(?:ly)?|in seconds|in minutes|overnight|in no time",
        r"instant|second|minute|overnight|quick|fast",
    ),
}
_ATTRIBUTE_PATTERNS = {
    name: (re.compile(rf"\b(?:{used})\b", re.IGNORECASE), re.compile(rf"\b(?:{support})", re.IGNORECASE))
    for name, (used, support) in ATTRIBUTES.items()
}


@dataclass(frozen=True)
class SenseGrounding:
    """What the copy may be about: the product's own words and what customers say about it."""

    product_name: str
    category: str = ""
    facts: Sequence[str] = ()  # catalogue texts (description, subcategory, ...)
    praised: Sequence[str] = ()  # praised aspect labels ("comfort", "fit")
    quotes: Sequence[str] = ()  # the review quotes the writer was shown
    brief: Sequence[str] = ()  # the marketer's key message and audience
    complaints: Sequence[str] = ()  # aspect keys customers complain about (tools/data/aspects.yaml: "fit")
    brand: str = ""  # the brand's name: copy may use it, but it does not make copy about this product
    text: str = field(init=False, default="")
    words: frozenset[str] = field(init=False, default=frozenset())
    backed: frozenset[str] = field(init=False, default=frozenset())  # stems `novel_words` never counts
    praised_patterns: tuple[re.Pattern[str], ...] = field(init=False, default=())  # the praised aspects' lexicon

    def __post_init__(self) -> None:
        from tools.aspects import load_aspects

        specific = " ".join([self.product_name, *self.facts, *self.praised, *self.quotes, *self.brief])
        object.__setattr__(self, "text", f"{specific} {self.category}")
        # the category alone ("Beauty", "Apparel") fits every product in it: it does not make copy about this one
        object.__setattr__(self, "words", frozenset(stem(w) for w in content_words(specific)))
        brand = frozenset(stem(w) for w in content_words(self.brand))
        object.__setattr__(self, "backed", self.words | COPY_WORDS | brand)
        praised = {p.casefold() for p in self.praised}
        patterns = tuple(
            a.pattern
            for a in load_aspects()
            if {a.key, a.label.casefold(), re.split(r" and | / ", a.label.casefold())[0].strip()} & praised
        )
        object.__setattr__(self, "praised_patterns", patterns)


@dataclass(frozen=True)
class SenseVerdict:
    """Whether a field reads as copy for the product; `rule` names the first rule it breaks."""

    passed: bool
    rule: str = ""
    detail: str = ""


PASSED = SenseVerdict(True)


def check_sense(
    text: str,
    kind: str,
    grounding: SenseGrounding,
    *,
    model_written: bool = True,
    mean_logprob: float | None = None,
    strict: bool = False,
) -> SenseVerdict:
    """The first sense rule `text` (one field of `kind`, e.g. "headline", "primary_text") breaks, or PASSED.
    `model_written`: the model wrote it, so its quotes must come from the grounding's quotes. `mean_logprob`: the
    model's mean log-probability per token of the sample, where the backend reports it. `strict`: also apply
    `novel_words` to model-written fields (for the small local model, whose fields raters found mostly nonsense)."""
    verdicts = _verdicts(text, kind, grounding, model_written, mean_logprob, strict)
    return next((verdict for verdict in verdicts if not verdict.passed), PASSED)


def _verdicts(
    text: str, kind: str, grounding: SenseGrounding, model_written: bool, mean_logprob: float | None, strict: bool
) -> Iterator[SenseVerdict]:
    """Each rule's verdict in turn (lazily: checking stops at the first failure)."""
    yield _meta(text)
    yield _connective_start(text)
    yield _dangling_end(text)
    yield _repeated_word(text, kind, grounding.product_name)
    yield _sentence_shape(text, kind, grounding)
    yield _pronoun_number(text, grounding.product_name)
    yield _word_list(text)
    yield _about_product(text, grounding)
    yield _unbacked_attribute(text, grounding)
    yield _complained_aspect(text, grounding)
    yield _quotes(text, grounding, model_written)
    yield _likelihood(mean_logprob)
    if model_written and strict:
        yield _novel_words(text, grounding)


def quote_problem(quote: str) -> str:
    """Why `quote` (the text inside the quote marks) is not a self-contained phrase, or "" if it is one."""
    inner = quote.strip()
    words = re.findall(r"[\w']+", inner.lower())
    if not words:
        return "an empty quote"
    if CONNECTIVE_START.match(inner) or QUOTE_ONLY_START.match(inner):
        return f"starts with {inner.split()[0].rstrip(',')!r}, mid-thought"
    if re.search(r"(?:\.\.\.|\u2026)\s*$", inner) or re.match(r"^\s*(?:\.\.\.|\u2026)", inner):
        return "is clipped (...)"
    if re.search(r"[,;:\-\u2013\u2014]\s*$", inner):
        return "ends on a comma or dash"
    if words[-1] in DANGLING_WORDS:
        return f"ends on {words[-1]!r}"
    return ""


def self_contained_quote(text: str) -> bool:
    return not quote_problem(text)


# ----------------------------------------------------------------------------------------------------
# The rules


def _fail(rule: str, detail: str) -> SenseVerdict:
    return SenseVerdict(False, rule, detail)


def _meta(text: str) -> SenseVerdict:
    found = META.search(text)
    return _fail("meta", f"talks about the copy: {found.group(0)!r}") if found else PASSED


def _connective_start(text: str) -> SenseVerdict:
    found = CONNECTIVE_START.match(text.lstrip(QUOTE_MARKS + " "))
    return _fail("connective_start", f"starts with {found.group(0)!r}") if found else PASSED


def _dangling_end(text: str) -> SenseVerdict:
    body = text.rstrip()
    if re.search(r"(?:\.\.\.|\u2026)$", body):
        return _fail("dangling_end", "ends cut off (...)")
    if re.search(r"[,;:&\-\u2013\u2014/]$", body):
        return _fail("dangling_end", f"ends on {body[-1]!r}")
    words = re.findall(r"[\w']+", body.lower())
    if words and words[-1] in DANGLING_WORDS:
        return _fail("dangling_end", f"ends on {words[-1]!r}")
    if words and len(words[-1]) == 1 and words[-1].isalpha():
        return _fail("dangling_end", f"ends on a lone {words[-1]!r}, cut off")
    if HEADLESS_END.search(body):
        return _fail("dangling_end", f"no noun after {HEADLESS_END.search(body).group(0).strip()!r}")  # type: ignore[union-attr]
    return PASSED


def _repeated_word(text: str, kind: str, product_name: str) -> SenseVerdict:
    runs = [re.findall(r"[\w']+", run) for run in re.split(r"[.,;:!?\"\u201c\u201d()]", text.lower())]
    doubled = next((f"{a} {b}" for run in runs for a, b in itertools.pairwise(run) if _same_word(a, b)), None)
    if doubled:
        return _fail("repeated_word", f"{doubled!r}: the same word twice in a row")
    # A quote may echo the words that introduce it, and copy may name the product and then say what it is
    # ("Sea Salt Body Wash, with sea minerals"; "... Dress. A midi dress cut from ..."), as the hard rules allow.
    own = _without_quotes(text)
    words = re.findall(r"[\w']+", own.lower())
    exempt = set(re.findall(r"[\w']+", product_name.lower()))
    if kind in HEADLINE_KINDS or len(text) <= SHORT_FIELD:
        twice = [w for w, n in Counter(content_words(own)).items() if n > 1 and w not in exempt]
        if twice:
            return _fail("repeated_word", f"{twice[0]!r} twice in a short field")
    pairs = [p for p, n in Counter(itertools.pairwise(words)).items() if n > 1]
    pairs = [p for p in pairs if not set(p) <= STOP_WORDS | exempt]
    return _fail("repeated_word", f"{' '.join(pairs[0])!r} repeated") if pairs else PASSED


# "its" where it can only mean the product: after a verb of praise or "for" ("loved for its", "customers love its")
PRODUCT_ITS = re.compile(
    r"\b(?:for|loves?|loved|praise[sd]?|praising|mention(?:s|ed|ing)?|adores?|adored|enjoys?|enjoyed)\s+its\b",
    re.IGNORECASE,
)


def _pronoun_number(text: str, product_name: str) -> SenseVerdict:
    if not plural_name(product_name):
        return PASSED
    found = PRODUCT_ITS.search(_without_quotes(text))
    return _fail("pronoun_number", f"{found.group(0)!r} for a plural name") if found else PASSED


def _word_list(text: str) -> SenseVerdict:
    piled = WORD_LIST.search(_without_quotes(text))
    return _fail("word_list", f"a pile of single words: {piled.group(0)!r}") if piled else PASSED


def _sentence_shape(text: str, kind: str, grounding: SenseGrounding) -> SenseVerdict:
    if kind in HEADLINE_KINDS:  # the product's name alone is a fine headline
        return PASSED
    if _squash(text) == _squash(grounding.product_name):
        return _fail("too_short", "only the product's name")
    words = re.findall(r"[\w']+", text)
    if len(words) < MIN_SENTENCE_WORDS:
        return _fail("too_short", f"{len(words)} words for a {kind.replace('_', ' ')}")
    sentences = re.split(r"(?<=[.!?])\s+", text.lstrip(QUOTE_MARKS + " "))
    lower = next((s for s in sentences if s[:1].islower()), None)
    if lower is not None:
        return _fail("lowercase_sentence", f"a sentence starts in lower case: {lower[:30]!r}")
    long_words = [w for w in words if len(w) >= 4]
    capitalised = [w for w in long_words if w[:1].isupper()]
    name_words = {w.lower() for w in re.findall(r"[\w']+", grounding.product_name)}
    capitalised = [w for w in capitalised if w.lower() not in name_words]
    if len(capitalised) >= 5 and len(capitalised) >= 0.6 * len(long_words):
        return _fail("title_case_sentence", "written in title case, like a list of words")
    return PASSED


def _about_product(text: str, grounding: SenseGrounding) -> SenseVerdict:
    if not grounding.words:
        return PASSED
    if any(stem(w) in grounding.words for w in content_words(text)):
        return PASSED
    return _fail("not_about_product", "shares no word with the product's facts, praise or brief")


def _unbacked_attribute(text: str, grounding: SenseGrounding) -> SenseVerdict:
    unquoted = _without_quotes(text)
    for name, (used, support) in _ATTRIBUTE_PATTERNS.items():
        found = used.search(unquoted)
        if found and not support.search(grounding.text):
            return _fail("unbacked_attribute", f"{found.group(0)!r} ({name}) is not in the grounding")
    return PASSED


def _complained_aspect(text: str, grounding: SenseGrounding) -> SenseVerdict:
    if not grounding.complaints:
        return PASSED
    from tools.aspects import aspect_label, find_mentions

    for mention in find_mentions("", _without_quotes(text), grounding.category, grounding.product_name):
        if mention.aspect in grounding.complaints:
            complained = aspect_label(mention.aspect)
            return _fail("complained_aspect", f"talks about {complained}, which customers complain about")
    return PASSED


def novel_words(text: str, grounding: SenseGrounding) -> list[str]:
    """The content words of `text` (outside quotes) that nothing backs: not in the grounding, not a word the aspect
    lexicon reads as a praised aspect ("smell" for scent), not one of the everyday words of copy nor the brand's."""
    return [
        word
        for word in content_words(_without_quotes(text))
        if stem(word) not in grounding.backed and not any(p.search(word) for p in grounding.praised_patterns)
    ]


def _novel_words(text: str, grounding: SenseGrounding) -> SenseVerdict:
    if not grounding.words:
        return PASSED
    novel = novel_words(text, grounding)
    if len(novel) > MAX_NOVEL_WORDS:
        return _fail("novel_words", f"words nothing backs: {', '.join(novel)}")
    return PASSED


def _quotes(text: str, grounding: SenseGrounding, model_written: bool) -> SenseVerdict:
    marks = sum(text.count(m) for m in QUOTE_MARKS)
    if marks % 2:
        return _fail("broken_quote", "unbalanced quote marks")
    for quote in quoted(text):
        problem = quote_problem(quote)
        if problem:
            return _fail("broken_quote", f"the quote {quote[:30]!r} {problem}")
        if model_written and not _in_any(quote, grounding.quotes):
            return _fail("unsourced_quote", f"{quote[:30]!r} is in no review quote")
    return PASSED


def _likelihood(mean_logprob: float | None) -> SenseVerdict:
    if mean_logprob is None or mean_logprob >= MIN_MEAN_LOGPROB:
        return PASSED
    return _fail("low_likelihood", f"mean log-probability per token {mean_logprob:.2f} < {MIN_MEAN_LOGPROB}")


# ----------------------------------------------------------------------------------------------------
# Helpers


def quoted(text: str) -> list[str]:
    """The texts inside double quote marks (straight or curly)."""
    return [m.group(1) for m in re.finditer(r"[\"\u201c]([^\"\u201c\u201d]*)[\"\u201d]", text)]


def _without_quotes(text: str) -> str:
    return re.sub(r"[\"\u201c][^\"\u201c\u201d]*[\"\u201d]", " ", text)


def _same_word(a: str, b: str) -> bool:
    """ "the the", "soft soft", "beautiful beauty": one word (or stem) twice in a row."""
    if a.isdigit() or b.isdigit():
        return False
    return a == b or (len(a) >= 4 and len(b) >= 4 and a not in STOP_WORDS and stem(a) == stem(b))


def _in_any(quote: str, sources: Iterable[str]) -> bool:
    needle = _squash(quote)
    return bool(needle) and any(needle in _squash(s) for s in sources)


def _squash(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower().replace("\u2019", "'")))
