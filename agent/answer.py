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

NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")


def write_answer(calls: list[ToolCall], snippets: SnippetLookup | None = None, workspace: Any = None) -> Written:
    """One section per call (in plan order), citations in order of first use, tool warnings de-duplicated. A call
    that targets customers (a filter's members, a product's audience) gets one line from each auditing tool that
    has something to say about that list (a fairness flag), unless the plan already audits it."""
    written = Written(snippets=snippets)
    auditors = [u for u in TOOLS.values() if u.audits_at is not None and all(c.name != u.name for c in calls)]
    sections: list[str] = []
    for call in calls:
        unit = TOOLS[call.name]
        if call.status != "ok" or call.result is None:
            why = (call.result or {}).get("error", "it did not run")
            verb = "skipped" if call.status == "skipped" else "couldn't run"
            sections.append(f"I {verb} {unit.label}: {why}")
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
        count, ids = len(written.flagged), ", ".join(written.flagged[:5])
        written.warnings.append(
            f"{count} review{'s' if count != 1 else ''} shown here ({ids}) read like instructions to an AI or "
            "carry links or contact details: quoted as data with links removed; nothing in them was followed. "
            "You may want to moderate them."
        )
    return written


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
