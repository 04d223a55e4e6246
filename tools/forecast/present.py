"""How forecast_sales results are shown: the answer's section, what a router model may read, the terminal view
and the PNG charts the terminal chat saves."""

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
from core.errors import MarketingAgentError
from core.model_card import card_line
from tools.answer import Written
from tools.forecast.tool import (
    ForecastSalesInput,
    ForecastSalesResult,
    SeriesForecast,
    forecast_history,
    forecast_sales,
)
from tools.plots import plot_forecast
from tools.unit import Implementation

MAX_CHARTS = 5
UNITS = {"W": "weeks", "D": "days", "M": "months", "MS": "months", "ME": "months"}
COVARIATES_ZH = {"promo": "促销", "promotion": "促销", "price": "价格", "discount": "折扣"}
# The drivers `forecast_sales` writes (tools/forecast/tool.py `_drivers`), in Chinese.
DRIVERS_ZH = zh.Phrasebook(
    [
        (
            r"a (?P<name>.+?) throughout would change sales by (?P<change>[-+]\d+%) "
            r"\((?P<without>[\d,]+) -> (?P<with>[\d,]+) units\) \(uncertain: see the warning\)",
            "全程{name}：销量变化 {change}（{without} -> {with} 件）（不确定：见提示）",
        ),
        (
            r"(?P<name>.+?) at (?P<new>\S+) instead of (?P<old>\S+) changes sales by (?P<change>[-+]\d+%) "
            r"\(uncertain: see the warning\)",
            "{name}为 {new}（而不是 {old}）：销量变化 {change}（不确定：见提示）",
        ),
        (
            r"a (?P<name>.+?) throughout would change sales by (?P<change>[-+]\d+%) "
            r"\((?P<without>[\d,]+) -> (?P<with>[\d,]+) units\)",
            "全程{name}：销量变化 {change}（{without} -> {with} 件）",
        ),
        (
            r"(?P<name>.+?) at (?P<new>\S+) instead of (?P<old>\S+) changes sales by (?P<change>[-+]\d+%)",
            "{name}为 {new}（而不是 {old}）：销量变化 {change}",
        ),
        (
            r"seasonality: (?P<change>[-+]\d+%) against the same (?P<h>\d+) periods a season ago "
            r"\((?P<units>[\d,]+) units\)",
            "季节性：比上一季同期 {h} 期 {change}（{units} 件）",
        ),
    ],
    labels=COVARIATES_ZH,
)


@dataclass(frozen=True)
class Wording:
    """The forecast's section in one language: `phrases` are str.format templates over the same figures (and the
    units' names); the rest write intervals, drivers and the model card the language's way (English unless given)."""

    phrases: Mapping[str, str]
    interval: Callable[[float, float], str] = "80% interval {:,.0f} to {:,.0f}".format
    driver: Callable[[str], str] = str
    card: Callable[[Mapping[str, Any]], str] = card_line

    def __call__(self, phrase: str, **values: Any) -> str:
        return self.phrases[phrase].format(**values)


def _interval_zh(low: float, high: float) -> str:
    return zh.interval(zh.number(low), zh.number(high))


WORDING = {
    "en": Wording(
        phrases={
            "heading": "**Sales forecast, next {horizon} {unit}** (median, with an 80% interval):",
            "series": "- {label}: {p50:,.0f} units ({interval}){change}.",
            "change": "; {change:+.0%} vs the previous {horizon} {unit} ({last:,.0f})",
            "weeks": "weeks",
            "days": "days",
            "months": "months",
            "periods": "periods",
        }
    ),
    "zh": Wording(
        phrases={
            "heading": "**未来 {horizon} {unit}销量预测**（中位数，附 80% 区间）：",
            "series": "- {label}：{p50:,.0f} 件（{interval}）{change}。",
            "change": "；较前 {horizon} {unit}（{last:,.0f} 件）{change:+.0%}",
            "weeks": "周",
            "days": "天",
            "months": "个月",
            "periods": "期",
        },
        interval=_interval_zh,
        driver=DRIVERS_ZH,
        card=zh.card_line,
    ),
}


class ForecastPresenter:
    def answer(self, result: ForecastSalesResult, written: Written) -> str:
        words = WORDING["zh" if written.chinese else "en"]
        unit = words(UNITS.get(result.freq.split("-")[0], "periods"))
        lines = [words("heading", horizon=result.horizon, unit=unit)]
        for series in result.series:
            change = ""
            if series.change_vs_last_period is not None and series.last_period_total is not None:
                change = words(
                    "change",
                    change=series.change_vs_last_period,
                    horizon=result.horizon,
                    unit=unit,
                    last=series.last_period_total,
                )
            interval = words.interval(series.total_p10, series.total_p90)
            lines.append(words("series", label=_label(series), p50=series.total_p50, interval=interval, change=change))
            lines += [f"  - {words.driver(driver)}" for driver in series.drivers[:3]]
        if card := words.card(result.model):
            lines += ["", card]
        return "\n".join(lines)

    def model_view(self, result: ForecastSalesResult) -> dict[str, Any]:
        keys = ("series_id", "product_name", "total_p10", "total_p50", "total_p90", "change_vs_last_period")
        return {"horizon": result.horizon, "series": [s.model_dump(include=set(keys)) for s in result.series]}

    def terminal(self, result: ForecastSalesResult) -> RenderableType | None:
        parts: list[Table | Panel] = []
        for series in result.series:
            table = Table(title=f"{escape(_label(series))}: forecast", expand=False)
            for column in ("date", "p10", "p50 (median)", "p90"):
                table.add_column(column, justify="right")
            for point in series.points:
                table.add_row(point.date.isoformat(), f"{point.p10:,.1f}", f"{point.p50:,.1f}", f"{point.p90:,.1f}")
            table.add_row(
                "total", f"{series.total_p10:,.0f}", f"[bold]{series.total_p50:,.0f}[/]", f"{series.total_p90:,.0f}"
            )
            parts.append(table)
            notes = [
                *(f"• {escape(d)}" for d in series.drivers),
                *(f"[dim]assumed: {escape(a)}[/]" for a in series.assumptions),
            ]
            if notes:
                parts.append(Panel("\n".join(notes), title="drivers and assumptions", expand=False))
        parts.append(Panel(escape(result.summary), title="summary"))
        parts += [Panel(escape(w), style="yellow", title="note") for w in result.warnings]
        return Group(*parts)


def save_charts(result: ForecastSalesResult, folder: Path) -> list[Path]:
    """A PNG chart per series (the first few) in `folder` (the workspace's plots/ folder)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    saved = []
    for series in result.series[:MAX_CHARTS]:
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", series.series_id)[:60] or "series"
        try:
            saved.append(plot_forecast_result(series, folder / f"forecast-{name}-{stamp}.png", folder.parent))
        except (MarketingAgentError, KeyError, OSError):
            continue  # a chart is a bonus: the numbers are already on screen
    return saved


def plot_forecast_result(series: SeriesForecast, path: Path, workspace: Path | str | None = None) -> Path:
    """One forecast series from `forecast_sales`, drawn with its stored history."""
    dates, values = forecast_history(series.series_id, workspace=workspace)
    return plot_forecast(
        dates,
        values,
        [p.date for p in series.points],
        [p.p10 for p in series.points],
        [p.p50 for p in series.points],
        [p.p90 for p in series.points],
        title=f"{series.product_name or series.series_id}: forecast with 80% interval",
        path=path,
    )


def _label(series: SeriesForecast) -> str:
    return f"{series.product_name} ({series.series_id})" if series.product_name else series.series_id


IMPLEMENTATION = Implementation(
    forecast_sales, ForecastSalesInput, ForecastSalesResult, ForecastPresenter(), charts=save_charts
)
