"""How plan_budget results are shown: the answer's section (a plan beside today's split, a what-if against today's
level, or each channel's ROAS; every outcome with its 80% interval and every caveat said), what a router model may
read (channels and numbers), the terminal view and a PNG chart of the allocation and the response curves.

The outcome's label comes from the user's file header (`--column sales="Net Revenue"`), so it is made plain before
it reaches Markdown or rich markup."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Group, RenderableType
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from core import zh
from core.model_card import card_line
from tools.answer import Written, clip
from tools.budget.tool import (
    ChannelAllocation,
    ChannelEffect,
    Outcome,
    PlanBudgetInput,
    PlanBudgetResult,
    ResponseCurve,
    plan_budget,
)
from tools.unit import Implementation

MAX_CURVES = 6  # response curves drawn in a chart
_MARKDOWN = str.maketrans({"*": "", "_": " ", "`": "", "[": "(", "]": ")", "<": "(", ">": ")", "#": "", "|": "/"})


def amount(value: float | None) -> str:
    """A spend or outcome as a marketer reads it: 20,000; 312.5; 0.482."""
    if value is None or not math.isfinite(value):
        return "n/a"
    size = abs(value)
    if size >= 1000:
        return f"{value:,.0f}"
    if size >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def signed(value: float | None, scale: float | None = None) -> str:
    """A difference with its sign; one below a thousandth of `scale` (the outcome it changes) reads as 0."""
    if value is not None and scale is not None and abs(value) < 1e-3 * abs(scale):
        value = 0.0
    text = amount(value)
    return text if value is None or value == 0 or text.startswith("-") or text == "n/a" else f"+{text}"


def plain(text: str, limit: int = 60) -> str:
    """A label from the user's file (the outcome's header), inert in Markdown and HTML, on one line."""
    return clip(text.translate(_MARKDOWN), limit) or "outcome"


def _interval(low: float | None, high: float | None, sign: bool = False, scale: float | None = None) -> str:
    if sign:
        return f"80% interval {signed(low, scale)} to {signed(high, scale)}"
    return f"80% interval {amount(low)} to {amount(high)}"


def _uplift(result: PlanBudgetResult) -> str:
    """The difference between the two outcomes, with its interval, at the outcome's own precision."""
    scale = result.current.outcome_p50 if result.current is not None else None
    interval = _interval(result.uplift_p10, result.uplift_p90, sign=True, scale=scale)
    return f"**{signed(result.uplift_p50, scale)}** ({interval})"


def _outcome(o: Outcome) -> str:
    return f"**{amount(o.outcome_p50)}** ({_interval(o.outcome_p10, o.outcome_p90)})"


def _gain(result: PlanBudgetResult) -> str:
    gain = _uplift(result)
    if (result.uplift_p50 or 0.0) >= 0:
        return f"the plan adds {gain}"
    return f"the plan changes it by {gain}: the bounds asked for keep it from today's split"


def _change(a: ChannelAllocation) -> str:
    if a.current_spend > 0:
        return f"{(a.spend - a.current_spend) / a.current_spend:+.0%}"
    return "new" if a.spend > 0 else "0"


CHANNELS_ZH = {
    "search": "搜索",
    "social": "社交媒体",
    "display": "展示广告",
    "tv": "电视",
    "video": "视频",
    "email": "邮件",
    "radio": "广播",
    "print": "平面媒体",
    "affiliate": "联盟营销",
    "ooh": "户外广告",
}
OUTCOMES_ZH = {"sales": "销售额", "revenue": "收入", "orders": "订单数", "conversions": "转化数"}


def channel_zh(channel: str) -> str:
    return CHANNELS_ZH.get(channel.lower(), channel)


def _interval_zh(low: float | None, high: float | None, sign: bool = False, scale: float | None = None) -> str:
    if sign:
        return zh.interval(signed(low, scale), signed(high, scale))
    return zh.interval(amount(low), amount(high))


def _outcome_zh(o: Outcome) -> str:
    return f"**{amount(o.outcome_p50)}**（{_interval_zh(o.outcome_p10, o.outcome_p90)}）"


def _uplift_zh(result: PlanBudgetResult) -> str:
    scale = result.current.outcome_p50 if result.current is not None else None
    interval = _interval_zh(result.uplift_p10, result.uplift_p90, sign=True, scale=scale)
    return f"**{signed(result.uplift_p50, scale)}**（{interval}）"


def _change_zh(a: ChannelAllocation) -> str:
    text = _change(a)
    return "新增" if text == "new" else text


class BudgetPresenter:
    def answer(self, result: PlanBudgetResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result, written)
        label = plain(result.model.outcome_label)
        if result.mode == "plan":
            lines = self._plan(result, label)
        elif result.mode == "scenario":
            lines = self._scenario(result, label)
        else:
            lines = self._effects(result, label)
        m = result.model
        lines += ["", f"_Model: {m.engine}, fitted on {m.weeks} weeks ({m.first_week} to {m.last_week})._"]
        caution = self._caution(result)
        if caution:
            lines += ["", caution]
        for warning in result.warnings:
            written.warn(warning)
        card = card_line(result.model_card)
        if card:
            lines += ["", card]
        return "\n".join(lines)

    @staticmethod
    def _plan(result: PlanBudgetResult, label: str) -> list[str]:
        assert result.planned is not None and result.current is not None
        weeks = f"{result.period_weeks} week{'s' if result.period_weeks != 1 else ''}"
        lines = [
            f"**Budget plan: {amount(result.total_budget)} over {weeks}**, split to get the most {label} from media:",
            "",
        ]
        total = sum(a.spend for a in result.allocation) or 1.0
        for a in result.allocation:
            beyond = " (beyond the spend in the data)" if a.beyond_data else ""
            lines.append(
                f"- **{a.channel}**: {amount(a.spend)} ({a.spend / total:.0%}; {amount(a.weekly_spend)} a week, "
                f"{_change(a)} on today's split of {amount(a.current_spend)}): {amount(a.outcome_p50)} {label} "
                f"({_interval(a.outcome_p10, a.outcome_p90)}){beyond}"
            )
        lines += [
            "",
            f"Expected {label} from media over the period: {_outcome(result.planned)}. Today's split of the same "
            f"total would bring {_outcome(result.current)}: {_gain(result)}.",
        ]
        return lines

    @staticmethod
    def _scenario(result: PlanBudgetResult, label: str) -> list[str]:
        assert result.planned is not None and result.current is not None
        weeks = f"{result.period_weeks} week{'s' if result.period_weeks != 1 else ''}"
        changed = [a for a in result.allocation if abs(a.spend - a.current_spend) > 1e-9]
        what = "; ".join(f"{a.channel} {amount(a.current_spend)} → {amount(a.spend)} ({_change(a)})" for a in changed)
        lines = [f"**What if: {what or 'no change'}** (spend over {weeks}, against today's level):", ""]
        for a in result.allocation:
            beyond = " (beyond the spend in the data)" if a.beyond_data else ""
            lines.append(
                f"- **{a.channel}**: {amount(a.spend)} (today {amount(a.current_spend)}): {amount(a.outcome_p50)} "
                f"{label} ({_interval(a.outcome_p10, a.outcome_p90)}){beyond}"
            )
        lines += [
            "",
            f"Expected {label} from media: {_outcome(result.planned)}, against {_outcome(result.current)} at today's "
            f"level: a change of {_uplift(result)}.",
        ]
        return lines

    @staticmethod
    def _effects(result: PlanBudgetResult, label: str) -> list[str]:
        m = result.model
        lines = [f"**Return on ad spend by channel** ({label} per unit spent, {m.first_week} to {m.last_week}):", ""]
        for e in result.channels:
            doubt = " (the data cannot pin it down)" if not e.well_measured else ""
            lines.append(
                f"- **{e.channel}**: ROAS {e.roas:.2f} ({_interval(e.roas_p10, e.roas_p90)}){doubt}; "
                f"{e.contribution_share:.0%} of the media-driven {label}; marginal ROAS {e.marginal_roas:.2f} at "
                f"today's {amount(e.weekly_spend)} a week"
            )
        weekly = sum(e.weekly_spend for e in result.channels) or 1.0
        if len(result.channels) > 1:
            split = ", ".join(f"{e.channel} {e.weekly_spend / weekly:.0%}" for e in result.channels)
            lines += ["", f"Today's split: {split} ({amount(weekly)} a week in all)."]
        else:
            lines += ["", f"Today's spend: {amount(weekly)} a week."]
        if result.current is not None:
            lines[-1] += (
                f" Kept up for {result.period_weeks} weeks it brings {_outcome(result.current)} {label} from media."
            )
        best = max(result.channels, key=lambda e: e.marginal_roas, default=None)
        if best is not None and len(result.channels) > 1:
            lines.append(
                f"The next unit of spend does most in **{best.channel}** (marginal ROAS {best.marginal_roas:.2f})."
            )
        return lines

    @staticmethod
    def _caution(result: PlanBudgetResult) -> str:
        """The caveats in one line, so that no rephrasing can drop them (the full notes follow the answer)."""
        parts = []
        if not result.model.converged:
            parts.append("the model's sampler did not converge cleanly, so every figure is rough")
        vague = [e.channel for e in result.channels if not e.well_measured]
        if vague:
            parts.append(f"the data cannot pin down {', '.join(vague)}")
        beyond = [a.channel for a in result.allocation if a.beyond_data]
        if beyond:
            parts.append(f"{', '.join(beyond)} would spend beyond anything in the data (extrapolated)")
        if (
            result.uplift_p10 is not None
            and result.uplift_p90 is not None
            and result.uplift_p10 <= 0 < result.uplift_p90
        ):
            parts.append("the gain's interval includes zero")
        return f"**Caution:** {'; '.join(parts)}." if parts else ""

    def model_view(self, result: PlanBudgetResult) -> dict[str, Any]:
        def outcome(o: Outcome | None) -> dict[str, float] | None:
            return None if o is None else o.model_dump()

        return {
            "mode": result.mode,
            "period_weeks": result.period_weeks,
            "total_budget": result.total_budget,
            "outcome": plain(result.model.outcome_label, 40),
            "allocation": [
                {
                    "channel": a.channel,
                    "spend": a.spend,
                    "current_spend": a.current_spend,
                    "outcome_p50": round(a.outcome_p50, 4),
                    "outcome_p10": round(a.outcome_p10, 4),
                    "outcome_p90": round(a.outcome_p90, 4),
                    "beyond_data": a.beyond_data,
                }
                for a in result.allocation
            ],
            "planned": outcome(result.planned),
            "current": outcome(result.current),
            "uplift": None
            if result.uplift_p50 is None
            else {"p50": result.uplift_p50, "p10": result.uplift_p10, "p90": result.uplift_p90},
            "channels": [
                {
                    "channel": e.channel,
                    "roas": round(e.roas, 4),
                    "roas_p10": round(e.roas_p10, 4),
                    "roas_p90": round(e.roas_p90, 4),
                    "contribution_share": round(e.contribution_share, 4),
                    "marginal_roas": round(e.marginal_roas, 4),
                    "weekly_spend": e.weekly_spend,
                    "well_measured": e.well_measured,
                }
                for e in result.channels
            ],
            "converged": result.model.converged,
            "warnings": len(result.warnings),
        }

    def terminal(self, result: PlanBudgetResult) -> RenderableType | None:
        label = escape(plain(result.model.outcome_label))
        parts: list[RenderableType] = []
        if result.mode != "effects":
            parts.append(allocation_table(result, label))
            assert result.planned is not None and result.current is not None
            versus = "today's split" if result.mode == "plan" else "today's level"
            parts.append(
                Panel(
                    f"{label} from media: {amount(result.planned.outcome_p50)} "
                    f"({_interval(result.planned.outcome_p10, result.planned.outcome_p90)})\n"
                    f"{versus}: {amount(result.current.outcome_p50)} "
                    f"({_interval(result.current.outcome_p10, result.current.outcome_p90)})\n"
                    f"difference: {_uplift(result).replace('**', '')}",
                    title="plan" if result.mode == "plan" else "what-if",
                    expand=False,
                )
            )
        parts.append(effects_table(result.channels, "Return on ad spend by channel (80% intervals)"))
        m = result.model
        parts.append(
            diagnostics_line(
                {"divergences": m.divergences, "max_rhat": m.max_rhat, "min_ess": m.min_ess, "converged": m.converged}
            )
            + f", {m.weeks} weeks ({m.first_week} to {m.last_week})"
        )
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def _answer_zh(result: PlanBudgetResult, written: Written) -> str:
    raw = plain(result.model.outcome_label)
    label = OUTCOMES_ZH.get(raw.lower(), raw)
    if result.mode == "plan":
        lines = _plan_zh(result, label)
    elif result.mode == "scenario":
        lines = _scenario_zh(result, label)
    else:
        lines = _effects_zh(result, label)
    m = result.model
    lines += ["", f"_模型：{m.engine}，用 {m.weeks} 周的数据拟合（{zh.day(m.first_week)} 至 {zh.day(m.last_week)}）。_"]
    if caution := _caution_zh(result):
        lines += ["", caution]
    for warning in result.warnings:
        written.warn(warning)
    if card := zh.card_line(result.model_card):
        lines += ["", card]
    return "\n".join(lines)


def _plan_zh(result: PlanBudgetResult, label: str) -> list[str]:
    assert result.planned is not None and result.current is not None
    lines = [
        f"**预算方案：{result.period_weeks} 周共 {amount(result.total_budget)}**，按媒体带来的{label}最大化分配：",
        "",
    ]
    total = sum(a.spend for a in result.allocation) or 1.0
    for a in result.allocation:
        beyond = "（超出数据中出现过的投放水平）" if a.beyond_data else ""
        lines.append(
            f"- **{channel_zh(a.channel)}**：{amount(a.spend)}（{zh.percent(a.spend / total)}；"
            f"每周 {amount(a.weekly_spend)}，"
            f"较现有分配 {amount(a.current_spend)} {_change_zh(a)}）：{label} {amount(a.outcome_p50)}"
            f"（{_interval_zh(a.outcome_p10, a.outcome_p90)}）{beyond}"
        )
    gain = _uplift_zh(result)
    if (result.uplift_p50 or 0.0) >= 0:
        verdict = f"方案多带来 {gain}"
    else:
        verdict = f"方案使其变化 {gain}：设定的上下限让它无法沿用现有分配"
    lines += [
        "",
        f"这段时间媒体预计带来的{label}：{_outcome_zh(result.planned)}。同样的总额按现有分配：{_outcome_zh(result.current)}；"
        f"{verdict}。",
    ]
    return lines


def _scenario_zh(result: PlanBudgetResult, label: str) -> list[str]:
    assert result.planned is not None and result.current is not None
    changed = [a for a in result.allocation if abs(a.spend - a.current_spend) > 1e-9]
    what = "；".join(
        f"{channel_zh(a.channel)} {amount(a.current_spend)} → {amount(a.spend)}（{_change_zh(a)}）" for a in changed
    )
    lines = [f"**假设：{what or '不做调整'}**（{result.period_weeks} 周的投放，与现有水平相比）：", ""]
    for a in result.allocation:
        beyond = "（超出数据中出现过的投放水平）" if a.beyond_data else ""
        lines.append(
            f"- **{channel_zh(a.channel)}**：{amount(a.spend)}（现在 {amount(a.current_spend)}）：{label} "
            f"{amount(a.outcome_p50)}（{_interval_zh(a.outcome_p10, a.outcome_p90)}）{beyond}"
        )
    lines += [
        "",
        f"媒体预计带来的{label}：{_outcome_zh(result.planned)}，现有水平为 {_outcome_zh(result.current)}："
        f"变化 {_uplift_zh(result)}。",
    ]
    return lines


def _effects_zh(result: PlanBudgetResult, label: str) -> list[str]:
    m = result.model
    lines = [
        f"**各渠道广告支出回报率（ROAS）**（每单位投放带来的{label}，"
        f"{zh.day(m.first_week)} 至 {zh.day(m.last_week)}）：",
        "",
    ]
    for e in result.channels:
        doubt = "（数据无法准确测定）" if not e.well_measured else ""
        lines.append(
            f"- **{channel_zh(e.channel)}**：ROAS {e.roas:.2f}（{_interval_zh(e.roas_p10, e.roas_p90)}）{doubt}；"
            f"占媒体带来的{label}的 {zh.percent(e.contribution_share)}；按现在每周 {amount(e.weekly_spend)} 的投放，"
            f"边际 ROAS {e.marginal_roas:.2f}"
        )
    weekly = sum(e.weekly_spend for e in result.channels) or 1.0
    if len(result.channels) > 1:
        split = "，".join(f"{channel_zh(e.channel)} {zh.percent(e.weekly_spend / weekly)}" for e in result.channels)
        lines += ["", f"现有分配：{split}（每周共 {amount(weekly)}）。"]
    else:
        lines += ["", f"现在每周投放 {amount(weekly)}。"]
    if result.current is not None:
        lines[-1] += f"保持 {result.period_weeks} 周，媒体带来的{label}为 {_outcome_zh(result.current)}。"
    best = max(result.channels, key=lambda e: e.marginal_roas, default=None)
    if best is not None and len(result.channels) > 1:
        lines.append(f"下一笔投放在 **{channel_zh(best.channel)}** 效果最好（边际 ROAS {best.marginal_roas:.2f}）。")
    return lines


def _caution_zh(result: PlanBudgetResult) -> str:
    """The Chinese twin of `BudgetPresenter._caution`: the same caveats, in one line."""
    parts = []
    if not result.model.converged:
        parts.append("模型的采样没有完全收敛，所有数字都只是粗略估计")
    vague = [channel_zh(e.channel) for e in result.channels if not e.well_measured]
    if vague:
        parts.append(f"数据无法准确测定{zh.joined(vague)}")
    beyond = [channel_zh(a.channel) for a in result.allocation if a.beyond_data]
    if beyond:
        parts.append(f"{zh.joined(beyond)}的投放会超出数据中出现过的水平（外推）")
    if result.uplift_p10 is not None and result.uplift_p90 is not None and result.uplift_p10 <= 0 < result.uplift_p90:
        parts.append("增量的区间包含 0")
    return f"**注意：**{'；'.join(parts)}。" if parts else ""


def allocation_table(result: PlanBudgetResult, label: str) -> Table:
    weeks = result.period_weeks
    compare = "today's split" if result.mode == "plan" else "today"
    table = Table(title=f"Spend over {weeks} week{'s' if weeks != 1 else ''} and expected {label} (80% intervals)")
    flagged = any(a.beyond_data for a in result.allocation)
    columns = ("channel", "spend", compare, "change", "a week", "expected", "interval", *(("",) if flagged else ()))
    for column in columns:
        table.add_column(column, justify="left" if column in ("channel", "interval", "") else "right")
    for a in result.allocation:
        table.add_row(
            a.channel,
            amount(a.spend),
            amount(a.current_spend),
            _change(a),
            amount(a.weekly_spend),
            amount(a.outcome_p50),
            f"{amount(a.outcome_p10)} to {amount(a.outcome_p90)}",
            *(("[yellow]beyond the data[/]" if a.beyond_data else "",) if flagged else ()),
        )
    return table


def effects_table(effects: Sequence[ChannelEffect], title: str) -> Table:
    table = Table(title=title)
    flagged = not all(e.well_measured for e in effects)
    for column in (
        "channel",
        "ROAS",
        "interval",
        "share",
        "marginal ROAS",
        "spend a week now",
        *(("",) if flagged else ()),
    ):
        table.add_column(column, justify="left" if column in ("channel", "interval", "") else "right")
    for e in effects:
        table.add_row(
            e.channel,
            f"{e.roas:.2f}",
            f"{e.roas_p10:.2f} to {e.roas_p90:.2f}",
            f"{e.contribution_share:.0%}",
            f"{e.marginal_roas:.2f}",
            amount(e.weekly_spend),
            *(("" if e.well_measured else "[yellow]not pinned down[/]",) if flagged else ()),
        )
    return table


def diagnostics_line(d: dict[str, Any]) -> str:
    state = "[green]converged[/]" if d.get("converged") else "[yellow]not converged[/]"
    return (
        f"Sampler: {state}: {int(d.get('divergences', 0))} divergences, max R-hat "
        f"{float(d.get('max_rhat', float('nan'))):.3f}, min ESS {float(d.get('min_ess', float('nan'))):.0f}"
    )


# ----------------------------------------------------------------------------------------------------
# The PNG chart


def plot_budget(result: PlanBudgetResult, path: Path) -> Path:
    """One PNG at `path`: planned against current spend per channel (or each channel's ROAS with its interval,
    for effects), above each channel's response curve (median, 80% band, today's and the planned weekly spend,
    and the most it ever spent)."""
    # A bare Figure renders with Agg and touches no pyplot state: safe in a server thread, no display needed.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    curves = result.curves[:MAX_CURVES]
    columns = max(1, min(3, len(curves)))
    rows = math.ceil(len(curves) / columns) if curves else 0
    top_height = 0.45 * max(len(result.allocation), len(result.channels), 1) + 1.4
    figure = Figure(figsize=(4 * columns + 2, top_height + 3.2 * rows), dpi=100)
    FigureCanvasAgg(figure)
    grid = figure.add_gridspec(1 + rows, columns, height_ratios=[top_height] + [3.2] * rows)
    top = figure.add_subplot(grid[0, :])
    label = plain(result.model.outcome_label, 40)
    if result.mode == "effects":
        _draw_roas(top, result)
    else:
        _draw_allocation(top, result)
    for k, curve in enumerate(curves):
        _draw_curve(figure.add_subplot(grid[1 + k // columns, k % columns]), curve, label)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path


def _draw_allocation(axes: Any, result: PlanBudgetResult) -> None:
    names = [a.channel for a in result.allocation]
    positions = list(range(len(names)))
    planned_label = "plan" if result.mode == "plan" else "what-if"
    current_label = "today's split" if result.mode == "plan" else "today"
    axes.barh(
        [p - 0.2 for p in positions], [a.spend for a in result.allocation], 0.4, color="#1f4e79", label=planned_label
    )
    axes.barh(
        [p + 0.2 for p in positions], [a.current_spend for a in result.allocation], 0.4, color="#9db4cf",
        label=current_label,
    )  # fmt: skip
    axes.set_yticks(positions, labels=names)
    axes.invert_yaxis()
    axes.set_xlabel(f"spend over {result.period_weeks} weeks")
    axes.grid(axis="x", alpha=0.3)
    axes.legend(loc="lower right", framealpha=0.9)
    if result.planned is not None and result.current is not None:
        axes.set_title(
            f"{planned_label}: {amount(result.planned.outcome_p50)} ({amount(result.planned.outcome_p10)} to "
            f"{amount(result.planned.outcome_p90)}) vs {current_label}: {amount(result.current.outcome_p50)}"
        )


def _draw_roas(axes: Any, result: PlanBudgetResult) -> None:
    names = [e.channel for e in result.channels]
    positions = list(range(len(names)))
    mids = [e.roas for e in result.channels]
    lows = [e.roas - e.roas_p10 for e in result.channels]
    highs = [e.roas_p90 - e.roas for e in result.channels]
    axes.errorbar(mids, positions, xerr=[lows, highs], fmt="o", color="#1f4e79", capsize=4, label="ROAS, 80% interval")
    axes.set_yticks(positions, labels=names)
    axes.set_xlim(left=0)
    axes.set_ylim(len(names) - 0.5, -0.5)
    axes.set_xlabel("return on ad spend")
    axes.grid(axis="x", alpha=0.3)
    axes.set_title("Return on ad spend by channel")


def _draw_curve(axes: Any, curve: ResponseCurve, label: str) -> None:
    spend = [p.weekly_spend for p in curve.points]
    axes.fill_between(
        spend, [p.outcome_p10 for p in curve.points], [p.outcome_p90 for p in curve.points], color="#f28e2b",
        alpha=0.25, linewidth=0, label="80% interval",
    )  # fmt: skip
    axes.plot(spend, [p.outcome_p50 for p in curve.points], color="#e15759", linewidth=1.8, label="median")
    if spend and curve.max_seen < spend[-1]:
        axes.axvspan(curve.max_seen, spend[-1], color="grey", alpha=0.12, linewidth=0, label="beyond the data")
    axes.axvline(curve.current_weekly_spend, color="#555555", linestyle="--", linewidth=1, label="today")
    if curve.planned_weekly_spend is not None:
        axes.axvline(curve.planned_weekly_spend, color="#1f4e79", linewidth=1.5, label="planned")
    axes.set_title(curve.channel)
    axes.set_xlabel("spend a week")
    axes.set_ylabel(f"{label} a week")
    axes.set_xlim(0, spend[-1] if spend else 1)
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize="small", framealpha=0.9)


def charts(result: PlanBudgetResult, folder: Path) -> list[Path]:
    """The chart, saved in `folder` (the terminal chat's plots folder)."""
    name = re.sub(r"[^a-z]+", "-", result.mode)
    return [plot_budget(result, folder / f"budget-{name}-{datetime.now():%Y%m%d-%H%M%S}.png")]


IMPLEMENTATION = Implementation(plan_budget, PlanBudgetInput, PlanBudgetResult, BudgetPresenter(), charts=charts)
