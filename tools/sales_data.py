"""Reading and validating long-format sales files (CSV or JSONL, optionally gzipped) for the forecaster.

A file has one row per (series, period): `date`, `series_id`, `quantity`, plus optional numeric covariates
(`price`, `promo`, `holiday`, ...). It is read by the shared reader (`core/tabular.py`: formats, encodings,
dates, numbers, aliases); every problem is collected with its series, row and column, so a user fixes a file
in one pass. Row numbers are 1-based data rows (the header is not counted, nor blank lines).

The result is a `SalesPanel`: every series on one regular date grid at one pandas frequency, with no gaps
(gaps are refused, or filled when the caller chose a fill policy).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import (
    BaseOffset,
    BusinessDay,
    Day,
    MonthBegin,
    MonthEnd,
    QuarterBegin,
    QuarterEnd,
    Week,
    YearBegin,
    YearEnd,
)

from core.errors import DataError, DataProblem
from core.tabular import Field, Schema, Table, is_missing, not_negative, parse_number, read_table, table_from_frame

FillPolicy = Literal["refuse", "zero", "interpolate", "ffill"]
FILL_POLICIES: tuple[str, ...] = get_args(FillPolicy)

_HINT = "Nothing was used. Fix the file or the options named above and run again."


SCHEMA = Schema(
    noun="sales",
    fields=(
        Field(
            "date", "date", required=True, aliases=("ds", "week", "week_start", "order_date", "period"), need="a date"
        ),
        Field(
            "series_id",
            "id",
            required=True,
            aliases=("unique_id", "sku", "product_id", "item_id", "series", "id"),
            need="a series id",
        ),
        Field(
            "quantity",
            "number",
            required=True,
            aliases=("y", "units", "qty", "units_sold", "sales", "demand"),
            need="a number",
            check=not_negative("quantities must be 0 or more"),
        ),
    ),
    hint=_HINT,
    extra="keep",
    extra_label="covariate",
    extra_template=Field("", "number", required=True, need="a number", booleans=True),
    personal=True,
)
REQUIRED = SCHEMA.required
ALIASES = {f.name: f.aliases for f in SCHEMA.fields}
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FILL_HINT = "--fill zero|interpolate|ffill"
_LIST_LIMIT = 10
_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True, eq=False)
class SalesSeries:
    """One series on a regular grid at the panel's frequency, with no gaps."""

    series_id: str
    dates: pd.DatetimeIndex
    quantity: np.ndarray[Any, np.dtype[np.float64]]
    covariates: dict[str, np.ndarray[Any, np.dtype[np.float64]]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.dates)


@dataclass
class SalesPanel:
    """Every valid series of a file, at one frequency."""

    freq: str
    series: list[SalesSeries]
    covariates: list[str]
    warnings: list[str] = field(default_factory=list)

    def series_by_id(self) -> dict[str, SalesSeries]:
        return {s.series_id: s for s in self.series}


# ----------------------------------------------------------------------------------------------------
# Reading


def read_sales_file(
    path: str | Path,
    *,
    column_map: Mapping[str, str] | None = None,
    freq: str | None = None,
    covariates: Sequence[str] | None = None,
    fill: FillPolicy = "refuse",
    min_length: int = 0,
) -> SalesPanel:
    """Read and validate a sales CSV or JSONL file (`.gz` too). Raises DataError listing every problem found."""
    _check_fill(fill, str(path))
    table = read_table(path, SCHEMA, column_map, extras=covariates)
    return _panel(table, column_map or {}, covariates, freq=freq, fill=fill, min_length=min_length)


def sales_panel_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "data",
    column_map: Mapping[str, str] | None = None,
    freq: str | None = None,
    covariates: Sequence[str] | None = None,
    fill: FillPolicy = "refuse",
    min_length: int = 0,
) -> SalesPanel:
    """Validate a long-format frame (string cells from a file, or typed columns) into a SalesPanel."""
    _check_fill(fill, source)
    table = table_from_frame(frame, SCHEMA, source=source, column_map=column_map, extras=covariates)
    return _panel(table, column_map or {}, covariates, freq=freq, fill=fill, min_length=min_length)


def _check_fill(fill: str, source: str) -> None:
    if fill not in FILL_POLICIES:
        raise DataError(source, [DataProblem(f"unknown fill policy {fill!r}; use one of {', '.join(FILL_POLICIES)}")])


# ----------------------------------------------------------------------------------------------------
# Validation


def _panel(
    table: Table,
    column_map: Mapping[str, str],
    requested: Sequence[str] | None,
    *,
    freq: str | None,
    fill: FillPolicy,
    min_length: int,
) -> SalesPanel:
    table.raise_if_unreadable()
    problems: list[DataProblem] = []
    covariates = [
        name
        for name in table.extras
        if requested is not None or name in column_map or _numeric_column(table, name, problems)
    ]
    rows = _parse_rows(table, covariates, problems)
    offset = _choose_freq(rows, freq, table.header("date"), problems)
    series: list[SalesSeries] = []
    warnings = list(table.warnings)
    if offset is not None:
        series = _build_series(rows, offset, fill, min_length, table.header("date"), problems, warnings)
    if problems:
        raise DataError(table.source, problems, hint=_HINT)
    assert offset is not None
    warnings += _future_warning(series)
    return SalesPanel(freq=_alias(offset), series=series, covariates=covariates, warnings=warnings)


def _future_warning(series: Sequence[SalesSeries]) -> list[str]:
    """Sales history dated after today is kept (plans exported with actuals?), but the user is told."""
    today = pd.Timestamp(date.today())
    late = [s for s in series if len(s) and s.dates[-1] > today]
    if not late:
        return []
    latest = max(s.dates[-1] for s in late)
    names = ", ".join(s.series_id for s in late[:3]) + (" ..." if len(late) > 3 else "")
    return [
        f"{len(late)} series have sales dated in the future (after {today.date()}; latest {_day(latest)}: {names}); "
        "check the date column: forecasts start after the last date"
    ]


def _numeric_column(table: Table, name: str, problems: list[DataProblem]) -> bool:
    """Whether an extra column reads as numeric (most non-empty cells are numbers), so it can be a covariate; a
    problem saying why not otherwise."""
    cells = table.cells[name]
    present = [i for i, v in enumerate(cells) if not is_missing(v)]
    if not present:
        why = "it is empty"
    else:
        numbers = [parse_number(cells[i], booleans=True) for i in present]
        if sum(n is not None for n in numbers) >= 0.5 * len(present):
            return True
        first = present[next(k for k, n in enumerate(numbers) if n is None)]
        why = f"e.g. {str(cells[first]).strip()!r} at row {table.rows[first]}"
    problems.append(
        DataProblem(
            f"column {table.header(name)!r} is not numeric ({why}), so it cannot be a covariate; "
            "drop it, or pass --covariates to list the covariates to use"
        )
    )
    return False


@dataclass
class _Rows:
    """Parsed columns, one entry per data row; NaN/NaT/None where a cell was unusable."""

    series_id: list[str]
    dates: pd.DatetimeIndex
    quantity: np.ndarray[Any, np.dtype[np.float64]]
    covariates: dict[str, np.ndarray[Any, np.dtype[np.float64]]]
    placed: np.ndarray[Any, np.dtype[np.bool_]]  # rows with a series id and a date of their own (no duplicate)
    bad_date_series: set[str]


def _parse_rows(table: Table, covariates: Sequence[str], problems: list[DataProblem]) -> _Rows:
    ids: list[str] = table.parse("series_id", problems).values
    placed = np.array([bool(s) for s in ids], dtype=bool)
    labels = [_label(s) for s in ids]
    date_column = table.parse("date", problems, prefix=labels)
    dates = pd.DatetimeIndex([pd.NaT if d is None else d for d in date_column.values]).as_unit("ns")
    placed &= ~np.array(date_column.bad, dtype=bool)
    bad_date_series = {ids[i] for i, bad in enumerate(date_column.bad) if bad}
    quantity = _floats(table.parse("quantity", problems, prefix=labels).values)
    covs = {name: _floats(table.parse(name, problems, prefix=labels).values) for name in covariates}
    _check_duplicates(ids, dates, placed, table.header("date"), problems)
    return _Rows(ids, dates, quantity, covs, placed, bad_date_series)


def _floats(values: Sequence[float | None]) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def _label(series_id: str) -> str:
    return f"series {series_id!r}: " if series_id else ""


def _check_duplicates(
    ids: list[str],
    dates: pd.DatetimeIndex,
    placed: np.ndarray[Any, np.dtype[np.bool_]],
    date_header: str,
    problems: list[DataProblem],
) -> None:
    keys = pd.DataFrame({"id": ids, "t": dates.asi8, "row": np.arange(len(ids))})[placed & np.asarray(dates.notna())]
    repeated = keys.duplicated(["id", "t"], keep="first").to_numpy()
    if not repeated.any():
        return
    first = keys.groupby(["id", "t"])["row"].transform("min").to_numpy()
    for row, first_row in zip(keys["row"].to_numpy()[repeated], first[repeated], strict=True):
        problems.append(
            DataProblem(
                f"{_label(ids[row])}duplicate date {_day(dates[int(row)])} (first at row {first_row + 1})",
                int(row) + 1,
                date_header,
            )
        )
        placed[row] = False


def _day(stamp: pd.Timestamp) -> str:
    return stamp.isoformat() if (stamp.hour, stamp.minute, stamp.second) != (0, 0, 0) else stamp.date().isoformat()


# ----------------------------------------------------------------------------------------------------
# Frequency


def infer_freq(dates: Iterable[Any], *, source: str = "dates") -> str:
    """The pandas alias of one series' dates, from their most common spacing. Raises DataError if irregular."""
    table = table_from_frame(pd.DataFrame({"date": list(dates)}), _DATES, source=source)
    problems: list[DataProblem] = []
    column = table.parse("date", problems)
    if problems:
        raise DataError(source, problems)
    index = pd.DatetimeIndex([pd.NaT if d is None else d for d in column.values]).as_unit("ns")
    return _infer_groups([index], source)


_DATES = Schema(noun="dates", fields=(SCHEMA.field("date"),))


def _infer_groups(groups: Sequence[pd.DatetimeIndex], source: str) -> str:
    spacing: Counter[str | float] = Counter()
    for index in groups:
        ordered = np.unique(index.dropna().asi8)
        spacing.update(_spacing_kind(float(d)) for d in np.diff(ordered) / _DAY_NS)
    if not spacing:
        raise DataError(
            source, [DataProblem("cannot infer the frequency: no series has two dates; pass --freq (e.g. W-MON, MS)")]
        )
    kind, _ = spacing.most_common(1)[0]
    if not isinstance(kind, str):
        raise DataError(
            source,
            [
                DataProblem(
                    f"the dates are irregular: the most common spacing is {kind:g} days (expected 1 day, 7 days, "
                    "a month, a quarter or a year); pass --freq to choose the grid"
                )
            ],
        )
    every = pd.DatetimeIndex(np.concatenate([g.dropna().asi8 for g in groups]).astype("datetime64[ns]"))
    return _anchor(kind, every, source)


def _spacing_kind(days: float) -> str | float:
    """D, W, M, Q or Y for a regular spacing in days, else the number of days itself."""
    if days == 1:
        return "D"
    if days == 7:
        return "W"
    if days.is_integer() and 28 <= days <= 31:
        return "M"
    if days.is_integer() and 89 <= days <= 92:
        return "Q"
    if days in (365, 366):
        return "Y"
    return days


def _anchor(kind: str, dates: pd.DatetimeIndex, source: str) -> str:
    if kind == "D":
        return "D"
    if kind == "W":
        weekday = Counter(dates.day_of_week.tolist()).most_common(1)[0][0]
        return f"W-{_WEEKDAYS[weekday]}"
    starts = float(np.mean(dates.day == 1))
    ends = float(np.mean(dates.is_month_end))
    if max(starts, ends) <= 0.5:
        example = _day(dates[~(dates.is_month_end | (dates.day == 1))][0])
        period = {"M": "month", "Q": "quarter", "Y": "year"}[kind]
        raise DataError(
            source,
            [
                DataProblem(
                    f"{period}ly dates must fall on the first or the last day of a {period} (found {example}); "
                    "move them there"
                )
            ],
        )
    suffix = "S" if starts >= ends else "E"
    if kind == "M":
        return f"M{suffix}"
    month = Counter(dates.month.tolist()).most_common(1)[0][0]  # 1-12
    if kind == "Q":
        anchor_month = (month - 1) % 3 + 1 if suffix == "S" else (month - 1) % 3 + 10
        default = 1 if suffix == "S" else 12
    else:
        anchor_month, default = month, 1 if suffix == "S" else 12
    base = f"{kind}{suffix}"
    return base if anchor_month == default else f"{base}-{_MONTHS[anchor_month - 1]}"


def seasonal_period(freq: str) -> int:
    """Periods per seasonal cycle: D->7, B->5, W->52, M->12, Q->4, Y->1 (divided by the alias's multiple)."""
    try:
        offset = to_offset(freq)
    except ValueError:
        raise ValueError(f"unknown frequency {freq!r}; use a pandas alias such as D, W-MON, MS, QS or YS") from None
    base: int
    if isinstance(offset, Day):
        base = 7
    elif isinstance(offset, BusinessDay):
        base = 5
    elif isinstance(offset, Week):
        base = 52
    elif isinstance(offset, MonthBegin | MonthEnd):
        base = 12
    elif isinstance(offset, QuarterBegin | QuarterEnd):
        base = 4
    elif isinstance(offset, YearBegin | YearEnd):
        base = 1
    else:
        raise ValueError(f"unsupported frequency {freq!r}; use daily, weekly, monthly, quarterly or yearly data")
    return max(1, round(base / max(1, abs(offset.n))))


def _alias(offset: BaseOffset) -> str:
    """A short alias: QS/QE/YS/YE for calendar anchors, the full form otherwise."""
    text = str(offset.freqstr)
    return {"QS-JAN": "QS", "QE-DEC": "QE", "YS-JAN": "YS", "YE-DEC": "YE"}.get(text, text)


def _choose_freq(rows: _Rows, freq: str | None, date_header: str, problems: list[DataProblem]) -> BaseOffset | None:
    """The grid's offset (inferred, or given and checked against the data); None when there is no usable grid."""
    groups = _date_groups(rows)
    inferred: str | None = None
    inference_problem: DataProblem | None = None
    try:
        inferred = _infer_groups(list(groups.values()), "data")
    except DataError as exc:
        inference_problem = exc.problems[0]
    if freq is None:
        if inference_problem is not None:
            problems.append(inference_problem)
            return None
        assert inferred is not None
        return to_offset(inferred)
    try:
        offset = to_offset(freq)
    except ValueError:
        problems.append(DataProblem(f"--freq {freq}: not a pandas frequency alias (e.g. D, W-MON, MS, QS, YS)"))
        return None
    mismatch = _freq_mismatch(groups, offset)
    if mismatch:
        looks = f"; the data looks like {inferred!r}: pass --freq {inferred} or leave --freq out" if inferred else ""
        problems.append(DataProblem(f"--freq {freq} does not match the data: {mismatch}{looks}", column=date_header))
        return None
    return offset


def _date_groups(rows: _Rows) -> dict[str, pd.DatetimeIndex]:
    """Each series' parsed dates (rows with other problems included: their dates still tell the spacing)."""
    has_date = np.asarray(rows.dates.notna())
    groups = {sid: idx[has_date[idx]] for sid, idx in _row_groups(rows).items()}
    return {sid: rows.dates[idx] for sid, idx in groups.items() if len(idx)}


def _freq_mismatch(groups: Mapping[str, pd.DatetimeIndex], offset: BaseOffset) -> str:
    if not groups:
        return ""  # no usable date at all: each bad one is reported on its own row
    unique = pd.DatetimeIndex(np.unique(np.concatenate([g.asi8 for g in groups.values()])).astype("datetime64[ns]"))
    on_grid = np.array([offset.is_on_offset(t) for t in unique], dtype=bool)
    on_grid_stamps = unique.asi8[on_grid]
    if on_grid.mean() <= 0.5:
        example = unique[~on_grid][0]
        return f"{int((~on_grid).sum())} of {len(unique)} distinct dates are not on it (e.g. {_day(example)})"
    grid = pd.date_range(unique[on_grid][0], unique[on_grid][-1], freq=offset)
    steps: Counter[int] = Counter()
    for dates in groups.values():
        aligned = dates[np.isin(dates.asi8, on_grid_stamps)]
        if len(aligned) > 1:
            steps.update(np.diff(np.sort(grid.get_indexer(aligned))).tolist())
    if steps:
        step, _ = steps.most_common(1)[0]
        if step != 1:
            return f"consecutive dates are usually {step} periods apart, not 1"
    return ""


# ----------------------------------------------------------------------------------------------------
# Grid, gaps and filling


def _build_series(
    rows: _Rows,
    offset: BaseOffset,
    fill: FillPolicy,
    min_length: int,
    date_header: str,
    problems: list[DataProblem],
    warnings: list[str],
) -> list[SalesSeries]:
    freq = _alias(offset)
    misaligned = _check_alignment(rows, offset, freq, date_header, problems)
    usable = rows.placed & ~misaligned
    if not usable.any():
        return []
    stamps = rows.dates.asi8
    # One grid over the whole panel: each series is a slice of it, and each row an index into it.
    grid = pd.date_range(pd.Timestamp(stamps[usable].min()), pd.Timestamp(stamps[usable].max()), freq=offset)
    position = np.full(len(stamps), -1, dtype=np.intp)
    position[usable] = grid.get_indexer(rows.dates[usable])
    series: list[SalesSeries] = []
    filled: dict[str, int] = {}
    for series_id, idx in sorted(_row_groups(rows).items()):
        if series_id in rows.bad_date_series or misaligned[idx].any() or not usable[idx].any():
            continue  # its gaps are not known until its dates are fixed
        order = idx[usable[idx]]
        order = order[np.argsort(position[order], kind="stable")]
        first, last = int(position[order[0]]), int(position[order[-1]])
        length = last - first + 1
        missing = length - len(order)
        if missing and fill == "refuse":
            present = np.zeros(length, dtype=bool)
            present[position[order] - first] = True
            problems.append(
                DataProblem(
                    f"series {series_id!r} has {missing} missing period{'s' if missing != 1 else ''} ({freq}) "
                    f"between {_day(grid[first])} and {_day(grid[last])}, the first on "
                    f"{_day(grid[first + int(np.argmin(present))])}; add the rows, or pass {_FILL_HINT}",
                    column=date_header,
                )
            )
            continue
        if length < min_length:
            problems.append(
                DataProblem(
                    f"series {series_id!r} has {length} point{'s' if length != 1 else ''}"
                    f"{' after filling' if missing else ''}, fewer than the minimum of {min_length}; "
                    "drop it or add more history"
                )
            )
            continue
        if missing:
            filled[series_id] = missing
        slots = position[order] - first
        series.append(
            SalesSeries(
                series_id=series_id,
                dates=grid[first : last + 1],
                quantity=_fill(rows.quantity[order], slots, length, fill),
                covariates={name: _fill(v[order], slots, length, "ffill") for name, v in rows.covariates.items()},
            )
        )
    if filled:
        warnings.append(_fill_warning(filled, fill))
    return series


def _fill(
    values: np.ndarray[Any, np.dtype[np.float64]],
    slots: np.ndarray[Any, np.dtype[np.intp]],
    length: int,
    fill: FillPolicy,
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Spread `values` over `length` grid slots and fill the empty ones (the first and last are never empty)."""
    out = np.full(length, np.nan, dtype=np.float64)
    out[slots] = values
    if len(slots) == length:
        return out
    if fill == "zero":
        out[np.isnan(out)] = 0.0
    elif fill == "interpolate":
        out = np.interp(np.arange(length), slots, values).astype(np.float64)
    elif fill == "ffill":
        out = values[np.searchsorted(slots, np.arange(length), side="right") - 1]
    return out


def _fill_warning(filled: Mapping[str, int], fill: FillPolicy) -> str:
    listed = ", ".join(f"{sid} ({n})" for sid, n in list(filled.items())[:_LIST_LIMIT])
    more = f" and {len(filled) - _LIST_LIMIT} more" if len(filled) > _LIST_LIMIT else ""
    total = sum(filled.values())
    return (
        f"filled {total} missing point{'s' if total != 1 else ''} with fill={fill} "
        f"(covariates carried forward) in {len(filled)} series: {listed}{more}"
    )


def _row_groups(rows: _Rows) -> dict[str, np.ndarray[Any, np.dtype[np.intp]]]:
    """Row positions of each series (rows without a series id belong to none)."""
    ids = pd.Series(rows.series_id)
    return {str(k): np.asarray(v, dtype=np.intp) for k, v in ids[ids != ""].groupby(ids[ids != ""]).indices.items()}


def _check_alignment(
    rows: _Rows, offset: BaseOffset, freq: str, date_header: str, problems: list[DataProblem]
) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A mask of rows whose date is off the grid (e.g. a Tuesday in a W-MON series), each one reported."""
    stamps = rows.dates.asi8
    has_date = np.asarray(rows.dates.notna())
    unique = np.unique(stamps[has_date])
    off = unique[[not offset.is_on_offset(pd.Timestamp(t)) for t in unique]]
    misaligned = has_date & np.isin(stamps, off)
    for i in np.flatnonzero(misaligned):
        stamp = rows.dates[int(i)]
        before, after = offset.rollback(stamp), offset.rollforward(stamp)
        problems.append(
            DataProblem(
                f"{_label(rows.series_id[i])}{_day(stamp)} ({_DAY_NAMES[stamp.weekday()]}) is not on the {freq} "
                f"grid; the nearest grid dates are {_day(before)} and {_day(after)}",
                int(i) + 1,
                date_header,
            )
        )
    return misaligned
