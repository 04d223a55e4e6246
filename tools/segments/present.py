"""How segment_customers results are shown: the answer's section, what a router model may read (never customer
ids: they are the CRM's data), the terminal view, and the chart the CLI draws."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core.model_card import card_line
from tools.answer import Written, sentence
from tools.plots import plot_segments
from tools.segments.tool import SegmentCustomersInput, SegmentCustomersResult, segment_customers
from tools.unit import Implementation


class SegmentsPresenter:
    def answer(self, result: SegmentCustomersResult, written: Written) -> str:
        lines = [f"**{len(result.segments)} customer segments** ({result.customers_total:,} customers):"]
        for s in result.segments:
            lines.append(
                f"- {s.name}: {s.size:,} customers ({s.share:.0%}), ${s.predicted_value_per_customer:,.0f} expected "
                f"per customer next {result.period_days} days. "
                + sentence("; ".join(f.description for f in s.distinguishing_features))
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
        if card := card_line(result.model):
            lines += ["", card]
        return "\n".join(lines)

    def model_view(self, result: SegmentCustomersResult) -> dict[str, Any]:
        return {
            "segments": [
                s.model_dump(include={"name", "size", "predicted_value_per_customer"}) for s in result.segments
            ],
            # a count, not the ids: customer ids are the CRM's data and never go to a remote model
            "customers_listed": len(result.customers),
            "top_products": [
                p.model_dump(include={"product_id", "product_name", "share_of_spend"}) for p in result.top_products
            ],
        }

    def terminal(self, result: SegmentCustomersResult) -> RenderableType | None:
        table = Table(title=f"Customer segments ({result.customers_total:,} customers, next {result.period_days} days)")
        columns = (
            "segment",
            "customers",
            "recency",
            "purchases",
            "spend",
            "expected next period",
            "what sets it apart",
        )
        for column in columns:
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
                    f"{c.customer_id}: {escape(c.segment)} (RFM: {c.rfm_segment}); last purchase "
                    f"{c.recency_days:,.0f} days ago; {c.frequency:,.0f} purchase days; ${c.monetary:,.2f} spent; "
                    f"expected {c.expected_purchases:.2f} purchases, ${c.expected_spend:,.2f} next period",
                    title="customer",
                )
            )
        parts.append(Panel(escape(result.summary), title="summary"))
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def plot_result(result: SegmentCustomersResult, path: Path) -> Path:
    """A PNG of segment sizes and expected value."""
    return plot_segments(
        [s.name for s in result.segments],
        [s.size for s in result.segments],
        [s.predicted_value for s in result.segments],
        path=path,
    )


IMPLEMENTATION = Implementation(segment_customers, SegmentCustomersInput, SegmentCustomersResult, SegmentsPresenter())
