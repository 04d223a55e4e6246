"""How recommend_products results are shown: the answer's section, what a router model may read (product ids,
names and scores; never customer ids: they are the CRM's data), and the terminal view."""

from __future__ import annotations

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


class RecommendPresenter:
    def answer(self, result: RecommendProductsResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result)
        if result.mode == "audience" and result.product is not None:
            text = self._audience(result)
        elif result.mode == "segment":
            text = self._segment(result)
        else:
            text = self._customers(result)
        card = card_line(result.model)
        return f"{text}\n\n{card}" if card else text

    @staticmethod
    def _customers(result: RecommendProductsResult) -> str:
        lines: list[str] = []
        for recommendation in result.customers[:SHOWN_CUSTOMERS]:
            lines.append(f"**Recommended for {recommendation.customer_id}** (next {result.window_days} days):")
            for i, item in enumerate(recommendation.items, start=1):
                kind = "repeat" if item.repeat else "new for them"
                why = f" {item.reasons[0]}." if item.reasons else ""
                lines.append(f"{i}. {_name(item)} ({kind}, {item.score:.1%}).{why}")
            lines.append("")
        if len(result.customers) > SHOWN_CUSTOMERS:
            lines.append(f"... and {len(result.customers) - SHOWN_CUSTOMERS:,} more customers in the full result.")
        lines.append(result.summary)
        return "\n".join(lines)

    @staticmethod
    def _audience(result: RecommendProductsResult) -> str:
        assert result.product is not None
        name = result.product.product_name or result.product.product_id
        lines = [f"**Who to target for {name}** (most likely to buy it in the next {result.window_days} days):"]
        for member in result.audience[:SHOWN_AUDIENCE]:
            before = "bought it before" if member.bought_before else "new to it"
            lines.append(f"- {member.customer_id} ({member.score:.1%}, {before})")
        if len(result.audience) > SHOWN_AUDIENCE:
            lines.append(f"- ... {len(result.audience) - SHOWN_AUDIENCE:,} more in the full list")
        lines += ["", result.summary]
        return "\n".join(lines)

    @staticmethod
    def _segment(result: RecommendProductsResult) -> str:
        lines = [f"**Products to feature for {group_label(result.segment or '')}** ({result.population:,} customers):"]
        for i, p in enumerate(result.featured, start=1):
            lines.append(
                f"{i}. {_name(p)}: {p.score:.1%} of their predicted next purchases; {p.buyers:,} of them bought it "
                f"before ({p.repeat_share:.0%} of its score is repeat buying)."
            )
        lines += ["", result.summary]
        return "\n".join(lines)

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


def _answer_zh(result: RecommendProductsResult) -> str:
    if result.mode == "audience" and result.product is not None:
        text = _audience_zh(result)
    elif result.mode == "segment":
        text = _segment_zh(result)
    else:
        text = _customers_zh(result)
    card = zh.card_line(result.model)
    return f"{text}\n\n{card}" if card else text


def _customers_zh(result: RecommendProductsResult) -> str:
    lines: list[str] = []
    for recommendation in result.customers[:SHOWN_CUSTOMERS]:
        lines.append(f"**给 {recommendation.customer_id} 的推荐**（未来 {result.window_days} 天）：")
        for i, item in enumerate(recommendation.items, start=1):
            kind = "回购" if item.repeat else "新品"
            why = f"{REASONS_ZH(item.reasons[0])}。" if item.reasons else ""
            lines.append(f"{i}. {_name(item)}（{kind}，{zh.percent(item.score, 1)}）。{why}")
        lines.append("")
    if len(result.customers) > SHOWN_CUSTOMERS:
        lines.append(f"……完整结果里还有 {zh.number(len(result.customers) - SHOWN_CUSTOMERS)} 位客户。")
    items = [i for r in result.customers for i in r.items]
    repeats = sum(i.repeat for i in items)
    if not items:
        lines.append("没有符合筛选条件的商品。")
    elif len(result.customers) == 1:
        first, kind = result.customers[0].items[0], "回购" if result.customers[0].items[0].repeat else "新品"
        lines.append(
            f"{result.customers[0].customer_id} 的首选：{_name(first)}（{kind}）；"
            f"{len(items)} 个推荐中有 {repeats} 个是回购。"
        )
    else:
        lines.append(
            f"为 {zh.number(len(result.customers))} 位客户推荐了 {zh.number(len(items))} 个商品，其中 "
            f"{zh.number(repeats)} 个是回购，其余是他们没买过的。"
        )
    return "\n".join(lines)


def _audience_zh(result: RecommendProductsResult) -> str:
    assert result.product is not None
    name = result.product.product_name or result.product.product_id
    lines = [f"**{name} 该推给谁**（未来 {result.window_days} 天最可能购买的客户）："]
    for member in result.audience[:SHOWN_AUDIENCE]:
        before = "买过" if member.bought_before else "没买过"
        lines.append(f"- {member.customer_id}（{zh.percent(member.score, 1)}，{before}）")
    if len(result.audience) > SHOWN_AUDIENCE:
        lines.append(f"- ……完整名单里还有 {zh.number(len(result.audience) - SHOWN_AUDIENCE)} 位")
    among = (
        f"{zh.number(result.population)} 位{group_zh(result.segment)}中"
        if result.segment
        else f"{zh.number(result.population)} 位客户中"
    )
    if not result.audience:
        summary = f"{among}没有可以再推 {name} 的客户了。"
    else:
        bought = sum(a.bought_before for a in result.audience)
        summary = (
            f"{among}最可能接下来购买 {name} 的 {zh.number(len(result.audience))} 位客户；其中 {zh.number(bought)} "
            "位以前买过。"
        )
    lines += ["", summary]
    return "\n".join(lines)


def _segment_zh(result: RecommendProductsResult) -> str:
    group = group_zh(result.segment or "")
    lines = [f"**适合向{group}主推的商品**（{zh.number(result.population)} 位客户）："]
    for i, p in enumerate(result.featured, start=1):
        lines.append(
            f"{i}. {_name(p)}：占他们预计下次购买的 {zh.percent(p.score, 1)}；其中 {zh.number(p.buyers)} 位以前买过"
            f"（得分的 {zh.percent(p.repeat_share)} 来自回购）。"
        )
    if result.featured:
        top = result.featured[0]
        lines += [
            "",
            f"建议向{group}（{zh.number(result.population)} 位客户）主推 {_name(top)}：占他们预计下次购买的 "
            f"{zh.percent(top.score)}。",
        ]
    else:
        lines += ["", f"没有适合{group}的商品符合筛选条件。"]
    return "\n".join(lines)


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
