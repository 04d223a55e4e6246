"""How audit_fairness results are shown: the answer's section (the judged groups by attribute, flagged ones
first), what a router model may read (groups, counts and rates; never customer ids), the terminal view and a PNG
chart of the rates by group."""

from __future__ import annotations

import re
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


def _ratio(f: FairnessFinding) -> str:
    if f.ratio_to_max is None:
        return "not judged" if not f.judged else "-"
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


def _ratio_zh(f: FairnessFinding) -> str:
    return "未评判" if f.ratio_to_max is None and not f.judged else _ratio(f)


class FairnessPresenter:
    def answer(self, result: AuditFairnessResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result)
        verdict = "**Flagged**" if result.flagged else "**Not flagged**"
        lines = [
            f"{verdict}: fairness audit of {result.list_name} ({result.selected:,} selected of {result.population:,} "
            f"customers with attributes; four-fifths rule at {result.threshold:g}, groups under {result.min_group} "
            "not judged).",
            "",
        ]
        pairs_shown = 0
        for summary in result.attributes:
            is_pair = " x " in summary.attribute
            if is_pair and not summary.flagged:
                continue
            if is_pair:
                pairs_shown += 1
                if pairs_shown > SHOWN_PAIRS:
                    continue
            rows = [f for f in result.findings if f.attribute == summary.attribute]
            parts = []
            for f in rows:
                mark = " **flagged**" if f.flagged else ""
                parts.append(f"{f.group} {f.selection_rate:.1%} of {f.size:,} (ratio {_ratio(f)}){mark}")
            lines.append(f"- **{summary.attribute}**: " + "; ".join(parts))
        if result.values:
            lines.append("")
            by: dict[str, list[str]] = {}
            for v in result.values:
                by.setdefault(v.attribute, []).append(f"{v.group} {v.mean_predicted_spend:,.2f}")
            for attribute, texts in by.items():
                lines.append(f"Predicted spend per customer by {attribute}: " + ", ".join(texts) + ".")
        lines += ["", result.summary]
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


def _answer_zh(result: AuditFairnessResult) -> str:
    list_name = LIST_NAMES_ZH(result.list_name)
    verdict = "**有问题**" if result.flagged else "**未发现问题**"
    lines = [
        f"{verdict}：{list_name}的公平性审计（有属性数据的 {zh.number(result.population)} 位客户中选中 "
        f"{zh.number(result.selected)} 位；五分之四规则阈值 {result.threshold:g}，"
        f"少于 {result.min_group} 人的群体不评判）。",
        "",
    ]
    for attribute in _shown(result):
        parts = []
        for f in (f for f in result.findings if f.attribute == attribute):
            mark = " **有问题**" if f.flagged else ""
            parts.append(
                f"{f.group}：{zh.number(f.size)} 人中选中 {zh.percent(f.selection_rate, 1)}"
                f"（比值 {_ratio_zh(f)}）{mark}"
            )
        lines.append(f"- **{attribute_zh(attribute)}**：" + "；".join(parts))
    if result.values:
        lines.append("")
        by: dict[str, list[str]] = {}
        for v in result.values:
            by.setdefault(v.attribute, []).append(f"{v.group} {zh.number(v.mean_predicted_spend, 2)}")
        for attribute, texts in by.items():
            lines.append(f"按{attribute_zh(attribute)}的人均预测消费：" + "，".join(texts) + "。")
    lines += ["", _summary_zh(result, list_name)]
    return "\n".join(lines)


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
