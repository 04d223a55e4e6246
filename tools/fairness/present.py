"""How audit_fairness results are shown: the answer's section (the judged groups by attribute, flagged ones
first), what a router model may read (groups, counts and rates; never customer ids), the terminal view and a PNG
chart of the rates by group."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core import zh
from tools.answer import CUSTOMER_GROUPS_ZH, Written
from tools.fairness.tool import AuditFairnessInput, AuditFairnessResult, FairnessFinding, audit_fairness
from tools.unit import Implementation

SHOWN_PAIRS = 3  # pairs of attributes written out in an answer; the rest are in the result


def _ratio(f: FairnessFinding, not_judged: str = "not judged") -> str:
    if f.ratio_to_max is None:
        return not_judged if not f.judged else "-"
    interval = (
        f" ({f.ratio_low:.2f}-{f.ratio_high:.2f})" if f.ratio_low is not None and f.ratio_high is not None else ""
    )
    return f"{f.ratio_to_max:.2f}{interval}"


ATTRIBUTES_ZH = {"age_band": "年龄段", "gender": "性别", "income_band": "收入段", "region": "地区"}


def attribute_zh(attribute: str) -> str:
    """ "age_band" -> "年龄段"; a pair "age_band x gender" -> "年龄段与性别"; unknown names stay."""
    return "与".join(ATTRIBUTES_ZH.get(a, a) for a in attribute.split(" x "))


# The list names `audit_fairness` writes (a group's label, an audience, "N customers"), in Chinese.
LIST_NAMES_ZH = zh.Phrasebook(
    [
        (r"at-risk customers", CUSTOMER_GROUPS_ZH["at_risk"]),
        (r"best customers", CUSTOMER_GROUPS_ZH["best"]),
        (r"new customers", CUSTOMER_GROUPS_ZH["new"]),
        (r"lapsed customers", CUSTOMER_GROUPS_ZH["lapsed"]),
        (r"the (?P<n>[\d,]+)-customer audience for (?P<product>.+)", "{product} 的 {n} 位目标客户"),
        (r"(?P<n>[\d,]+) customers", "这 {n} 位客户"),
    ]
)


def _summary_en(result: AuditFairnessResult, list_name: str) -> str:
    return result.summary  # the tool wrote it (tools/fairness/tool.py `_summary`)


@dataclass(frozen=True)
class Wording:
    """The audit's section in one language: `phrases` are str.format templates over the same figures; the rest name
    the list and the attributes, and write the summary, the language's way (English unless given)."""

    phrases: Mapping[str, str]
    list_name: Callable[[str], str] = str
    attribute: Callable[[str], str] = str
    summary: Callable[[AuditFairnessResult, str], str] = _summary_en

    def __call__(self, phrase: str, **values: Any) -> str:
        return self.phrases[phrase].format(**values)


def _summary_zh(result: AuditFairnessResult, list_name: str) -> str:
    """The Chinese twin of the tool's summary (tools/fairness/tool.py `_summary`), from the same findings."""
    flagged = [f for f in result.findings if f.flagged]
    if not flagged:
        judged = [f for f in result.findings if f.judged and f.ratio_to_max is not None]
        low = min(judged, key=lambda f: f.ratio_to_max or 1.0) if judged else None
        lowest = (
            f"（最低比值 {low.ratio_to_max:.2f}：{attribute_zh(low.attribute)}中的 {low.group}）"
            if low is not None and low.ratio_to_max is not None
            else ""
        )
        return f"按五分之四规则，{list_name}中没有被少选的群体{lowest}。"
    worst = min(flagged, key=lambda f: f.ratio_to_max or 0.0)
    return (
        f"{list_name}中有 {len(flagged)} 个群体被少选：最严重的是{attribute_zh(worst.attribute)}中的 {worst.group}，"
        f"选中率只有最高群体的 {worst.ratio_to_max or 0.0:.2f}（低于 {result.threshold:g}）。"
    )


WORDING = {
    "en": Wording(
        phrases={
            "audit": "{verdict}: fairness audit of {list_name} ({selected:,} selected of {population:,} customers with "
            "attributes; four-fifths rule at {threshold:g}, groups under {min_group} not judged).",
            "flagged": "**Flagged**",
            "not_flagged": "**Not flagged**",
            "attribute": "- **{attribute}**: {groups}",
            "group": "{group} {rate:.1%} of {size:,} (ratio {ratio}){mark}",
            "mark": " **flagged**",
            "not_judged": "not judged",
            "separator": "; ",
            "values": "Predicted spend per customer by {attribute}: {values}.",
            "value": "{group} {spend:,.2f}",
            "value_separator": ", ",
        }
    ),
    "zh": Wording(
        phrases={
            "audit": "{verdict}：{list_name}的公平性审计（有属性数据的 {population:,} 位客户中选中 {selected:,} 位；"
            "五分之四规则阈值 {threshold:g}，少于 {min_group} 人的群体不评判）。",
            "flagged": "**有问题**",
            "not_flagged": "**未发现问题**",
            "attribute": "- **{attribute}**：{groups}",
            "group": "{group}：{size:,} 人中选中 {rate:.1%}（比值 {ratio}）{mark}",
            "mark": " **有问题**",
            "not_judged": "未评判",
            "separator": "；",
            "values": "按{attribute}的人均预测消费：{values}。",
            "value": "{group} {spend:,.2f}",
            "value_separator": "，",
        },
        list_name=LIST_NAMES_ZH,
        attribute=attribute_zh,
        summary=_summary_zh,
    ),
}


class FairnessPresenter:
    def answer(self, result: AuditFairnessResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        list_name = words.list_name(result.list_name)
        audit = words(
            "audit",
            verdict=words("flagged" if result.flagged else "not_flagged"),
            list_name=list_name,
            selected=result.selected,
            population=result.population,
            threshold=result.threshold,
            min_group=result.min_group,
        )
        lines = [audit, ""]
        lines += [_attribute_line(result, attribute, words) for attribute in _shown(result)]
        if result.values:
            lines += ["", *_spend_lines(result, words)]
        lines += ["", words.summary(result, list_name)]
        return "\n".join(lines)

    def model_view(self, result: AuditFairnessResult) -> dict[str, Any]:
        return {
            "list": result.list_name,
            "population": result.population,
            "selected": result.selected,
            "flagged": result.flagged,
            "attributes": [s.model_dump() for s in result.attributes],
            "flagged_groups": [
                {"attribute": f.attribute, "group": f.group, "ratio_to_max": f.ratio_to_max, "size": f.size}
                for f in result.findings
                if f.flagged
            ],
        }

    def terminal(self, result: AuditFairnessResult) -> RenderableType | None:
        parts: list[Table | Panel] = []
        for summary in result.attributes:
            table = Table(title=f"{escape(summary.attribute)}{' (flagged)' if summary.flagged else ''}")
            for column in ("group", "customers", "selected", "rate", "95% interval", "ratio to best", "judged"):
                table.add_column(column, justify="left" if column in ("group", "judged") else "right")
            for f in (f for f in result.findings if f.attribute == summary.attribute):
                table.add_row(
                    escape(f.group),
                    f"{f.size:,}",
                    f"{f.selected:,}",
                    f"{f.selection_rate:.1%}",
                    f"{f.rate_low:.1%}-{f.rate_high:.1%}",
                    _ratio(f),
                    "flagged" if f.flagged else ("yes" if f.judged else "no"),
                    style="red" if f.flagged else None,
                )
            parts.append(table)
        parts.append(Panel(escape(result.summary), title="summary", style="red" if result.flagged else "none"))
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def _shown(result: AuditFairnessResult) -> list[str]:
    """The attributes an answer writes out: every single one, and the first few flagged pairs."""
    shown, pairs = [], 0
    for summary in result.attributes:
        if " x " in summary.attribute:
            if not summary.flagged:
                continue
            pairs += 1
            if pairs > SHOWN_PAIRS:
                continue
        shown.append(summary.attribute)
    return shown


def _attribute_line(result: AuditFairnessResult, attribute: str, words: Wording) -> str:
    """One attribute's groups: rate, size, ratio to the best-served group, and a mark on the flagged ones."""
    groups = [
        words(
            "group",
            group=f.group,
            rate=f.selection_rate,
            size=f.size,
            ratio=_ratio(f, words("not_judged")),
            mark=words("mark") if f.flagged else "",
        )
        for f in result.findings
        if f.attribute == attribute
    ]
    return words("attribute", attribute=words.attribute(attribute), groups=words("separator").join(groups))


def _spend_lines(result: AuditFairnessResult, words: Wording) -> list[str]:
    """Predicted spend per customer, a line per attribute."""
    by: dict[str, list[str]] = {}
    for v in result.values:
        by.setdefault(v.attribute, []).append(words("value", group=v.group, spend=v.mean_predicted_spend))
    return [
        words("values", attribute=words.attribute(attribute), values=words("value_separator").join(texts))
        for attribute, texts in by.items()
    ]


def charts(result: AuditFairnessResult, folder: Path) -> list[Path]:
    """One PNG per single attribute: selection rate by group with its interval, flagged groups in red."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    saved: list[Path] = []
    for summary in (s for s in result.attributes if " x " not in s.attribute):
        rows = [f for f in result.findings if f.attribute == summary.attribute]
        figure, axis = plt.subplots(figsize=(7, 0.45 * len(rows) + 1.6))
        names = [f.group for f in rows]
        colours = ["tab:red" if f.flagged else ("tab:blue" if f.judged else "tab:gray") for f in rows]
        axis.barh(names, [f.selection_rate for f in rows], color=colours, alpha=0.75)
        axis.errorbar(
            [f.selection_rate for f in rows],
            range(len(rows)),
            xerr=[[f.selection_rate - f.rate_low for f in rows], [f.rate_high - f.selection_rate for f in rows]],
            fmt="none",
            ecolor="black",
            capsize=3,
        )
        axis.invert_yaxis()
        axis.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
        axis.set_xlabel("selection rate (95% interval); red: flagged, grey: not judged")
        axis.set_title(f"{result.list_name}: by {summary.attribute}")
        figure.tight_layout()
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", summary.attribute)[:40]
        path = folder / f"fairness-{name}-{stamp}.png"
        figure.savefig(path, dpi=110)
        plt.close(figure)
        saved.append(path)
    return saved


IMPLEMENTATION = Implementation(
    audit_fairness, AuditFairnessInput, AuditFairnessResult, FairnessPresenter(), charts=charts
)
