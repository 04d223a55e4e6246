"""How plan_budget results are shown: the answer's section (a plan beside today's split, a what-if against today's
level, or each channel's ROAS; every outcome with its 80% interval and every caveat said), what a router model may
read (channels and numbers), the terminal view and a PNG chart of the allocation and the response curves.

The outcome's label comes from the user's file header (`--column sales="Net Revenue"`), so it is made plain before
it reaches Markdown or rich markup."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
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


def _interval(low: float | None, high: float | None, words: Wording) -> str:
    return words.interval(amount(low), amount(high))


def _uplift(result: PlanBudgetResult, words: Wording) -> str:
    """The difference between the two outcomes, with its interval, at the outcome's own precision."""
    scale = result.current.outcome_p50 if result.current is not None else None
    interval = words.interval(signed(result.uplift_p10, scale), signed(result.uplift_p90, scale))
    return words("outcome", median=signed(result.uplift_p50, scale), interval=interval)


def _outcome(o: Outcome, words: Wording) -> str:
    return words("outcome", median=amount(o.outcome_p50), interval=_interval(o.outcome_p10, o.outcome_p90, words))


def _change(a: ChannelAllocation, new: str = "new") -> str:
    if a.current_spend > 0:
        return f"{(a.spend - a.current_spend) / a.current_spend:+.0%}"
    return new if a.spend > 0 else "0"


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


@dataclass(frozen=True)
class Wording:
    """The budget section in one language: `phrases` are str.format templates over the same figures (amounts come
    formatted by `amount` and `signed`); the rest name outcomes and channels, and write dates, intervals, lists and
    the model-card line the language's way (English unless given)."""

    phrases: Mapping[str, str]
    outcome: Callable[[str], str] = str
    channel: Callable[[str], str] = str
    day: Callable[[str], str] = str
    interval: Callable[[str, str], str] = "80% interval {} to {}".format
    joined: Callable[[Iterable[str]], str] = ", ".join
    card: Callable[[Mapping[str, Any]], str] = card_line

    def __call__(self, phrase: str, **values: Any) -> str:
        return self.phrases[phrase].format(**values)


def outcome_zh(label: str) -> str:
    return OUTCOMES_ZH.get(label.lower(), label)


ENGLISH = Wording(
    phrases={
        "model": "_Model: {engine}, fitted on {weeks} weeks ({first} to {last})._",
        "outcome": "**{median}** ({interval})",
        "week": "{n} week",
        "weeks": "{n} weeks",
        "new": "new",
        "beyond": " (beyond the spend in the data)",
        "plan": "**Budget plan: {total} over {weeks}**, split to get the most {label} from media:",
        "plan_channel": "- **{channel}**: {spend} ({share:.0%}; {weekly} a week, {change} on today's split of "
        "{current}): {outcome} {label} ({interval}){beyond}",
        "plan_total": "Expected {label} from media over the period: {planned}. Today's split of the same total would "
        "bring {current}: {gain}.",
        "gain": "the plan adds {uplift}",
        "held_back": "the plan changes it by {uplift}: the bounds asked for keep it from today's split",
        "what_if": "**What if: {what}** (spend over {weeks}, against today's level):",
        "what_if_change": "{channel} {current} → {spend} ({change})",
        "no_change": "no change",
        "what_if_channel": "- **{channel}**: {spend} (today {current}): {outcome} {label} ({interval}){beyond}",
        "what_if_total": "Expected {label} from media: {planned}, against {current} at today's level: a change of "
        "{uplift}.",
        "effects": "**Return on ad spend by channel** ({label} per unit spent, {first} to {last}):",
        "effects_channel": "- **{channel}**: ROAS {roas:.2f} ({interval}){doubt}; {share:.0%} of the media-driven "
        "{label}; marginal ROAS {marginal:.2f} at today's {weekly} a week",
        "doubt": " (the data cannot pin it down)",
        "split": "Today's split: {split} ({weekly} a week in all).",
        "split_share": "{channel} {share:.0%}",
        "split_separator": ", ",
        "spend": "Today's spend: {weekly} a week.",
        "kept_up": " Kept up for {weeks} weeks it brings {outcome} {label} from media.",
        "best": "The next unit of spend does most in **{channel}** (marginal ROAS {marginal:.2f}).",
        "caution": "**Caution:** {parts}.",
        "clauses": "; ",
        "not_converged": "the model's sampler did not converge cleanly, so every figure is rough",
        "vague": "the data cannot pin down {channels}",
        "extrapolated": "{channels} would spend beyond anything in the data (extrapolated)",
        "includes_zero": "the gain's interval includes zero",
    }
)

CHINESE = Wording(
    phrases={
        "model": "_模型：{engine}，用 {weeks} 周的数据拟合（{first} 至 {last}）。_",
        "outcome": "**{median}**（{interval}）",
        "week": "{n} 周",
        "weeks": "{n} 周",
        "new": "新增",
        "beyond": "（超出数据中出现过的投放水平）",
        "plan": "**预算方案：{weeks}共 {total}**，按媒体带来的{label}最大化分配：",
        "plan_channel": "- **{channel}**：{spend}（{share:.0%}；每周 {weekly}，较现有分配 {current} {change}）："
        "{label} {outcome}（{interval}）{beyond}",
        "plan_total": "这段时间媒体预计带来的{label}：{planned}。同样的总额按现有分配：{current}；{gain}。",
        "gain": "方案多带来 {uplift}",
        "held_back": "方案使其变化 {uplift}：设定的上下限让它无法沿用现有分配",
        "what_if": "**假设：{what}**（{weeks}的投放，与现有水平相比）：",
        "what_if_change": "{channel} {current} → {spend}（{change}）",
        "no_change": "不做调整",
        "what_if_channel": "- **{channel}**：{spend}（现在 {current}）：{label} {outcome}（{interval}）{beyond}",
        "what_if_total": "媒体预计带来的{label}：{planned}，现有水平为 {current}：变化 {uplift}。",
        "effects": "**各渠道广告支出回报率（ROAS）**（每单位投放带来的{label}，{first} 至 {last}）：",
        "effects_channel": "- **{channel}**：ROAS {roas:.2f}（{interval}）{doubt}；占媒体带来的{label}的 {share:.0%}；"
        "按现在每周 {weekly} 的投放，边际 ROAS {marginal:.2f}",
        "doubt": "（数据无法准确测定）",
        "split": "现有分配：{split}（每周共 {weekly}）。",
        "split_share": "{channel} {share:.0%}",
        "split_separator": "，",
        "spend": "现在每周投放 {weekly}。",
        "kept_up": "保持 {weeks} 周，媒体带来的{label}为 {outcome}。",
        "best": "下一笔投放在 **{channel}** 效果最好（边际 ROAS {marginal:.2f}）。",
        "caution": "**注意：**{parts}。",
        "clauses": "；",
        "not_converged": "模型的采样没有完全收敛，所有数字都只是粗略估计",
        "vague": "数据无法准确测定{channels}",
        "extrapolated": "{channels}的投放会超出数据中出现过的水平（外推）",
        "includes_zero": "增量的区间包含 0",
    },
    outcome=outcome_zh,
    channel=channel_zh,
    day=zh.day,
    interval=zh.interval,
    joined=zh.joined,
    card=zh.card_line,
)

WORDING = {"en": ENGLISH, "zh": CHINESE}


class BudgetPresenter:
    def answer(self, result: PlanBudgetResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        label = words.outcome(plain(result.model.outcome_label))
        if result.mode == "plan":
            lines = _plan(result, label, words)
        elif result.mode == "scenario":
            lines = _scenario(result, label, words)
        else:
            lines = _effects(result, label, words)
        m = result.model
        fitted = words(
            "model", engine=m.engine, weeks=m.weeks, first=words.day(m.first_week), last=words.day(m.last_week)
        )
        lines += ["", fitted]
        if caution := _caution(result, words):
            lines += ["", caution]
        for warning in result.warnings:
            written.warn(warning)
        if card := words.card(result.model_card):
            lines += ["", card]
        return "\n".join(lines)

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
                    f"({_interval(result.planned.outcome_p10, result.planned.outcome_p90, ENGLISH)})\n"
                    f"{versus}: {amount(result.current.outcome_p50)} "
                    f"({_interval(result.current.outcome_p10, result.current.outcome_p90, ENGLISH)})\n"
                    f"difference: {_uplift(result, ENGLISH).replace('**', '')}",
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


def _plan(result: PlanBudgetResult, label: str, words: Wording) -> list[str]:
    assert result.planned is not None and result.current is not None
    lines = [words("plan", total=amount(result.total_budget), weeks=_period(result, words), label=label), ""]
    total = sum(a.spend for a in result.allocation) or 1.0
    for a in result.allocation:
        lines.append(words("plan_channel", share=a.spend / total, **_allocation(a, label, words)))
    uplift = _uplift(result, words)
    gain = words("gain" if (result.uplift_p50 or 0.0) >= 0 else "held_back", uplift=uplift)
    planned, current = _outcome(result.planned, words), _outcome(result.current, words)
    return [*lines, "", words("plan_total", label=label, planned=planned, current=current, gain=gain)]


def _scenario(result: PlanBudgetResult, label: str, words: Wording) -> list[str]:
    assert result.planned is not None and result.current is not None
    changed = [a for a in result.allocation if abs(a.spend - a.current_spend) > 1e-9]
    changes = [words("what_if_change", **_allocation(a, label, words)) for a in changed]
    lines = [words("what_if", what=words("clauses").join(changes) or words("no_change"), weeks=_period(result, words))]
    lines += ["", *(words("what_if_channel", **_allocation(a, label, words)) for a in result.allocation)]
    planned, current = _outcome(result.planned, words), _outcome(result.current, words)
    uplift = _uplift(result, words)
    return [*lines, "", words("what_if_total", label=label, planned=planned, current=current, uplift=uplift)]


def _period(result: PlanBudgetResult, words: Wording) -> str:
    return words("weeks" if result.period_weeks != 1 else "week", n=result.period_weeks)


def _allocation(a: ChannelAllocation, label: str, words: Wording) -> dict[str, str]:
    """What a plan's or a what-if's line says of a channel (each template takes the values it needs)."""
    return {
        "channel": words.channel(a.channel),
        "spend": amount(a.spend),
        "current": amount(a.current_spend),
        "change": _change(a, words("new")),
        "weekly": amount(a.weekly_spend),
        "outcome": amount(a.outcome_p50),
        "label": label,
        "interval": _interval(a.outcome_p10, a.outcome_p90, words),
        "beyond": words("beyond") if a.beyond_data else "",
    }


def _effects(result: PlanBudgetResult, label: str, words: Wording) -> list[str]:
    m = result.model
    lines = [words("effects", label=label, first=words.day(m.first_week), last=words.day(m.last_week)), ""]
    for e in result.channels:
        lines.append(
            words(
                "effects_channel",
                channel=words.channel(e.channel),
                roas=e.roas,
                interval=_interval(e.roas_p10, e.roas_p90, words),
                doubt=words("doubt") if not e.well_measured else "",
                share=e.contribution_share,
                label=label,
                marginal=e.marginal_roas,
                weekly=amount(e.weekly_spend),
            )
        )
    weekly = sum(e.weekly_spend for e in result.channels) or 1.0
    if len(result.channels) > 1:
        shares = [
            words("split_share", channel=words.channel(e.channel), share=e.weekly_spend / weekly)
            for e in result.channels
        ]
        lines += ["", words("split", split=words("split_separator").join(shares), weekly=amount(weekly))]
    else:
        lines += ["", words("spend", weekly=amount(weekly))]
    if result.current is not None:
        lines[-1] += words("kept_up", weeks=result.period_weeks, outcome=_outcome(result.current, words), label=label)
    best = max(result.channels, key=lambda e: e.marginal_roas, default=None)
    if best is not None and len(result.channels) > 1:
        lines.append(words("best", channel=words.channel(best.channel), marginal=best.marginal_roas))
    return lines


def _caution(result: PlanBudgetResult, words: Wording) -> str:
    """The caveats in one line, so that no rephrasing can drop them (the full notes follow the answer)."""
    parts = []
    if not result.model.converged:
        parts.append(words("not_converged"))
    vague = [words.channel(e.channel) for e in result.channels if not e.well_measured]
    if vague:
        parts.append(words("vague", channels=words.joined(vague)))
    beyond = [words.channel(a.channel) for a in result.allocation if a.beyond_data]
    if beyond:
        parts.append(words("extrapolated", channels=words.joined(beyond)))
    if result.uplift_p10 is not None and result.uplift_p90 is not None and result.uplift_p10 <= 0 < result.uplift_p90:
        parts.append(words("includes_zero"))
    return words("caution", parts=words("clauses").join(parts)) if parts else ""


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
