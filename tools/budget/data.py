"""Weekly marketing data for the budget model: `date`, one `spend_<channel>` column per channel, the outcome
(`sales`, or another column mapped with `--column sales=conversions`) and optional controls (any other numeric
column: price, promotions, holidays). Read by the one tabular reader, then checked as a marketing-mix model
needs: whole weeks without gaps, enough history, spends that vary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.errors import DataError, DataProblem
from core.tabular import Field, Schema, Table, not_negative, read_table, table_from_frame, table_from_records

MIN_WEEKS = 52  # a year: fewer cannot separate media from seasonality
WEEKS_PER_PARAMETER = 8  # below this many weeks per channel and control, the fit is mostly prior
MIN_ACTIVE_WEEKS = 4  # a channel must have spend in at least this many weeks
MIN_VARIATION = 0.05  # coefficient of variation below which a channel "never varies"
CHANNEL_NAME = re.compile(r"^[a-z0-9][a-z0-9_]{0,39}$")

_HINT = "Nothing was trained. Fix the file or the options named above and run again."

SCHEMA = Schema(
    noun="weekly marketing",
    fields=(
        Field("date", "date", required=True, aliases=("week", "week_start", "ds", "period"), need="a week's date"),
        Field(
            "sales",
            "number",
            required=True,
            aliases=("revenue", "outcome", "y"),
            need="the week's outcome",
            check=not_negative("sales cannot be negative"),
        ),
    ),
    hint=_HINT,
    extra="keep",
    extra_label="column",
)


@dataclass(frozen=True)
class SpendTable:
    """A checked weekly table: `frame` has `date`, one column per channel (named by the channel), `sales` and
    the controls, sorted by date, one row per week."""

    frame: pd.DataFrame
    channels: list[str]
    controls: list[str]
    source: str
    outcome_label: str = "sales"
    warnings: list[str] = field(default_factory=list)

    @property
    def weeks(self) -> int:
        return len(self.frame)


def read_spend_file(path: str | Path, column_map: Mapping[str, str] | None = None) -> SpendTable:
    """Read and check a weekly marketing file (CSV or JSONL)."""
    table = read_table(path, SCHEMA, column_map)
    return _checked(table, _outcome_label(table, column_map))


def spend_table_from_frame(frame: pd.DataFrame, source: str = "data") -> SpendTable:
    return _checked(table_from_frame(frame, SCHEMA, source=source), "sales")


def spend_table_from_records(records: list[dict[str, Any]], source: str = "request") -> SpendTable:
    return _checked(table_from_records(records, SCHEMA, source=source), "sales")


def _outcome_label(table: Table, column_map: Mapping[str, str] | None) -> str:
    return table.header("sales") if column_map and "sales" in column_map else "sales"


def _checked(table: Table, outcome_label: str) -> SpendTable:
    table.raise_if_unreadable()
    problems: list[DataProblem] = []
    dates = table.parse("date", problems)
    sales = table.parse("sales", problems)
    spend_columns = [name for name in table.extras if name.lower().startswith("spend_")]
    control_columns = [name for name in table.extras if name not in spend_columns]
    channels = _channel_names(table, spend_columns, problems)
    columns = {
        **{c: _values(table, name, problems, "write 0 for a week without spend", True) for name, c in
           zip(spend_columns, channels, strict=True)},
        **{name: _values(table, name, problems, "controls need a value every week", False) for name in
           control_columns},
    }  # fmt: skip
    for row, value, bad in zip(table.rows, sales.values, sales.bad, strict=True):
        if value is None and not bad:
            problems.append(DataProblem(f"is empty (need {outcome_label} every week)", row, table.header("sales")))
    if problems:
        raise DataError(table.source, problems, hint=_HINT)
    frame = pd.DataFrame({"date": pd.to_datetime(dates.values), **columns, "sales": sales.values})
    frame = frame.sort_values("date", kind="stable").reset_index(drop=True)
    for name in [*channels, *control_columns, "sales"]:
        frame[name] = frame[name].astype(float)
    warnings = list(table.warnings)
    problems = _week_problems(frame) + _variation_problems(frame, channels)
    if problems:
        raise DataError(table.source, problems, hint=_HINT)
    kept_controls = []
    for name in control_columns:
        if frame[name].nunique() <= 1:
            warnings.append(f"control {table.header(name)!r} never changes and was left out")
            frame = frame.drop(columns=name)
        else:
            kept_controls.append(name)
    parameters = len(channels) + len(kept_controls)
    if len(frame) < WEEKS_PER_PARAMETER * parameters:
        warnings.append(
            f"{len(frame)} weeks for {len(channels)} channels and {len(kept_controls)} controls is little data: "
            "expect wide intervals"
        )
    return SpendTable(frame, channels, kept_controls, table.source, outcome_label, warnings)


def _channel_names(table: Table, spend_columns: list[str], problems: list[DataProblem]) -> list[str]:
    if not spend_columns:
        problems.append(
            DataProblem(
                "no spend columns: name each channel's weekly spend spend_<channel> (spend_search, spend_tv, ...)"
            )
        )
    channels: list[str] = []
    for name in spend_columns:
        channel = name[len("spend_") :].strip().lower().replace(" ", "_").replace("-", "_")
        if not CHANNEL_NAME.match(channel):
            problems.append(DataProblem(f"column {table.header(name)!r}: channel names are letters, digits and _"))
        elif channel in channels:
            problems.append(DataProblem(f"column {table.header(name)!r}: channel {channel!r} appears twice"))
        channels.append(channel)
    return channels


def _values(table: Table, name: str, problems: list[DataProblem], empty: str, spend: bool) -> list[Any]:
    parsed = table.parse(name, problems)
    for row, value, bad in zip(table.rows, parsed.values, parsed.bad, strict=True):
        if value is None and not bad:
            problems.append(DataProblem(f"is empty ({empty})", row, table.header(name)))
        elif spend and value is not None and value < 0:
            problems.append(DataProblem(f"{value:g} is negative (spend cannot be)", row, table.header(name)))
    return parsed.values


def _week_problems(frame: pd.DataFrame) -> list[DataProblem]:
    dates = frame["date"]
    if dates.duplicated().any():
        twice = dates[dates.duplicated()].dt.strftime("%Y-%m-%d").tolist()
        return [DataProblem(f"weeks appear more than once: {', '.join(twice[:5])} (one row per week)")]
    if len(frame) < MIN_WEEKS:
        return [
            DataProblem(
                f"too little history: {len(frame)} weeks; a marketing-mix model needs at least {MIN_WEEKS} weeks "
                "(two years or more is better)"
            )
        ]
    gaps = dates.diff().dt.days.iloc[1:]
    wrong = gaps[gaps != 7]
    if len(wrong):
        at = wrong.index[0]
        before, after = dates.iloc[at - 1].strftime("%Y-%m-%d"), dates.iloc[at].strftime("%Y-%m-%d")
        return [
            DataProblem(
                f"rows must be consecutive weeks, 7 days apart: {before} is followed by {after} "
                f"({len(wrong)} such gap{'s' if len(wrong) > 1 else ''}); aggregate daily data to weeks and add "
                "weeks without spend as 0"
            )
        ]
    return []


def _variation_problems(frame: pd.DataFrame, channels: list[str]) -> list[DataProblem]:
    problems = []
    for channel in channels:
        spend = frame[channel].to_numpy()
        active = int((spend > 0).sum())
        mean = float(spend.mean())
        if active < MIN_ACTIVE_WEEKS:
            problems.append(
                DataProblem(
                    f"channel {channel!r} has spend in only {active} week{'s' if active != 1 else ''}: its effect "
                    f"cannot be measured (need {MIN_ACTIVE_WEEKS} or more)"
                )
            )
        elif float(spend.std()) < MIN_VARIATION * mean:
            problems.append(
                DataProblem(
                    f"channel {channel!r}'s spend never varies (about {mean:,.0f} every week): a model cannot tell "
                    "its effect from the baseline; vary it (a test or flighting) or leave the column out"
                )
            )
    return problems


def weekly_array(table: SpendTable) -> np.ndarray:
    """Spend per week and channel, shape (weeks, channels)."""
    return table.frame[table.channels].to_numpy(dtype=float)
