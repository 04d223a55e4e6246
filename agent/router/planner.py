"""From understood steps to a Plan: tool arguments, multi-step references, questions, refusals and follow-ups.

Policy, in the order it applies:
1. Anything that tries to change the agent's rules ("ignore previous instructions") refuses the whole request;
   a step that asks for an action the agent cannot take (send, publish, delete, change a price) is refused.
2. Each remaining step becomes one tool call. A step's products come from its own words, else from the step
   before it in the same message, else (for a follow-up, or when the tool cannot run without one) from the
   previous turn. "The product our loyal customers buy most" adds a segment_customers call and refers to its
   result; an ad "using what reviews praise" adds a search_reviews call first.
3. A tool that cannot run without a detail (a product for ads and forecasts) gets one question instead, with
   the calls kept as `pending` so the answer can complete them; a product name that matches nothing asks
   "did you mean ...", never guesses.
4. A follow-up that only changes details ("and for next quarter?", "now for email", "make it shorter")
   re-plans the previous calls with those details changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from agent.router.catalogue import Catalogue, ProductMention
from agent.router.lexicon import INTENTS, Lexicon
from agent.router.slots import Slots
from agent.router.text import Fragment, strong_cue, strong_intents
from agent.types import TOOL_NAMES, IntentScore, Plan, ToolCall, ToolName, is_reference, reference

MAX_CALLS = 8  # the agent's per-request budget
MIN_TOOL_SCORE = 0.45  # below this a tool intent is a guess: ask instead
UNCUED_TOOL_SCORE = 0.6  # the classifier alone, without a keyword for the tool, must be surer ("the Aurora dress?")
TOP_PRODUCT_PATH = "top_products.0.product_id"
NEEDS_PRODUCT: frozenset[str] = frozenset({"forecast_sales", "generate_ad_copy"})
TAKES_PRODUCT: frozenset[str] = frozenset({"forecast_sales", "generate_ad_copy", "search_reviews"})
DEFAULT_HORIZON = 8
DEFAULT_CHANNEL = "google_search"
PRAISE_QUERY = "what customers praise"

CAPABILITIES = (
    "I can summarise what customers say in reviews, forecast a product's sales, segment your customers, "
    "and write ad copy for Google Search, Meta, email or SMS."
)
REFUSAL = "That's outside what I can help with. " + CAPABILITIES
ACTION_REFUSAL = (
    "I can't send, publish, schedule, delete or change anything in your systems. "
    "I can draft copy, forecast sales, segment customers or summarise reviews for you to act on."
)
INJECTION_REFUSAL = "I can't follow instructions that change how I work. " + CAPABILITIES
GENERIC_QUESTION = "What would you like to do? " + CAPABILITIES
PRODUCT_QUESTIONS: dict[str, str] = {
    "generate_ad_copy": "Which product should the ad be for?",
    "forecast_sales": "Which product should I forecast?",
    "search_reviews": "Which product do you mean?",
}


@dataclass
class Step:
    """One step of a request, understood: its words, intent scores, chosen intent and details."""

    fragment: Fragment
    scores: dict[str, float]
    intent: str
    slots: Slots
    refusal: str | None = None  # why this step is refused, when it is


@dataclass
class Products:
    """The products a step acts on: ids (or one reference to an earlier result), or a category."""

    ids: list[Any]
    category: str | None = None


class Question(Exception):
    """Raised while building calls when a detail is missing: becomes a clarify plan."""

    def __init__(self, message: str, suggestions: Sequence[str] = (), missing: str = "product") -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)
        self.missing = missing


class Planner:
    """Builds plans from understood steps; knows the tools' arguments and the catalogue, not the words."""

    def __init__(self, catalogue: Catalogue, lexicon: Lexicon) -> None:
        self.catalogue = catalogue
        self.lexicon = lexicon

    # ---- whole requests ----------------------------------------------------------------------------------

    def plan(self, request: str, steps: list[Step], context: Plan | None) -> Plan:
        intents = _intent_scores(steps)
        base = Plan(kind="clarify", request=request, intents=intents)
        if any(s.refusal == "injection" for s in steps):
            return base.model_copy(update={"kind": "out_of_scope", "message": INJECTION_REFUSAL})
        if context is not None and self._is_follow_up(steps, context):
            return self._follow_up(steps, context, base)
        return self._new_request(steps, context, base)

    def _new_request(self, steps: list[Step], context: Plan | None, base: Plan) -> Plan:
        working = [s for s in steps if s.intent in TOOL_NAMES]
        refused = [s for s in steps if s.intent == "out_of_scope"]
        if not working:
            if refused:
                message = ACTION_REFUSAL if any(s.refusal == "action" for s in refused) else REFUSAL
                return base.model_copy(update={"kind": "out_of_scope", "message": message})
            return self._vague(steps, base)
        calls: list[ToolCall] = []
        try:
            self._build(working, _context_products(context), calls)
        except Question as question:
            return base.model_copy(
                update={
                    "message": question.message,
                    "pending": calls,
                    "missing": question.missing,
                    "suggestions": question.suggestions,
                }
            )
        warnings = [f"Skipped a part I can't help with: {s.fragment.raw!r}" for s in refused]
        return self._finish(base, calls, warnings)

    def _finish(self, base: Plan, calls: list[ToolCall], warnings: list[str]) -> Plan:
        if len(calls) > MAX_CALLS:
            warnings.append(f"The request needs {len(calls)} tool calls; only the first {MAX_CALLS} are planned.")
            calls = calls[:MAX_CALLS]
        return base.model_copy(update={"kind": "tools", "calls": calls, "warnings": warnings})

    def _vague(self, steps: list[Step], base: Plan) -> Plan:
        """No tool fits: ask what they want, naming the product when they typed one."""
        products = [p for s in steps for p in s.slots.mention.products]
        if products:
            label = self.catalogue.label(products[0])
            message = f"What would you like for {label}: what reviews say, a sales forecast, or ad copy?"
            return base.model_copy(update={"message": message, "suggestions": products[:1], "missing": "intent"})
        return base.model_copy(update={"message": GENERIC_QUESTION, "missing": "intent"})

    # ---- steps -> calls ----------------------------------------------------------------------------------

    def _build(self, steps: list[Step], from_context: list[Any], calls: list[ToolCall]) -> None:
        carried: Products | None = None
        for step in steps:
            name = cast(ToolName, step.intent)  # the caller keeps tool steps only
            products = self._products(step, name, carried, from_context, calls)
            if name == "segment_customers":
                index = self._segment_call(step.slots, calls)
                if step.slots.segment_product:
                    carried = Products([reference(index, TOP_PRODUCT_PATH)])
                continue
            if name == "generate_ad_copy" and step.slots.review_grounding:
                self._ground_in_reviews(products, calls)
            self._add_calls(name, step, products, calls)
            if products is not None and (products.ids or products.category):
                carried = products

    def _add_calls(self, name: ToolName, step: Step, products: Products | None, calls: list[ToolCall]) -> None:
        if name == "generate_ad_copy":
            targets: list[Any] = list(products.ids[:3]) if products is not None else []  # one ad per product named
            for product in targets or [None]:
                calls.append(_call(name, self._ad_arguments(step.slots, product)))
        elif name == "forecast_sales":
            calls.append(_call(name, self._forecast_arguments(step.slots, products)))
        else:
            calls.append(_call(name, self._review_arguments(step, products)))
        self._check_step(name, step.slots.mention, products)

    def _check_step(self, name: str, mention: ProductMention, products: Products | None) -> None:
        """Ask instead of running when a product is unknown, or missing where the tool needs one."""
        has_products = products is not None and bool(products.ids)
        if mention.unknown and not has_products:
            raise self._unknown_question(mention)
        if name in NEEDS_PRODUCT and not has_products:
            self._ask_for_product(name, mention, products)

    def _products(
        self, step: Step, name: str, carried: Products | None, from_context: list[Any], calls: list[ToolCall]
    ) -> Products | None:
        """The products a step acts on, in order of evidence: its own words, a segment's favourite product,
        the step before it, the previous turn."""
        slots = step.slots
        if name not in TAKES_PRODUCT:
            return None
        if slots.mention.products:
            return Products(list(slots.mention.products))
        if slots.mention.unknown:
            return None  # asked about by _check_step
        if slots.segment_product and slots.segment_filter is not None:  # before groups: "the top product"
            return Products([reference(self._segment_call(slots, calls, product_only=True), TOP_PRODUCT_PATH)])
        named = self._named_products(slots, name)
        if named is not None or slots.mention.candidates or slots.all_products:
            return named
        return self._inherited(step, name, carried, from_context)

    def _inherited(self, step: Step, name: str, carried: Products | None, from_context: list[Any]) -> Products | None:
        """Products from the step before (always) or the previous turn ("it", a follow-up, or a tool that
        cannot run without one)."""
        if carried is not None:
            return carried
        if from_context and (step.slots.anaphor or name in NEEDS_PRODUCT or self._opens_follow_up(step)):
            return Products(list(from_context))
        return None

    def _named_products(self, slots: Slots, name: str) -> Products | None:
        """Products a step names as a category or a group (not for an ad: that needs one product)."""
        mention = slots.mention
        if mention.category:
            return Products(self.catalogue.members(mention.category), category=mention.category)
        if mention.candidates and name != "generate_ad_copy":
            return Products(list(mention.candidates))
        return None

    def _segment_call(self, slots: Slots, calls: list[ToolCall], *, product_only: bool = False) -> int:
        """The index of the segment_customers call for this step's filter, added when not planned yet."""
        arguments: dict[str, Any] = {}
        if slots.segment_filter:
            arguments["filter"] = slots.segment_filter
        if not product_only:
            arguments.update(self._segment_details(slots))
        for index, call in enumerate(calls):
            if call.name == "segment_customers" and call.arguments.get("filter") == arguments.get("filter"):
                return index
        calls.append(_call("segment_customers", arguments))
        return len(calls) - 1

    @staticmethod
    def _segment_details(slots: Slots) -> dict[str, Any]:
        details: dict[str, Any] = {}
        if slots.segment_count is not None:
            details["k"] = slots.segment_count
        if slots.customer_id is not None:
            details["customer_id"] = slots.customer_id
        if slots.limit is not None and slots.segment_filter is not None:
            details["limit"] = slots.limit
        return details

    def _ground_in_reviews(self, products: Products | None, calls: list[ToolCall]) -> None:
        """Ads "using what reviews praise": search the praise first (once per product) so it can be cited."""
        if products is None or not products.ids:
            return
        ids = products.ids[:1]
        if any(c.name == "search_reviews" and c.arguments.get("product_ids") == ids for c in calls):
            return
        arguments = {"query": PRAISE_QUERY, "product_ids": ids, "min_rating": 4, "insight": True}
        calls.append(_call("search_reviews", arguments))

    # ---- arguments per tool ------------------------------------------------------------------------------

    def _review_arguments(self, step: Step, products: Products | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {"query": _query(step.fragment)}
        arguments.update(self._review_details(step.slots, products))
        if step.slots.insight:
            arguments["insight"] = True
        return arguments

    @staticmethod
    def _review_details(slots: Slots, products: Products | None) -> dict[str, Any]:
        """The search filters the slots set (a follow-up changes only these)."""
        details: dict[str, Any] = {}
        if products is not None and products.category:
            details["category"] = products.category
        elif products is not None and products.ids:
            details["product_ids"] = list(products.ids)
        if slots.rating is not None:
            details["min_rating"], details["max_rating"] = slots.rating
        if slots.dates is not None:
            low, high = slots.dates
            details["date_from"] = low.isoformat() if low else None
            details["date_to"] = high.isoformat() if high else None
        if slots.review_count is not None:
            details["k"] = slots.review_count
        return details

    def _forecast_arguments(self, slots: Slots, products: Products | None) -> dict[str, Any]:
        arguments: dict[str, Any] = {"horizon": DEFAULT_HORIZON}
        arguments.update(self._forecast_details(slots, products))
        return arguments

    def _forecast_details(self, slots: Slots, products: Products | None) -> dict[str, Any]:
        details: dict[str, Any] = {}
        ids = products.ids if products is not None else []
        if len(ids) == 1 and is_reference(ids[0]):
            details["product"] = ids[0]
        elif ids:
            details["series_ids"] = [str(i) for i in ids]
        if slots.horizon is not None:
            details["horizon"] = slots.horizon
        what_if = self._what_if(slots, ids)
        if what_if is not None:
            details["what_if"] = what_if
        return details

    def _what_if(self, slots: Slots, ids: Sequence[Any]) -> dict[str, float] | None:
        """A relative price change ("10% price cut") becomes a price from the catalogue."""
        if slots.price_change is None:
            return slots.what_if
        price = self.catalogue.price(str(ids[0])) if len(ids) == 1 and not is_reference(ids[0]) else None
        if price is None:
            return {"promo": 1.0} if slots.price_change < 0 else None
        return {"price": round(price * (1 + slots.price_change), 2)}

    def _ad_arguments(self, slots: Slots, product: Any) -> dict[str, Any]:
        arguments: dict[str, Any] = {"channel": DEFAULT_CHANNEL}
        if product is not None:
            arguments["product"] = product if is_reference(product) else str(product)
        arguments.update(self._ad_details(slots))
        if "audience" not in arguments and slots.segment_product and slots.segment_filter:
            arguments["audience"] = slots.segment_filter.replace("_", " ") + " customers"
        return arguments

    @staticmethod
    def _ad_details(slots: Slots) -> dict[str, Any]:
        details: dict[str, Any] = {}
        for key, value in (
            ("channel", slots.channel),
            ("n_variants", slots.n_variants),
            ("tone", slots.tone),
            ("key_message", slots.key_message),
            ("audience", slots.audience),
        ):
            if value is not None:
                details[key] = value
        return details

    # ---- questions ---------------------------------------------------------------------------------------

    def _ask_for_product(self, name: str, mention: ProductMention, products: Products | None) -> NoReturn:
        if mention.candidates:
            self._group_question(mention)
        if products is not None and products.category:
            members = self.catalogue.members(products.category)
            listing = _either([self.catalogue.label(p) for p in members[:5]])
            raise Question(f"Which {products.category} product should it be: {listing}?", members[:5])
        raise Question(PRODUCT_QUESTIONS[name], mention.suggestions)

    def _group_question(self, mention: ProductMention) -> NoReturn:
        listing = _either([self.catalogue.label(p) for p in mention.candidates])
        raise Question(f"Which one do you mean: {listing}?", mention.candidates)

    def _unknown_question(self, mention: ProductMention) -> Question:
        typed = mention.unknown[0]
        suggestions = list(dict.fromkeys(mention.suggestions))[:3]
        if suggestions:
            listing = _either([self.catalogue.label(p) for p in suggestions])
            return Question(f"I couldn't find {typed!r} in the catalogue. Did you mean {listing}?", suggestions)
        return Question(f"I couldn't find {typed!r} in the catalogue. Which product do you mean?")

    # ---- follow-ups --------------------------------------------------------------------------------------

    def _opens_follow_up(self, step: Step) -> bool:
        return bool(self.lexicon.follow_up_openers.match(step.fragment.text))

    def _is_follow_up(self, steps: list[Step], context: Plan) -> bool:
        """True when the message changes details of the previous plan rather than asking something new."""
        previous = context.calls if context.kind == "tools" else context.pending
        if not previous or any(s.intent == "out_of_scope" and s.refusal for s in steps):
            return False
        asked = {i for s in steps for i in strong_intents(s.fragment.text, self.lexicon)}  # named, not guessed
        had = {c.name for c in previous}
        strong = any(strong_cue(s.fragment.text, self.lexicon) for s in steps)
        if context.kind == "clarify":
            return not (asked - had) or not strong
        words = sum(len(s.fragment.tokens) for s in steps)
        return asked <= had and (self._opens_follow_up(steps[0]) or words <= 6 or not strong)

    def _follow_up(self, steps: list[Step], context: Plan, base: Plan) -> Plan:
        slots = _merge_slots([s.slots for s in steps])
        previous = context.calls if context.kind == "tools" else context.pending
        calls = [c.model_copy(deep=True, update={"status": "planned", "result": None}) for c in previous]
        if not slots.says_anything() and context.kind == "tools":
            return base.model_copy(update={"message": GENERIC_QUESTION, "missing": "intent"})
        try:
            products = self._follow_up_products(slots, calls)
            for call in calls:
                self._change(call, slots, products)
            self._check_complete(calls, slots)
        except Question as question:
            update = {"message": question.message, "pending": calls, "missing": question.missing}
            return base.model_copy(update=update | {"suggestions": question.suggestions})
        return self._finish(base, calls, [])

    def _follow_up_products(self, slots: Slots, calls: list[ToolCall]) -> Products | None:
        mention = slots.mention
        if mention.products:
            return Products(list(mention.products))
        if mention.unknown:
            raise self._unknown_question(mention)
        if mention.category:
            return Products(self.catalogue.members(mention.category), category=mention.category)
        if mention.candidates:
            if any(c.name == "generate_ad_copy" for c in calls):
                self._group_question(mention)
            return Products(list(mention.candidates))
        return None

    def _change(self, call: ToolCall, slots: Slots, products: Products | None) -> None:
        """Apply what a follow-up says to one earlier call."""
        arguments = call.arguments
        if call.name == "search_reviews":
            details = self._review_details(slots, products)
            if "category" in details:
                arguments.pop("product_ids", None)
            if "product_ids" in details:
                arguments.pop("category", None)
            arguments.update(details)
        elif call.name == "forecast_sales":
            details = self._forecast_details(slots, products)
            if "series_ids" in details or "product" in details:
                arguments.pop("series_ids", None)
                arguments.pop("product", None)
            arguments.update(details)
        elif call.name == "generate_ad_copy":
            arguments.update(self._ad_details(slots))
            if products is not None and products.ids:
                arguments["product"] = str(products.ids[0])
            if slots.reroll:
                arguments["seed"] = int(arguments.get("seed") or 0) + 1
        else:
            self._change_segments(arguments, slots)
        for key in [k for k, v in arguments.items() if v is None]:
            del arguments[key]

    @staticmethod
    def _change_segments(arguments: dict[str, Any], slots: Slots) -> None:
        if slots.segment_filter is not None:
            arguments["filter"] = slots.segment_filter
        if slots.segment_count is not None:
            arguments["k"] = slots.segment_count
        if slots.customer_id is not None:
            arguments["customer_id"] = slots.customer_id
        if slots.limit is not None:
            arguments["limit"] = slots.limit

    def _check_complete(self, calls: list[ToolCall], slots: Slots) -> None:
        for call in calls:
            if call.name == "generate_ad_copy" and "product" not in call.arguments:
                raise Question(PRODUCT_QUESTIONS["generate_ad_copy"], slots.mention.suggestions)
            if call.name == "forecast_sales" and not (call.arguments.get("series_ids") or "product" in call.arguments):
                raise Question(PRODUCT_QUESTIONS["forecast_sales"], slots.mention.suggestions)


# ---- helpers ---------------------------------------------------------------------------------------------


def _call(name: ToolName, arguments: dict[str, Any]) -> ToolCall:
    """A planned call without the arguments left unset (the tool's defaults apply)."""
    return ToolCall(name=name, arguments={k: v for k, v in arguments.items() if v is not None})


def _context_products(context: Plan | None) -> list[Any]:
    """The products the previous turn was about (ids, not references: those belong to the previous plan)."""
    if context is None:
        return []
    if context.kind == "clarify" and context.missing == "intent" and len(context.suggestions) == 1:
        return list(context.suggestions)  # "What would you like for the Aurora dress?" -> "forecast it"
    for call in [*context.calls, *context.pending]:
        arguments = call.arguments
        for value in (arguments.get("product"), arguments.get("series_ids"), arguments.get("product_ids")):
            ids = value if isinstance(value, list) else [value] if value is not None else []
            plain = [str(i) for i in ids if not is_reference(i)]
            if plain:
                return plain
    return []


def _merge_slots(all_slots: list[Slots]) -> Slots:
    """One Slots from several steps of a follow-up: the first value typed wins."""
    merged = all_slots[0]
    for other in all_slots[1:]:
        for name, value in vars(other).items():
            current = getattr(merged, name)
            if (current is None or current is False) and value not in (None, False):
                setattr(merged, name, value)
    return merged


def _intent_scores(steps: list[Step]) -> list[IntentScore]:
    best = {intent: max((s.scores.get(intent, 0.0) for s in steps), default=0.0) for intent in INTENTS}
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [IntentScore(intent=intent, score=round(score, 3)) for intent, score in ranked]


def _query(fragment: Fragment) -> str:
    return fragment.raw.strip(" ?.!") or fragment.text


def _either(labels: list[str]) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def choose_intent(scores: dict[str, float], cues: dict[str, float], slots: Slots, *, alone: bool = True) -> str:
    """The step's intent: the best score, corrected where the words say more than the classifier:
    - an ad "using what reviews praise" is an ad; "forecast the product our VIPs buy most" is a forecast
      (the segment is where the product comes from);
    - a tool that needs a product nobody named (nor an earlier step or turn) loses to a clearly named tool that
      does not ("what are the segments and how much will each be worth next quarter?" is about segments);
    - a weak guess asks instead (a guess without any keyword for the tool must be surer);
    - a forecast or copy request with off-topic words and no product of ours ("the weather forecast",
      "a haiku about sneakers") is refused; without them ("write some copy") it asks which product.
    """
    intent = max(scores, key=lambda k: scores[k])
    if intent in ("out_of_scope", "clarify") and slots.meta_question:
        return "clarify"  # "what can you do?" is answered with the list of what it can do, and a question
    if intent == "search_reviews" and slots.review_grounding and slots.ad_request:
        intent = "generate_ad_copy"
    if intent == "segment_customers" and slots.segment_product:
        intent = _strongest(cues, exclude={"segment_customers"}) or intent
    product_elsewhere = slots.mention.any or slots.anaphor or slots.segment_product or not alone
    if intent in NEEDS_PRODUCT and not product_elsewhere:
        intent = _strongest(cues, exclude=NEEDS_PRODUCT | {"out_of_scope", "clarify"}) or intent
    if intent in TOOL_NAMES and scores[intent] < (MIN_TOOL_SCORE if cues.get(intent) else UNCUED_TOOL_SCORE):
        return "clarify"
    if intent in NEEDS_PRODUCT and cues.get("out_of_scope") and not slots.mention.products:
        return "out_of_scope"  # "the weather forecast", "a haiku about sneakers": no product of ours asked for
    if intent == "out_of_scope" and not cues.get("out_of_scope") and scores[intent] < 0.5:
        return "clarify"  # nothing off-topic was said: ask rather than refuse
    return intent


def _strongest(cues: dict[str, float], exclude: set[str] | frozenset[str]) -> str | None:
    """The tool with the heaviest keyword cue (a strong one), outside `exclude`."""
    candidates = {k: v for k, v in cues.items() if k in TOOL_NAMES and k not in exclude and v >= 0.5}
    return max(candidates, key=lambda k: candidates[k]) if candidates else None
