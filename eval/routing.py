"""Scoring a router's plans against the labelled routing set (`eval/cases/routing.jsonl`).

Each case is one marketer request (with the earlier turns of the session in `context`, for follow-ups),
labelled with the plan kind (tools / out_of_scope / clarify), the tool names in order, and per call the key
arguments that matter. Only labelled arguments are checked; a label of null means "must be absent".

Labelling conventions (the offline router's documented policy, agent/router/planner.py):
- search_reviews: `product_ids` when products are named (a group word like "our speakers" lists the group),
  `category` for a top-level category; negative wording ("complaints", "dislike", "bad") -> max_rating 2,
  praise ("love", "praise", "happy") -> min_rating 4, stars typed win; dates as ISO days.
- forecast_sales: `series_ids` (catalogue ids), `horizon` in weeks (default 8; a month = 4, two months = 9,
  a quarter = 13, days rounded up to weeks), `what_if` {"promo": 1 | 0} or {"price": p} (a "% cut" is priced
  from the catalogue).
- segment_customers: `filter` at_risk / lapsed / new / best (loyal, VIP, top) or a segment's name; `k`;
  `customer_id`; `limit`.
- generate_ad_copy: `product` (id), `channel` (default google_search), `n_variants`, `tone`, `key_message`
  and `audience` (checked as "contains").
- analyze_experiment: `experiment` (the test's name as said, checked as "contains"; null when no test is named:
  the most recent), `lift` as a fraction (10% -> 0.1), `daily_exposures`; "...and set up a test" after ad copy
  takes the copy's variants: {"$from": 0, "path": "variants"}.
- Multi-step: a later argument taken from an earlier result is {"$from": i, "path": ...}.

Metrics: tool-choice accuracy (kind and tool names in order both right), argument accuracy (labelled
arguments right, over cases whose tools were right), plan exact match, out-of-scope precision/recall,
clarification rate and precision/recall, warm latency of plan() (p50/p95, context turns not timed).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Protocol

from agent.types import Plan
from eval.metrics import percentile_ms

CASES_FILE = Path(__file__).resolve().parent / "cases" / "routing.jsonl"
CONTAINS = frozenset({"key_message", "audience", "query", "experiment"})  # free text: the label must be in the value
# attribute names the audit reads as the same column: "age" finds age_band (tools/fairness/tool.py, _attributes)
SAME_ATTRIBUTE = {"age_band": "age", "income_band": "income"}
DEFAULT_TODAY = date(2026, 11, 30)


class PlanMaker(Protocol):
    """Anything that plans like agent.router.Router (the LLM router included)."""

    def plan(self, message: str, context: Plan | None = None, *, today: date | None = None) -> Plan: ...


@dataclass(frozen=True)
class RoutingCase:
    id: str
    request: str
    kind: str
    tools: tuple[str, ...]
    args: tuple[Mapping[str, Any], ...]
    context: tuple[str, ...] = ()
    today: date = DEFAULT_TODAY
    tags: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RoutingCase:
        context = data.get("context") or ()
        return cls(
            id=str(data["id"]),
            request=str(data["request"]),
            kind=str(data["kind"]),
            tools=tuple(data.get("tools") or ()),
            args=tuple(data.get("args") or ()),
            context=(context,) if isinstance(context, str) else tuple(context),
            today=date.fromisoformat(data["today"]) if data.get("today") else DEFAULT_TODAY,
            tags=tuple(data.get("tags") or ()),
        )


def load_cases(path: Path = CASES_FILE) -> list[RoutingCase]:
    """The routing set; a malformed line is an error naming the file and line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            cases.append(RoutingCase.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}:{number}: bad routing case ({exc})") from exc
    return cases


@dataclass
class CaseResult:
    case: RoutingCase
    plan: Plan
    seconds: float
    tools_right: bool
    argument_checks: list[tuple[str, bool]]  # ("tool.key", right)

    @property
    def exact(self) -> bool:
        return self.tools_right and all(ok for _, ok in self.argument_checks)


def score_routing(router: PlanMaker, cases: Iterable[RoutingCase | Mapping[str, Any]]) -> dict[str, Any]:
    """Plan every case with `router` and score the plans; see the module docstring for the metrics."""
    loaded = [c if isinstance(c, RoutingCase) else RoutingCase.from_dict(c) for c in cases]
    if not loaded:
        raise ValueError("no routing cases to score")
    router.plan("warm up", today=DEFAULT_TODAY)  # the first call loads models: not a warm latency
    results = [_run(router, case) for case in loaded]
    return _summary(results)


def _run(router: PlanMaker, case: RoutingCase) -> CaseResult:
    context: Plan | None = None
    for earlier in case.context:
        context = router.plan(earlier, context, today=case.today)
    start = time.perf_counter()
    plan = router.plan(case.request, context, today=case.today)
    seconds = time.perf_counter() - start
    names = tuple(c.name for c in plan.calls) if plan.kind == "tools" else ()
    tools_right = plan.kind == case.kind and names == case.tools
    checks = _argument_checks(case, plan) if tools_right else []
    return CaseResult(case, plan, seconds, tools_right, checks)


def _argument_checks(case: RoutingCase, plan: Plan) -> list[tuple[str, bool]]:
    checks = []
    for expected, call in zip(case.args, plan.calls, strict=False):
        for key, wanted in expected.items():
            checks.append((f"{call.name}.{key}", argument_matches(key, wanted, call.arguments.get(key))))
    return checks


def argument_matches(key: str, expected: Any, actual: Any) -> bool:
    """One labelled argument against the planned value (lists as sets, numbers with a tolerance, free text
    as "contains", case-insensitive; audit attributes by the column the audit reads, "age" = "age_band")."""
    if expected is None:
        return actual is None or actual == []
    if key == "attributes" and isinstance(expected, list) and isinstance(actual, list):
        expected, actual = ([SAME_ATTRIBUTE.get(str(a).lower(), a) for a in side] for side in (expected, actual))
    if isinstance(expected, list) and isinstance(actual, list):
        return sorted(map(_canonical, expected)) == sorted(map(_canonical, actual))
    if isinstance(expected, Mapping) and isinstance(actual, Mapping):
        return set(expected) == set(actual) and all(argument_matches(k, expected[k], actual[k]) for k in expected)
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return abs(float(expected) - float(actual)) < 0.01
    if isinstance(expected, str) and isinstance(actual, str):
        wanted, got = expected.lower().strip(), actual.lower().strip()
        return wanted in got if key in CONTAINS else wanted == got
    return bool(expected == actual)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True) if isinstance(value, Mapping) else str(value).lower()


def _summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    n = len(results)
    checks = [ok for r in results for _, ok in r.argument_checks]
    return {
        "cases": n,
        "tool_choice_accuracy": _share(r.tools_right for r in results),
        "kind_accuracy": _share(r.plan.kind == r.case.kind for r in results),
        "argument_accuracy": sum(checks) / len(checks) if checks else None,
        "arguments_checked": len(checks),
        "per_argument": _per_argument(results),
        "plan_exact_match": _share(r.exact for r in results),
        **_kind_scores(results, "out_of_scope", "out_of_scope"),
        **_kind_scores(results, "clarify", "clarification"),
        "clarification_rate": _share(r.plan.kind == "clarify" for r in results),
        "latency_ms_p50": percentile_ms([r.seconds for r in results], 50),
        "latency_ms_p95": percentile_ms([r.seconds for r in results], 95),
        "by_tag": _by_tag(results),
        "failures": [_failure(r) for r in results if not r.exact],
    }


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return sum(values) / len(values) if values else 0.0


def _kind_scores(results: Sequence[CaseResult], kind: str, label: str) -> dict[str, float]:
    predicted = [r for r in results if r.plan.kind == kind]
    actual = [r for r in results if r.case.kind == kind]
    both = [r for r in predicted if r.case.kind == kind]
    return {
        f"{label}_precision": len(both) / len(predicted) if predicted else 1.0,
        f"{label}_recall": len(both) / len(actual) if actual else 1.0,
    }


def _per_argument(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for result in results:
        for name, ok in result.argument_checks:
            groups[name].append(ok)
    return {name: {"n": len(oks), "accuracy": sum(oks) / len(oks)} for name, oks in sorted(groups.items())}


def _by_tag(results: Sequence[CaseResult]) -> dict[str, dict[str, float]]:
    groups: dict[str, list[CaseResult]] = defaultdict(list)
    for result in results:
        for tag in result.case.tags:
            groups[tag].append(result)
    return {
        tag: {"n": len(rs), "tool_choice": _share(r.tools_right for r in rs), "exact": _share(r.exact for r in rs)}
        for tag, rs in sorted(groups.items())
    }


def _failure(result: CaseResult) -> dict[str, Any]:
    plan = result.plan
    return {
        "id": result.case.id,
        "request": result.case.request,
        "expected": {"kind": result.case.kind, "tools": list(result.case.tools), "args": list(result.case.args)},
        "got": {"kind": plan.kind, "calls": [c.model_dump(include={"name", "arguments"}) for c in plan.calls]},
        "message": plan.message,
        "wrong_arguments": [name for name, ok in result.argument_checks if not ok],
    }
