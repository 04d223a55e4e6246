"""From understood steps to a Plan: tool arguments, multi-step references, questions, refusals and follow-ups.

Policy, in the order it applies:
1. Anything that tries to change the agent's rules ("ignore previous instructions") refuses the whole request;
   a step that asks for an action the agent cannot take (send, publish, delete, change a price) is refused.
2. Each remaining step becomes one tool call, its arguments built by the tool's unit (`Planning`). A step's
   products come from its own words, else from the step before it in the same message, else (for a follow-up,
   or when the tool cannot run without one) from the previous turn. "The product our loyal customers buy most"
   adds a call of the tool that provides products from customer groups and refers to its result; a tool with
   a grounding (an ad "using what reviews praise") gets that tool's call first.
3. A tool that cannot run without a detail (a product for ads and forecasts) gets one question instead, with
   the calls kept as `pending` so the answer can complete them; a product name that matches nothing asks
   "did you mean ...", never guesses.
4. A follow-up that only changes details ("and for next quarter?", "now for email", "make it shorter")
   re-plans the previous calls with those details changed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, NoReturn

from agent.router.catalogue import Catalogue, ProductMention
from agent.router.chinese import chinese_words
from agent.router.lexicon import Lexicon
from agent.router.slots import Slots
from agent.router.steps import (
    Step,
    context_customer,
    context_group,
    context_products,
    folded_group_mentions,
    intent_scores,
    merge_slots,
    merged_repeats,
    named_before_the_job,
    planned_call,
    planned_units,
    planning_of,
    without_repeats,
)
from agent.router.text import strong_cue, strong_intents
from agent.types import Plan, ToolCall
from tools.registry import TOOLS
from tools.unit import Grounding, Planning, Products, ToolUnit, compact, reference

MAX_CALLS = 8  # the agent's per-request budget
MAX_PRODUCTS_PER_STEP = 3  # a tool that makes one call per product makes at most this many
PERSON_BACK = re.compile(r"\b(him|her|his|them|they|their|this customer|that customer)\b", re.IGNORECASE)
FOLLOW_UP_WORDS = re.compile(r"\b(too|also|as well|instead|either|among|within)\b")


def capabilities(language: str = "en") -> str:
    """What the agent can do, from the registered tools: "I can summarise ..., forecast ... and write ..."."""
    if language == "zh":
        units = [planning_of(u) for u in planned_units()]
        return "我可以" + "、".join(p.capability_zh or p.capability for p in units) + "。"
    return f"I can {_listing([planning_of(u).capability for u in planned_units()], 'and')}."


def refusal(language: str = "en") -> str:
    if language == "zh":
        return "这超出了我能帮忙的范围。" + capabilities(language)
    return "That's outside what I can help with. " + capabilities()


def action_refusal(language: str = "en") -> str:
    if language == "zh":
        return "我不能在您的系统里发送、发布、排期、删除或修改任何东西。" + capabilities(language)
    return "I can't send, publish, schedule, delete or change anything in your systems. " + capabilities()


def injection_refusal(language: str = "en") -> str:
    if language == "zh":
        return "我不能执行改变我工作方式的指令。" + capabilities(language)
    return "I can't follow instructions that change how I work. " + capabilities()


def generic_question(language: str = "en") -> str:
    if language == "zh":
        return "您想做什么？" + capabilities(language)
    return "What would you like to do? " + capabilities()


# Words that make a group word mean the whole group ("our speakers", 我们的音箱, "all the earbuds", "both lamps")
COLLECTIVE = re.compile(r"\b(our|all|every|each|both|these|those|whole|entire|range|line|category)\b")


class Question(Exception):
    """Raised while building calls when a detail is missing: becomes a clarify plan."""

    def __init__(self, message: str, suggestions: Sequence[str] = (), missing: str = "product") -> None:
        super().__init__(message)
        self.message = message
        self.suggestions = list(suggestions)
        self.missing = missing


class Planner:
    """Builds plans from understood steps; the tools' units know their arguments, the catalogue knows products."""

    def __init__(self, catalogue: Catalogue, lexicon: Lexicon, language: str = "en") -> None:
        self.catalogue = catalogue
        self.lexicon = lexicon
        self.language = language  # "zh": questions and refusals in Chinese
        self.zh = language == "zh"

    # ---- whole requests ----------------------------------------------------------------------------------

    def plan(self, request: str, steps: list[Step], context: Plan | None) -> Plan:
        base = Plan(kind="clarify", request=request, intents=intent_scores(steps), language=self.language)
        if any(s.refusal == "injection" for s in steps):
            return base.model_copy(update={"kind": "out_of_scope", "message": injection_refusal(self.language)})
        if context is not None and self._is_follow_up(steps, context):
            return self._follow_up(steps, context, base)
        return self._new_request(steps, context, base)

    def _new_request(self, steps: list[Step], context: Plan | None, base: Plan) -> Plan:
        steps = named_before_the_job(steps)
        working = folded_group_mentions(merged_repeats([s for s in steps if s.intent in TOOLS]))
        refused = [s for s in steps if s.intent == "out_of_scope"]
        if not working:
            if refused:
                message = _refusal_for(refused, self.language)
                return base.model_copy(update={"kind": "out_of_scope", "message": message})
            return self._vague(steps, base)
        calls: list[ToolCall] = []
        try:
            self._build(working, context_products(context), calls, context_group(context), context_customer(context))
        except Question as question:
            return base.model_copy(
                update={
                    "message": question.message,
                    "pending": calls,
                    "missing": question.missing,
                    "suggestions": question.suggestions,
                }
            )
        skipped = "跳过了我帮不上忙的部分：“{}”" if self.zh else "Skipped a part I can't help with: {!r}"
        warnings = [skipped.format(s.fragment.raw) for s in refused]
        return self._finish(base, calls, warnings)

    def _finish(self, base: Plan, calls: list[ToolCall], warnings: list[str]) -> Plan:
        calls = without_repeats(calls)
        if len(calls) > MAX_CALLS:
            warnings.append(
                f"这个请求需要调用 {len(calls)} 次工具；只安排了前 {MAX_CALLS} 次。"
                if self.zh
                else f"The request needs {len(calls)} tool calls; only the first {MAX_CALLS} are planned."
            )
            calls = calls[:MAX_CALLS]
        return base.model_copy(update={"kind": "tools", "calls": calls, "warnings": warnings})

    def _vague(self, steps: list[Step], base: Plan) -> Plan:
        """No tool fits: ask what they want, naming the product when they typed one."""
        products = [p for s in steps for p in s.slots.mention.products]
        if products:
            label = self.catalogue.label(products[0])
            if self.zh:
                offers = [offer for u in planned_units() if (offer := planning_of(u).offer_zh or planning_of(u).offer)]
                message = f"关于 {label}，您想要{'、'.join(offers[:-1])}还是{offers[-1]}？"
            else:
                offers = [offer for u in planned_units() if (offer := planning_of(u).offer)]
                message = f"What would you like for {label}: {_listing(offers, 'or')}?"
            return base.model_copy(update={"message": message, "suggestions": products[:1], "missing": "intent"})
        return base.model_copy(update={"message": generic_question(self.language), "missing": "intent"})

    # ---- steps -> calls ----------------------------------------------------------------------------------

    def _build(
        self,
        steps: list[Step],
        from_context: list[Any],
        calls: list[ToolCall],
        group: str | None = None,
        customer: str | None = None,
    ) -> None:
        carried: Products | None = None
        said_group: str | None = None  # a customer group an earlier step of this message named
        said_customer: str | None = None  # a customer an earlier step of this message named
        for given in steps:
            unit = TOOLS[given.intent]  # the caller keeps tool steps only
            planning = planning_of(unit)
            slots = given.slots
            step = given
            if planning.customer_group and not (slots.segment_filter or slots.customer_id):
                if said_customer and PERSON_BACK.search(slots.query) and not slots.mention.any:
                    # "what kind of customer is C00246? recommend him five things": the same customer
                    step = replace(given, slots=replace(slots, customer_id=said_customer))
                elif said_group and not slots.mention.any:
                    # "list the dormant customers and check the list is fair": the same group
                    step = replace(given, slots=replace(slots, segment_filter=said_group))
                elif customer and PERSON_BACK.search(slots.query) and not slots.mention.any:
                    # "when did he last buy?" after "which segment is C01111 in?": the same customer
                    step = replace(given, slots=replace(slots, customer_id=customer))
                elif group and slots.anaphor:
                    # "what should we recommend to them?" after "who are our best customers?": the same group
                    step = replace(given, slots=replace(slots, segment_filter=group))
            said_customer = step.slots.customer_id or said_customer
            products = self._products(step, planning, carried, from_context, calls)
            if planning.provides_product:
                index = self._source_call(unit, step.slots, calls)
                if step.slots.segment_product:
                    carried = Products([reference(index, planning.provides_product)])
                source_group = calls[index].arguments.get(planning.customer_group or "")
                said_group = source_group if isinstance(source_group, str) and source_group else said_group
                continue
            if planning.grounding is not None and planning.grounding.wanted(step.slots):
                self._ground(planning.grounding, products, calls)
            self._add_calls(unit, step, products, calls)
            if products is not None and (products.ids or products.category):
                carried = products
            named = calls[-1].arguments.get(planning.customer_group) if planning.customer_group else None
            if isinstance(named, str) and named:
                group = said_group = named  # "recommend to at-risk customers, then audit this list": the same group

    def _add_calls(self, unit: ToolUnit, step: Step, products: Products | None, calls: list[ToolCall]) -> None:
        planning = planning_of(unit)
        if planning.one_product_per_call:
            targets: list[Any] = list(products.ids[:MAX_PRODUCTS_PER_STEP]) if products is not None else []
            for product in targets or [None]:
                single = Products([product]) if product is not None else None
                calls.append(planned_call(unit.name, planning.build(step.slots, single, self.catalogue)))
        else:
            calls.append(planned_call(unit.name, planning.build(step.slots, products, self.catalogue)))
        use = planning.uses_result
        if use is not None and use.wanted(step.slots):
            earlier = [i for i, c in enumerate(calls[:-1]) if c.name == use.tool]
            if earlier:
                calls[-1].arguments[use.argument] = reference(earlier[-1], use.path)
        self._check_step(planning, step.slots.mention, products)

    def _check_step(self, planning: Planning, mention: ProductMention, products: Products | None) -> None:
        """Ask instead of running when a product is unknown, or missing where the tool needs one."""
        has_products = products is not None and bool(products.ids)
        if mention.unknown and not has_products:
            raise self._unknown_question(mention)
        if planning.product == "required" and not has_products:
            self._ask_for_product(planning, mention, products)

    def _products(
        self, step: Step, planning: Planning, carried: Products | None, from_context: list[Any], calls: list[ToolCall]
    ) -> Products | None:
        """The products a step acts on, in order of evidence: its own words, a customer group's favourite
        product, the step before it, the previous turn."""
        slots = step.slots
        if planning.product == "none":
            return None
        if slots.mention.products:
            return Products(list(slots.mention.products))
        if slots.mention.unknown:
            return None  # asked about by _check_step
        text = step.fragment.text
        pointed = self.lexicon.one_product.search(text) or (
            slots.mention.candidates
            and (
                re.search(r"\b(those|these)\b", text)
                # "that speaker" (那个音箱) where the catalogue has three: one of them, so which
                or (slots.mention.group and re.search(rf"\b(this|that) {re.escape(slots.mention.group)}", text))
            )
        )
        if carried is None and not from_context and pointed:
            # "this one's bad reviews", "those boots" said as one pair: which one, rather than none or the group
            if slots.mention.candidates:
                self._group_question(slots.mention)
            raise Question(self._product_question(planning), slots.mention.suggestions)
        source = _product_source()
        if slots.segment_product and slots.segment_filter is not None and source is not None:
            # before groups: "the top product"
            index = self._source_call(source, slots, calls, product_only=True)
            return Products([reference(index, planning_of(source).provides_product or "")])
        named = self._named_products(slots, planning)
        if (
            named is not None
            and not (named.category or slots.all_products or slots.customer_id or slots.segment_filter)
            and not COLLECTIVE.search(text)
        ):
            # "how many headphones will we sell next quarter?" where three fit: which one (but "our speakers",
            # "all our earbuds" mean the group)
            self._group_question(slots.mention)
        if named is not None or slots.mention.candidates or slots.all_products:
            return named
        return self._inherited(step, planning, carried, from_context)

    def _inherited(
        self, step: Step, planning: Planning, carried: Products | None, from_context: list[Any]
    ) -> Products | None:
        """Products from the step before (always) or the previous turn ("it", a follow-up, or a tool that
        cannot run without one)."""
        if carried is not None:
            return carried
        needs = planning.product == "required"
        if from_context and (step.slots.anaphor or needs or self._opens_follow_up(step)):
            return Products(list(from_context))
        return None

    def _named_products(self, slots: Slots, planning: Planning) -> Products | None:
        """Products a step names as a category or a group (not for a tool that takes one product per call)."""
        mention = slots.mention
        if mention.category:
            return Products(self.catalogue.members(mention.category), category=mention.category)
        if mention.candidates and not planning.one_product_per_call:
            return Products(list(mention.candidates))
        return None

    def _source_call(self, unit: ToolUnit, slots: Slots, calls: list[ToolCall], *, product_only: bool = False) -> int:
        """The index of the product-source call (e.g. the segments) for this step's group, added when not
        planned yet; `product_only` keeps just the arguments that pick the group."""
        planning = planning_of(unit)
        arguments = planning.build(slots, None, self.catalogue)
        key = {k: arguments.get(k) for k in planning.source_keys}
        if product_only:
            arguments = compact(key)
        for index, call in enumerate(calls):
            if call.name == unit.name and {k: call.arguments.get(k) for k in planning.source_keys} == key:
                return index
        calls.append(planned_call(unit.name, arguments))
        return len(calls) - 1

    def _ground(self, grounding: Grounding, products: Products | None, calls: list[ToolCall]) -> None:
        """A grounding call first (once per product), so that the next call can cite its result."""
        if products is None or not products.ids or grounding.tool not in TOOLS:
            return
        ids = products.ids[:1]
        found_in = planning_of(TOOLS[grounding.tool]).products_in
        if any(c.name == grounding.tool and found_in(c.arguments) == ids for c in calls):
            return
        calls.append(planned_call(grounding.tool, grounding.arguments(ids)))

    # ---- questions ---------------------------------------------------------------------------------------

    def _ask_for_product(self, planning: Planning, mention: ProductMention, products: Products | None) -> NoReturn:
        if mention.candidates:
            self._group_question(mention)
        if products is not None and products.category:
            members = self.catalogue.members(products.category)
            listing = _either([self.catalogue.label(p) for p in members[:5]], self.zh)
            if self.zh:
                raise Question(f"要哪一款 {products.category} 商品：{listing}？", members[:5])
            raise Question(f"Which {products.category} product should it be: {listing}?", members[:5])
        raise Question(self._product_question(planning), mention.suggestions)

    def _product_question(self, planning: Planning) -> str:
        return planning.product_question_zh if self.zh and planning.product_question_zh else planning.product_question

    def _group_question(self, mention: ProductMention) -> NoReturn:
        listing = _either([self.catalogue.label(p) for p in mention.candidates], self.zh)
        if self.zh:
            raise Question(f"您指的是哪一款：{listing}？", mention.candidates)
        raise Question(f"Which one do you mean: {listing}?", mention.candidates)

    def _unknown_question(self, mention: ProductMention) -> Question:
        typed = mention.unknown[0]
        if self.zh:  # a kind of product named in Chinese (the phrasebook's word for it): "Aurora scarf" is Aurora 围巾
            kinds = self.lexicon.product_kinds
            typed = " ".join(chinese_words().get(w.lower(), w) if w.lower() in kinds else w for w in typed.split())
        suggestions = list(dict.fromkeys(mention.suggestions))[:3]
        if suggestions:
            listing = _either([self.catalogue.label(p) for p in suggestions], self.zh)
            if self.zh:
                return Question(f"商品目录里找不到“{typed}”。您是指 {listing} 吗？", suggestions)
            return Question(f"I couldn't find {typed!r} in the catalogue. Did you mean {listing}?", suggestions)
        if self.zh:
            return Question(f"商品目录里找不到“{typed}”。您指的是哪款商品？")
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
        if self._other_group(steps, previous, asked - had):
            return True
        strong = any(strong_cue(s.fragment.text, self.lexicon) for s in steps)
        if context.kind == "clarify":
            return not (asked - had) or not strong
        words = sum(len(s.fragment.tokens) for s in steps)
        return asked <= had and (self._opens_follow_up(steps[0]) or words <= 6 or not strong)

    def _other_group(self, steps: list[Step], previous: list[ToolCall], new: set[str]) -> bool:
        """ "The VIPs too" after a call about a customer group: the same calls for another group. Group words are
        the segment tool's cues, so only a follow-up's words ("too", "instead", "what about") tell them apart."""
        takes_groups = any(planning_of(TOOLS[c.name]).customer_group for c in previous if c.name in TOOLS)
        source = _product_source()
        only_groups = new <= ({source.name} if source is not None else set())
        said = " ".join(s.fragment.text for s in steps)
        again = bool(FOLLOW_UP_WORDS.search(said)) or self._opens_follow_up(steps[0])
        short = sum(len(s.fragment.tokens) for s in steps) <= 6
        return takes_groups and only_groups and again and short and any(s.slots.segment_filter for s in steps)

    def _follow_up(self, steps: list[Step], context: Plan, base: Plan) -> Plan:
        slots = merge_slots([s.slots for s in steps])
        previous = context.calls if context.kind == "tools" else context.pending
        calls = [c.model_copy(deep=True, update={"status": "planned", "result": None}) for c in previous]
        try:
            products = self._follow_up_products(slots, calls)
            changed = [self._change(call, slots, products) for call in calls]
            named = {i for s in steps for i in strong_intents(s.fragment.text, self.lexicon)}
            if not any(changed) and not slots.says_anything() and context.kind == "tools" and not named:
                # nothing a tool reads changed ("and?"): ask, rather than run the same calls again; a question that
                # names the same job ("when did they last buy?") runs it again
                return base.model_copy(update={"message": generic_question(self.language), "missing": "intent"})
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
            if any(planning_of(TOOLS[c.name]).one_product_per_call for c in calls):
                self._group_question(mention)
            return Products(list(mention.candidates))
        return None

    def _change(self, call: ToolCall, slots: Slots, products: Products | None) -> bool:
        """Apply what a follow-up says to one earlier call; True when its arguments changed."""
        before = dict(call.arguments)
        planning_of(TOOLS[call.name]).change(call.arguments, slots, products, self.catalogue)
        for key in [k for k, v in call.arguments.items() if v is None]:
            del call.arguments[key]
        return call.arguments != before

    def _check_complete(self, calls: list[ToolCall], slots: Slots) -> None:
        for call in calls:
            planning = planning_of(TOOLS[call.name])
            if planning.product == "required" and not planning.products_in(call.arguments):
                raise Question(self._product_question(planning), slots.mention.suggestions)


# ---- helpers ---------------------------------------------------------------------------------------------


def _product_source() -> ToolUnit | None:
    """The tool whose result names the product a customer group buys most, if one is registered."""
    return next((u for u in planned_units() if planning_of(u).provides_product), None)


def _refusal_for(refused: list[Step], language: str = "en") -> str:
    if any(s.refusal == "action" for s in refused):
        return action_refusal(language)
    not_yet = next((s.refusal for s in refused if s.refusal and s.refusal.startswith("not_yet:")), None)
    if not_yet is not None:
        return f"I can't {not_yet.removeprefix('not_yet:')} yet. {capabilities()}"
    return refusal(language)


def _either(labels: list[str], zh: bool = False) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    if zh:
        return "、".join(labels[:-1]) + " 还是 " + labels[-1]
    return ", ".join(labels[:-1]) + " or " + labels[-1]


def _listing(labels: list[str], joiner: str) -> str:
    """ "a", "a and b", "a, b, and c" (with `joiner` "and" or "or")."""
    if len(labels) <= 2:
        return f" {joiner} ".join(labels)
    return ", ".join(labels[:-1]) + f", {joiner} " + labels[-1]
