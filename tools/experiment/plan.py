"""How the offline router fills analyze_experiment's arguments from what a request says: the test's name ("the
spring email test"), the lift worth finding ("to detect a 10% lift") and the daily traffic ("we send 2,000 a
day"). A request that names no test means the most recent one."""

from __future__ import annotations

import re
from typing import Any

from tools.unit import CatalogueFacts, Planning, Products, RequestDetails, ResultUse, no_products

WORD = re.compile(r"[a-z0-9][a-z0-9'&/-]*")
KEYWORDS = frozenset({"test", "tests", "experiment", "experiments"})
DETERMINERS = frozenset({"the", "my", "our", "this", "that", "your", "its", "their"})
# words that end a name read backwards from "test" without being part of it
BREAKS = frozenset({
    "of", "in", "on", "for", "from", "with", "to", "a", "an", "is", "was", "are", "and", "or", "did", "does", "do",
    "which", "what", "who", "how", "results", "result", "winner", "stop", "end", "call", "set", "run", "start",
})  # fmt: skip
# words said about a test that are not its name
NOT_NAME = frozenset({"a/b", "ab", "split", "last", "latest", "current", "running", "recent", "new", "same", "ad"})
AFTER = frozenset({"statistically", "significant", "yet", "now", "so", "still", "winning", "doing", "going", "and"})
# words a request may start with that are not a test's name ("show test results")
OPENERS = frozenset({
    "show", "check", "analyse", "analyze", "read", "tell", "give", "see", "view", "get", "me", "us", "please", "now",
    "compare", "summarise", "summarize", "review", "evaluate", "has", "have",
})  # fmt: skip


# a name said at the start of a clause, right before what is asked of it ("spring email sample size?", "homepage
# banner which variant won?": how Chinese requests read, 首页横幅谁赢了)
ASKED_OF = re.compile(
    r"(?:^|[,.;:?!]\s*)((?:[a-z][a-z0-9'&-]*\s+){0,3}?[a-z][a-z0-9'&-]*)\s+(?:now\s+|currently\s+|so far\s+)?"
    r"(?:sample size|which variant won|who won|won\b|winner|results?\b|(?:who\s+)?(?:is\s+)?(?:leading|ahead|winning))",
    re.IGNORECASE,
)


def named_test(query: str) -> str | None:
    """The test a request names, as said ("spring email" from "in the spring email test"), or None ("this test",
    "our latest experiment"): the words between a determiner and "test"/"experiment", or after "test on the"."""
    words = [m.group(0) for m in WORD.finditer(query.lower())]
    for i, word in enumerate(words):
        if word not in KEYWORDS:
            continue
        name = _name_before(words, i)
        kept = [w for w in name if w not in NOT_NAME] or _name_pointed_at(words, i)
        if kept:
            return " ".join(kept)
        if i + 2 < len(words) and words[i + 1] in {"on", "for", "of"}:
            start = i + 3 if words[i + 2] in DETERMINERS else i + 2
            after = []
            for w in words[start : start + 5]:
                if w in AFTER or w in KEYWORDS:
                    break
                after.append(w)
            kept = [w for w in after if w not in NOT_NAME]
            if kept:
                return " ".join(kept)
    if (asked := ASKED_OF.search(query)) is not None:  # "homepage banner: which variant won?" (a name said first)
        kept = [w for w in asked.group(1).lower().split() if not {w} & (DETERMINERS | OPENERS | BREAKS | NOT_NAME)]
        if kept and len(kept) == len(asked.group(1).split()):
            return " ".join(kept)
    one = re.search(r"\b(?:the|and|about)\s+((?:[a-z0-9'&-]+\s+){0,4}?[a-z0-9'&-]+)\s+one\b", query, re.IGNORECASE)
    if one is not None and re.search(r"\b(test|experiment|variant|winning|split)\b", query, re.IGNORECASE) is None:
        kept = [w for w in one.group(1).lower().split() if w not in DETERMINERS and w not in NOT_NAME]
        return " ".join(kept) or None
    return None


def _name_pointed_at(words: list[str], i: int) -> list[str]:
    """A name said before "that"/"this" right before "test" ("spring email that test": Chinese puts 那个 between the
    name and 测试), read back from the determiner."""
    if i >= 2 and words[i - 1] in {"that", "this"}:
        return [w for w in _name_before(words, i - 1) if w not in NOT_NAME]
    return []


def _name_before(words: list[str], i: int) -> list[str]:
    """The words before "test" at `i` back to a determiner or the start of the request; [] when a word that is
    never part of a name comes first, or seven words go by without a determiner."""
    name: list[str] = []
    for before in reversed(words[max(0, i - 7) : i]):
        if before in DETERMINERS:
            return name
        if before in OPENERS:
            return name  # "show the spring email test": the name starts after the opener
        if before in BREAKS:
            return []
        name.insert(0, before)
    return name if i <= 7 else []


LIFT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(?:%|percent)\s*(?:relative\s+)?(?:lift|uplift|increase|improvement|difference|better|"
    r"higher|more conversions)|\b(?:lift|uplift)\b(?:\s+[a-z]+){0,6}?\s+(\d+(?:\.\d+)?)\s*(?:%|percent)",
    re.IGNORECASE,
)
DAILY = re.compile(
    r"(\d[\d,]*)\s*(?:k\b)?\s*(?:sends|emails|visitors|visits|impressions|exposures|users|people|views)?\s*"
    r"(?:a|per|each)\s+day\b"
    r"|\b(?:a|per|each|every)\s+day,?\s+(?:(?:only|just|we|get|gets|have|has|about|around)\s+){0,3}(\d[\d,]*)\s*(?:k\b)?\s*(?:sends|emails|visitors|visits|impressions|exposures|users|"
    r"people|views)\b"
    r"|\b(?:a|per|each|every)\s+day,?\s+(?:we\s+|i\s+)?(?:send|sends|get|gets|reach)\s+(\d[\d,]*)\s*(?:k\b)?",
    re.IGNORECASE,
)
# each variant's least share of the next traffic: "keep at least 25% on each version", "每个版本至少留25%"
FLOOR = re.compile(
    r"\b(?:at least|no less than|minimum(?: of)?|floor of)\s+(\d+(?:\.\d+)?)\s*%\s*(?:on|for|to|per)?\s*(?:each|every)"
    r"\s+(?:variant|version|arm)|\b(?:each|every)\s+(?:variant|version|arm)\s+(?:gets\s+|keeps\s+|keep\s+)?"
    r"(?:at least|no less than|minimum(?: of)?)\s+(\d+(?:\.\d+)?)\s*%",
    re.IGNORECASE,
)
CONFIDENCE = re.compile(r"\b(\d{2}(?:\.\d+)?)\s*%\s*(?:confidence|confident|certainty|sure)\b", re.IGNORECASE)
SIGNIFICANCE = re.compile(
    r"\b(?:significance level|alpha)\s*(?:of|=|at|to)?\s*(0?\.\d+)\b|\b(0?\.\d+)\s+(?:significance|alpha)\b",
    re.IGNORECASE,
)


# an arm's label where a typed result starts: "v1: 5,000 sent, 150 opens; v2 ...", "A had 6,000 visitors and 180
# orders, B had ...", "control 12000 / 300" (capital letters only: "a" is a word); "variant" or "challenger" alone
# is the arm set against the control ("control 9000 visits 200 orders, variant 9,000 visits 230": "variant 9" is no
# label when the 9 goes on as a count)
ARM = re.compile(
    r"(?:^|(?<=[\s;,.:(]))(v\d{1,2}|[A-D]|control|treatment|(?:variant|version|arm) [a-dA-D1-9](?!,?\d)|variant|"
    r"challenger)(?=[\s:,)])"
)
AGAINST_CONTROL = frozenset({"variant", "challenger"})  # arm labels only beside a "control" arm
COUNT_TYPED = re.compile(r"(?<![\d.])(\d+(?:,\d{3})*)(?![\d,]*\.\d)\s*(k\b)?(?!\s*%)")


def typed_results(query: str) -> list[dict[str, Any]]:
    """Results typed in the request, one arm after another: the larger of an arm's first two counts is its exposures,
    the smaller its conversions (whatever words the user put around them); none unless two or more arms have both."""
    arms = list(ARM.finditer(query))
    if not any(arm.group(1).lower() == "control" for arm in arms):  # "A variant 4800 ...": a word, not an arm
        arms = [arm for arm in arms if arm.group(1).lower() not in AGAINST_CONTROL]
    if len(arms) < 2:
        return []
    results: list[dict[str, Any]] = []
    for arm, following in zip(arms, [*arms[1:], None], strict=True):
        span = query[arm.end() : following.start() if following else len(query)]
        counts = [int(c.replace(",", "")) * (1000 if k else 1) for c, k in COUNT_TYPED.findall(span)][:2]
        if len(counts) == 2 and min(counts) > 0:
            results.append({"variant_id": arm.group(1), "exposures": max(counts), "conversions": min(counts)})
    ids = [r["variant_id"].lower() for r in results]
    return results if len(results) >= 2 and len(set(ids)) == len(ids) else []


def build(details: RequestDetails, _: Products | None, __: CatalogueFacts) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    _apply(arguments, details)
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, _: Products | None, __: CatalogueFacts) -> None:
    """A follow-up naming another test, lift or pace replaces that argument ("and the homepage banner one?")."""
    _apply(arguments, details)


def _apply(arguments: dict[str, Any], details: RequestDetails) -> None:
    query = details.query
    typed = typed_results(query)
    if typed:
        arguments["results"] = typed
    name = named_test(query) if not typed else None
    if name is not None:
        arguments["experiment"] = name
    if (lift := LIFT.search(query)) is not None and 0 < float(lift.group(1) or lift.group(2)) <= 1000:
        arguments["lift"] = float(lift.group(1) or lift.group(2)) / 100
    if (confidence := CONFIDENCE.search(query)) is not None and 50 <= float(confidence.group(1)) < 100:
        arguments["alpha"] = round(1 - float(confidence.group(1)) / 100, 6)
    elif (level := SIGNIFICANCE.search(query)) is not None and 0 < float(level.group(1) or level.group(2)) <= 0.5:
        arguments["alpha"] = float(level.group(1) or level.group(2))
    if (floor := FLOOR.search(query)) is not None and 0 < float(floor.group(1) or floor.group(2)) < 50:
        arguments["floor"] = float(floor.group(1) or floor.group(2)) / 100
    if (daily := DAILY.search(query)) is not None:
        count = int(next(g for g in daily.groups() if g is not None).replace(",", ""))
        if re.search(r"\d\s*k\b", daily.group(0), re.IGNORECASE):
            count *= 1000
        if count > 0:
            arguments["daily_exposures"] = count


SET_UP = re.compile(
    r"\b(set ?up|start|launch|run|create|begin|kick off)\b.{0,25}\b(a/b |ab |split )?(test|experiment)s?\b|"
    r"\b(test|experiment) (them|these|those|it)\b",
    re.IGNORECASE,
)


def sets_up(details: RequestDetails) -> bool:
    """ "...and set up a test": a new test of the copy just written."""
    return SET_UP.search(details.query) is not None


PLANNING = Planning(
    build,
    change,
    no_products,
    capability="read an ad test's results: which variant wins, the next traffic split and how long to run it",
    offer="an A/B test reading",
    capability_zh="解读广告测试结果：哪个版本胜出、下一步流量怎么分、还要跑多久",
    offer_zh="A/B 测试解读",
    uses_result=ResultUse("generate_ad_copy", "variants", "variants", sets_up),
)


# Requests for the offline router's classifier (test names fictional; none of these is in the development or
# frozen routing sets).
EXEMPLARS = (
    "which variant is winning in the autumn newsletter test",
    "which ad version is ahead right now",
    "did variant b beat variant a",
    "is the subject line test significant yet",
    "can we stop the checkout button experiment",
    "who won the winter sale email a/b test",
    "how long should the banner test keep running",
    "how many more sends do we need to detect a 5% lift",
    "what sample size do i need for a 10 percent uplift in clicks",
    "how should we split traffic between the variants now",
    "what share of sends should each subject line get next",
    "read the results of the loyalty email experiment",
    "show the a/b test results for the pricing page",
    "which creative converts best in the meta ad test",
    "is there a real difference between the two headlines in the test",
    "should we keep the cart reminder test going",
    "pick the winner of the welcome series test",
    "what is the conversion rate of each variant in the promo test",
    "has the holiday email test reached significance",
    "which subject line got more clicks in the test",
    "give me the probability each variant is best",
    "analyse our latest experiment",
    "how is the running test doing",
    "revenue per send for each variant in the test",
    "which of the two landing pages converts better so far",
    "is version b of the welcome email really better or is it noise",
    "the push notification test: who is ahead",
    "give me the results of the cta button colour test",
    "can i end the free trial banner experiment now",
    "how much longer until the checkout test has a winner",
    "what allocation should each arm get tomorrow",
    "did the new subject line lift open-to-click rates",
    "compare the conversion rates of the three hero images",
    "is our headline experiment conclusive",
    "how many visitors per variant do we need to see a 2 point lift",
    "what is the chance variant c is the best one",
)

CUES = (
    (0.7, r"\ba ?/ ?b[- ]?tests?\w*\b|\bab[- ]tests?\w*\b|\bsplit[- ]tests?\w*\b|\bmultivariate\b|\bholdout test\b"),
    (
        0.7,
        r"\b(experiment|test)\b.{0,40}\b(result\w*|winn\w*|won|significan\w*|lift|conversion|converts?|running|stop|"
        r"sample size|how long)\b",
    ),
    (
        0.7,
        r"\b(which|what) (ad |email |subject line |creative |landing page )?(variant|version|creative|subject line|arm)"
        r"s? (is |was )?(winning|won|better|best|ahead|leading|performing|performed|converting|converted)\b",
    ),
    (
        0.7,
        r"\b(winning|winner|losing) (variant|version|creative|arm|subject line|ad)\b|\bstatistical(ly)? significan\w*"
        r"|\bp[- ]?values?\b|\bconfidence interval\b",
    ),
    (
        0.7,
        r"\bhow (many|long)\b.{0,50}\b(sends|impressions|visitors|users|days)\b.{0,40}\b(detect|lift|significan\w*|"
        r"test)\b|\bsample size\b",
    ),
    (0.7, r"\bhow long\b.{0,30}\b(test|experiment)\b|\b(test|experiment)\b.{0,30}\bhow long\b"),
    (
        0.7,
        r"\b(set ?up|start|launch|begin|kick off)\b.{0,25}\b(a/b |ab |split )?(test|experiment)s?\b|"
        r"\b(a/b|split)[- ]test (them|these|those|it)\b",
    ),
    (0.6, r"\b(variant|version) [a-d]\b.{0,30}\b(beat|better|win|won|ahead|vs\.?|versus)\b"),
    # results typed arm by arm ("control 12k visits, 300 orders; treatment ..."), "who won?"
    (
        0.6,
        r"\bcontrol\b.{0,80}\b(treatment|variant|test group)\b|\b(visitors|visits|sends|sent|opens|impressions|"
        r"exposures)\b.{0,60}\b(orders|conversions|opens|clicks|sign-?ups|purchases)\b.{0,80}\b(v\d|[b-d]|treatment)\b",
    ),
    (0.5, r"\bwho won\b"),
    # "how much sample do we need?", "has the banner version won?", "who is leading?", "who won the banner test?"
    (0.7, r"\bwho (won|is winning|.s winning|is ahead|.s ahead)\b.{0,40}\b(test|experiment)\b"),
    (0.7, r"\bhow (much|big|large)( a)? sample\b|\bsample\b.{0,20}\b(need|needed|enough|big enough)\b"),
    (
        0.6,
        r"\b(version|variant|arm|banner|creative)\b.{0,10}\b(won|winning|ahead|leading)\b|"
        r"\bwho(.s| is)? (leading|ahead|winning)\b",
    ),
    (0.6, r"\b(traffic|sends?)\b.{0,30}\b(split|allocat\w*|share)\b.{0,30}\b(variants?|arms?|versions?)\b"),
    # "how much traffic does each group need", "split the next round of traffic", a test's variants compared
    (
        0.7,
        r"\b(traffic|visitors|sends|impressions|sample)\b.{0,25}\b(each|per) (group|variant|arm|version)\b|"
        r"\b(each|per) (groups?|variants?|arms?|versions?)\b.{0,20}\bneeds?\b.{0,20}\b(traffic|visitors|sends|"
        r"impressions)\b|\b(split|allocat\w*|divid\w*)\b.{0,10}\btraffic\b|\bnext round of traffic\b|"
        r"\btraffic (split|allocation)\b",
    ),
    (
        0.6,
        r"\b(test|experiment)\b.{0,30}\b(variant|version|arm)s?\b|\bcontrol\b.{0,40}\b(versus|vs\.?|and|or)\b.{0,40}"
        r"\b(versions?|groups?|variants?|arms?)\b|\bwhich (one|1|version|variant|group)\b.{0,30}\bmore "
        r"(clicks|conversions|orders|opens|revenue|sign-?ups)\b",
    ),
)
