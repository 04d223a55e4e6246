"""How the offline router fills audit_fairness' arguments: the list (a segment or filter the request names, a
product's audience, a customer), and the attributes it names ("across age groups" -> age)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tools.unit import CatalogueFacts, Planning, Products, RequestDetails

ATTRIBUTE_WORDS = (
    (r"\bage\w*|\bolder\b|\byounger\b|\bgenerations?\b", "age"),
    (r"\bgender\w*|\bsex\b|\bwomen\b|\bmen\b|\bfemale\b|\bmale\b", "gender"),
    (r"\bincome\w*|\bwealth\w*|\bpoor\w*|\brich\w*|\blow[- ]income\b", "income"),
    (r"\bregion\w*|\bstates?\b|\bcountr(y|ies)\b|\bcit(y|ies)\b|\bgeograph\w*|\blocation\w*", "region"),
    (r"\bhousehold\w*|\bfamil(y|ies)\b|\bkids\b|\bchildren\b", "household"),
)


def build(details: RequestDetails, products: Products | None, _: CatalogueFacts) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    _apply(arguments, details, products)
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, products: Products | None, _: CatalogueFacts) -> None:
    """A follow-up's list or attributes replace the earlier ones ("and by gender?")."""
    if details.segment_filter is not None or (products is not None and products.ids):
        for key in ("segment", "product", "customer_ids"):
            arguments.pop(key, None)
    _apply(arguments, details, products)


def products_in(arguments: Mapping[str, Any]) -> list[Any]:
    product = arguments.get("product")
    return [product] if product is not None else []


CUSTOMER_CODE = re.compile(r"\b[Cc]\d{3,}\b")
# "no combinations, just single attributes": each attribute alone, no pairs
NO_PAIRS = re.compile(
    r"\b(no|not|without|skip|drop|don.t)\b.{0,20}\b(combinations?|pairs?|intersections?)\b|"
    r"\b(single|1|one) attributes?\b(?! and)",
    re.IGNORECASE,
)
# "set the threshold at 0.85" (the four-fifths rule's 0.8 otherwise)
THRESHOLD = re.compile(
    r"\b(?:threshold|cut-?off|ratio)\b[^\d]{0,20}(0?\.\d+)|\b(0?\.\d+)\s*(?:threshold|cut-?off|ratio)\b", re.IGNORECASE
)
# "don't judge groups under 100", "fewer than 100 people": the least group size judged
MIN_GROUP = re.compile(
    r"\b(?:under|below|fewer than|less than|smaller than)\s+(\d+)\s+(?:people|customers|members|in a group)\b|"
    r"\bgroups?\b.{0,25}\b(?:under|below|fewer than|less than|smaller than)\s+(\d+)\b|"
    # "people fewer than 50 groups: skip" (人数少于50的组别不用判)
    r"\b(?:under|below|fewer than|less than|smaller than)\s+(\d+)\s+(?:people\s+)?groups?\b",
    re.IGNORECASE,
)


def _apply(arguments: dict[str, Any], details: RequestDetails, products: Products | None) -> None:
    customers = list(dict.fromkeys(c.upper() for c in CUSTOMER_CODE.findall(details.query)))
    if details.segment_filter is not None:
        arguments["segment"] = details.segment_filter
    elif products is not None and len(products.ids) == 1:
        arguments["product"] = products.ids[0]
        if details.limit is not None:
            arguments["audience_size"] = details.limit
    elif customers:
        arguments["customer_ids"] = customers
    _apply_rules(arguments, details.query)
    attributes = [name for pattern, name in ATTRIBUTE_WORDS if re.search(pattern, details.query, re.IGNORECASE)]
    if attributes:
        arguments["attributes"] = attributes
    if not any(k in arguments for k in ("segment", "product", "customer_ids")):
        at_risk = re.search(r"\bat[- ]risk\b|\bchurn", details.query, re.I)
        lapsed = re.search(r"\bwin[- ]?back\b|\breactivat\w*|\blapsed\b|\bdormant\b", details.query, re.I)
        arguments["segment"] = "at_risk" if at_risk else "lapsed" if lapsed else "best"


def _apply_rules(arguments: dict[str, Any], query: str) -> None:
    """The audit's own settings, when the request states them: no pairs, the threshold, the least group size."""
    if NO_PAIRS.search(query):
        arguments["pairs"] = False
    if (found := THRESHOLD.search(query)) is not None and 0 < (
        threshold := float(found.group(1) or found.group(2))
    ) < 1:
        arguments["threshold"] = threshold
    if (smallest := MIN_GROUP.search(query)) is not None:
        arguments["min_group"] = int(next(g for g in smallest.groups() if g is not None))


PLANNING = Planning(
    build,
    change,
    products_in,
    capability="audit a targeting list for fairness across customer groups (age, gender, income, region)",
    product="optional",
    offer="a fairness audit",
    capability_zh="审计目标名单在各客户群体（年龄、性别、收入、地区）之间是否公平",
    offer_zh="公平性审计",
    customer_group="segment",
)


# Requests for the offline router's classifier (names fictional; none of these is in the development or frozen
# routing sets).
EXEMPLARS = (
    "is the win-back list fair across age bands",
    "does the vip offer favour men over women",
    "check the loyalty email list for bias by income",
    "audit the at-risk campaign for fairness",
    "fairness check of the lapsed customer offer by region",
    "does our targeting discriminate by gender",
    "four-fifths rule check for the new customer promo",
    "is the discount audience biased against low income households",
    "selection rates by age group for the at-risk list",
    "who is left out of the vip campaign by demographic",
    "compare how often each gender gets the loyalty offer",
    "is the orion backpack audience fair across regions",
    "run a disparate impact check on the reactivation list",
    "bias audit of our segment targeting",
    "do younger shoppers get the offer more often than older ones",
    "break down the reactivation mailing by gender and tell me if it is balanced",
    "is the premium upgrade offer going mostly to high earners",
    "equal opportunity check on who receives the birthday coupon",
    "what share of each age band is on the spring promo list",
    "flag any demographic group the clearance email skips",
    "are men and women picked at similar rates for the style club invite",
    "does the free shipping promo reach every region fairly",
    "adverse impact analysis of the referral bonus audience",
    "is there a gap by income in who gets the loyalty points boost",
    "compare selection by age for the win-back coupon",
    "is our retargeting list skewed toward one gender",
    "check whether the early access invite is equitable across age groups",
    "group fairness of the churn prevention offer",
    "which demographic groups are least likely to get the discount code",
    "make sure the vip perks are not biased by region",
    "is the orion tent promo list fair to customers over 65",
    "do lower income customers get fewer offers",
    "how evenly is the summer sale email spread across age bands",
    "gender parity check for the new arrivals campaign",
    "are some income bands left out of the cashback offer",
    "audit the vip list",
    "audit our win-back list please",
    "run an audit on the lapsed shoppers list",
    "audit our churn list for me",
    "audit the new signups list",
    "audit the recent buyers list",
)

CUES = (
    (
        0.8,
        r"\b(fair|unfair|fairly|fairness|bias|biased|discriminat\w*|disparate|disparity|equitabl\w*|under-?serv\w*|"
        r"over-?serv\w*|under-?represent\w*|over-?represent\w*)\b.{0,60}\b(age|gender|sex|income|race|ethnic\w*|"
        r"region|groups?|demographic\w*|women|men|older|younger|customers|list|offer|campaign|targeting|audience)\b",
    ),
    (
        0.8,
        r"\b(age|gender|sex|income|race|ethnic\w*|demographic\w*|older|younger|women|men|regions?)\b.{0,60}\b(fair|unfair|"
        r"fairly|fairness|bias|biased|discriminat\w*|disparate|disparity|equal(ly)?|under-?served|"
        r"over-?represented|under-?represented)\b",
    ),
    (
        0.8,
        r"\b(four|4)[- ]fifths?\b|\b4/5(ths)? rule\b|\b80 ?% rule\b|\badverse impact\b|\bdisparate impact\b|"
        r"\bprotected (group|attribute|class)\w*\b",
    ),
    (0.6, r"\b(fairness|bias) (audit|check|review|test)\b|\baudit\b.{0,30}\b(fair\w*|bias\w*)\b"),
    (
        0.8,
        r"\b(list|audience|targeting)\b.{0,40}\b(fair|unfair|fairness|bias\w*)\b|\baudit\b.{0,20}\b(the |this |our )?"
        r"(vips?|at[- ]risk|lapsed|new|best|target\w*|customer|customers|audience)\b.{0,20}\blist\b",
    ),
    # "then audit this list": auditing a list is this tool's job
    (0.8, r"^(please )?audit\b|\baudit (this|that|the|our|these|those) (list|audience|group|segment|names)\b"),
    (0.8, r"\b(age|gender|income|region)\w*\b.{0,20}\baudit\w*|\baudit\w*\b.{0,30}\b(age|gender|income|region)\w*"),
    # "check whether the list is fair", "will the coupons only reach young people?", "does it lean to one age group?"
    (0.8, r"\b(check|see|verify|tell me|audit|whether|is it|are they)\b.{0,50}\b(fair|unfair|biased)\b"),
    (
        0.7,
        r"\bonly\b.{0,25}\b(reach\w*|go|goes|going|end\w* up|land\w*|get|gets|sent)\b.{0,30}\b"
        r"(young\w*|older|old|elderly|women|men|female|male|rich|wealthy|poor)\b",
    ),
    (
        0.8,
        r"\b(lean\w*|skew\w*|tilt\w*)\b.{0,30}\b(age\w*|gender\w*|income\w*|regions?|women|men|older|younger|young)\b",
    ),
    (0.5, r"\bselection rates?\b.{0,30}\b(by|per|across)\b|\b(by|per|across|each)\b.{0,30}\bselection rates?\b"),
    # an attribute's balance in who is picked: "a gender skew", "lopsided between men and women", "leaving out older
    # people", "coverage across income bands", 男女比例会不会太偏, 会不会把年纪大的漏掉
    (
        0.8,
        r"\b(gender|age|income|region)\w*\s+(skew\w*|balance|imbalance|split|ratio|mix|gap)\b|"
        r"\b(lopsided|unbalanced|imbalanced|skewed)\b.{0,40}\b(men|women|gender|age\w*|older|younger|income|regions?)\b|"
        r"\b(leav\w* out|left out|miss\w*|exclud\w*|overlook\w*)\b.{0,20}\b(older|younger|elderly|women|men|"
        r"low[- ]income|rural)\b|\b(coverage|selection rates?)\b.{0,30}\b(across|by|between|per|for)\b.{0,15}"
        r"\b(age|gender|income|region)\w*|\b(men and women|gender)\b.{0,30}\b(selection rate|unbalanced|skewed)\b|"
        r"\b(age|gender|income|region)\w*( bands?| groups?)?\b.{0,20}\b(coverage|selection rates?|skew\w*|lopsided|"
        r"unbalanced|imbalanced)\b|"
        r"\b(older|younger|elderly|women|men|low[- ]income)\b.{0,20}\b(leav\w* out|left out|miss\w*|exclud\w*)\b",
    ),
    (
        0.7,
        r"\b(selected|chosen|targeted|reached|treated|included|offered)\b.{0,25}\b(equally|fairly|evenly|the same)\b"
        r".{0,30}\b(across|by|between|for)\b",
    ),
)
