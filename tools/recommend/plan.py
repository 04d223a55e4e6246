"""How the offline router fills recommend_products' arguments from what a request says: a customer id asks for
their products, a product for its audience ("who should get the Harbor tee email?"), a segment for the products
to feature for it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from tools.number_words import words_as_digits
from tools.unit import CatalogueFacts, Planning, Products, RequestDetails


def build(details: RequestDetails, products: Products | None, _: CatalogueFacts) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    _apply(arguments, details, products)
    return arguments


def change(arguments: dict[str, Any], details: RequestDetails, products: Products | None, _: CatalogueFacts) -> None:
    """A follow-up's customer, product or segment replaces the earlier one ("and for C00340?")."""
    if details.customer_id is not None or (products is not None and products.ids):
        for key in ("customer_ids", "product", "segment"):
            arguments.pop(key, None)
    _apply(arguments, details, products)


def products_in(arguments: Mapping[str, Any]) -> list[Any]:
    product = arguments.get("product")
    return [product] if product is not None else []


COUNT = re.compile(
    r"\b(\d+)\s+(?:[\w-]+\s+){0,2}?(?:products?|items?|picks?|recommendations?|recs|ideas|things|suggestions)\b"
    # the count before a clause that says which products, as Chinese orders it: "recommend 3 they have not bought
    # products" (推荐3个他们没买过的商品), "pick 4 most likely to appeal to them products", "pick for dormant
    # customers 6 most likely to come back products" (给沉睡客户挑6个...的商品)
    r"|\b(?:recommend|suggest|pick|choose|select)\w*\s+(?:for\s+(?:[\w-]+\s+){1,3}?)?(\d+)\s+"
    r"(?!(?:customers|people|buyers|shoppers|clients)\b)"
    r"[^\d,;.?!]{0,50}?\b(?:products?|items?)\b"
)
CUSTOMER_CODE = re.compile(r"[Cc]\d{3,}")
BARE_COUNT = re.compile(
    r"^\W*(?:instead\s+)?(?:make it|make that|change (?:it )?to|how about|what about)\s+(\d+)\W*$"
    r"|\b(?:recommend|suggest|pick)\w*\s+(\d+)\W*$"  # "C01234 and C01235: recommend 3 each" (分别推荐3个)
)
CUSTOMER_CODES = re.compile(r"\b[Cc]\d{3,}\b")
# the count said another way: "3 each", "each person 3" (每人三样), "which 5?", "list 8", "just 6"
OTHER_COUNT = re.compile(
    r"\b(\d+)\s+(?:of them\s+)?each\b|\beach\s+(?:people\s+|person\s+|customer\s+|one\s+)?(\d+)\b"
    r"|\bwhich\s+(\d+)\b|\b(?:list|show|just|only|pick|choose|top)\s+(\d+)\b(?!\s*(?:customers|people|buyers|shoppers))"
    r"|\b(?:recommend|suggest)\w*\s+(\d+)\b(?=\s*[,;.]|\s+(?:each|per|for|to)\b)"
)
EXCLUDE_BOUGHT = re.compile(
    r"(?:\b(?:exclud\w*|skip\w*|without|leav\w* out|not|never|nothing|none)\b|n.t\b).{0,25}\b(?:already )?"
    r"(?:bought|purchased|owned|ordered)\b",
    re.IGNORECASE,
)


def _apply(arguments: dict[str, Any], details: RequestDetails, products: Products | None) -> None:
    if details.customer_id is not None:
        customer = details.customer_id
        arguments["customer_ids"] = [customer.upper() if CUSTOMER_CODE.fullmatch(customer) else customer]
        more = [c.upper() for c in CUSTOMER_CODES.findall(details.query)]
        if len(more) > 1 and arguments["customer_ids"][0] in more:  # "C00621 and C00622"
            arguments["customer_ids"] = list(dict.fromkeys(more))
    if products is not None and len(products.ids) == 1:
        arguments["product"] = products.ids[0]
    elif products is not None and products.category and ("customer_ids" in arguments or details.segment_filter):
        arguments["category"] = products.category
    if EXCLUDE_BOUGHT.search(details.query):
        arguments["exclude_purchased"] = True
    if details.segment_filter is not None and "customer_ids" not in arguments:  # "C00058, a loyal customer": who
        arguments["segment"] = details.segment_filter
    query = words_as_digits(details.query.lower())  # "ten picks", "three items each"
    if "product" in arguments and details.limit is not None:
        arguments["audience_size"] = details.limit
    elif (k := _count(query)) is not None:
        arguments["k"] = k


def _count(query: str) -> int | None:
    """How many products per customer or group: "5 picks", "make it 8" (after a recommendation), "3 each"."""
    for pattern in (COUNT, BARE_COUNT, OTHER_COUNT):
        found = pattern.search(query)
        if found is not None:
            value = int(next(g for g in found.groups() if g is not None))
            return value if 1 <= value <= 100 else None
    return None


PLANNING = Planning(
    build,
    change,
    products_in,
    capability="recommend products to customers and find who to target for a product",
    product="optional",
    offer="product recommendations",
    capability_zh="给客户推荐商品，并找出某款商品该推给谁",
    offer_zh="商品推荐",
    customer_group="segment",
)


# Requests for the offline router's classifier (product names fictional, as in exemplars.yaml; none of these is in
# the development or frozen routing sets).
EXEMPLARS = (
    "what should we recommend to customer c00451 next",
    "suggest products for c02210",
    "what else would c00981 like to buy",
    "next best product for shopper c07715",
    "product recommendations for customers c00100 and c00200",
    "which products should we show c03344 on the homepage",
    "what will c01122 buy next",
    "pick 5 products for the next email to c09876",
    "personalised picks for customer c04567",
    "what can we cross-sell to c00777",
    "upsell ideas for c06543",
    "recommend something new that c00321 has not bought yet",
    "recommend footwear for c01234",
    "which kitchen products should we suggest to c05555",
    "who should we target with the orion backpack",
    "which customers will most likely buy the luna candle",
    "who is likely to purchase the vega bottle next",
    "who should get the terra mug promo email",
    "find the audience for the cirrus pillow",
    "which shoppers should see the atlas tent offer",
    "list the customers to send the nova jeans campaign to",
    "best prospects for the helix bike light",
    "which customers would want the aria lamp",
    "top 100 customers most likely to order the blue hoodie",
    "what products should we feature for our vip customers",
    "which products should we push to at-risk customers",
    "product picks for lapsed customers",
    "what should we suggest to shoppers who joined recently",
    "top products to promote to our loyal buyers",
    "which items should go in the win-back email for dormant customers",
    "what should we push to our vips",
    "what should we feature for top spenders this month",
    "what should first-time buyers be shown",
    "what to promote to customers who stopped buying",
    "which items would bring our dormant shoppers back",
    "what products would keep the vips loyal",
    "which products could stop lapsing customers from leaving",
)

CUES = (
    (
        0.7,
        r"\b(who|which customers|which shoppers|which buyers)\b.{0,15}\b(will|would|might|likely to|most likely to)\b"
        r".{0,10}\b(buy|purchase|want|order)\b|\b(to|for) (him|her|them|c\d{3,})\b.{0,20}\b(recommend|suggest)\w*",
    ),
    # "who would the Woolly throw interest?", 谁会对X感兴趣 ("who will X interested"): interest in a product
    (
        0.7,
        r"\b(who|which ([\w-]+ ){0,2}(customers|shoppers|buyers|people))\b.{0,60}\b(interested|interest them)\b",
    ),
    # 最可能买它的客户 ("most likely to buy its customers"): the buyers named after what they would buy
    (0.7, r"\blikel(y|iest) to (buy|purchase|order|want)\b.{0,40}\b(customers|shoppers|buyers|people)\b"),
    # "the hand cream's target audience is which people?", "who is its target audience?"
    (
        0.7,
        r"\btarget (customers|audiences?)\b.{0,12}\b(who|which)\b|\b(who|which (people|customers))\b.{0,20}\b"
        r"target (customers|audiences?)\b",
    ),
    (0.5, r"\b(prospects|potential (customers|buyers)|likely (customers|buyers|shoppers|purchasers))\b"),
    # "who do we sell the Woolly throw to?"
    (0.7, r"\bwho (do|should|can|could) (we|i) (sell|pitch|market|promote|offer|push|target)\b.{0,40}\bto\b"),
    # "50 people to target for X"
    (0.7, r"\b(people|customers|shoppers|buyers|prospects) (to|we should|should we) (target|reach|contact|approach)\b"),
    # "which customers should we push it to?", 该推给哪些客户
    (
        0.7,
        r"\b(recommend|push|promote|target|sell|show)\w*( it| this| them)? to (which|what) "
        r"(customers|shoppers|buyers|people)\b|\b(which|what) (customers|shoppers|buyers|people) (should|could|do|can) "
        r"(we|i) (recommend|push|promote|target|sell|show)\b.{0,40}\bto\b",
    ),
    # "which high-value customers would want X?", "who's going to buy X?"
    (
        0.7,
        r"\b(who|which)\b(\s+[\w-]+){0,3}?\s*(will|would|might|.s going to|is going to|are going to|is likely to|are "
        r"likely to)\s+(buy|purchase|want|order|like|love|be interested in)\b",
    ),
    # products for a group: "pick ten products for the dormant group", "what products suit new customers?"
    (
        0.7,
        r"\b(pick|choose|select|find)\w*\b.{0,40}\b(products?|items?)\b.{0,30}\bfor (the |our |these |those )?"
        r"([\w-]+ )?(customers?|group|segment|buyers|shoppers|vips?|them|him|her)\b|"
        r"\b(products?|items?|things)\b.{0,15}\b(suit|fit|appeal to)\b",
    ),
    # picks for people the request already named, in Chinese word order: 给他们挑几款商品 ("to them pick a few
    # products"), 挑6款他们最可能喜欢的东西 ("pick 6 them most likely love things")
    (
        0.7,
        r"\b(to|for) (them|him|her)\b.{0,10}\b(pick|choose|select)\w*\b.{0,30}\b(products?|items?|things)\b|"
        r"\b(pick|choose|select)\w*\b.{0,20}\b(them|they|he|she)\b.{0,25}\b(like|love|want|buy|enjoy)\w*\b.{0,10}"
        r"\b(products?|items?|things)\b",
    ),
    # "recommend them products they will like"
    (0.6, r"\brecommend\w*\b.{0,40}\b(products?|items?|things|something)\b"),
    # "what could we offer them to keep them?", "things he has not bought yet"
    (0.7, r"\b(offer|give|show)\b.{0,40}\bto (keep|retain|win back|bring back)\b"),
    (
        0.7,
        r"\b(things|products|items|stuff)\b.{0,20}\b(has|have|had) ?(not|n.t) (yet )?(bought|purchased)\b|"
        r"\b(has|have) ?(not|n.t) (bought|purchased) yet\b",
    ),
    (
        0.6,
        r"\b(find|list|show|pull|get)\b.{0,20}\btarget (customers|audience)\b|\btarget (customers|audience)\b.{0,15}\b"
        r"(find|list|show|pull)\b",
    ),
    (0.7, r"\bc\d{3,}\b.{0,10}\b(recommend|suggest)\w*"),
    (
        0.6,
        r"\b(vips?|loyal\w*|best|top|at[- ]risk|lapsed|dormant|new|churn\w*)\b.{0,40}\b(pick|choose|select)\w*\b"
        r".{0,30}\b(products?|items?)\b|\b(what|which) (products?|items?)\b.{0,30}\b(retain|keep|win back)\b",
    ),
    (
        0.6,
        r"\b(vips?|loyal\w*|best|top|at[- ]risk|lapsed|dormant|new|high[- ]value|churn\w*) (customers|buyers|shoppers|"
        r"clients)\b.{0,30}\b(recommend|suggest)\w*\b",
    ),
    (0.8, r"\b(products?|things|items|what)\b.{0,30}\b(retain|keep|win back|bring back)\b"),
    (
        0.7,
        r"\brecommend\w*\b.{0,50}\b(to|for)\b.{0,20}\b(customers?|shoppers?|buyers?|clients?|users?|them|him|her|"
        r"each|every|individual|c\d{3,})\b",
    ),
    (
        0.7,
        r"\b(what|which) (products?|items?)? ?(should|could|would|do|can) (we|i|you) (recommend|suggest|offer|show|"
        r"cross-?sell|upsell|feature|push)\b",
    ),
    (
        0.7,
        r"\b(cross-?sell\w*|up-?sell\w*|next[- ]best[- ](product|offer|action)|product rec(ommendation)?s?\b|"
        r"personali[sz]ed (product |offers?|recommendations?|picks)\w*|recommender|recs for)\b",
    ),
    (0.7, r"\b(suggest|recommend|propose|pick)\w*\b.{0,40}\b(for|to)\s+(customer\s+|shopper\s+)?c\d{3,}\b"),
    (0.6, r"\b(likely|likeliest|probability|chance) to (buy|purchase|order|want)\b(?! again)"),
    (
        0.7,
        r"\bwho (should|would|will|to|do we)\b.{0,10}\b(get|receive|see|target)\b|\b(who|which customers|what "
        r"customers|which shoppers|which buyers) (should|to) (we |i )?(target|send|offer|email|market)\b",
    ),
    (0.6, r"\b(audience|prospects?) for\b|\bwho would (want|like|buy)\b"),
    (
        0.6,
        r"\b(featur\w*|push\w*|promot\w*|suggest|recommend|picks?)\b.{0,40}\b(to|for) (our )?(vips?|loyal\w*|best|top|"
        r"at[- ]risk|lapsed|dormant|new|churn\w*|them|him|her)\b",
    ),
    (
        0.5,
        r"\bwhat (else )?(will|would|might|could) c\d{3,} (like|buy|want|order)\b|\bc\d{3,}\b.{0,30}\b(buy|order) "
        r"next\b",
    ),
    (0.6, r"\bwhat (should|could|would) (\w+ ){1,3}(be shown|be offered|be recommended|be sent)\b"),
    (
        0.5,
        r"\b(bought|buy|purchased|ordered) together\b|\b(customers|shoppers|buyers|people) who (bought|buy|purchased|"
        r"ordered) .{0,40}\b(also|next|would)\b",
    ),
)
