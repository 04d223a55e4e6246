"""How recommend_products results are shown: the answer's section, what a router model may read (product ids,
names and scores; never customer ids: they are the CRM's data), and the terminal view."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core import zh
from core.model_card import card_line
from tools.answer import CUSTOMER_GROUPS_ZH, Written
from tools.recommend.tool import (
    RecommendedItem,
    RecommendProductsInput,
    RecommendProductsResult,
    group_label,
    recommend_products,
)
from tools.unit import Implementation

SHOWN_CUSTOMERS = 5  # customers written out in an answer; the rest are in the result
SHOWN_AUDIENCE = 10


def _name(item: RecommendedItem | Any) -> str:
    return str(item.product_name or item.product_id)


# The reasons the recommender gives (tools/recommend/tool.py `explain`), in Chinese.
REASONS_ZH = zh.Phrasebook(
    [
        (r"Repeat: they bought it once before, (?P<days>[\d,]+) days ago", "回购：{days} 天前买过一次"),
        (r"Repeat: they bought it once before", "回购：以前买过一次"),
        (
            r"Repeat: they bought it on (?P<times>[\d,]+) days, about every (?P<every>[\d,]+) days; "
            r"last (?P<days>[\d,]+) days ago \(due again\)",
            "回购：买过 {times} 天，大约每 {every} 天一次；上次在 {days} 天前（又该买了）",
        ),
        (
            r"Repeat: they bought it on (?P<times>[\d,]+) days, about every (?P<every>[\d,]+) days; "
            r"last (?P<days>[\d,]+) days ago",
            "回购：买过 {times} 天，大约每 {every} 天一次；上次在 {days} 天前",
        ),
        (
            r"Repeat: they bought it on (?P<times>[\d,]+) days; last (?P<days>[\d,]+) days ago",
            "回购：买过 {times} 天；上次在 {days} 天前",
        ),
        (
            r"New for them: (?P<shared>[\d,]+) of the (?P<buyers>[\d,]+) customers who bought (?P<anchor>.+), as "
            r"they did, also bought it",
            "新品推荐：和他们一样买过 {anchor} 的 {buyers} 位客户中，有 {shared} 位也买了它",
        ),
        (r"New for them: (?P<category>.+) is a category they buy", "新品推荐：{category} 是他们常买的品类"),
        (
            r"Best seller: (?P<count>[\d,]+) customers bought it in the last (?P<days>[\d,]+) days",
            "畅销品：最近 {days} 天有 {count} 位客户购买",
        ),
        (
            r"New for them: popular lately: (?P<count>[\d,]+) customers bought it in the last (?P<days>[\d,]+) days",
            "新品推荐：近期热销，最近 {days} 天有 {count} 位客户购买",
        ),
    ]
)


def group_zh(segment: str) -> str:
    """A segment or filter in Chinese ("at_risk" -> "有流失风险的客户"); a name this does not know stays."""
    key = segment.strip().lower().replace(" ", "_").replace("-", "_")
    return CUSTOMER_GROUPS_ZH.get(key, segment)


def _stored_summary(result: RecommendProductsResult) -> str:
    return result.summary  # the tool wrote it in English


@dataclass(frozen=True)
class Wording:
    """The recommendations' section in one language: `phrases` are str.format templates over the same figures; the
    rest name groups, word the recommender's reasons, write the model-card line and each section's summary the
    language's way (English unless given)."""

    phrases: Mapping[str, str]
    group: Callable[[str], str] = group_label
    reason: Callable[[str], str] = str
    card: Callable[[Mapping[str, Any]], str] = card_line
    customers_summary: Callable[[RecommendProductsResult], str] = _stored_summary
    audience_summary: Callable[[RecommendProductsResult], str] = _stored_summary
    segment_summary: Callable[[RecommendProductsResult], str] = _stored_summary

    def __call__(self, phrase: str, **values: Any) -> str:
        return self.phrases[phrase].format(**values)


def _customers_summary_zh(result: RecommendProductsResult) -> str:
    items = [i for r in result.customers for i in r.items]
    repeats = sum(i.repeat for i in items)
    if not items:
        return "没有符合筛选条件的商品。"
    if len(result.customers) == 1:
        first, kind = result.customers[0].items[0], "回购" if result.customers[0].items[0].repeat else "新品"
        return (
            f"{result.customers[0].customer_id} 的首选：{_name(first)}（{kind}）；"
            f"{len(items)} 个推荐中有 {repeats} 个是回购。"
        )
    return (
        f"为 {zh.number(len(result.customers))} 位客户推荐了 {zh.number(len(items))} 个商品，其中 "
        f"{zh.number(repeats)} 个是回购，其余是他们没买过的。"
    )


def _audience_summary_zh(result: RecommendProductsResult) -> str:
    assert result.product is not None
    name = result.product.product_name or result.product.product_id
    among = (
        f"{zh.number(result.population)} 位{group_zh(result.segment)}中"
        if result.segment
        else f"{zh.number(result.population)} 位客户中"
    )
    if not result.audience:
        return f"{among}没有可以再推 {name} 的客户了。"
    bought = sum(a.bought_before for a in result.audience)
    return (
        f"{among}最可能接下来购买 {name} 的 {zh.number(len(result.audience))} 位客户；其中 {zh.number(bought)} "
        "位以前买过。"
    )


def _segment_summary_zh(result: RecommendProductsResult) -> str:
    group = group_zh(result.segment or "")
    if not result.featured:
        return f"没有适合{group}的商品符合筛选条件。"
    top = result.featured[0]
    return (
        f"建议向{group}（{zh.number(result.population)} 位客户）主推 {_name(top)}：占他们预计下次购买的 "
        f"{zh.percent(top.score)}。"
    )


WORDING = {
    "en": Wording(
        phrases={
            "customer": "**Recommended for {customer}** (next {days} days):",
            "item": "{rank}. {name} ({kind}, {score:.1%}).{why}",
            "why": " {reason}.",
            "repeat": "repeat",
            "new": "new for them",
            "more_customers": "... and {more:,} more customers in the full result.",
            "audience": "**Who to target for {product}** (most likely to buy it in the next {days} days):",
            "member": "- {customer} ({score:.1%}, {before})",
            "bought_before": "bought it before",
            "new_to_it": "new to it",
            "more_members": "- ... {more:,} more in the full list",
            "segment": "**Products to feature for {group}** ({population:,} customers):",
            "featured": "{rank}. {name}: {score:.1%} of their predicted next purchases; {buyers:,} of them bought it "
            "before ({repeat_share:.0%} of its score is repeat buying).",
        }
    ),
    "zh": Wording(
        phrases={
            "customer": "**给 {customer} 的推荐**（未来 {days} 天）：",
            "item": "{rank}. {name}（{kind}，{score:.1%}）。{why}",
            "why": "{reason}。",
            "repeat": "回购",
            "new": "新品",
            "more_customers": "……完整结果里还有 {more:,} 位客户。",
            "audience": "**{product} 该推给谁**（未来 {days} 天最可能购买的客户）：",
            "member": "- {customer}（{score:.1%}，{before}）",
            "bought_before": "买过",
            "new_to_it": "没买过",
            "more_members": "- ……完整名单里还有 {more:,} 位",
            "segment": "**适合向{group}主推的商品**（{population:,} 位客户）：",
            "featured": "{rank}. {name}：占他们预计下次购买的 {score:.1%}；其中 {buyers:,} 位以前买过"
            "（得分的 {repeat_share:.0%} 来自回购）。",
        },
        group=group_zh,
        reason=REASONS_ZH,
        card=zh.card_line,
        customers_summary=_customers_summary_zh,
        audience_summary=_audience_summary_zh,
        segment_summary=_segment_summary_zh,
    ),
}


class RecommendPresenter:
    def answer(self, result: RecommendProductsResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        if result.mode == "audience" and result.product is not None:
            lines = [*_audience(result, words), "", words.audience_summary(result)]
        elif result.mode == "segment":
            lines = [*_segment(result, words), "", words.segment_summary(result)]
        else:
            lines = [*_customers(result, words), words.customers_summary(result)]
        text = "\n".join(lines)
        card = words.card(result.model)
        return f"{text}\n\n{card}" if card else text

    def model_view(self, result: RecommendProductsResult) -> dict[str, Any]:
        def item(i: Any) -> dict[str, Any]:
            return {"product_id": i.product_id, "product_name": i.product_name, "score": i.score}

        view: dict[str, Any] = {"mode": result.mode, "population": result.population}
        if result.customers:  # counts and products, never the customer ids
            view["customers"] = len(result.customers)
            view["items"] = [
                item(i) | {"repeat": i.repeat} for r in result.customers[:SHOWN_CUSTOMERS] for i in r.items
            ]
        if result.product is not None:
            view["product"] = result.product.model_dump()
            view["audience"] = len(result.audience)
            view["audience_bought_before"] = sum(a.bought_before for a in result.audience)
        if result.featured:
            view["featured"] = [item(p) for p in result.featured]
        return view

    def terminal(self, result: RecommendProductsResult) -> RenderableType | None:
        parts: list[Table | Panel] = []
        for recommendation in result.customers:
            parts.append(
                _table(
                    f"{recommendation.customer_id}: next {result.window_days} days",
                    ("#", "product", "category", "score", "repeat or new", "why"),
                    [
                        (
                            str(i),
                            escape(_name(item)),
                            escape(item.category),
                            f"{item.score:.1%}",
                            "repeat" if item.repeat else "new",
                            escape("; ".join(item.reasons)),
                        )
                        for i, item in enumerate(recommendation.items, start=1)
                    ],
                )
            )
        if result.product is not None:
            parts.append(
                _table(
                    f"Who to target for {escape(result.product.product_name or result.product.product_id)}",
                    ("#", "customer", "score", "bought before", "why"),
                    [
                        (
                            str(i),
                            member.customer_id,
                            f"{member.score:.1%}",
                            "yes" if member.bought_before else "no",
                            escape("; ".join(member.reasons)),
                        )
                        for i, member in enumerate(result.audience, start=1)
                    ],
                )
            )
        if result.featured:
            parts.append(
                _table(
                    f"Products to feature for {escape(group_label(result.segment or ''))}",
                    ("#", "product", "category", "score", "buyers so far", "repeat share"),
                    [
                        (
                            str(i),
                            escape(_name(p)),
                            escape(p.category),
                            f"{p.score:.1%}",
                            f"{p.buyers:,}",
                            f"{p.repeat_share:.0%}",
                        )
                        for i, p in enumerate(result.featured, start=1)
                    ],
                )
            )
        parts.append(Panel(escape(result.summary), title="summary"))
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def _customers(result: RecommendProductsResult, words: Wording) -> list[str]:
    lines: list[str] = []
    for recommendation in result.customers[:SHOWN_CUSTOMERS]:
        lines.append(words("customer", customer=recommendation.customer_id, days=result.window_days))
        for rank, item in enumerate(recommendation.items, start=1):
            why = words("why", reason=words.reason(item.reasons[0])) if item.reasons else ""
            kind = words("repeat" if item.repeat else "new")
            lines.append(words("item", rank=rank, name=_name(item), kind=kind, score=item.score, why=why))
        lines.append("")
    if len(result.customers) > SHOWN_CUSTOMERS:
        lines.append(words("more_customers", more=len(result.customers) - SHOWN_CUSTOMERS))
    return lines


def _audience(result: RecommendProductsResult, words: Wording) -> list[str]:
    assert result.product is not None
    name = result.product.product_name or result.product.product_id
    lines = [words("audience", product=name, days=result.window_days)]
    for member in result.audience[:SHOWN_AUDIENCE]:
        before = words("bought_before" if member.bought_before else "new_to_it")
        lines.append(words("member", customer=member.customer_id, score=member.score, before=before))
    if len(result.audience) > SHOWN_AUDIENCE:
        lines.append(words("more_members", more=len(result.audience) - SHOWN_AUDIENCE))
    return lines


def _segment(result: RecommendProductsResult, words: Wording) -> list[str]:
    lines = [words("segment", group=words.group(result.segment or ""), population=result.population)]
    for rank, p in enumerate(result.featured, start=1):
        values = {"name": _name(p), "score": p.score, "buyers": p.buyers, "repeat_share": p.repeat_share}
        lines.append(words("featured", rank=rank, **values))
    return lines


NUMERIC = frozenset({"#", "score", "buyers so far", "repeat share"})


def _table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> Table:
    table = Table(title=title)
    for column in columns:
        table.add_column(column, justify="right" if column in NUMERIC else "left")
    for row in rows:
        table.add_row(*row)
    return table


IMPLEMENTATION = Implementation(
    recommend_products, RecommendProductsInput, RecommendProductsResult, RecommendPresenter()
)
