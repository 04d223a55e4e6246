"""Plain-terminal rendering of tool results with rich: tables, counts, and quotes cited by review id."""

from __future__ import annotations

from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from tools.ad_copy import GenerateAdCopyResult
from tools.forecast import ForecastSalesResult
from tools.review_insight import AspectInsight, ReviewInsight
from tools.review_store import IngestReport
from tools.reviews import SearchReviewsResult
from tools.segments import SegmentCustomersResult


def search_result(result: SearchReviewsResult) -> Group:
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
        parts.append(insight(result.insight))
    parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
    return Group(*parts)


def insight(result: ReviewInsight) -> Panel:
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


def forecast_result(result: ForecastSalesResult) -> Group:
    parts: list[Table | Panel] = []
    for series in result.series:
        label = f"{series.product_name} ({series.series_id})" if series.product_name else series.series_id
        table = Table(title=f"{escape(label)}: forecast", expand=False)
        for column in ("date", "p10", "p50 (median)", "p90"):
            table.add_column(column, justify="right")
        for point in series.points:
            table.add_row(point.date.isoformat(), f"{point.p10:,.1f}", f"{point.p50:,.1f}", f"{point.p90:,.1f}")
        table.add_row(
            "total", f"{series.total_p10:,.0f}", f"[bold]{series.total_p50:,.0f}[/]", f"{series.total_p90:,.0f}"
        )
        parts.append(table)
        notes = [
            *(f"• {escape(d)}" for d in series.drivers),
            *(f"[dim]assumed: {escape(a)}[/]" for a in series.assumptions),
        ]
        if notes:
            parts.append(Panel("\n".join(notes), title="drivers and assumptions", expand=False))
    parts.append(Panel(escape(result.summary), title="summary"))
    parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
    return Group(*parts)


def segments_result(result: SegmentCustomersResult) -> Group:
    table = Table(title=f"Customer segments ({result.customers_total:,} customers, next {result.period_days} days)")
    for column in (
        "segment",
        "customers",
        "recency",
        "purchases",
        "spend",
        "expected next period",
        "what sets it apart",
    ):
        table.add_column(column, justify="left" if column in {"segment", "what sets it apart"} else "right")
    for s in result.segments:
        p = s.rfm_profile
        table.add_row(
            f"[bold]{escape(s.name)}[/]",
            f"{s.size:,} ({s.share:.0%})",
            f"{p.recency_days:,.0f} d",
            f"{p.frequency:,.1f}",
            f"${p.monetary:,.0f}",
            f"${s.predicted_value:,.0f}",
            escape("; ".join(f.description for f in s.distinguishing_features[:2])),
        )
    parts: list[Table | Panel] = [table]
    if result.customers:
        listed = Table(title="Matching customers (ids only)")
        for column in ("customer", "segment", "RFM", "last purchase", "expected spend"):
            listed.add_column(column)
        for c in result.customers:
            listed.add_row(
                c.customer_id,
                escape(c.segment),
                c.rfm_segment,
                f"{c.recency_days:,.0f} d ago",
                f"${c.expected_spend:,.2f}",
            )
        parts.append(listed)
    if result.customer is not None:
        c = result.customer
        parts.append(
            Panel(
                f"{c.customer_id}: {escape(c.segment)} (RFM: {c.rfm_segment}); last purchase {c.recency_days:,.0f} "
                f"days ago; {c.frequency:,.0f} purchase days; ${c.monetary:,.2f} spent; expected "
                f"{c.expected_purchases:.2f} purchases, ${c.expected_spend:,.2f} next period",
                title="customer",
            )
        )
    parts.append(Panel(escape(result.summary), title="summary"))
    parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
    return Group(*parts)


def ad_copy_result(result: GenerateAdCopyResult) -> Group:
    """Each variant as a panel: its fields with their length, the evidence behind its claims, its score."""
    parts: list[Table | Panel] = []
    for i, variant in enumerate(result.variants, 1):
        table = Table(show_header=False, box=None, pad_edge=False)
        table.add_column("field", style="bold")
        table.add_column("copy")
        table.add_column("chars", justify="right")
        for name, text in variant.fields.items():
            source = "" if variant.sources.get(name) == "model" else f" [dim]({variant.sources.get(name)})[/]"
            table.add_row(name, escape(text) + source, str(len(text)))
        evidence = "; ".join(
            f"{escape(c.text)} <- {', '.join(c.evidence[:3])}" for c in variant.evidence if c.kind == "aspect"
        )
        body: list[Table | str] = [table, f"[dim]evidence:[/] {evidence or 'catalogue facts only'}"]
        title = f"variant {i} · score {variant.score:.2f} · {variant.compliance.rules_checked} checks passed"
        parts.append(Panel(Group(*body), title=title, border_style="green"))
    grounding = result.grounding
    praised = ", ".join(f"{p.label} ({len(p.review_ids)} reviews cited)" for p in grounding.praised) or "none"
    avoided = ", ".join(grounding.avoided) or "none"
    parts.append(
        Panel(
            f"{escape(result.summary)}\npraised: {escape(praised)}\nnot claimed (customers complain): "
            f"{escape(avoided)}\n{result.candidates} model candidates, rejected by rule: "
            f"{', '.join(f'{k} {v}' for k, v in result.rejected.items()) or 'none'}; {result.backend} "
            f"({result.model}), {result.seconds:.1f} s",
            title="summary",
        )
    )
    parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
    return Group(*parts)
