"""Slot extraction: the details of a request that become tool arguments.

Each extractor reads one kind of detail from a normalised fragment (lower case, number words as digits) and
returns None when the fragment does not say it, so a follow-up can tell "not mentioned" from a value.
"""

from __future__ import annotations

import calendar
import contextlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from agent.router.catalogue import Catalogue, ProductMention
from agent.router.lexicon import Lexicon
from agent.router.text import Fragment, Vocabulary
from tools.unit import RequestDetails

MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name} | {
    name.lower(): i for i, name in enumerate(calendar.month_abbr) if name
}
MONTH = r"(?P<{0}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\b\.?"
YEAR = r"(?P<{0}>(?:19|20)\d\d)"
MONTH_YEAR = MONTH.format("m") + r"(?:\s+(?:of\s+)?" + YEAR.format("y") + ")?"

HORIZONS: tuple[tuple[re.Pattern[str], Callable[[int], int]], ...] = (
    # (pattern, number typed -> weeks)
    (re.compile(r"\b(\d+)\s*-?\s*(?:weeks?|wks?|w)\b"), lambda n: n),
    (re.compile(r"\b(\d+)\s*-?\s*(?:months?|mos?)\b"), lambda n: round(n * 52 / 12)),
    (re.compile(r"\b(\d+)\s*-?\s*days?\b"), lambda n: math.ceil(n / 7)),
    (re.compile(r"\b(\d+)\s*-?\s*quarters?\b"), lambda n: 13 * n),
    (re.compile(r"\b(\d+)\s*-?\s*years?\b"), lambda n: 52 * n),
)
FIXED_HORIZONS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"\b(?:next|this coming|coming|a|the|1|this|per|over a) quarter\b|\bquarter'?s\b|\bquarterly\b"), 13),
    (re.compile(r"\b(?:next|coming|a|the|1) month\b|\bnext month'?s\b|\bmonthly\b"), 4),
    (re.compile(r"\b(?:next|coming|a|1) week\b|\bnext week'?s\b"), 1),
    (re.compile(r"\bfortnight\b"), 2),
    (re.compile(r"\bhalf (?:a )?year\b"), 26),
    (re.compile(r"\b(?:next|coming|a|1) year\b"), 52),
)
PAST_WORDS = re.compile(r"\b(?:last|past|previous|since|ago)\s*$")
# "a couple of months", which the normaliser has already made "2 of months"
COUPLE = re.compile(
    r"\b(?:(?:a )?couple|2) of (?=(?:weeks?|months?|quarters?|days?|years?)\b)|\ba couple (?=(?:weeks?|months?)\b)"
)
AHEAD_WORDS = re.compile(r"\b(?:next|coming|upcoming|following)\s*$")

VARIANT_NOUNS = (
    r"variants?|versions?|options?|headlines?|ads?|ideas?|subject lines?|lines?|captions?|posts?|emails?|"
    r"texts?|sms|messages?|taglines?|slogans?|alternatives?|takes?|variations?|drafts?|descriptions?|blurbs?"
)
VARIANTS = re.compile(rf"\b(\d+)\s+(?:[a-z-]+\s+){{0,3}}?(?:{VARIANT_NOUNS})\b")
BARE_VARIANTS = re.compile(r"\b(?:give me|make it|do|want|need|try)\s+(\d+)\b|\b(\d+)\s+(?:instead|more|of them)\b")

STAR_RANGE = re.compile(r"\b([1-5])\s*-?\s*(?:stars?\s*)?(?:-|to|and|or)\s*([1-5])\s*-?\s*stars?\b")
STAR_UP = re.compile(r"\b([1-5])\s*\+\s*-?\s*stars?|\b([1-5])\s*-?\s*stars? (?:and|or) (?:up|above|more|higher|better)")
STAR_DOWN = re.compile(r"\b([1-5])\s*-?\s*stars? (?:and|or) (?:below|under|less|lower|worse)")
STAR_BELOW = re.compile(r"\b(?:under|below|less than|fewer than)\s+([1-5])\s*-?\s*stars?")
STARS = re.compile(r"\b([1-5])\s*-?\s*stars?\b")

PRICE = re.compile(r"\$\s?(\d+(?:\.\d+)?)|\b(\d+(?:\.\d+)?)\s?(?:dollars|usd|bucks|euros?|pounds)\b")
PRICE_CONTEXT = re.compile(r"\b(?:price|priced|pricing|discount\w*|cut|drop|lower|reduce|raise|increase|charge|sell)\b")
PERCENT = re.compile(r"\b(\d+(?:\.\d+)?)\s?(?:%|percent)")
PERCENT_OFF = re.compile(r"\b(\d+(?:\.\d+)?)\s?(?:%|percent) off\b")  # "20% off" is a price cut in itself
CHEAPER = re.compile(r"\b(?:cut|off|discount\w*|reduc\w*|lower\w*|drop\w*|cheaper|markdown|slash\w*)\b")
DEARER = re.compile(r"\b(?:raise|increase|hike|higher|up)\b")
NO_PROMO = re.compile(  # "no promo", "not run any promotions" (不做任何活动)
    r"\b(?:no|without(?: a| any)?|zero|assuming no|(?:not|n.t|never) (?:make|run|do|have|offer)(?: a| any)?) "
    r"(?:promo\w*|discount\w*|sales?)\b"
)
PROMO = re.compile(r"\bpromo\w*|\bon sale\b|\bdiscount\w*|\bcoupons?\b|\bsale\b")

SEGMENT_COUNT = re.compile(
    r"\b(\d+)\s+(?:[a-z]+\s+)?(?:segments?|groups|clusters?|personas|buckets|tiers|cohorts|types)\b|\binto\s+(\d+)\b(?!\s*(?:weeks?|days?|months?|%))"
)
CUSTOMER_ID = re.compile(r"\bcustomer\s+(?:id\s+)?#?\s*([A-Za-z]*\d[\w-]*)|\b([Cc]\d{3,})\b")
LIMIT = re.compile(
    r"\btop\s+(\d+)\b|\b(?:list|show|first|only|just)(?:\s+(?:me|us))?(?:\s+the)?(?:\s+top)?\s+(\d+)\b"
    r"|\b(\d+)\s+(?:most\s+\w+\s+|(?!(?:of|for|to|in|each)\b)[a-z-]+\s+){0,2}?(?:customers|people|names|shoppers|buyers|clients|prospects)\b"
    r"|\b(?:find|give me|get me|pull|want)\s+(\d+)\s*$"  # "likely buyers, find 100" (潜在买家找100个), "give me 200"
    r"|\b(\d+)\s+of them\b|,\s*(?:we\s+|i\s+)?need\s+(\d+)\s*$"  # "..., 200 of them", 要200个 ("..., need 200")
)
REVIEW_COUNT = re.compile(  # "5 negative reviews", not "after 1 wear in reviews" (words between are no preposition)
    r"\b(\d+)\s+(?:(?!(?:stars?|in|of|on|for|from|about|with|after|before|at|by|to|than)\b)[a-z-]+\s+){0,2}?"
    r"(?:reviews|quotes|examples|comments|testimonials)\b"
)
INSIGHT = re.compile(
    r"\b(?:summar\w*|themes?|common|main|most|overall|pros and cons|why|praise\w*|complain\w*|complaints?|"
    r"like about|love about|dislike|think)\b"
)
REROLL = re.compile(r"\b(?:again|another (?:one|version|go|batch)|different (?:ones|version)|regenerate|new ones)\b")
TRAILING = re.compile(r"\s+(?:too|as well|please|also|in it|pls)\s*$", re.IGNORECASE)
CLAUSE_END = re.compile(r"[,.;!?]|\s[-\u2013\u2014]\s|\s(?:and|then) (?:write|make|create|forecast|show|find)\b")


@dataclass
class Slots(RequestDetails):
    """Everything one fragment of a request says: the details tools read, plus the products it names."""

    mention: ProductMention = field(default_factory=ProductMention)

    def says_anything(self) -> bool:
        """True when the fragment carries at least one detail (or product) a follow-up could change."""
        return self.mention.any or super().says_anything()


def extract(
    fragment: Fragment,
    catalogue: Catalogue,
    lexicon: Lexicon,
    vocabulary: Vocabulary,
    today: date,
    only: tuple[str, ...] = (),
) -> Slots:
    """All slots of one fragment; `only` restricts product matching to the ids a clarifying question offered."""
    text, raw = fragment.text, fragment.raw
    mention = catalogue.find(fragment.tokens, text, vocabulary, only)
    product_words = {t.norm for i, t in enumerate(fragment.tokens) if i in mention.claimed}
    what_if, change = what_if_of(text)
    return Slots(
        mention=mention,
        query=raw.strip(" ?.!") or text,
        anaphor=bool(lexicon.anaphora.search(text)),
        all_products=bool(lexicon.all_products.search(text)),
        horizon=horizon_of(text, today),
        what_if=what_if,
        price_change=change,
        channel=channel_of(text, lexicon),
        n_variants=variants_of(text),
        tone=tone_of(text, lexicon, product_words),
        key_message=key_message_of(raw, lexicon, product_words | lexicon.stop_words),
        audience=audience_of(raw, lexicon, product_words),
        rating=rating_of(text, lexicon),
        dates=dates_of(text, today),
        review_count=_bounded(REVIEW_COUNT, text, 1, 100),
        insight=bool(INSIGHT.search(text)),
        segment_filter=segment_filter_of(text, lexicon),
        segment_count=_bounded(SEGMENT_COUNT, text, 2, 12),
        customer_id=customer_of(raw),
        limit=_bounded(LIMIT, text, 1, 1000),
        segment_product=any(p.search(text) for p in lexicon.segment_product),
        review_grounding=bool(lexicon.review_grounding.search(text)),
        ad_request=bool(lexicon.ad_request.search(text)),
        meta_question=bool(lexicon.meta_questions.search(text)),
        reroll=bool(REROLL.search(text)),
    )


def _first_number(match: re.Match[str]) -> int:
    return int(next(g for g in match.groups() if g is not None))


def _bounded(pattern: re.Pattern[str], text: str, low: int, high: int) -> int | None:
    for match in pattern.finditer(text):
        value = _first_number(match)
        if low <= value <= high:
            return value
    return None


NAMED_QUARTER = re.compile(
    r"\b(?:q([1-4])|(first|second|third|fourth) quarter)\s+(?:of\s+)?(next year|this year|(?:19|20)\d\d)\b"
)
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4}
RANGE_START = re.compile(r"\b(?:from|between)\s+\S+(?:\s+(?:19|20)\d\d)?\s*$")  # "from March to May" is a range
UNTIL_MONTH = re.compile(r"\b(?:until|through|thru|till|to|up to|by)\s+(?:the end of\s+)?" + MONTH_YEAR)


def horizon_of(text: str, today: date | None = None) -> int | None:
    """Weeks ahead: "next 8 weeks" -> 8, "next quarter" -> 13, "two months" -> 9, "30 days" -> 5; with `today`, a
    named quarter to come ("q1 next year", "the second quarter of 2027") -> the weeks to its end. The first
    horizon typed wins, except that a counted or named one ("the next 6 weeks", "q1") beats a plain "next month"
    said as when something happens ("next month we reorder, so forecast the next 6 weeks"); "last 3 months" is a
    date range, not a horizon."""
    text = COUPLE.sub("2 ", text)  # "the next couple of months" -> "the next 2 months"
    found: list[tuple[int, int]] = []
    for match in list(NAMED_QUARTER.finditer(text)) if today is not None else []:
        weeks = _weeks_to_quarter_end(match, today or date.min)
        if weeks > 0:  # a quarter already over is a date range, not a horizon
            found.append((match.start(), weeks))
            text = text[: match.start()] + " " * (match.end() - match.start()) + text[match.end() :]  # not "next year"
    for match in list(UNTIL_MONTH.finditer(text)) if today is not None else []:
        weeks = _weeks_to_month_end(match, today or date.min)
        if weeks > 0 and not RANGE_START.search(text[: match.start()]):  # "forecast until March": to its end
            found.append((match.start(), weeks))
    for pattern, to_weeks in HORIZONS:
        for match in pattern.finditer(text):
            if not PAST_WORDS.search(text[: match.start()]):
                found.append((match.start(), max(1, to_weeks(int(match.group(1))))))
    fixed = [
        (match.start(), weeks)
        for pattern, weeks in FIXED_HORIZONS
        for match in pattern.finditer(text)
        if not PAST_WORDS.search(text[: match.start()])
    ]
    ahead = [(start, weeks) for start, weeks in found if AHEAD_WORDS.search(text[:start])]
    if fixed and ahead and min(fixed) < min(found):
        return min(ahead)[1]
    return min(found + fixed)[1] if found or fixed else None


def _weeks_to_month_end(match: re.Match[str], today: date) -> int:
    """Weeks from today to the end of the month named ("until March": the next March to come)."""
    number = MONTHS[match.group("m").lower()]
    year = int(match.group("y")) if match.group("y") else today.year + (number < today.month)
    return math.ceil((_month_end(date(year, number, 1)) - today).days / 7)


def _weeks_to_quarter_end(match: re.Match[str], today: date) -> int:
    quarter = int(match.group(1)) if match.group(1) else ORDINALS[match.group(2)]
    year = {"next year": today.year + 1, "this year": today.year}.get(match.group(3)) or int(match.group(3))
    return math.ceil((_month_end(date(year, 3 * quarter, 1)) - today).days / 7)


def what_if_of(text: str) -> tuple[dict[str, float] | None, float | None]:
    """A planned price or promotion: ({"price": 199.0}, None), ({"promo": 1.0}, None), or (None, -0.1) for a
    relative price cut that needs the catalogue price."""
    price = PRICE.search(text)
    if price and (price.group(1) or PRICE_CONTEXT.search(text)):  # "$35" is a price; "35 dollars" needs context
        return {"price": float(next(g for g in price.groups() if g))}, None
    percent = PERCENT_OFF.search(text) or PERCENT.search(text)
    if percent and (percent.re is PERCENT_OFF or PRICE_CONTEXT.search(text)):
        share = float(percent.group(1)) / 100
        if CHEAPER.search(text):
            return None, -share
        if DEARER.search(text):
            return None, share
    if NO_PROMO.search(text):
        return {"promo": 0.0}, None
    if PROMO.search(text):
        return {"promo": 1.0}, None
    return None, None


def channel_of(text: str, lexicon: Lexicon) -> str | None:
    """The ad channel typed first: "Instagram caption" -> meta_feed, "text message" -> sms."""
    hits = [(m.start(), name) for name, p in lexicon.channels.items() if (m := p.search(text))]
    return min(hits)[1] if hits else None


def variants_of(text: str) -> int | None:
    """How many variants: "3 headlines", "five versions", "give me 5 instead"."""
    return _bounded(VARIANTS, text, 1, 10) or _bounded(BARE_VARIANTS, text, 1, 10)


def tone_of(text: str, lexicon: Lexicon, product_words: set[str]) -> str | None:
    """A tone the lexicon knows ("playful", "warmer" -> warm), else the word after "make it" ("make it zesty")."""
    for match in lexicon.tone_pattern.finditer(text):
        if match.group(1) not in product_words:
            return lexicon.tones[match.group(1)]
    found = lexicon.tone_fallback.search(text)
    if found and found.group(1) not in lexicon.stop_words | product_words and found.group(1) not in lexicon.words:
        return found.group(1)
    return None


NEGATED = re.compile(r"\b(?:don.t|do not|never|not|avoid(?:ing)?|without|no need to)\s+$", re.IGNORECASE)


def key_message_of(raw: str, lexicon: Lexicon, product_words: set[str]) -> str | None:
    """What the copy must say: the words after "mention", "highlight", "key message:", else an offer typed
    anywhere ("20% off this weekend", "free shipping"). Words that only repeat the product name are no message, and
    what the copy must not say ("don't mention the price") is none either."""
    match = next((m for m in lexicon.key_message_verbs.finditer(raw) if not NEGATED.search(raw[: m.start()])), None)
    if match:
        rest = raw[match.end() :]
        end = CLAUSE_END.search(rest)
        message = TRAILING.sub("", rest[: end.start()] if end else rest).strip(" :\"'")
        words = set(re.findall(r"[a-z0-9]+", message.lower()))
        if message and not words <= product_words:
            return message
    for offer in lexicon.offers:
        found = offer.search(raw)
        if found:
            return found.group().strip()
    return None


def audience_of(raw: str, lexicon: Lexicon, product_words: set[str]) -> str | None:
    """Who the copy is for: "aimed at home cooks", "for new mums", "targeting gym-goers" (never the product:
    "for the Lumen kids headphones" names a product, not kids)."""
    people = re.compile(
        rf"\b(?:for|to)\s+((?:(?!products?\b)[\w'-]+\s+){{0,3}}?(?:{lexicon.people}))\b(?!\s*'?s?\s*(?:favou?rite|top))",
        re.IGNORECASE,
    )
    lead = re.compile(
        r"\b(?:aimed at|targeting|targeted at|directed at|geared (?:to|toward|towards))\s+([^,.;!?]+)", re.I
    )
    for found in [*lead.finditer(raw), *people.finditer(raw)]:
        audience = re.split(r"\s+(?:that|with|and|who|mentioning|highlighting|using|in a)\s+", found.group(1))[0]
        audience = re.sub(r"^(?:our|the|all|my)\s+", "", audience.strip(), flags=re.I)
        if audience and not set(re.findall(r"[a-z0-9]+", audience.lower())) & product_words:
            return audience
    return None


Rating = tuple[int | None, int | None]
STAR_READERS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Rating]], ...] = (
    (STAR_RANGE, lambda m: (min(int(m.group(1)), int(m.group(2))), max(int(m.group(1)), int(m.group(2))))),
    (STAR_UP, lambda m: (_first_number(m), None)),
    (STAR_DOWN, lambda m: (None, _first_number(m))),
    (STAR_BELOW, lambda m: (None, max(int(m.group(1)) - 1, 1))),
)


def rating_of(text: str, lexicon: Lexicon) -> Rating | None:
    """Star range: "1-2 star" -> (1, 2), "5-star" -> (5, 5), "4+ stars" -> (4, None), "negative" -> (None, 2),
    "what customers love" -> (4, None)."""
    for pattern, read in STAR_READERS:
        if found := pattern.search(text):
            return read(found)
    stars = [int(m.group(1)) for m in STARS.finditer(text)]
    if stars:
        return min(stars), max(stars)
    if lexicon.negative.search(text):
        return None, 2
    return (4, None) if lexicon.positive.search(text) else None


def segment_filter_of(text: str, lexicon: Lexicon) -> str | None:
    """A segment the segment tool can filter on: a segment name it gave, else at_risk/lapsed/new/best."""
    if found := lexicon.segment_name.search(text):
        name = found.group().lower()  # as the segmenter spells it ("1-time": number words were read as digits)
        return re.sub(r"\b(?:one|1)[- ]time\b", "one-time", re.sub(r"\bfirst time\b", "first-time", name))
    for name, pattern in lexicon.segment_filters.items():
        if pattern.search(text):
            return name
    return None


def customer_of(raw: str) -> str | None:
    found = CUSTOMER_ID.search(raw)
    return next(g for g in found.groups() if g) if found else None


# ---- dates ------------------------------------------------------------------------------------------------


def dates_of(text: str, today: date) -> tuple[date | None, date | None] | None:
    """Review date range: "since March 2025", "in 2025", "between June and August 2025", "last 3 months",
    "this year", "2025-03-01 to 2025-06-30"."""
    for reader in (_iso_range, _between, _since, _before, _within, _relative):
        found = reader(text, today)
        if found is not None:
            return found
    return None


def _month_start(match: re.Match[str], today: date, month: str = "m", year: str = "y") -> date:
    number = MONTHS[match.group(month).lower()]
    typed = match.group(year)
    if typed:
        return date(int(typed), number, 1)
    # "since March": the latest March that is not in the future
    return date(today.year if number <= today.month else today.year - 1, number, 1)


def _month_end(start: date) -> date:
    return date(start.year, start.month, calendar.monthrange(start.year, start.month)[1])


ISO = r"(\d{4}-\d{2}-\d{2})"


def _iso_range(text: str, today: date) -> tuple[date | None, date | None] | None:
    del today
    if found := re.search(rf"\b(?:from|between)\s+{ISO}\s+(?:to|and|until|-)\s+{ISO}", text):
        return date.fromisoformat(found.group(1)), date.fromisoformat(found.group(2))
    if found := re.search(rf"\b(?:since|after|from)\s+{ISO}", text):
        return date.fromisoformat(found.group(1)), None
    if found := re.search(rf"\b(?:before|until|up to)\s+{ISO}", text):
        return None, date.fromisoformat(found.group(1))
    return None


def _between(text: str, today: date) -> tuple[date | None, date | None] | None:
    first = MONTH.format("m1") + r"(?:\s+" + YEAR.format("y1") + ")?"
    second = MONTH.format("m2") + r"(?:\s+" + YEAR.format("y2") + ")?"
    found = re.search(rf"\b(?:between|from)\s+{first}\s+(?:and|to|until|through|-)\s+{second}", text)
    if not found:
        return None
    year = found.group("y2") or found.group("y1")
    end = date(int(year), MONTHS[found.group("m2")], 1) if year else _month_start(found, today, "m2", "y2")
    start_year = int(found.group("y1") or end.year)
    start = date(start_year, MONTHS[found.group("m1")], 1)
    if start > end:
        start = date(start_year - 1, start.month, 1)
    return start, _month_end(end)


def _since(text: str, today: date) -> tuple[date | None, date | None] | None:
    """Open-ended ranges: "since March 2025", "from 2025 onwards". A bare "reviews from 2025" means written
    in 2025 (see _within)."""
    since = r"(?:since|after|starting(?: in| from)?)"
    onwards = r"(?=\s+(?:on|onwards|onward|forward)\b)"
    day = MONTH.format("m") + r"\s+(?P<d>[1-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+" + YEAR.format("y") + ")?"
    if found := re.search(rf"\b(?:{since}|from)\s+{day}", text):  # "since October 15": from that day
        start = _month_start(found, today)
        with contextlib.suppress(ValueError):
            return start.replace(day=int(found.group("d"))), None
    for pattern in (rf"\b{since}\s+{MONTH_YEAR}", rf"\bfrom\s+{MONTH_YEAR}{onwards}"):
        if found := re.search(pattern, text):
            return _month_start(found, today), None
    if found := re.search(rf"\b{since}\s+((?:19|20)\d\d)\b|\bfrom\s+((?:19|20)\d\d){onwards}", text):
        return date(int(found.group(1) or found.group(2)), 1, 1), None
    return None


def _before(text: str, today: date) -> tuple[date | None, date | None] | None:
    if found := re.search(rf"\b(?:before|until|up to|through)\s+{MONTH_YEAR}", text):
        start = _month_start(found, today)
        return None, start - timedelta(days=1) if found.group(0).startswith("before") else _month_end(start)
    if found := re.search(r"\bbefore\s+((?:19|20)\d\d)\b", text):
        return None, date(int(found.group(1)) - 1, 12, 31)
    return None


def _within(text: str, today: date) -> tuple[date | None, date | None] | None:
    if found := re.search(r"\bq([1-4])\s+((?:19|20)\d\d)\b", text):
        quarter, year = int(found.group(1)), int(found.group(2))
        start = date(year, 3 * quarter - 2, 1)
        return start, _month_end(date(year, 3 * quarter, 1))
    if found := re.search(rf"\b(?:in|during|for|from)\s+{MONTH_YEAR}", text):
        start = _month_start(found, today)
        return start, _month_end(start)
    if found := re.search(r"\b(?:in|during|for|of|from)\s+((?:19|20)\d\d)\b", text):
        year = int(found.group(1))
        return date(year, 1, 1), date(year, 12, 31)
    return None


def _relative(text: str, today: date) -> tuple[date | None, date | None] | None:
    """ "last 3 months", "last year", "this year", "last month", "this month", "past week"."""
    if found := re.search(r"\b(?:last|past|previous)\s+(\d+)\s+(days?|weeks?|months?|years?)\b", text):
        return _minus(today, int(found.group(1)), found.group(2)), None
    previous_month_end = date(today.year, today.month, 1) - timedelta(days=1)
    periods: tuple[tuple[str, tuple[date | None, date | None]], ...] = (
        (r"\blast year\b", (date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))),
        (r"\bthis year\b|\byear to date\b|\bytd\b", (date(today.year, 1, 1), None)),
        (r"\blast month\b", (date(previous_month_end.year, previous_month_end.month, 1), previous_month_end)),
        (r"\bthis month\b", (date(today.year, today.month, 1), None)),
        (r"\b(?:last|past) (?:week|7 days)\b", (today - timedelta(days=7), None)),
    )
    return next((period for pattern, period in periods if re.search(pattern, text)), None)


def _minus(today: date, amount: int, unit: str) -> date:
    if unit.startswith("day"):
        return today - timedelta(days=amount)
    if unit.startswith("week"):
        return today - timedelta(weeks=amount)
    months = amount * (12 if unit.startswith("year") else 1)
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    day = min(today.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)
