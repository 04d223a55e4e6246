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

from tools.answer import Written
from tools.experiment.tool import AnalyzeExperimentInput, AnalyzeExperimentResult, analyze_experiment
from tools.unit import Implementation

STATUS = {"winner": "Winner", "no_difference": "No meaningful difference", "keep_running": "Keep running"}


def _rate(value: float) -> str:
    return f"{value:.2%}"


class ExperimentPresenter:
    def answer(self, result: AnalyzeExperimentResult, written: Written) -> str:
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
