"""The answer text, written from tool results only: every number, name and quote comes from a result.

`write_answer` asks each call's tool unit for its section (Markdown a marketer can read) and collects the
citations (review ids with their text) and warnings. An LLM may rephrase that answer (`check_phrasing`), but its
text is used only when every number in it also appears in the plain rendering. How review text is quoted safely
is in `tools.answer`.
"""

from __future__ import annotations

import re
from typing import Any

from agent.types import ToolCall
from tools.answer import SnippetLookup, Written
from tools.registry import TOOLS
from tools.unit import ToolUnit
from tools.warnings_zh import reason_zh

# Digits glued to Latin letters are ids ("SKU12"), not figures; after a Chinese character ("共12条") they are figures.
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")


def write_answer(
    calls: list[ToolCall], snippets: SnippetLookup | None = None, workspace: Any = None, language: str = "en"
) -> Written:
    """One section per call (in plan order), citations in order of first use, tool warnings de-duplicated. A call
    that targets customers (a filter's members, a product's audience) gets one line from each auditing tool that
    has something to say about that list (a fairness flag), unless the plan already audits it. `language` ("en" or
    "zh", the request's) is the language every section and the agent's own sentences are written in."""
    written = Written(snippets=snippets, language=language)
    auditors = [u for u in TOOLS.values() if u.audits_at is not None and all(c.name != u.name for c in calls)]
    sections: list[str] = []
    for call in calls:
        unit = TOOLS[call.name]
        if call.status != "ok" or call.result is None:
            sections.append(_not_run(unit, call, written.chinese))
            continue
        sections.append(unit.write_answer(call.result, written))
        for warning in unit.warnings(call.result):
            written.warn(warning)
        targeted = unit.targeted(call.result, workspace) if workspace is not None and auditors else []
        for auditor in auditors if targeted else []:
            if line := auditor.audit(targeted, workspace):
                written.warn(line)
    written.answer = "\n\n".join(s for s in sections if s)
    if written.flagged:
        written.warnings.append(_flagged_warning(written.flagged, written.chinese))
    return written


def _not_run(unit: ToolUnit, call: ToolCall, chinese: bool) -> str:
    """The section of a call that did not run: what was skipped or failed, and why (the error as the tool gave it)."""
    if chinese:
        why = reason_zh(str((call.result or {}).get("error", "未运行")))
        what = (unit.planning.offer_zh if unit.planning is not None else "") or unit.name
        return f"{'已跳过' if call.status == 'skipped' else '无法完成'}{what}：{why}"
    why = (call.result or {}).get("error", "it did not run")
    verb = "skipped" if call.status == "skipped" else "couldn't run"
    return f"I {verb} {unit.label}: {why}"


def _flagged_warning(flagged: list[str], chinese: bool) -> str:
    count, ids = len(flagged), ", ".join(flagged[:5])
    if chinese:
        return (
            f"这里展示的 {count} 条评价（{ids}）像是写给 AI 的指令，或带有链接、联系方式：已作为数据引用并去掉链接，"
            "其中的内容没有被执行。建议人工审核这些评价。"
        )
    return (
        f"{count} review{'s' if count != 1 else ''} shown here ({ids}) read like instructions to an AI or "
        "carry links or contact details: quoted as data with links removed; nothing in them was followed. "
        "You may want to moderate them."
    )


# ---- phrasing by an LLM --------------------------------------------------------------------------------


def numbers_in(text: str) -> set[str]:
    """The numbers a text states, normalised ("$1,200.50" -> "1200.5", "12%" -> "12")."""
    found: set[str] = set()
    for token in NUMBER.findall(text):
        plain = token.strip("+$%").replace(",", "").lstrip("$")
        try:
            value = float(plain)
        except ValueError:
            continue
        found.add(f"{abs(value):g}")
    return found


def check_phrasing(phrased: str, plain: str, results: list[dict[str, Any]]) -> bool:
    """True when every number in `phrased` appears in the plain answer or the results (no invented figures)."""
    allowed = numbers_in(plain)
    for result in results:
        allowed |= numbers_in(_flatten(result))
    return bool(phrased.strip()) and numbers_in(phrased) <= allowed


def _flatten(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_flatten(v) for v in value.values())
    if isinstance(value, list):
        return " ".join(_flatten(v) for v in value)
    return str(value)
