"""How analyze_experiment results are shown: the answer's section, what a router model may read (variant ids,
counts and rates; never the copy text, which may quote reviews), the terminal view and a PNG chart."""

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
from tools.answer import Written
from tools.experiment.tool import AnalyzeExperimentInput, AnalyzeExperimentResult, analyze_experiment
from tools.unit import Implementation

STATUS = {"winner": "Winner", "no_difference": "No meaningful difference", "keep_running": "Keep running"}


STATUS_ZH = {"winner": "胜出", "no_difference": "没有实质差别", "keep_running": "继续测试"}
# The decisions' reasons (tools/experiment/tool.py `_decide`), in Chinese.
REASONS_ZH = zh.Phrasebook(
    [
        (
            r"The rate of (?P<best>.+) is above every other variant's: each difference's (?P<level>\d+%) interval, "
            r"valid however often the test was looked at, is above zero \(by at least (?P<low>[\d.]+)% points\)\.",
            "{best} 的转化率高于其他所有版本：每个差值的 {level} 区间（无论中途看过多少次都有效）都在 0 以上"
            "（至少高 {low} 个百分点）。",
        ),
        (
            r"Too little data to judge: every variant needs at least (?P<n>[\d,]+) exposures\.",
            "数据太少，还无法判断：每个版本至少需要 {n} 次曝光。",
        ),
        (
            r"Every difference between variants is known to be under (?P<margin>[\d.]+)% points \(a (?P<lift>\d+%) "
            r"lift on (?P<base>[\d.]+%)\) at (?P<level>\d+%): none is worth choosing over another\.",
            "在 {level} 置信水平下，各版本之间的差距都小于 {margin} 个百分点（即在 {base} 上提升 {lift}）："
            "选哪个都差不多。",
        ),
        (
            r"Every variant has reached the (?P<n>[\d,]+) exposures needed to find a (?P<lift>\d+%) lift, and no "
            r"variant stands out: any difference is likely smaller than that\.",
            "每个版本都已达到发现 {lift} 提升所需的 {n} 次曝光，仍没有版本脱颖而出：即使有差别，也可能比这更小。",
        ),
        (
            r"No variant is ahead at (?P<level>\d+%) yet: (?P<leader>.+) leads at (?P<rate>[\d.]+%), but the "
            r"intervals that stay valid under daily checking still overlap .*",
            "在 {level} 置信水平下还没有版本领先：{leader} 暂时领先（{rate}），但允许每天查看的区间仍有重叠"
            "（“最优概率”没有考虑每天查看，不能据此提前停止）。",
        ),
    ]
)


def _rate(value: float) -> str:
    return f"{value:.2%}"


class ExperimentPresenter:
    def answer(self, result: AnalyzeExperimentResult, written: Written) -> str:
        if written.chinese:
            return _answer_zh(result)
        decision = result.decision
        headline = STATUS[decision.status] + (f": **{decision.winner}**" if decision.winner else "")
        copy = next((a.copy_text for a in result.arms if a.variant_id == decision.winner and a.copy_text), "")
        if copy:
            headline += f" ({copy})"
        days = ""
        if result.first_day and result.last_day:
            days = f", {result.first_day} to {result.last_day} ({result.looks} days)"
        lines = [f"**{result.experiment}**{days}. {headline}. {decision.reason}", ""]
        for arm in result.arms:
            lift = f", {arm.lift:+.1%} on the control" if arm.lift is not None else ""
            lines.append(
                f"- **{arm.variant_id}**: {_rate(arm.rate)} ({arm.conversions:,} of {arm.exposures:,}; interval "
                f"{_rate(arm.rate_low)} to {_rate(arm.rate_high)}{lift}), {arm.prob_best:.0%} chance best, next split "
                f"{result.next_allocation.get(arm.variant_id, 0):.0%}"
            )
        money = [a for a in result.arms if a.revenue_per_exposure is not None]
        if money:
            lines.append("")
            lines.append(
                "Revenue per exposure: "
                + ", ".join(f"{a.variant_id} {a.revenue_per_exposure:,.2f}" for a in money)
                + " (totals only: no interval without per-exposure revenue)."
            )
        if result.plan is not None and decision.status == "keep_running":
            plan = result.plan
            lines.append("")
            if plan.remaining:
                when = (
                    f", about {plan.days_left:g} days at the recent pace, split evenly"
                    if plan.days_left is not None
                    else ""
                )
                lines.append(
                    f"To find a {plan.lift:.0%} lift on {_rate(plan.baseline_rate)}: {plan.per_variant:,} exposures "
                    f"per variant ({plan.remaining:,} more in all{when}). A classic test looked at only once would "
                    f"need {plan.fixed_horizon_per_variant:,}; this one may be checked every day."
                )
            else:
                lines.append(
                    f"Every variant has the {plan.per_variant:,} exposures needed to find a {plan.lift:.0%} lift on "
                    f"{_rate(plan.baseline_rate)}."
                )
        lines += ["", result.summary]
        return "\n".join(lines)

    def model_view(self, result: AnalyzeExperimentResult) -> dict[str, Any]:
        return {
            "experiment": result.experiment,
            "decision": result.decision.model_dump(),
            "arms": [
                {
                    "variant_id": a.variant_id,
                    "exposures": a.exposures,
                    "conversions": a.conversions,
                    "rate": a.rate,
                    "rate_low": a.rate_low,
                    "rate_high": a.rate_high,
                    "prob_best": a.prob_best,
                }
                for a in result.arms
            ],
            "next_allocation": result.next_allocation,
            "plan": result.plan.model_dump() if result.plan else None,
            "looks": result.looks,
        }

    def terminal(self, result: AnalyzeExperimentResult) -> RenderableType | None:
        table = Table(title=f"{escape(result.experiment)}: {result.looks} look{'s' if result.looks != 1 else ''}")
        for column in ("variant", "exposures", "conversions", "rate", "interval", "lift", "chance best", "next split"):
            table.add_column(column, justify="left" if column in ("variant", "interval") else "right")
        for arm in result.arms:
            table.add_row(
                escape(arm.variant_id),
                f"{arm.exposures:,}",
                f"{arm.conversions:,}",
                _rate(arm.rate),
                f"{_rate(arm.rate_low)} to {_rate(arm.rate_high)}",
                f"{arm.lift:+.1%}" if arm.lift is not None else "control",
                f"{arm.prob_best:.0%}",
                f"{result.next_allocation.get(arm.variant_id, 0):.0%}",
            )
        style = {"winner": "green", "no_difference": "cyan", "keep_running": "yellow"}[result.decision.status]
        parts: list[Table | Panel] = [
            table,
            Panel(escape(result.decision.reason), title=STATUS[result.decision.status], style=style),
            Panel(escape(result.summary), title="summary"),
        ]
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def _answer_zh(result: AnalyzeExperimentResult) -> str:
    decision = result.decision
    headline = STATUS_ZH[decision.status] + (f"：**{decision.winner}**" if decision.winner else "")
    copy = next((a.copy_text for a in result.arms if a.variant_id == decision.winner and a.copy_text), "")
    if copy:
        headline += f"（{copy}）"
    days = (
        f"，{zh.day(result.first_day)} 至 {zh.day(result.last_day)}（{result.looks} 天）"
        if result.first_day and result.last_day
        else ""
    )
    lines = [f"**{result.experiment}**{days}。{headline}。{REASONS_ZH(decision.reason)}", ""]
    for arm in result.arms:
        lift = f"，比对照组 {zh.percent(arm.lift, 1, signed=True)}" if arm.lift is not None else ""
        lines.append(
            f"- **{arm.variant_id}**：{_rate(arm.rate)}（{zh.number(arm.exposures)} 次曝光中 "
            f"{zh.number(arm.conversions)} 次转化；区间 {_rate(arm.rate_low)} 至 {_rate(arm.rate_high)}{lift}），"
            f"最优概率 {zh.percent(arm.prob_best)}，"
            f"下一轮流量 {zh.percent(result.next_allocation.get(arm.variant_id, 0))}"
        )
    money = [a for a in result.arms if a.revenue_per_exposure is not None]
    if money:
        revenue = "，".join(f"{a.variant_id} {zh.number(a.revenue_per_exposure or 0.0, 2)}" for a in money)
        lines += ["", f"每次曝光收入：{revenue}（只有总额：没有逐次曝光的收入，无法给出区间）。"]
    plan = result.plan
    if plan is not None and decision.status == "keep_running":
        lines.append("")
        target = f"在 {_rate(plan.baseline_rate)} 上发现 {zh.percent(plan.lift)} 的提升"
        if plan.remaining:
            when = f"，按最近的速度、平均分流约需 {plan.days_left:g} 天" if plan.days_left is not None else ""
            lines.append(
                f"要{target}：每个版本需要 {zh.number(plan.per_variant)} 次曝光"
                f"（总共还差 {zh.number(plan.remaining)} 次{when}）。"
                f"只看一次的传统测试需要 {zh.number(plan.fixed_horizon_per_variant)} 次；这个测试可以每天查看。"
            )
        else:
            lines.append(f"每个版本都已达到{target}所需的 {zh.number(plan.per_variant)} 次曝光。")
    lines += ["", _summary_zh(result)]
    return "\n".join(lines)


def _summary_zh(result: AnalyzeExperimentResult) -> str:
    """The Chinese twin of the tool's summary (tools/experiment/tool.py `_summary`), from the same result."""
    decision, arms, name = result.decision, result.arms, result.experiment
    if decision.status == "winner":
        winner = next(a for a in arms if a.variant_id == decision.winner)
        lift = f"，比 {arms[0].variant_id} {zh.percent(winner.lift, signed=True)}" if winner.lift is not None else ""
        return f"{name}：{winner.variant_id} 以 {_rate(winner.rate)} 胜出{lift}；把它发给所有人。"
    if decision.status == "no_difference":
        return f"{name}：没有哪个版本明显更好；按成本或品牌契合度选择即可。"
    leader = max(arms, key=lambda a: a.prob_best)
    text = f"{name}：继续测试；{leader.variant_id} 暂时领先（最优概率 {zh.percent(leader.prob_best)}）。"
    plan = result.plan
    if plan is not None and plan.remaining:
        days = f"，大约还要 {plan.days_left:g} 天" if plan.days_left is not None else ""
        text += f"还需要约 {zh.number(plan.remaining)} 次曝光{days}，才能发现 {zh.percent(plan.lift)} 的提升。"
    return text


def charts(result: AnalyzeExperimentResult, folder: Path) -> list[Path]:
    """One PNG: each variant's rate with its anytime-valid interval, and the next split."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [a.variant_id for a in result.arms]
    figure, (left, right) = plt.subplots(1, 2, figsize=(9, 0.6 * len(names) + 2), gridspec_kw={"width_ratios": [3, 1]})
    for i, arm in enumerate(result.arms):
        colour = "tab:green" if arm.variant_id == result.decision.winner else "tab:blue"
        left.plot([arm.rate_low, arm.rate_high], [i, i], color=colour, linewidth=3, alpha=0.6)
        left.plot([arm.rate], [i], "o", color=colour)
    left.set_yticks(range(len(names)), names)
    left.invert_yaxis()
    left.set_xlabel(f"conversion rate ({1 - result.alpha:.0%} interval, valid at every look)")
    left.xaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    right.barh(names, [result.next_allocation.get(n, 0) for n in names], color="tab:gray")
    right.invert_yaxis()
    right.set_yticks([])
    right.set_xlim(0, 1)
    right.set_xlabel("next split")
    figure.suptitle(f"{result.experiment}: {STATUS[result.decision.status].lower()}")
    figure.tight_layout()
    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", result.experiment)[:60] or "test"
    path = folder / f"experiment-{name}-{datetime.now():%Y%m%d-%H%M%S}.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]


IMPLEMENTATION = Implementation(
    analyze_experiment, AnalyzeExperimentInput, AnalyzeExperimentResult, ExperimentPresenter(), charts=charts
)
