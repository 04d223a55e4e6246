"""The answer text, written from tool results only: every number, name and quote comes from a result.

`write_answer` renders the results as short Markdown a marketer can read, and collects the citations (review
ids with their text) and warnings. An LLM may rephrase that answer (`check_phrasing`), but its text is used
only when every number in it also appears in the plain rendering.

Review text is written by strangers, so what the answer quotes of it is made inert (`quotable`): it cannot
close its quote marks and go on as the answer's own words, carry Markdown that renders (bold, code, links,
citation brackets), or show a link or an email address. Quotes that read like instructions are passed over
when the aspect has a cleaner one, and the answer warns about such reviews. Citations keep the exact text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agent.types import Citation, ToolCall
from tools.ad_copy import GenerateAdCopyResult, is_safe_quote
from tools.forecast import ForecastSalesResult
from tools.reviews import SearchReviewsResult
from tools.segments import SegmentCustomersResult

MAX_HITS_SHOWN = 5
MAX_SNIPPET = 240
NUMBER = re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?%?")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Links: a scheme or www, or a host on a common top-level domain (not any "word.Word": reviews skip spaces).
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b(?:[a-z0-9-]+\.)+(?:com|net|org|io|co|uk|de|fr|es|it|nl|eu|shop|store|online|site|"
    r"example|info|biz|xyz|app|ly|me|us|ca|au)\b(?:/\S*)?",
    re.IGNORECASE,
)
ZERO_WIDTH = re.compile("[\u200b-\u200d\u2060\ufeff]")
MARKUP = str.maketrans({'"': "'", "\u201c": "'", "\u201d": "'", "[": "(", "]": ")", "*": "", "`": "", "_": " "})

# review id -> text, for ad-copy evidence that names reviews without quoting them
SnippetLookup = Callable[[list[str]], dict[str, str]]


@dataclass
class Written:
    answer: str
    citations: list[Citation] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)  # ids of shown reviews that read like instructions

    def check(self, review_id: str, text: str) -> None:
        if not is_safe_quote(text) and review_id not in self.flagged:
            self.flagged.append(review_id)

    def cite(self, review_id: str, snippet: str) -> None:
        if review_id and all(c.review_id != review_id for c in self.citations):
            self.citations.append(Citation(review_id=review_id, snippet=_clip(snippet)))


def write_answer(calls: list[ToolCall], snippets: SnippetLookup | None = None) -> Written:
    """One section per call (in plan order), citations in order of first use, tool warnings de-duplicated."""
    written = Written("")
    sections: list[str] = []
    for call in calls:
        if call.status != "ok" or call.result is None:
            why = (call.result or {}).get("error", "it did not run")
            verb = "skipped" if call.status == "skipped" else "couldn't run"
            sections.append(f"I {verb} {_label(call.name)}: {why}")
            continue
        sections.append(_WRITERS[call.name](call.result, written, snippets))
        for warning in call.result.get("warnings", []) or []:
            if warning not in written.warnings:
                written.warnings.append(str(warning))
    written.answer = "\n\n".join(s for s in sections if s)
    if written.flagged:
        count, ids = len(written.flagged), ", ".join(written.flagged[:5])
        written.warnings.append(
            f"{count} review{'s' if count != 1 else ''} shown here ({ids}) read like instructions to an AI or "
            "carry links or contact details: quoted as data with links removed; nothing in them was followed. "
            "You may want to moderate them."
        )
    return written


def quotable(text: str, limit: int = MAX_SNIPPET) -> str:
    """Review text made inert for quoting inside the answer: one line, no quote marks or Markdown, links and
    email addresses replaced by a note; clipped to `limit`."""
    text = ZERO_WIDTH.sub("", text)
    text = EMAIL.sub("(email removed)", text)
    text = LINK.sub("(link removed)", text)
    return _clip(text.translate(MARKUP), limit)


def _label(name: str) -> str:
    return {
        "search_reviews": "the review search",
        "forecast_sales": "the forecast",
        "segment_customers": "the customer segmentation",
        "generate_ad_copy": "the ad copy",
    }[name]


# ---- per tool ------------------------------------------------------------------------------------------


def _reviews(raw: dict[str, Any], written: Written, _: SnippetLookup | None) -> str:
    result = SearchReviewsResult.model_validate(raw)
    lines: list[str] = []
    insight = result.insight
    if insight is not None:
        average = f", average rating {insight.average_rating:.1f}" if insight.average_rating is not None else ""
        lines.append(f"**What customers say** ({insight.reviews_analysed:,} reviews{average}):")
        for title, aspects, praise in (
            ("Praised", insight.praised[:3], True),
            ("Complaints", insight.complaints[:3], False),
        ):
            if not aspects:
                continue
            lines.append(f"- {title}:")
            for aspect in aspects:
                count = aspect.praise if praise else aspect.complaints
                quotes = aspect.praise_quotes if praise else aspect.complaint_quotes
                quote = next((q for q in quotes if is_safe_quote(q.text)), quotes[0] if quotes else None)
                cited = f' "{quotable(quote.text, 160)}" [{quote.review_id}]' if quote else ""
                lines.append(f"  - {aspect.label}: {count} of {aspect.mentions} mentions.{cited}")
                if quote is not None:
                    written.cite(quote.review_id, quote.text)
                    written.check(quote.review_id, quote.text)
        if not insight.praised and not insight.complaints:
            lines.append("- No aspect stands out in these reviews.")
    if result.hits:
        shown = result.hits[:MAX_HITS_SHOWN]
        lines += ["", f'**Top {len(shown)} of {len(result.hits)} matching reviews** for "{result.query}":']
        for hit in shown:
            product = hit.product_name or hit.product_id
            lines.append(f'- [{hit.review_id}] {hit.rating}★ {product}: "{quotable(hit.snippet, 200)}"')
            written.cite(hit.review_id, hit.snippet)
            written.check(hit.review_id, hit.snippet)
    elif insight is None:
        lines.append(f'No reviews match "{result.query}" with these filters.')
    return "\n".join(lines)


def _forecast(raw: dict[str, Any], written: Written, _: SnippetLookup | None) -> str:
    result = ForecastSalesResult.model_validate(raw)
    unit = {"W": "weeks", "D": "days", "M": "months", "MS": "months", "ME": "months"}.get(
        result.freq.split("-")[0], "periods"
    )
    lines = [f"**Sales forecast, next {result.horizon} {unit}** (median, with an 80% interval):"]
    for series in result.series:
        label = f"{series.product_name} ({series.series_id})" if series.product_name else series.series_id
        change = ""
        if series.change_vs_last_period is not None and series.last_period_total is not None:
            change = (
                f"; {series.change_vs_last_period:+.0%} vs the previous {result.horizon} {unit} "
                f"({series.last_period_total:,.0f})"
            )
        lines.append(
            f"- {label}: {series.total_p50:,.0f} units (80% interval {series.total_p10:,.0f} to "
            f"{series.total_p90:,.0f}){change}."
        )
        lines += [f"  - {driver}" for driver in series.drivers[:3]]
    return "\n".join(lines)


def _segments(raw: dict[str, Any], written: Written, _: SnippetLookup | None) -> str:
    result = SegmentCustomersResult.model_validate(raw)
    lines = [f"**{len(result.segments)} customer segments** ({result.customers_total:,} customers):"]
    for s in result.segments:
        lines.append(
            f"- {s.name}: {s.size:,} customers ({s.share:.0%}), ${s.predicted_value_per_customer:,.0f} expected per "
            f"customer next {result.period_days} days. "
            + _sentence("; ".join(f.description for f in s.distinguishing_features))
        )
    lines.append("")
    if result.customer is not None:
        c = result.customer
        lines.append(
            f"Customer {c.customer_id} is in **{c.segment}**: last purchase {c.recency_days:,.0f} days ago, "
            f"${c.monetary:,.2f} spent, {c.expected_purchases:.2f} purchases expected next period."
        )
    if result.customers:
        ids = ", ".join(c.customer_id for c in result.customers[:10])
        lines.append(f"Most valuable matching customers: {ids}.")
    if result.top_products:
        tops = ", ".join(
            f"{p.product_name or p.product_id} ({p.share_of_spend:.0%} of spend)" for p in result.top_products[:3]
        )
        lines.append(f"They buy most: {tops}.")
    lines.append(result.summary)
    return "\n".join(lines)


def _ad_copy(raw: dict[str, Any], written: Written, snippets: SnippetLookup | None) -> str:
    result = GenerateAdCopyResult.model_validate(raw)
    channel = result.channel.replace("_", " ")
    lines = [f"**{len(result.variants)} {channel} variants for {result.product_name}**, all passing brand rules:"]
    cited: list[str] = []
    for i, variant in enumerate(result.variants, 1):
        fields = "; ".join(f"{name}: {text}" for name, text in variant.fields.items())
        lines.append(f"{i}. {fields}")
    lines.append("")
    for variant in result.variants:
        for claim in variant.evidence:
            cited += [e.removeprefix("review:") for e in claim.evidence if e.startswith("review:")]
    quotes = {rid: p.quote for p in result.grounding.praised for rid in p.review_ids[:1] if p.quote}
    wanted = list(dict.fromkeys(cited))[:6]
    missing = [rid for rid in wanted if rid not in quotes]
    if missing and snippets is not None:
        quotes |= snippets(missing)
    for rid in wanted:
        if rid in quotes:
            written.cite(rid, quotes[rid])
    if result.grounding.praised:
        backed = ", ".join(p.label for p in result.grounding.praised[:3])
        lines.append(f"Claims rest on what reviews praise ({backed}) and the catalogue.")
    if result.grounding.avoided:
        lines.append(f"Not claimed, since customers complain about it: {', '.join(result.grounding.avoided)}.")
    dropped = result.grounding.quotes_dropped
    if dropped:
        written.warnings.append(
            f"{dropped} review quote{'s' if dropped != 1 else ''} read like instructions or carried links or "
            "personal data, so the copy was written without them."
        )
    return "\n".join(lines)


_WRITERS: dict[str, Callable[[dict[str, Any], Written, SnippetLookup | None], str]] = {
    "search_reviews": _reviews,
    "forecast_sales": _forecast,
    "segment_customers": _segments,
    "generate_ad_copy": _ad_copy,
}


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


def _clip(text: str, limit: int = MAX_SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _sentence(text: str) -> str:
    text = text.strip()
    return text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") if text else ""
