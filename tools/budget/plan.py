"""How the offline router fills plan_budget's arguments from what a request says: the total ("$20k", "20,000
dollars"), the period ("next month" = 4 weeks, "Q3" = 13), the channels to split between ("between Google and
Meta"), bounds ("at least $2k on TV", "cap display at 3k", "keep TV fixed") and what-ifs ("cut TV by 30%", "add
$5k to search", "halve display"). Channel words map to the usual channel names (Google -> search, Meta -> social);
the tool checks them against the workspace's model and says which channels it has."""

from __future__ import annotations

import re
from typing import Any

from tools.number_words import words_as_digits
from tools.unit import CatalogueFacts, Planning, Products, RequestDetails, no_products

# Channel words, longest first within each channel, and the channel they name.
CHANNEL_WORDS: tuple[tuple[str, str], ...] = (
    ("search", r"google search|google ads|google|adwords|paid search|search ads|search|sem|ppc|bing"),
    ("social", r"paid social|social media|social|meta ads|meta|facebook|fb|instagram|insta|ig"),
    ("display", r"display ads|display|banners?|programmatic"),
    ("tv", r"television|tv|ctv"),
    ("video", r"youtube|online video|video"),
    ("email", r"e-?mail"),
    ("sms", r"sms|text messages?"),
    ("radio", r"radio"),
    ("podcasts", r"podcasts?"),
    ("tiktok", r"tiktok|tik tok"),
    ("print", r"print"),
)
_CHANNEL = re.compile(
    r"\b(" + "|".join(f"(?P<{name}>{words})" for name, words in CHANNEL_WORDS) + r")\b", re.IGNORECASE
)

_NUMBER = r"(?:\d{1,3}(?:[ ,]\d{3})+|\d+)(?:\.\d+)?"
MONEY = re.compile(
    rf"(?P<cur>[$€£¥])\s*(?P<a>{_NUMBER})\s*(?P<ua>k|m|thousand|million)?\b"
    rf"|\b(?P<b>{_NUMBER})\s*(?P<ub>k|m|thousand|million)\b(?:\s*(?:dollars|usd|eur|euros?|pounds|gbp))?"
    rf"|\b(?P<c>{_NUMBER})\s*(?:dollars|usd|eur|euros?|pounds|gbp|bucks)\b",
    re.IGNORECASE,
)
PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|percent|per cent)", re.IGNORECASE)

PERIODS = (
    (re.compile(r"\b(\d{1,2})\s*(?:-\s*)?weeks?\b", re.IGNORECASE), None),
    (re.compile(r"\b(?:q[1-4]|quarter(?:ly)?|three months|3 months)\b", re.IGNORECASE), 13),
    (re.compile(r"\b(?:half[- ]year|six months|6 months|h[12])\b", re.IGNORECASE), 26),
    (re.compile(r"\b(?:year|annual(?:ly)?|12 months)\b", re.IGNORECASE), 52),
    (re.compile(r"\b(?:two months|2 months)\b", re.IGNORECASE), 9),
    (
        re.compile(
            r"\b(?:month(?:ly)?|january|february|march|april|may|june|july|august|september|october|november|"
            r"december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b",
            re.IGNORECASE,
        ),
        4,
    ),
    (re.compile(r"\b(?:next week|this week|a week|per week|weekly|each week)\b", re.IGNORECASE), 1),
)

# what a change does to the outcome: "how much would sales drop", "revenue will go up how much"
EFFECT = (
    r"\b(?:sales|revenue|orders|conversions)\b.{0,25}\b(?:drop|fall|go (?:up|down)|rise|grow|change|less|more)\b"
    r"|\b(?:drop|fall|go (?:up|down)|rise)\s+how (?:much|many)\b"
)
LOW_WORDS = r"at least|minimum(?: of)?|min(?:imum)?|no less than|not less than|floor of|>=?"
HIGH_WORDS = (
    r"at most|max(?:imum)?(?: of)?|no more than|not more than|up to|cap(?:ped)?(?: \w+)? at|cap of|limit(?: of)?|<=?"
)


def build(details: RequestDetails, _: Products | None, __: CatalogueFacts) -> dict[str, Any]:
    return read_budget_request(details.query)


def change(arguments: dict[str, Any], details: RequestDetails, _: Products | None, __: CatalogueFacts) -> None:
    """A follow-up ("what about $30k?", "over a quarter instead", "and cut tv by 20%") changes what it says."""
    said = read_budget_request(details.query)
    if "changes" in said:
        arguments.pop("total_budget", None)
    elif "total_budget" in said:
        arguments.pop("changes", None)
    arguments.update(said)


def read_budget_request(query: str) -> dict[str, Any]:
    """plan_budget's arguments from one request's words (only what it says)."""
    query = words_as_digits(query)
    arguments: dict[str, Any] = {}
    used: list[tuple[int, int]] = []
    changes = _changes(query, used)
    if changes:
        arguments["changes"] = changes
    low, high, fixed = _bounds(query, used)
    if low:
        arguments["min_spend"] = low
    if high:
        arguments["max_spend"] = high
    if fixed:
        arguments["fixed"] = fixed
    total = _total(query, used)
    if total is not None and not changes:
        arguments["total_budget"] = total
    weeks = _period(query)
    if weeks is not None:
        arguments["period_weeks"] = weeks
    named = [c for c, start, end in _channels(query) if not _inside(start, end, used)]
    named = list(dict.fromkeys(named))
    if "total_budget" in arguments:
        if len(named) >= 2 and _restricts(query):
            arguments["channels"] = named
    elif named and not changes:  # "what's our ROAS on social?": that channel's figures
        arguments["channels"] = named
    return arguments


def _channels(text: str) -> list[tuple[str, int, int]]:
    found = []
    for match in _CHANNEL.finditer(text):
        name = next(n for n, _ in CHANNEL_WORDS if match.group(n) is not None)
        found.append((name, match.start(), match.end()))
    return found


def _money(match: re.Match[str]) -> float:
    number = match.group("a") or match.group("b") or match.group("c")
    value = float(re.sub(r"[ ,]", "", number))
    unit = (match.group("ua") or match.group("ub") or "").lower()
    return value * (1000 if unit in ("k", "thousand") else 1_000_000 if unit in ("m", "million") else 1)


def _amount(text: str) -> float | None:
    match = MONEY.search(text)
    if match is not None:
        return _money(match)
    plain = re.search(rf"\b({_NUMBER})\b(?!\s*(?:%|weeks?|months?|days?|x\b))", text)
    return float(re.sub(r"[ ,]", "", plain.group(1))) if plain is not None else None


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


_CHANNEL_SPAN = _CHANNEL.pattern


def _changes(query: str, used: list[tuple[int, int]]) -> dict[str, str]:
    """What-ifs: "cut TV by 30%", "halve display", "add $5k to search", "double social", "pause tv"."""
    found: dict[str, str] = {}
    if not re.search(
        r"\bwhat if\b|\bwhat happens\b|\bwhat would\b|\bif we\b|\bscenario\b|\bimpact of\b|"
        r"\beffect of\b|\bhow much (?:would|will) (?:we|i) (?:lose|gain)\b|\bhow (?:much|many) more\b|"
        # "and if social is cut in half?", 那社交减少一半呢, 电视停投会少卖多少
        r"\band if\b|^if\b|\bwhat about\b|\bhow about\b|^that\b|"
        r"\bsell (?:less|more)\b|\bhow (?:much|many) (?:less|fewer)\b|"
        # the effect asked for: "TV cut 30%, how much would revenue drop", 销量会掉多少, sales 能涨多少
        rf"{EFFECT}",
        query,
        re.IGNORECASE,
    ):
        return found  # fmt: skip
    ch = _CHANNEL_SPAN
    owner = r"(?:our\s+|the\s+)?"
    spend = r"(?:\s+(?:spend|budget|ads))?\s+(?:spend\s+|budget\s+)?"
    by = r"by\s+(?P<v>half|a half|a third|a quarter|a fifth|a tenth|[^\s,.;?]+(?:\s*%|\s*percent)?)"
    amount = rf"(?P<v>[$€£]?\s*{_NUMBER}\s*(?:k|m|thousand)?(?:\s*(?:dollars|usd|euros?))?)"
    share = rf"(?P<v>[$€£]?\s*{_NUMBER}\s*(?:%|percent|k|m|thousand)?|half|a half|a third|a quarter)"
    cut = r"cut|cuts|cutting|reduce|reducing|lower|lowering|trim|decrease|drop|slash"
    grow = r"increase|increasing|raise|raising|boost|boosting|grow|up"
    add = r"add|adding|put|putting|spend|spending|move|moving|shift|shifting"
    stop = r"stop|stopping|stopped|pause|pausing|paused|kill|killing|turn off|turning off|drop|dropping|switch off"
    patterns: list[tuple[re.Pattern[str], str]] = [
        (re.compile(rf"\b(?:{cut})\s+{owner}{ch}{spend}{by}", re.IGNORECASE), "-"),
        (re.compile(rf"\b(?:{grow})\s+{owner}{ch}{spend}{by}", re.IGNORECASE), "+"),
        (
            re.compile(
                rf"\b(?:{add})\s+(?:an?\s+)?(?:extra\s+|another\s+|additional\s+)?{amount}\s+(?:more\s+|extra\s+)?"
                r"(?:(?:a|per|each) week\s+)?"
                rf"(?:in|into|to|on)\s+{owner}{ch}",
                re.IGNORECASE,
            ),
            "+",
        ),
        (re.compile(rf"\b(?:halve|halving|halved)\s+{owner}{ch}", re.IGNORECASE), "x0.5"),
        (re.compile(rf"\b(?:double|doubling|doubled)\s+{owner}{ch}", re.IGNORECASE), "x2"),
        (re.compile(rf"\b(?:{stop})\s+(?:all\s+)?{owner}{ch}", re.IGNORECASE), "0"),
        (
            re.compile(
                rf"\b{ch}(?:\s+(?:spend|budget))?\s+(?:was|were|is|went)\s+(?:cut|reduced|lowered)\s+{by}", re.I
            ),
            "-",
        ),
        # the channel first ("tv: cut 20%", "display, stop it"): how Chinese puts it (电视砍掉两成)
        (re.compile(rf"\b{ch}{spend}[:,]?\s*(?:{cut})\s+(?:by\s+)?{share}", re.IGNORECASE), "-"),
        (
            re.compile(
                rf"\b{ch}{spend}[:,]?\s*(?:(?:per|a|each) week\s+|weekly\s+)?(?:{grow}|add|adding)\s+"
                rf"(?:by\s+|extra\s+|another\s+)?{share}",
                re.IGNORECASE,
            ),
            "+",
        ),
        (re.compile(rf"\b{ch}{spend}[:,]?\s*(?:halve|halved|cut in half)\b", re.IGNORECASE), "x0.5"),
        (re.compile(rf"\b{ch}{spend}\s*(?:is|was|gets?|got)\s+(?:cut|reduced|slashed)\s+in\s+half\b", re.I), "-50%"),
        (re.compile(rf"\b{ch}{spend}[:,]?\s*(?:double|doubled)\b", re.IGNORECASE), "x2"),
        (re.compile(rf"\b{ch}{spend}[:,]?\s*(?:all\s+)?(?:{stop})\b", re.IGNORECASE), "0"),
    ]
    for pattern, sign in patterns:
        for match in pattern.finditer(query):
            channel = next(n for n, _ in CHANNEL_WORDS if match.group(n) is not None)
            value = match.groupdict().get("v")
            text = sign if value is None else _change_text(sign, value)
            if text is not None and channel not in found:
                found[channel] = text
                used.append((match.start(), match.end()))
    return found


def _change_text(sign: str, value: str) -> str | None:
    value = value.strip().lower()
    fractions = {"half": 50.0, "a half": 50.0, "a third": 100 / 3, "a quarter": 25.0, "a fifth": 20.0, "a tenth": 10.0}
    if value in fractions:
        return f"{sign}{fractions[value]:g}%"
    percent = PERCENT.fullmatch(value) or PERCENT.match(value)
    if percent is not None:
        return f"{sign}{float(percent.group(1)):g}%"
    amount = _amount(value)
    return None if amount is None else f"{sign}{amount:g}"


def _bounds(query: str, used: list[tuple[int, int]]) -> tuple[dict[str, float], dict[str, float], list[str]]:
    low: dict[str, float] = {}
    high: dict[str, float] = {}
    fixed: list[str] = []
    ch = _CHANNEL_SPAN
    money = rf"(?P<m>[$€£]?\s*{_NUMBER}\s*(?:k|m|thousand)?(?:\s*(?:dollars|usd|euros?))?)"
    for words, target in ((LOW_WORDS, low), (HIGH_WORDS, high)):
        for pattern in (
            rf"\b(?:{words})\s+{money}\s+(?:on|for|in|to)\s+(?:the\s+)?{ch}",
            rf"\b{ch}(?:\s+channels?)?(?:\s+(?:spend|budget))?\s*(?:at|to|should get|gets|get|of|needs?|must get)?\s*"
            rf"(?:{words})\s+(?:(?:to\s+)?(?:need|needs|get|gets|have|be)\s+)?{money}",
            rf"\b(?:cap|limit)\s+(?:the\s+)?{ch}(?:\s+(?:spend|budget))?\s+at\s+{money}",
        ):
            if target is low and pattern.startswith(r"\b(?:cap"):
                continue
            for match in re.finditer(pattern, query, re.IGNORECASE):
                channel = next(n for n, _ in CHANNEL_WORDS if match.group(n) is not None)
                amount = _amount(match.group("m"))
                if amount is not None:
                    target.setdefault(channel, amount)
                    used.append((match.start(), match.end()))
    keep = (
        rf"\b(?:keep|keeping|hold|holding|leave|leaving|lock|locking)\s+(?:our\s+|the\s+)?{ch}(?:\s+(?:spend|budget))?"
        rf"\s+(?:fixed|flat|as it is|as is|unchanged|the same|where it is|constant|steady)(?:\s+at\s+{money})?"
    )
    # the channel first ("tv stays unchanged": 电视保持现状)
    kept = (
        rf"\b{ch}(?:\s+(?:spend|budget))?\s+(?:stays?\s+|is\s+|kept\s+|keeps?\s+|remains?\s+)?"
        rf"(?:unchanged|fixed|as it is|the same)\b(?:\s+at\s+{money})?"
    )
    for match in [*re.finditer(keep, query, re.IGNORECASE), *re.finditer(kept, query, re.IGNORECASE)]:
        channel = next(n for n, _ in CHANNEL_WORDS if match.group(n) is not None)
        typed = match.groupdict().get("m")
        amount = _amount(typed) if typed else None
        if amount is not None:
            low[channel] = high[channel] = amount
        elif channel not in fixed:
            fixed.append(channel)
        used.append((match.start(), match.end()))
    return low, high, fixed


def _total(query: str, used: list[tuple[int, int]]) -> float | None:
    amounts = [_money(m) for m in MONEY.finditer(query) if not _inside(m.start(), m.end(), used)]
    if not amounts:
        bare = re.search(
            rf"\b(?:budget|spend|split|allocate|allocating|distribute|invest)\w*\s+(?:of\s+)?({_NUMBER})\b"
            r"(?!\s*(?:%|weeks?|months?|days?))",
            query,
            re.IGNORECASE,
        )
        if bare is None or _inside(bare.start(1), bare.end(1), used):
            return None
        amounts = [float(re.sub(r"[ ,]", "", bare.group(1)))]
    total = max(amounts)
    return total if total > 0 else None


def _period(query: str) -> int | None:
    for pattern, weeks in PERIODS:
        match = pattern.search(query)
        if match is None:
            continue
        if weeks is None:
            n = int(match.group(1))
            return n if 1 <= n <= 52 else None
        return weeks
    return None


def _restricts(query: str) -> bool:
    """The request limits the split to the channels it names ("between Google and Meta", "across search and
    social", "only on ...") rather than mentioning them in passing."""
    if re.search(r"\b(between|across|among|amongst|over|only|just|into|on|to)\b", query, re.IGNORECASE) is not None:
        return True
    # "google and facebook, split 20k" (谷歌和脸书 分一下): the pair, then the split
    pair = rf"{_CHANNEL_SPAN}\s*(?:,|and|&|\+|/)\s*{_CHANNEL_SPAN}"
    pair = re.sub(r"\(\?P<\w+>", "(?:", pair)  # the channel pattern twice: without its group names
    return re.search(rf"{pair}\W*(?:split|allocat\w*|divid\w*)\b", query, re.IGNORECASE) is not None


PLANNING = Planning(
    build,
    change,
    no_products,
    capability="plan a marketing budget: how to split it across channels, each channel's ROAS, what-if changes",
    offer="a budget plan",
    capability_zh="规划营销预算：各渠道怎么分、每个渠道的 ROAS、假设性调整",
    offer_zh="预算方案",
)


# Requests for the offline router's classifier (none of these is in the development or frozen routing sets).
EXEMPLARS = (
    "how should we divide a 15k budget across our channels",
    "split 40,000 dollars between search, social and tv for the next quarter",
    "best way to allocate 8k of ad spend over the next 6 weeks",
    "which channel gives us the best return on ad spend",
    "what's the roas of tv",
    "is display worth what we pay for it",
    "how much revenue does social drive per dollar",
    "what if we cut tv spend by 25%",
    "what happens to sales if we halve search",
    "what if we add 3k to social next month",
    "optimise our media budget for december",
    "we have 12k for next month: where should it go",
    "plan our marketing spend for q2 with at least 2k on tv",
    "keep tv flat and split the rest of 30k between search and social",
    "which channels are saturated",
    "where would an extra thousand dollars do the most good",
    "how much does each channel contribute to sales",
    "media mix recommendation for a 50k quarter",
    "what's our marginal roas on display",
    "should we move money from tv to search",
    "run the marketing mix model numbers for search vs social",
    "best split of a monthly 25k spend, max 5k on display",
    "how many sales do we get from paid social",
    "what's the optimal channel allocation",
)

CHANNEL_CUE = r"(tv|television|search|google|social|meta|facebook|instagram|display|video|youtube|tiktok|radio)"

CUES = (
    (
        0.7,
        r"\b(tv|television|search|google|social|meta|facebook|instagram|display|video|youtube|tiktok|radio)\b.{0,25}\b"
        r"(cut|halve|double|stop|add|increase|reduce|pause|drop|raise)\w*\b.{0,30}\bwhat happens\b|\b(budget|spend)\b"
        r".{0,10}\b(add|increase|raise|cut|reduce|boost)\w*\s+(by\s+)?\$?\d",
    ),
    (
        0.7,
        r"\b(plan|planning|build|make|set|draft|propose)\b.{0,15}\b(a |the |our |my |this )?(\$?[\d,.]+ ?k? )?"
        r"(marketing |media |ad |advertising )?budget\b|\bbudget plan\b|\bbudget of \$?\d",
    ),
    (0.8, r"\broas\b|\breturn on ad spend\b|\bmarginal (roas|return)\b|\bmarketing[- ]mix\b|\bmedia[- ]mix\b|\bmmm\b"),
    (
        0.7,
        r"\b(split|allocat\w*|divide|distribut\w*|spread|optimi[sz]\w*|reallocat\w*)\b.{0,50}\b(budget|ad spend|media "
        r"spend|marketing spend|spend)\b",
    ),
    (
        0.7,
        r"\b(budget|ad spend|media spend|marketing spend)\b.{0,50}\b(split|allocat\w*|across|between|per channel|"
        r"by channel|mix|optimi[sz]\w*)\b",
    ),
    (
        0.7,
        r"\b(what if|if) we\b.{0,30}\b(cut\w*|reduc\w*|halv\w*|doubl\w*|tripl\w*|increas\w*|add\w*|stop\w*|paus\w*|"
        r"drop\w*|rais\w*|spen[dt]\w*|boost\w*|trim\w*|slash\w*|scal\w*|turn\w* off|put\w*|invest\w*|"
        r"switch\w* off|shut\w* off|kill\w*)\b.{0,40}\b"
        r"(tv|television|search|google|social|meta|facebook|instagram|display|video|youtube|tiktok|spend|budget)\b",
    ),
    (
        0.6,
        r"\b(which|what) channel\w* (gives?|drives?|brings?|returns?|is worth|works? best|performs? best|deliver\w*)"
        r"\b|\bwhere (should|to|do) (we|i) (spend|put|invest)\b.{0,40}\b(money|budget|dollars|\$|ads?|marketing)\b",
    ),
    # "a 20% bump in Google spend", "move 6k from TV to search", "20k, four weeks, allocate"
    (
        0.7,
        r"\b(bump|boost|increase|rise|hike|cut|drop|reduction)\b.{0,10}\b(in|to|on)\b.{0,10}\b"
        + CHANNEL_CUE
        + r"\b.{0,5}\b(spend|budget)\b|\b(move|shift)\b.{0,10}\$?\d[\d,.]*k?\b.{0,10}\bfrom (the )?"
        + CHANNEL_CUE
        + r"\b.{0,10}\bto\b",
    ),
    (0.7, CHANNEL_CUE + r"\b.{0,20}\b(move|moving|shift|shifting)\b.{0,20}\bto (the )?" + CHANNEL_CUE + r"\b"),
    # an amount that is a budget ("budget $50000", "a 30k media budget"), a channel's bound ("search at least 10k")
    (
        0.7,
        r"\b(budget|spend)\s*(is|of|:)?\s*(\$\d|\b\d+(\.\d+)?k\b)|(\$\d[\d,.]*|\b\d+(\.\d+)?k)\s+"
        r"(total |marketing |media |ad )?(budget|spend)\b",
    ),
    # a bound alone is weak: a clause "search at least 10k" stays with the budget it bounds, never its own step
    (0.3, CHANNEL_CUE + r"\b.{0,15}\b(at least|at most|no more than|capped at|cap)\b.{0,12}\$?\d"),
    # "search ads cut 20%" (搜索广告砍掉20%): a channel's spend changed by an amount, not an ad to write
    (
        0.7,
        CHANNEL_CUE + r"\b( ads)?\s+(cut|halve|double|reduce|raise|increase|add)\w*\s+(by\s+)?(\$?\d|half\b)",
    ),
    # "tv stopped: how much less would we sell?" (电视停投会少卖多少)
    (
        0.7,
        CHANNEL_CUE + r"\b.{0,20}\b(cut|halve|double|stop|pause|drop|add|increase|reduce|raise)\w*\b.{0,30}\b"
        r"(sell (less|more)|how (much|many) (less|more|fewer)|lose|what happens|effect)\b|" + CHANNEL_CUE + r"\b.{0,20}"
        r"\b(cut|halve|double|stop|pause|drop|add|increase|reduce|raise)\w*\b.{0,30}" + EFFECT,
    ),
    (
        0.7,
        r"(\$\d|\b\d+(\.\d+)?k\b).{0,60}\b(split|allocat\w*|divid\w*)\b|\b(split|allocat\w*|divid\w*)\b.{0,40}"
        r"(\$\d|\b\d+(\.\d+)?k\b)",
    ),
    (
        0.6,
        r"\b(move|shift) (money|budget|spend|dollars)\b.{0,30}\b(from|to|into)\b|\b(channel|channels)\b.{0,30}\b"
        r"(saturat\w*|contribut\w*|effectiveness|diminishing returns)\b",
    ),
)
