"""How segment_customers results are shown: the answer's section, what a router model may read (never customer
ids: they are the CRM's data), the terminal view, and the chart the CLI draws."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core import zh
from core.model_card import card_line
from tools.answer import CUSTOMER_GROUPS_ZH, Written, sentence
from tools.plots import plot_segments
from tools.segments.tool import SegmentCustomersInput, SegmentCustomersResult, segment_customers
from tools.unit import Implementation

# Segment names (tools/segment_profiles.py `segment_name`: "<status> <worth>", STATUSES and WORTHS) in Chinese.
STATUS_ZH = {"active": "活跃", "steady": "稳定", "new": "新", "lapsing": "即将流失的", "lapsed": "已流失的"}
WORTH_ZH = {
    "first-time buyers": "首购客户",
    "one-time buyers": "一次性购买客户",
    "high spenders": "高消费客户",
    "frequent buyers": "高频购买客户",
    "low spenders": "低消费客户",
    "occasional buyers": "偶尔购买客户",
    "mid spenders": "中等消费客户",
}
# The profile features (tools/segment_profiles.py PROFILE_FEATURES) by their English label.
FEATURES_ZH = {
    "days since last purchase": "距上次购买天数",
    "purchase days": "购买天数",
    "total spend": "累计消费",
    "days as a customer": "成为客户的天数",
    "average order": "平均订单金额",
    "expected purchases next period": "下期预计购买次数",
    "expected spend next period": "下期预计消费",
    "share of returns": "退货比例",
}
NAME = re.compile(r"(?P<status>\w+) (?P<worth>[a-z-]+ [a-z]+)(?P<rest>.*)")
FEATURE = re.compile(r"(?P<label>[^:]+): (?P<segment>.+?) vs (?P<overall>.+?) overall")


def segment_zh(name: str) -> str:
    """A segment's name in Chinese ("lapsing mid spenders" -> "即将流失的中等消费客户"); a filter's too; a name this
    does not know stays as it is."""
    if name in CUSTOMER_GROUPS_ZH:
        return CUSTOMER_GROUPS_ZH[name]
    found = NAME.fullmatch(name)
    if found is None or found["status"] not in STATUS_ZH or found["worth"] not in WORTH_ZH:
        return name
    rest = found["rest"]
    extra = re.fullmatch(r" \((higher|lower) (.+)\)", rest)
    if extra is not None:
        rest = f"（{FEATURES_ZH.get(extra[2], extra[2])}{'较高' if extra[1] == 'higher' else '较低'}）"
    return STATUS_ZH[found["status"]] + WORTH_ZH[found["worth"]] + rest


def feature_zh(description: str) -> str:
    """ "purchase days: 7.0 vs 5.0 overall" -> "购买天数 7.0（整体 5.0）"."""
    found = FEATURE.fullmatch(description)
    if found is None or found["label"].lower() not in FEATURES_ZH:
        return description

    def value(text: str) -> str:
        return re.sub(r" days$", " 天", text)

    label = FEATURES_ZH[found["label"].lower()]
    return f"{label} {value(found['segment'])}（整体 {value(found['overall'])}）"


class SegmentsPresenter:
    def answer(self, result: SegmentCustomersResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result)
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


def _answer_zh(result: SegmentCustomersResult) -> str:
    lines = [f"**{len(result.segments)} 个客户分群**（共 {zh.number(result.customers_total)} 位客户）："]
    for s in result.segments:
        features = "；".join(feature_zh(f.description) for f in s.distinguishing_features)
        lines.append(
            f"- {segment_zh(s.name)}：{zh.number(s.size)} 位（{zh.percent(s.share)}），"
            f"未来 {result.period_days} 天人均预计"
            f"消费 {zh.money(s.predicted_value_per_customer)}。" + (f"{features}。" if features else "")
        )
    lines.append("")
    if result.customer is not None:
        c = result.customer
        lines.append(
            f"客户 {c.customer_id} 属于 **{segment_zh(c.segment)}**：上次购买在 {zh.number(c.recency_days)} 天前，"
            f"累计消费 {zh.money(c.monetary, 2)}，下期预计购买 {c.expected_purchases:.2f} 次。"
        )
    if result.customers:
        lines.append(f"价值最高的匹配客户：{', '.join(c.customer_id for c in result.customers[:10])}。")
    if result.top_products:
        tops = zh.joined(
            f"{p.product_name or p.product_id}（占消费 {zh.percent(p.share_of_spend)}）"
            for p in result.top_products[:3]
        )
        lines.append(f"他们买得最多的是：{tops}。")
    lines.append(_summary_zh(result))
    if card := zh.card_line(result.model):
        lines += ["", card]
    return "\n".join(lines)


def _summary_zh(result: SegmentCustomersResult) -> str:
    """The Chinese twin of the tool's summary (tools/segments/tool.py `_summary`), from the same result."""
    best = max(result.segments, key=lambda s: s.predicted_value_per_customer)
    parts = [
        f"共 {len(result.segments)} 个分群。人均价值最高的是{segment_zh(best.name)}（{zh.number(best.size)} 位客户，"
        f"下个季度人均预计消费 {zh.money(best.predicted_value_per_customer)}）。"
    ]
    for status, heading in (("lapsing", "即将流失的分群"), ("lapsed", "已流失的分群")):
        listed = [f"{segment_zh(s.name)}（{zh.number(s.size)}）" for s in result.segments if s.name.startswith(status)]
        if listed:
            parts.append(f"{heading}：{zh.joined(listed)}。")
    if (t := result.thresholds) is not None:
        parts.append(
            f"分群名称按两次购买之间的典型间隔计时（此处为 {zh.number(t.typical_gap_days)} 天）："
            f"超过 {zh.number(t.lapsed_after_days)} 天未购买即为已流失。"
        )
    rule = result.filter
    matched = re.search(r"([\d,]+) customers match '", result.summary)
    if rule and matched:
        parts.append(f"筛选“{segment_zh(rule)}”匹配 {matched[1]} 位客户。")
    if result.top_products:
        top = result.top_products[0]
        who = "这些客户" if rule else "全部客户"
        parts.append(
            f"{who}中最热销的商品：{top.product_name or top.product_id}（占其消费 {zh.percent(top.share_of_spend)}）。"
        )
    return "".join(parts)


def plot_result(result: SegmentCustomersResult, path: Path) -> Path:
    """A PNG of segment sizes and expected value."""
    return plot_segments(
        [s.name for s in result.segments],
        [s.size for s in result.segments],
        [s.predicted_value for s in result.segments],
        path=path,
    )


IMPLEMENTATION = Implementation(segment_customers, SegmentCustomersInput, SegmentCustomersResult, SegmentsPresenter())
