"""Reading and validating long-format sales files (CSV, optionally gzipped) for the forecaster.

A file has one row per (series, period): `date`, `series_id`, `quantity`, plus optional numeric covariates
(`price`, `promo`, `holiday`, ...). Every problem is collected with its series, row and column, so a user
fixes a file in one pass. Row numbers are 1-based data rows (the header is not counted, nor blank lines).

The result is a `SalesPanel`: every series on one regular date grid at one pandas frequency, with no gaps
(gaps are refused, or filled when the caller chose a fill policy).
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args
from warnings import catch_warnings, simplefilter

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
from tools.review_data import MAX_LINE_CHARS, check_readable, check_text, open_bytes

FillPolicy = Literal["refuse", "zero", "interpolate", "ffill"]
FILL_POLICIES: tuple[str, ...] = get_args(FillPolicy)

REQUIRED = ("date", "series_id", "quantity")
# Common export headers, so most files need no --column mapping (matched after normalising case/spaces).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("ds", "week", "week_start", "order_date", "period"),
    "series_id": ("unique_id", "sku", "product_id", "item_id", "series", "id"),
    "quantity": ("y", "units", "qty", "units_sold", "sales", "demand"),
}
_MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "null", "none"})
_BOOL_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_FILL_HINT = "--fill zero|interpolate|ffill"
_LIST_LIMIT = 10
_DAY_NS = 86_400 * 10**9
_YEARS = (1700, 2200)  # well inside pandas' nanosecond range


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
    """Read and validate a sales CSV (`.gz` too). Raises DataError listing every problem found."""
    path = Path(path)
    frame = _read_csv_frame(path)
    return sales_panel_from_frame(
        frame,
        source=str(path),
        column_map=column_map,
        freq=freq,
        covariates=covariates,
        fill=fill,
        min_length=min_length,
    )


def _read_csv_frame(path: Path) -> pd.DataFrame:
    check_readable(path)
    check_text(path)
    try:
        first_line = _first_line(path)
        sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else _sniff(first_line)
        with catch_warnings(), open_bytes(path) as data:
            # pandas drops the extra fields of rows longer than the header with only a warning: refuse instead.
            simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                data,
                sep=sep,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                index_col=False,
                encoding="utf-8-sig",
                skipinitialspace=True,
            )
    except pd.errors.EmptyDataError:
        raise DataError(path, [DataProblem("the file is empty (expected a header: date,series_id,quantity)")]) from None
    except pd.errors.ParserWarning:
        problem = "rows have more fields than the header (an unquoted delimiter in a value, or a missing header name?)"
        raise DataError(path, [DataProblem(problem)]) from None
    except pd.errors.ParserError as exc:
        detail = str(exc).replace("Error tokenizing data. C error: ", "").strip()
        raise DataError(path, [DataProblem(f"unreadable CSV: {detail}")]) from None
    except UnicodeDecodeError:
        raise DataError(path, [DataProblem("the file is not valid UTF-8; re-save it as UTF-8")]) from None
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz file
        raise DataError(path, [DataProblem(f"cannot read the file ({exc})")]) from None


def _first_line(path: Path) -> str:
    """The header line (read with a bound: a file may be one endless line)."""
    with io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", newline="") as handle:
        line = handle.readline(MAX_LINE_CHARS + 1)
    if len(line) > MAX_LINE_CHARS:
        raise DataError(path, [DataProblem(f"the first line is longer than {MAX_LINE_CHARS:,} characters")])
    return line


def _sniff(first_line: str) -> str:
    return max((",", ";", "\t", "|"), key=first_line.count) if first_line.strip() else ","


# ----------------------------------------------------------------------------------------------------
# Validation


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
    if fill not in FILL_POLICIES:
        raise DataError(source, [DataProblem(f"unknown fill policy {fill!r}; use one of {', '.join(FILL_POLICIES)}")])
    frame = frame.rename(columns=lambda c: str(c).strip())
    warnings: list[str] = []
    frame = _drop_unnamed_empty(frame, warnings)
    if len(frame.columns) == 0:
        raise DataError(source, [DataProblem("the file is empty (expected a header: date,series_id,quantity)")])
    columns, cov_columns, problems = _resolve(frame, column_map or {}, covariates)
    if any(name not in columns for name in REQUIRED):
        raise DataError(source, problems, hint=_HINT)
    if len(frame) == 0:
        problems.append(DataProblem("the file has no data rows"))
        raise DataError(source, problems, hint=_HINT)

    rows = _parse_rows(frame, columns, cov_columns, problems)
    offset = _choose_freq(rows, freq, columns["date"], problems)
    series: list[SalesSeries] = []
    if offset is not None:
        series = _build_series(rows, offset, fill, min_length, columns["date"], problems, warnings)
    if problems:
        raise DataError(source, problems, hint=_HINT)
    assert offset is not None
    warnings += _future_warning(series)
    return SalesPanel(freq=_alias(offset), series=series, covariates=list(cov_columns), warnings=warnings)


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


_HINT = "Nothing was used. Fix the file or the options named above and run again."


def _drop_unnamed_empty(frame: pd.DataFrame, warnings: list[str]) -> pd.DataFrame:
    """A trailing delimiter makes an empty, unnamed column: drop it rather than refuse the file."""
    drop = [c for c in frame.columns if (c == "" or c.startswith("Unnamed: ")) and _missing_mask(frame[c]).all()]
    if drop:
        warnings.append(f"ignored {len(drop)} empty column(s) without a header")
    return frame.drop(columns=drop)


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _resolve(
    frame: pd.DataFrame, column_map: Mapping[str, str], covariates: Sequence[str] | None
) -> tuple[dict[str, str], dict[str, str], list[DataProblem]]:
    """Map the required names and the covariates to headers: (required -> header, covariate -> header, problems)."""
    header = [str(c) for c in frame.columns]
    found = ", ".join(header) or "no columns"
    problems: list[DataProblem] = []
    requested = list(dict.fromkeys(covariates)) if covariates is not None else None
    for key, target in column_map.items():
        if requested is not None and key not in REQUIRED and key not in requested:
            problems.append(
                DataProblem(
                    f"--column {key}={target}: {key!r} is not a sales field ({', '.join(REQUIRED)}) "
                    "or a requested covariate"
                )
            )
        elif target not in header:
            problems.append(DataProblem(f"--column {key}={target}: no such column; found {found}"))
    for name in requested or []:
        if name in REQUIRED:
            problems.append(DataProblem(f"--covariates {name}: {name!r} is a required column, not a covariate"))

    columns = _match_required(header, column_map)
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        problems.append(
            DataProblem(
                f"missing required column(s) {', '.join(missing)}; found {found}. "
                f'Map them with --column, e.g. --column {missing[0]}="Your Header"'
            )
        )
    used = set(columns.values())
    mapped_covariates = {k: v for k, v in column_map.items() if k not in REQUIRED and v in header}
    if requested is not None:
        cov_columns = _requested_covariates(header, requested, mapped_covariates, used, found, problems)
        extra = [h for h in header if h not in used and h not in cov_columns.values()]
        problems.extend(
            DataProblem(
                f"column {h!r} is neither required nor a requested covariate; drop it or add it to --covariates"
            )
            for h in extra
        )
    else:
        cov_columns = dict(mapped_covariates)
        for h in header:
            if h in used or h in cov_columns.values():
                continue
            example = _non_numeric_example(frame[h])
            if example is None:
                cov_columns[h] = h
            else:
                problems.append(
                    DataProblem(
                        f"column {h!r} is not numeric ({example}), so it cannot be a covariate; "
                        "drop it, or pass --covariates to list the covariates to use"
                    )
                )
    return columns, cov_columns, problems


def _match_required(header: list[str], column_map: Mapping[str, str]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for h in header:
        by_norm.setdefault(_normalise(h), h)
    taken = set(column_map.values())
    columns: dict[str, str] = {}
    for name in REQUIRED:
        if name in column_map:
            if column_map[name] in header:
                columns[name] = column_map[name]
            continue
        for candidate in (name, *ALIASES[name]):
            match = by_norm.get(candidate)
            if match is not None and match not in taken and match not in columns.values():
                columns[name] = match
                break
    return columns


def _requested_covariates(
    header: list[str],
    requested: list[str],
    mapped: Mapping[str, str],
    used: set[str],
    found: str,
    problems: list[DataProblem],
) -> dict[str, str]:
    by_norm = {_normalise(h): h for h in header}
    cov_columns: dict[str, str] = {}
    for name in requested:
        if name in REQUIRED:
            continue
        match = mapped.get(name) or (name if name in header else by_norm.get(_normalise(name)))
        if match is None or match in used:
            problems.append(
                DataProblem(f'covariate {name!r} not found; found {found}. Map it with --column {name}="Your Header"')
            )
        else:
            cov_columns[name] = match
    return cov_columns


def _missing_mask(values: pd.Series[Any]) -> pd.Series[bool]:
    text = values.astype(str).str.strip().str.lower()
    return values.isna() | text.isin(_MISSING_WORDS)


def _to_numbers(values: pd.Series[Any]) -> pd.Series[float]:
    """Numbers (NaN where missing or not a number); true/false and yes/no count as 1/0."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype(float)
    if pd.api.types.is_numeric_dtype(values.dtype):
        return pd.to_numeric(values, errors="coerce").astype(float)
    text = values.astype(str).str.strip()
    words = text.str.lower().map(_BOOL_WORDS)
    numbers = pd.to_numeric(text, errors="coerce").astype(float)
    return numbers.fillna(words).astype(float)


def _non_numeric_example(values: pd.Series[Any]) -> str | None:
    """None when a column reads as numeric (most non-empty cells are numbers); else why it does not."""
    present = ~_missing_mask(values)
    if not present.any():
        return "it is empty"
    numbers = _to_numbers(values[present])
    if numbers.notna().mean() >= 0.5:
        return None
    position = int(np.flatnonzero(numbers.isna().to_numpy())[0])
    row = int(np.flatnonzero(present.to_numpy())[position]) + 1
    return f"e.g. {values[present].iloc[position]!r} at row {row}"


@dataclass
class _Rows:
    """Parsed columns, one entry per data row; NaN/NaT/None where a cell was unusable."""

    series_id: list[str]
    dates: pd.DatetimeIndex
    quantity: np.ndarray[Any, np.dtype[np.float64]]
    covariates: dict[str, np.ndarray[Any, np.dtype[np.float64]]]
    placed: np.ndarray[Any, np.dtype[np.bool_]]  # rows with a series id and a date of their own (no duplicate)
    bad_date_series: set[str]


def _parse_rows(
    frame: pd.DataFrame, columns: dict[str, str], cov_columns: dict[str, str], problems: list[DataProblem]
) -> _Rows:
    n = len(frame)
    placed = np.ones(n, dtype=bool)
    ids = [_clean_id(v) for v in frame[columns["series_id"]].tolist()]
    for row in np.flatnonzero([not s for s in ids]):
        problems.append(DataProblem("is empty (need a series id)", int(row) + 1, columns["series_id"]))
        placed[row] = False

    dates, date_problems = _parse_dates(frame[columns["date"]].tolist())
    bad_date_series: set[str] = set()
    for i, message in date_problems:
        problems.append(DataProblem(f"{_label(ids[i])}{message}", i + 1, columns["date"]))
        placed[i] = False
        bad_date_series.add(ids[i])

    quantity = _check_numbers(frame[columns["quantity"]], ids, columns["quantity"], "quantity", problems)
    covs = {
        name: _check_numbers(frame[header], ids, header, "covariate", problems) for name, header in cov_columns.items()
    }
    _check_duplicates(ids, dates, placed, columns["date"], problems)
    return _Rows(ids, dates, quantity, covs, placed, bad_date_series)


def _clean_id(value: Any) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _label(series_id: str) -> str:
    return f"series {series_id!r}: " if series_id else ""


def _parse_dates(values: list[Any]) -> tuple[pd.DatetimeIndex, list[tuple[int, str]]]:
    cache: dict[Any, pd.Timestamp | None] = {}
    parsed: list[pd.Timestamp | None] = []
    problems: list[tuple[int, str]] = []
    for i, value in enumerate(values):
        key = value if isinstance(value, str | date | datetime | pd.Timestamp) else repr(value)
        if key not in cache:
            cache[key] = _parse_date(value)
        stamp = cache[key]
        if stamp is None:
            text = "" if value is None else str(value).strip()
            problems.append((i, f"{text!r} is not a date; use YYYY-MM-DD" if text else "is empty (need a date)"))
        elif not _YEARS[0] <= stamp.year <= _YEARS[1]:
            problems.append((i, f"{_day(stamp)} is outside the supported years {_YEARS[0]}-{_YEARS[1]}"))
            stamp = None
        parsed.append(stamp)
    index = pd.DatetimeIndex([pd.NaT if p is None else p for p in parsed]).as_unit("ns")
    return index, problems


def _parse_date(value: Any) -> pd.Timestamp | None:
    if isinstance(value, pd.Timestamp | datetime | date | np.datetime64):
        stamp = pd.Timestamp(value)
    else:
        text = "" if value is None else str(value).strip()
        if not text or text.lower() in _MISSING_WORDS:
            return None
        if re.fullmatch(r"\d{4}[-/]\d{1,2}", text):  # "2024-03": a month
            text += "-01"
        if re.match(r"\d{4}/\d{1,2}/\d{1,2}", text):
            text = text.replace("/", "-", 2)
        try:
            stamp = pd.Timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
        except ValueError:
            return None
    if pd.isna(stamp):
        return None
    return stamp.tz_localize(None) if stamp.tzinfo is not None else stamp


def _check_numbers(
    values: pd.Series[Any],
    ids: list[str],
    header: str,
    kind: Literal["quantity", "covariate"],
    problems: list[DataProblem],
) -> np.ndarray[Any, np.dtype[np.float64]]:
    missing = _missing_mask(values).to_numpy()
    numbers = np.asarray(_to_numbers(values), dtype=np.float64)
    raw = values.tolist()
    for i in np.flatnonzero(missing | ~np.isfinite(numbers) | ((numbers < 0) if kind == "quantity" else False)):
        if missing[i]:
            message = "is empty or NaN (need a number)"
        elif np.isnan(numbers[i]):
            message = f"{str(raw[i]).strip()!r} is not a number"
        elif not np.isfinite(numbers[i]):
            message = f"{str(raw[i]).strip()!r} is not a finite number"
        else:
            message = f"{str(raw[i]).strip()} is negative (quantities must be 0 or more)"
        problems.append(DataProblem(f"{_label(ids[i])}{message}", int(i) + 1, header))
    return numbers


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
    index, bad = _parse_dates(list(dates))
    if bad:
        raise DataError(source, [DataProblem(message, i + 1) for i, message in bad])
    return _infer_groups([index], source)


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
