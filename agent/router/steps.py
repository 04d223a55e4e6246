"""The tools the offline router plans, planned steps and how they combine: one understood step of a request
(`Step`), neighbouring steps or calls for the same job merged into one, and what the previous turn was about (its
customer group, customer and products), which a follow-up carries over."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from agent.router.lexicon import intents
from agent.router.slots import Slots
from agent.router.text import Fragment
from agent.types import IntentScore, Plan, ToolCall
from tools.registry import TOOLS
from tools.unit import Planning, ToolUnit, compact, is_reference


@dataclass
class Step:
    """One step of a request, understood: its words, intent scores, chosen intent and details."""

    fragment: Fragment
    scores: dict[str, float]
    intent: str
    slots: Slots
    refusal: str | None = None  # why this step is refused, when it is


def planned_call(name: str, arguments: Mapping[str, Any]) -> ToolCall:
    """A planned call without the arguments left unset (the tool's defaults apply)."""
    return ToolCall(name=name, arguments=compact(arguments))


def without_repeats(calls: list[ToolCall]) -> list[ToolCall]:
    """The calls less any that the call before it, of the same tool, already makes (or makes with less detail): two
    clauses about one job ("who is slipping away? how many are at risk?") give one call, the more detailed one.
    Plans whose calls refer to each other are left as they are (dropping a call would move what they point at)."""
    if any(
        is_reference(v) or (isinstance(v, list) and any(map(is_reference, v)))
        for c in calls
        for v in c.arguments.values()
    ):
        return calls
    kept: list[ToolCall] = []
    for call in calls:
        before = kept[-1] if kept else None
        if before is not None and before.name == call.name:
            if call.arguments.items() <= before.arguments.items():
                continue
            if before.arguments.items() <= call.arguments.items():
                kept[-1] = call
                continue
        kept.append(call)
    return kept


def merged_repeats(steps: list[Step]) -> list[Step]:
    """Neighbouring steps for the same tool where the later names no product, customer, group or channel of its own
    ("write an email for the French press, ..., give me three versions"): one step, the earlier one's details first."""
    merged: list[Step] = []
    for step in steps:
        before = merged[-1] if merged else None
        own = step.slots
        # "run a fairness audit, the lapsed list by gender": the first names nothing, the second says which
        if (
            before is not None
            and before.intent == step.intent
            and (_names_nothing(own) or _names_nothing(before.slots))
            and not own.segment_product
        ):
            merged[-1] = replace(before, slots=joined_slots(before.slots, own))
            continue
        merged.append(step)
    return merged


# Words that ask to see a customer group itself ("list the dormant customers", "who are our VIPs", "find the
# at-risk ones"), not only to name it as the group another job is for. "list" as a noun ("the dormant list", 名单)
# does not count: only as a verb, first in its clause or after "please", "first", "then", ...
ASKS_FOR_GROUP = re.compile(
    r"\b(who|whom|find\w*|identif\w*|show me|which customers|how many|segment\w*|cluster\w*|pull (out|up))\b"
    r"|(^|\b(please|first|then|and|me|just|to|you|can)\s+)list\b|\blist (give me|out|all|them|our|every)\b"
)


def folded_group_mentions(steps: list[Step]) -> list[Step]:
    """A step chosen for the segments only because it names a customer group ("aimed at dormant customers who
    haven't ordered in six months, which products would bring them back?", "is our high-value pick unfair to older
    people?") is not a job of its own when another step of the request works on a group (recommendations, a
    fairness audit): it is folded into that step, which takes its group and its details. A step that asks to see
    the group ("list the dormant customers, then check the list is fair") stays a step."""
    group_tools = {
        u.name for u in planned_units() if planning_of(u).customer_group and not planning_of(u).provides_product
    }
    sources = {u.name for u in planned_units() if planning_of(u).provides_product}
    kept = list(steps)
    for step in steps:
        slots = step.slots
        if not (
            step.intent in sources
            and slots.segment_filter
            and not (slots.customer_id or slots.segment_count or slots.segment_product or slots.mention.any)
            and not ASKS_FOR_GROUP.search(step.fragment.text)
        ):
            continue
        others = [s for s in kept if s.intent in group_tools and s.slots.segment_filter in (None, slots.segment_filter)]
        if not others:
            continue
        at = kept.index(step)
        # the nearest such step, the following one first
        target = min(others, key=lambda s: (abs(kept.index(s) - at), kept.index(s) < at))
        kept[kept.index(target)] = replace(target, slots=joined_slots(target.slots, slots))
        kept.remove(step)
    return kept


def named_before_the_job(steps: list[Step]) -> list[Step]:
    """A step that names products but no job ("the eye cream, how is it selling?") followed by a tool's step that
    names none ("forecast the next month"): that step is about those products, so it takes them."""
    kept: list[Step] = []
    for step in steps:
        before = kept[-1] if kept else None
        if (
            before is not None
            and before.intent not in TOOLS
            and before.refusal is None
            and before.slots.mention.products
            and step.intent in TOOLS
            and not step.slots.mention.any
        ):
            slots = joined_slots(step.slots, before.slots)
            slots.mention = before.slots.mention
            kept[-1] = replace(step, slots=slots)
            continue
        kept.append(step)
    return kept


def _names_nothing(slots: Slots) -> bool:
    """Whether a step's slots name no product, customer, group or channel of their own."""
    return not (slots.mention.any or slots.customer_id or slots.segment_filter or slots.channel)


def joined_slots(first: Slots, second: Slots) -> Slots:
    """Two steps' slots as one step's (neither changed): the first's values win, and the tools that read the words
    read both steps'."""
    slots = merge_slots([replace(first), second])
    slots.query = f"{first.query}, {second.query}"
    return slots


def merge_slots(all_slots: list[Slots]) -> Slots:
    """One Slots from several steps of a follow-up: the first value typed wins."""
    merged = all_slots[0]
    for other in all_slots[1:]:
        for name, value in vars(other).items():
            current = getattr(merged, name)
            if (current is None or current is False) and value not in (None, False):
                setattr(merged, name, value)
    return merged


def context_group(context: Plan | None) -> str | None:
    """The customer group the previous turn was about ("at_risk", a segment's name), if any."""
    if context is None:
        return None
    for call in [*context.calls, *context.pending]:
        unit = TOOLS.get(call.name)
        key = unit.planning.customer_group if unit is not None and unit.planning is not None else None
        value = call.arguments.get(key) if key else None
        if isinstance(value, str) and value:
            return value
    return None


def context_customer(context: Plan | None) -> str | None:
    """The one customer the previous turn was about ("which segment is C01111 in?"), if any."""
    if context is None:
        return None
    for call in [*context.calls, *context.pending]:
        ids = call.arguments.get("customer_ids")
        one = call.arguments.get("customer_id") or (ids[0] if isinstance(ids, list) and len(ids) == 1 else None)
        if isinstance(one, str) and one:
            return one
    return None


def context_products(context: Plan | None) -> list[Any]:
    """The products the previous turn was about (ids, not references: those belong to the previous plan)."""
    if context is None:
        return []
    if context.kind == "clarify" and context.missing == "intent" and len(context.suggestions) == 1:
        return list(context.suggestions)  # "What would you like for the Aurora dress?" -> "forecast it"
    for call in [*context.calls, *context.pending]:
        unit = TOOLS.get(call.name)
        if unit is None or unit.planning is None:
            continue
        plain = [str(i) for i in unit.planning.products_in(call.arguments) if not is_reference(i)]
        if plain:
            return plain
    return []


def intent_scores(steps: list[Step]) -> list[IntentScore]:
    best = {intent: max((s.scores.get(intent, 0.0) for s in steps), default=0.0) for intent in intents()}
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [IntentScore(intent=intent, score=round(score, 3)) for intent, score in ranked]


def planning_of(unit: ToolUnit) -> Planning:
    """A tool's planning (how the offline router fills its arguments); a tool without one cannot be planned."""
    if unit.planning is None:
        raise ValueError(f"tool {unit.name} has no planning: the offline router cannot plan it")
    return unit.planning


def planned_units() -> list[ToolUnit]:
    """The tools the offline router can plan, in registration order."""
    return [u for u in TOOLS.values() if u.planning is not None]
