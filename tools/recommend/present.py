"""How recommend_products results are shown: the answer's section, what a router model may read (product ids,
names and scores; never customer ids: they are the CRM's data), and the terminal view."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core.model_card import card_line
from tools.answer import Written
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


class RecommendPresenter:
    def answer(self, result: RecommendProductsResult, written: Written) -> str:
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
