"""How analyze_experiment results are shown: the answer's section, what a router model may read (variant ids,
counts and rates; never the copy text, which may quote reviews), the terminal view and a PNG chart."""

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
from tools.answer import Written
from tools.experiment.tool import (
    AnalyzeExperimentInput,
    AnalyzeExperimentResult,
    ArmResult,
    TestPlan,
    analyze_experiment,
    summarise,
)
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


def _summary_en(result: AnalyzeExperimentResult) -> str:
    return result.summary  # the tool wrote it (`summarise`)


@dataclass(frozen=True)
class Wording:
    """The test's section in one language: `phrases` are str.format templates over the same figures; the rest name
    the decision, word its reason, write dates and the summary the language's way (English unless given)."""

    phrases: Mapping[str, str]
    status: Mapping[str, str]
    reason: Callable[[str], str] = str
    day: Callable[[str], str] = str
    summary: Callable[[AnalyzeExperimentResult], str] = _summary_en

    def __call__(self, phrase: str, **values: Any) -> str:
        return self.phrases[phrase].format(**values)


def _summary_zh(result: AnalyzeExperimentResult) -> str:
    return summarise(result.experiment, result.arms, result.decision, result.plan, SUMMARY_ZH)


# The tool's summary (tools/experiment/tool.py `SUMMARY`) in Chinese.
SUMMARY_ZH = {
    "winner": "{name}：{variant} 以 {rate:.2%} 胜出{lift}；把它发给所有人。",
    "lift": "，比 {control} {lift:+.0%}",
    "no_difference": "{name}：没有哪个版本明显更好；按成本或品牌契合度选择即可。",
    "keep_running": "{name}：继续测试；{leader} 暂时领先（最优概率 {best:.0%}）。",
    "to_go": "还需要约 {remaining:,} 次曝光{days}，才能发现 {lift:.0%} 的提升。",
    "days": "，大约还要 {days:g} 天",
}

WORDING = {
    "en": Wording(
        phrases={
            "title": "**{experiment}**{days}. {headline}. {reason}",
            "days": ", {first} to {last} ({looks} days)",
            "winner": ": **{winner}**",
            "copy": " ({copy})",
            "arm": "- **{variant}**: {rate} ({conversions:,} of {exposures:,}; interval {low} to {high}{lift}), "
            "{best:.0%} chance best, next split {split:.0%}",
            "lift": ", {lift:+.1%} on the control",
            "revenue": "Revenue per exposure: {revenues} (totals only: no interval without per-exposure revenue).",
            "revenue_item": "{variant} {revenue:,.2f}",
            "separator": ", ",
            "target": "a {lift:.0%} lift on {baseline}",
            "to_go": "To find {target}: {per_variant:,} exposures per variant ({remaining:,} more in all{when}). A "
            "classic test looked at only once would need {fixed:,}; this one may be checked every day.",
            "when": ", about {days:g} days at the recent pace, split evenly",
            "reached": "Every variant has the {per_variant:,} exposures needed to find {target}.",
        },
        status=STATUS,
    ),
    "zh": Wording(
        phrases={
            "title": "**{experiment}**{days}。{headline}。{reason}",
            "days": "，{first} 至 {last}（{looks} 天）",
            "winner": "：**{winner}**",
            "copy": "（{copy}）",
            "arm": "- **{variant}**：{rate}（{exposures:,} 次曝光中 {conversions:,} 次转化；"
            "区间 {low} 至 {high}{lift}），最优概率 {best:.0%}，下一轮流量 {split:.0%}",
            "lift": "，比对照组 {lift:+.1%}",
            "revenue": "每次曝光收入：{revenues}（只有总额：没有逐次曝光的收入，无法给出区间）。",
            "revenue_item": "{variant} {revenue:,.2f}",
            "separator": "，",
            "target": "在 {baseline} 上发现 {lift:.0%} 的提升",
            "to_go": "要{target}：每个版本需要 {per_variant:,} 次曝光（总共还差 {remaining:,} 次{when}）。"
            "只看一次的传统测试需要 {fixed:,} 次；这个测试可以每天查看。",
            "when": "，按最近的速度、平均分流约需 {days:g} 天",
            "reached": "每个版本都已达到{target}所需的 {per_variant:,} 次曝光。",
        },
        status=STATUS_ZH,
        reason=REASONS_ZH,
        day=zh.day,
        summary=_summary_zh,
    ),
}


class ExperimentPresenter:
    def answer(self, result: AnalyzeExperimentResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        lines = [_title(result, words), ""]
        lines += [_arm_line(result, arm, words) for arm in result.arms]
        money = [a for a in result.arms if a.revenue_per_exposure is not None]
        if money:
            revenues = [words("revenue_item", variant=a.variant_id, revenue=a.revenue_per_exposure) for a in money]
            lines += ["", words("revenue", revenues=words("separator").join(revenues))]
        if result.plan is not None and result.decision.status == "keep_running":
            lines += ["", _plan_line(result.plan, words)]
        lines += ["", words.summary(result)]
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


def _title(result: AnalyzeExperimentResult, words: Wording) -> str:
    """The test, its days and the decision with its reason."""
    decision = result.decision
    headline = words.status[decision.status] + (words("winner", winner=decision.winner) if decision.winner else "")
    copy = next((a.copy_text for a in result.arms if a.variant_id == decision.winner and a.copy_text), "")
    if copy:
        headline += words("copy", copy=copy)
    days = ""
    if result.first_day and result.last_day:
        days = words("days", first=words.day(result.first_day), last=words.day(result.last_day), looks=result.looks)
    return words(
        "title", experiment=result.experiment, days=days, headline=headline, reason=words.reason(decision.reason)
    )


def _arm_line(result: AnalyzeExperimentResult, arm: ArmResult, words: Wording) -> str:
    return words(
        "arm",
        variant=arm.variant_id,
        rate=_rate(arm.rate),
        conversions=arm.conversions,
        exposures=arm.exposures,
        low=_rate(arm.rate_low),
        high=_rate(arm.rate_high),
        lift=words("lift", lift=arm.lift) if arm.lift is not None else "",
        best=arm.prob_best,
        split=result.next_allocation.get(arm.variant_id, 0),
    )


def _plan_line(plan: TestPlan, words: Wording) -> str:
    """What the test still needs to find the lift it was planned for, or that it has it."""
    target = words("target", lift=plan.lift, baseline=_rate(plan.baseline_rate))
    if not plan.remaining:
        return words("reached", per_variant=plan.per_variant, target=target)
    when = words("when", days=plan.days_left) if plan.days_left is not None else ""
    return words(
        "to_go",
        target=target,
        per_variant=plan.per_variant,
        remaining=plan.remaining,
        when=when,
        fixed=plan.fixed_horizon_per_variant,
    )


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
