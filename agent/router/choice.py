"""Choosing a step's intent: the classifier's best score, corrected where the words say more (keyword cues, the
products named, what a tool needs to run)."""

from __future__ import annotations

from agent.router.lexicon import STRONG_CUE
from agent.router.slots import Slots
from agent.router.steps import planned_units, planning_of
from tools.registry import TOOLS

MIN_TOOL_SCORE = 0.45  # below this a tool intent is a guess: ask instead
UNCUED_TOOL_SCORE = 0.6  # the classifier alone, without a keyword for the tool, must be surer ("the Aurora dress?")
LIST_CUE = 0.8  # a keyword this heavy for a tool that works on a customer list outweighs the group's own name
WEAK_CUE = 0.5  # a keyword this light for the classifier's guess is as good as none ("customers" for segments)
CLOSE_CALL = 0.1  # a classifier lead this small over a tool named by a keyword is no lead


def choose_intent(scores: dict[str, float], cues: dict[str, float], slots: Slots, *, alone: bool = True) -> str:
    """The step's intent: the best score, corrected where the words say more than the classifier:
    - a request read as a tool another tool grounds itself in, that asks for that other tool's output, is the
      other tool's (an ad "using what reviews praise" is an ad); a request for a product source's favourite
      product ("forecast the product our VIPs buy most") is about what is done with that product;
    - a tool that needs a product nobody named (nor an earlier step or turn) loses to a clearly named tool that
      does not ("what are the segments and how much will each be worth next quarter?" is about segments);
    - a weak guess asks instead (a guess without any keyword for the tool must be surer);
    - a request for a tool that needs a product, with off-topic words and no product of ours ("the weather
      forecast", "a haiku about sneakers") is refused; without them ("write some copy") it asks which product.
    """
    intent = max(scores, key=lambda k: scores[k])
    if intent in ("out_of_scope", "clarify") and slots.meta_question:
        return "clarify"  # "what can you do?" is answered with the list of what it can do, and a question
    if intent in TOOLS and cues.get(intent, 0.0) < WEAK_CUE:
        # the classifier's guess, with no keyword for it (or a weak one), gives way to a close tool the words name
        named = _strongest(cues, exclude={intent, "out_of_scope", "clarify"})
        if named is not None and scores[named] >= scores[intent] - CLOSE_CALL:
            intent = named
    for unit in planned_units():
        planning = planning_of(unit)
        if (
            planning.grounding
            and planning.grounding.tool == intent
            and planning.takes_over
            and planning.takes_over(slots)
        ):
            intent = unit.name
    intent = _past_the_product_source(intent, cues, slots)
    needs_product = {u.name for u in planned_units() if planning_of(u).product == "required"}
    product_elsewhere = slots.mention.any or slots.anaphor or slots.segment_product or not alone
    if intent in needs_product and not product_elsewhere:
        intent = _strongest(cues, exclude=needs_product | {"out_of_scope", "clarify"}) or intent
    if intent in TOOLS and scores[intent] < (MIN_TOOL_SCORE if cues.get(intent) else UNCUED_TOOL_SCORE):
        return _horizon_tool(slots, cues) or "clarify"
    if intent in needs_product and cues.get("out_of_scope") and not slots.mention.products:
        return "out_of_scope"  # "the weather forecast", "a haiku about sneakers": no product of ours asked for
    if intent == "out_of_scope" and not cues.get("out_of_scope") and slots.mention.products:
        # one of our products and a tool's keyword, and nothing off-topic said: that tool, not a refusal
        cued = {k: v for k, v in cues.items() if k in TOOLS and v >= STRONG_CUE}
        if cued:
            return max(cued, key=lambda k: cued[k])
    if intent == "out_of_scope" and not cues.get("out_of_scope") and scores[intent] < 0.5:
        return "clarify"  # nothing off-topic was said: ask rather than refuse
    return intent


def _past_the_product_source(intent: str, cues: dict[str, float], slots: Slots) -> str:
    """A product source's intent, where the words say the group or its product is for another tool: "forecast
    the product our VIPs buy most" is a forecast; "is the VIP list fair by gender?" names the list that another
    tool's clear keyword works on."""
    source = TOOLS.get(intent)
    if source is None or source.planning is None or not source.planning.provides_product:
        return intent
    if slots.segment_product:
        intent = _strongest(cues, exclude={intent}) or intent
    if slots.segment_filter:
        on_lists = {
            k: v for k, v in cues.items() if k in TOOLS and k != intent and planning_of(TOOLS[k]).customer_group
        }
        if on_lists and max(on_lists.values()) >= LIST_CUE:
            intent = max(on_lists, key=lambda k: on_lists[k])
    return intent


def _horizon_tool(slots: Slots, cues: dict[str, float]) -> str | None:
    """The tool that products and a horizon alone ask for ("Oat Milk hand cream, next 3 weeks"), when nothing
    else was said."""
    if slots.horizon is None or not slots.mention.products or any(v >= 0.4 for v in cues.values()):
        return None
    return next((u.name for u in planned_units() if planning_of(u).horizon_alone), None)


def _strongest(cues: dict[str, float], exclude: set[str] | frozenset[str]) -> str | None:
    """The tool with the heaviest keyword cue (a strong one), outside `exclude`."""
    candidates = {k: v for k, v in cues.items() if k in TOOLS and k not in exclude and v >= 0.5}
    return max(candidates, key=lambda k: candidates[k]) if candidates else None
