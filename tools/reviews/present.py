"""How search_reviews results are shown: the answer's section, what a router model may read, the terminal view."""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from tools.answer import Written, aspect_zh, quotable
from tools.compliance import is_safe_quote
from tools.review_analysis import AspectInsight, ReviewInsight
from tools.review_store import IngestReport
from tools.reviews.inputs import SearchReviewsInput
from tools.reviews.tool import SearchReviewsResult, search_reviews
from tools.unit import Implementation

MAX_HITS_SHOWN = 5
CJK = re.compile(r"[\u4e00-\u9fff]")


# The answer's wording, per language: the same facts and numbers, worded twice.
WORDING: dict[str, dict[str, str]] = {
    "en": {
        "top": '**Top {shown} of {total} matching reviews** for "{query}":',
        "hit": '- [{review_id}] {rating}★ {product}: "{quote}"',
        "none": 'No reviews match "{query}" with these filters.',
        "heading": "**What customers say** ({reviews} reviews{average}):",
        "average": ", average rating {average}",
        "praised": "- Praised:",
        "complaints": "- Complaints:",
        "aspect_praised": "  - {label}: {count} of {mentions} mentions.{cited}",
        "aspect_complaints": "  - {label}: {count} of {mentions} mentions.{cited}",
        "cited": ' "{quote}" [{review_id}]',
        "nothing": "- No aspect stands out in these reviews.",
    },
    "zh": {
        "top": "**与“{query}”最相关的 {shown} 条评价**（共 {total} 条匹配）：",
        "hit": "- [{review_id}] {rating}★ {product}：“{quote}”",
        "none": "在这些筛选条件下，没有与“{query}”匹配的评价。",
        # a Chinese request's search runs on the router's English reading of it: not worth quoting back
        "top_unquoted": "**最相关的 {shown} 条评价**（共 {total} 条匹配）：",
        "none_unquoted": "在这些筛选条件下，没有匹配的评价。",
        "heading": "**顾客怎么说**（分析了 {reviews} 条评价{average}）：",
        "average": "，平均 {average} 星",
        "praised": "- 好评集中在：",
        "complaints": "- 抱怨集中在：",
        "aspect_praised": "  - {label}：提及 {mentions} 次，其中 {count} 次称赞。{cited}",
        "aspect_complaints": "  - {label}：提及 {mentions} 次，其中 {count} 次抱怨。{cited}",
        "cited": "“{quote}” [{review_id}]",
        "nothing": "- 这些评价里没有特别突出的方面。",
    },
}


class ReviewsPresenter:
    def answer(self, result: SearchReviewsResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        unquoted = written.chinese and not CJK.search(result.query)
        lines = _insight_lines(result.insight, written, words) if result.insight is not None else []
        if result.hits:
            shown = result.hits[:MAX_HITS_SHOWN]
            top = words["top_unquoted" if unquoted else "top"]
            lines += ["", top.format(shown=len(shown), total=len(result.hits), query=result.query)]
            for hit in shown:
                product = hit.product_name or hit.product_id
                quote = quotable(hit.snippet, 200)
                lines.append(
                    words["hit"].format(review_id=hit.review_id, rating=hit.rating, product=product, quote=quote)
                )
                written.cite(hit.review_id, hit.snippet)
                written.check(hit.review_id, hit.snippet)
        elif result.insight is None:
            lines.append(words["none_unquoted" if unquoted else "none"].format(query=result.query))
        return "\n".join(lines)

    def model_view(self, result: SearchReviewsResult) -> dict[str, Any]:
        insight = result.insight
        return {
            "hits": [{"review_id": h.review_id, "product_id": h.product_id, "rating": h.rating} for h in result.hits],
            "reviews_analysed": insight.reviews_analysed if insight else None,
            "average_rating": insight.average_rating if insight else None,
            "praised": [_aspect(a, a.praise) for a in insight.praised[:5]] if insight else [],
            "complaints": [_aspect(a, a.complaints) for a in insight.complaints[:5]] if insight else [],
        }

    def terminal(self, result: SearchReviewsResult) -> RenderableType | None:
        return search_view(result)


def review_text(result: SearchReviewsResult) -> tuple[list[str], list[str]]:
    """The review text a result carries (snippets and insight quotes) and the ids of those reviews: kept out of
    session memory, since reviews are stored once, in the store."""
    quoted = [h.snippet for h in result.hits]
    ids = [h.review_id for h in result.hits]
    if result.insight is not None:
        for aspect in [*result.insight.praised, *result.insight.complaints]:
            for quote in [*aspect.praise_quotes, *aspect.complaint_quotes]:
                quoted.append(quote.text)
                ids.append(quote.review_id)
    return quoted, ids


def _insight_lines(insight: ReviewInsight, written: Written, words: dict[str, str]) -> list[str]:
    average = (
        words["average"].format(average=f"{insight.average_rating:.1f}") if insight.average_rating is not None else ""
    )
    lines = [words["heading"].format(reviews=f"{insight.reviews_analysed:,}", average=average)]
    groups = (("praised", insight.praised[:3], True), ("complaints", insight.complaints[:3], False))
    for title, aspects, praise in groups:
        if not aspects:
            continue
        lines.append(words[title])
        for aspect in aspects:
            count = aspect.praise if praise else aspect.complaints
            quotes = aspect.praise_quotes if praise else aspect.complaint_quotes
            quote = next((q for q in quotes if is_safe_quote(q.text)), quotes[0] if quotes else None)
            cited = words["cited"].format(quote=quotable(quote.text, 160), review_id=quote.review_id) if quote else ""
            label = aspect_zh(aspect.aspect, aspect.label) if written.chinese else aspect.label
            lines.append(
                words[f"aspect_{title}"].format(label=label, count=count, mentions=aspect.mentions, cited=cited)
            )
            if quote is not None:
                written.cite(quote.review_id, quote.text)
                written.check(quote.review_id, quote.text)
    if not insight.praised and not insight.complaints:
        lines.append(words["nothing"])
    return lines


def _aspect(aspect: AspectInsight, count: int) -> dict[str, Any]:
    return {"aspect": aspect.label, "count": count, "mentions": aspect.mentions}


# ---- terminal --------------------------------------------------------------------------------------------------


def search_view(result: SearchReviewsResult) -> Group:
    parts: list[Table | Panel] = []
    if result.hits:
        table = Table(title=f"Reviews matching {escape(result.query)!r}", show_lines=False, expand=True)
        for column, style in (
            ("review", "cyan"),
            ("stars", ""),
            ("product", ""),
            ("what the customer said", ""),
            ("score", "dim"),
        ):
            table.add_column(column, style=style, no_wrap=column in {"review", "stars", "score"})
        for hit in result.hits:
            product = escape(hit.product_name or hit.product_id)
            table.add_row(hit.review_id, "★" * hit.rating, product, escape(hit.snippet), f"{hit.score:.2f}")
        parts.append(table)
    if result.insight is not None:
        parts.append(insight_view(result.insight))
    parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
    return Group(*parts)


def insight_view(result: ReviewInsight) -> Panel:
    lines = [
        f"[bold]{result.reviews_analysed:,}[/] reviews, average rating "
        f"[bold]{result.average_rating if result.average_rating is not None else '-'}[/]; "
        f"sentiment: {escape(result.sentiment_model)}",
        "",
        "[bold green]Customers praise[/]",
        *(_aspect_lines(a, praise=True) for a in result.praised),
        "",
        "[bold red]Customers complain about[/]",
        *(_aspect_lines(a, praise=False) for a in result.complaints),
    ]
    if not result.praised:
        lines.insert(3, "  (no aspect with more praise than complaints)")
    if not result.complaints:
        lines.append("  (no aspect with a notable share of complaints)")
    return Panel("\n".join(lines), title="What customers say", expand=True)


def _aspect_lines(aspect: AspectInsight, *, praise: bool) -> str:
    count = aspect.praise if praise else aspect.complaints
    head = (
        f"  • [bold]{escape(aspect.label)}[/]: {count} of {aspect.mentions} mentions "
        f"({aspect.share_negative:.0%} negative)"
    )
    quotes = aspect.praise_quotes if praise else aspect.complaint_quotes
    return "\n".join([head, *(f"      “{escape(q.text)}” [cyan]\\[{q.review_id}][/]" for q in quotes)])


def ingest_report(report: IngestReport, console: Console) -> None:
    console.print(
        f"[bold]{report.source}[/]: {report.rows_read:,} rows read; {report.added:,} added, "
        f"{report.updated:,} updated, {report.unchanged:,} already stored, {report.skipped_invalid:,} invalid skipped "
        f"({report.seconds:.1f} s)"
    )
    for problem in report.problems[:20]:
        console.print(f"  [red]invalid[/] {escape(problem)}")
    if len(report.problems) > 20:
        console.print(f"  ... and {len(report.problems) - 20} more invalid rows")
    for line in report.warnings + report.notes:
        console.print(f"  {escape(line)}")


IMPLEMENTATION = Implementation(
    search_reviews, SearchReviewsInput, SearchReviewsResult, ReviewsPresenter(), review_text=review_text
)
