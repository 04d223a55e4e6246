"""Reading and validating customer transaction files (CSV, optionally gzipped) for RFM and the segmenter.

A file has one row per purchase: `customer_id`, `date`, `amount`, plus optional `quantity`, `product_id`,
`channel` and `transaction_id`. Every problem is collected with its row and column, so a user fixes a file
in one pass. Row numbers are 1-based data rows (the header is not counted, nor blank lines).

CRM exports often carry personal columns (names, emails, phones, addresses). Those are recognised by
their header and never read: a file is parsed with only the columns we use, so their values never reach
the table, a warning or an error. Only the headers are named ("ignored personal columns: email, name").
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal, get_args

import numpy as np
import pandas as pd

from core.errors import DataError, DataProblem
from tools.review_data import MAX_LINE_CHARS, check_readable, check_text, open_bytes

NegativePolicy = Literal["error", "returns", "drop"]
NEGATIVE_POLICIES: tuple[str, ...] = get_args(NegativePolicy)

REQUIRED = ("customer_id", "date", "amount")
OPTIONAL = ("quantity", "product_id", "channel", "transaction_id")
CANONICAL = REQUIRED + OPTIONAL
# Common export headers, so most files need no --column mapping. Headers are compared after lower-casing
# and dropping separators, so "Customer ID", "customerId" and "customer-id" all match customer_id.
# order_id/invoice are deliberately not transaction_id aliases: line-item exports repeat them per product,
# which would read as duplicated transactions.
ALIASES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer", "client_id", "user_id", "member_id", "account_id", "cust_id", "customer_number"),
    "date": (
        "order_date",
        "purchase_date",
        "transaction_date",
        "invoice_date",
        "timestamp",
        "datetime",
        "created_at",
        "day",
    ),
    "amount": ("revenue", "total", "value", "sales", "order_total", "total_amount", "net_amount", "spend"),
    "quantity": ("qty", "units", "unit_count", "quantity_ordered"),
    "product_id": ("sku", "item_id", "product", "article_id", "stock_code"),
    "channel": ("sales_channel", "order_channel"),
    "transaction_id": ("txn_id", "transaction", "line_id"),
}
_MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "null", "none"})
_YEARS = (1700, 2200)  # well inside pandas' nanosecond range
_HINT = "Nothing was read. Fix the file or the options named above and run again."
_NEGATIVE_HINT = (
    "Negative amounts are usually returns or refunds: pass --negative returns to net them against spend, "
    "or --negative drop to leave them out."
)

# Personal data, recognised by header. Whole compact headers (lower case, no separators) ...
_PERSONAL_HEADERS = frozenset(
    {
        "name",
        "fullname",
        "firstname",
        "lastname",
        "middlename",
        "surname",
        "givenname",
        "familyname",
        "maidenname",
        "nickname",
        "username",
        "displayname",
        "customername",
        "clientname",
        "contactname",
        "membername",
        "dob",
        "dateofbirth",
        "birthdate",
        "birthday",
        "ssn",
        "socialsecuritynumber",
        "nationalid",
        "taxid",
        "passport",
        "passportnumber",
        "iban",
        "creditcard",
        "cardnumber",
        "ccnumber",
        "ip",
        "ipaddress",
        "zip",
        "zipcode",
        "postcode",
        "postalcode",
        "street",
        "password",
    }
)
# ... words that make any header personal wherever they appear ("billing_address", "EmailAddress") ...
_PERSONAL_PARTS = ("email", "e_mail", "phone", "mobile", "address", "street", "postcode", "zipcode", "birth")
# ... and name columns: "name" with a word that says whose ("shipping_name"), never "product_name".
_NAME_OWNERS = frozenset(
    {
        "first",
        "last",
        "full",
        "middle",
        "given",
        "family",
        "sur",
        "customer",
        "client",
        "contact",
        "user",
        "member",
        "person",
        "billing",
        "shipping",
        "recipient",
        "buyer",
        "holder",
        "account",
    }
)
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, eq=False)
class TransactionsTable:
    """Valid transactions, one row each, sorted by customer and date.

    `frame` columns: customer_id (str), date (datetime64[ns], a day), amount (float64; negative for returns),
    quantity (float64; 1.0 when the file has none), product_id (str, "" when absent), channel (str, "" when
    absent), is_return (bool).
    """

    frame: pd.DataFrame
    source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def customers(self) -> int:
        return int(self.frame["customer_id"].nunique())

    @property
    def start(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame["date"].min())

    @property
    def end(self) -> pd.Timestamp:
        return pd.Timestamp(self.frame["date"].max())

    def __len__(self) -> int:
        return len(self.frame)


# ----------------------------------------------------------------------------------------------------
# Reading


def read_transactions_file(
    path: str | Path,
    *,
    column_map: Mapping[str, str] | None = None,
    negative: NegativePolicy = "error",
) -> TransactionsTable:
    """Read and validate a transactions CSV (`.gz` too). Raises DataError listing every problem found."""
    path = Path(path)
    source = str(path)
    _check_policy(negative, source)
    check_readable(path)
    check_text(path)
    compression: Literal["gzip"] | None = "gzip" if path.suffix.lower() == ".gz" else None
    sep, header = _read_header(path, compression)
    columns = _resolve(header, column_map or {}, source)
    frame = _read_columns(path, sep, compression, header, set(columns.mapping.values()))
    return _validate(frame, columns, source, negative)


def _read_header(path: Path, compression: str | None) -> tuple[str, list[str]]:
    """The delimiter and the header's names, stripped (columns are resolved before any row is read)."""
    try:
        with _open_text(path, compression) as handle:
            first_line = handle.readline(MAX_LINE_CHARS + 1)
            if len(first_line) > MAX_LINE_CHARS:
                raise DataError(path, [DataProblem(f"the first line is longer than {MAX_LINE_CHARS:,} characters")])
            handle.seek(0)
            sep = "\t" if ".tsv" in [s.lower() for s in path.suffixes] else _sniff(first_line)
            header = next(csv.reader(handle, delimiter=sep, strict=True), [])
    except UnicodeDecodeError:
        raise DataError(path, [DataProblem("the file is not valid UTF-8; re-save it as UTF-8")]) from None
    except csv.Error:
        raise DataError(path, [DataProblem("unreadable CSV header (an unclosed quote?)")]) from None
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz file
        raise DataError(path, [DataProblem(f"cannot read the file ({type(exc).__name__})")]) from None
    if not [h for h in header if h.strip()]:
        raise DataError(path, [DataProblem(f"the file is empty (expected a header: {','.join(REQUIRED)})")])
    return sep, [h.strip() for h in header]


def _open_text(path: Path, compression: str | None) -> IO[str]:
    """Strict UTF-8 text (a bad byte is an error here, not a surrogate); a .gz is guarded against zip bombs."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", newline="")


def _sniff(first_line: str) -> str:
    return max((",", ";", "\t", "|"), key=first_line.count) if first_line.strip() else ","


def _read_columns(path: Path, sep: str, compression: str | None, header: list[str], wanted: set[str]) -> pd.DataFrame:
    """The cells of the wanted columns only, as text: other columns (personal ones included) are split off
    by the CSV reader and dropped on the spot, never stored. Every row's field count is checked, because a
    row longer than the header has shifted values (an unquoted delimiter) that would land in the wrong column.
    Blank rows (no text in any field) are skipped and not counted, like blank lines."""
    positions = [i for i, h in enumerate(header) if h in wanted]
    width = len(header)
    kept: list[list[str]] = []
    problems: list[DataProblem] = []
    row = 0
    try:
        with _open_text(path, compression) as handle:
            reader = csv.reader(handle, delimiter=sep, skipinitialspace=True, strict=True)
            next(reader, None)  # the header, already read
            for cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                row += 1
                if len(cells) > width:
                    problems.append(
                        DataProblem(
                            f"{len(cells)} fields but the header has {width} "
                            "(an unquoted delimiter in a value, or a missing header name?)",
                            row,
                        )
                    )
                    continue
                kept.append([cells[i] if i < len(cells) else "" for i in positions])
    except csv.Error as exc:
        # Only the position and the reader's complaint: never the text around it.
        reason = "a quoted value is never closed" if "unexpected end of data" in str(exc) else "malformed quoting"
        problems.append(DataProblem(f"unreadable CSV: {reason}", row + 1))
    except UnicodeDecodeError:
        problems.append(DataProblem("the file is not valid UTF-8; re-save it as UTF-8", row + 1))
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz file
        problems.append(DataProblem(f"cannot read the file after row {row} ({type(exc).__name__})"))
    if problems:
        raise DataError(path, problems, hint=_HINT)
    names = [header[i] for i in positions]
    return pd.DataFrame({name: [cells[j] for cells in kept] for j, name in enumerate(names)}, columns=names)


# ----------------------------------------------------------------------------------------------------
# Columns


def transactions_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "data",
    column_map: Mapping[str, str] | None = None,
    negative: NegativePolicy = "error",
) -> TransactionsTable:
    """Validate a frame (string cells from a file, or typed columns) into a TransactionsTable."""
    _check_policy(negative, source)
    frame = frame.rename(columns=lambda c: str(c).strip())
    columns = _resolve([str(c) for c in frame.columns], column_map or {}, source)
    # Only the used columns are carried on, so personal columns cannot leak into the result.
    used = frame.loc[:, list(dict.fromkeys(columns.mapping.values()))]
    return _validate(used, columns, source, negative)


def _check_policy(negative: str, source: str) -> None:
    if negative not in NEGATIVE_POLICIES:
        raise DataError(
            source,
            [DataProblem(f"unknown negative-amount policy {negative!r}; use one of {', '.join(NEGATIVE_POLICIES)}")],
        )


@dataclass(frozen=True)
class _Columns:
    """Canonical name -> header for the columns used, and warnings about the ones left out."""

    mapping: dict[str, str]
    warnings: list[str]


def _compact(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "", header.lower())


def is_personal_column(header: str) -> bool:
    """Whether a header names personal data (names, emails, phones, addresses, birth dates, ids, cards)."""
    words = [w for w in re.split(r"[^0-9a-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header).lower()) if w]
    compact = "".join(words)
    if compact in _PERSONAL_HEADERS or any(part.replace("_", "") in compact for part in _PERSONAL_PARTS):
        return True
    return "name" in words and any(w in _NAME_OWNERS for w in words)


def _shown(header: str) -> str:
    """A header as it may be echoed: a headerless file's first row puts data here (emails, phone numbers)."""
    return "(a value, not a header)" if _looks_like_data(header) else header


def _looks_like_data(header: str) -> bool:
    """An email, a long number (phone, card, id) or a date/amount: no one names a column like that."""
    digits = sum(ch.isdigit() for ch in header)
    return "@" in header or digits >= 7 or (digits > 0 and bool(re.fullmatch(r"[-+$€£(]?[\d.,:/ T()-]+", header)))


def _resolve(header: list[str], column_map: Mapping[str, str], source: str) -> _Columns:
    """Map canonical names to headers: explicit --column first, then name/alias matches. Raises DataError
    on any column problem, before a row is read."""
    found = ", ".join(_shown(h) for h in header if h) or "no columns"
    problems: list[DataProblem] = []
    for key, target in column_map.items():
        if key not in CANONICAL:
            problems.append(
                DataProblem(f"--column {key}=...: {key!r} is not a transactions field ({', '.join(CANONICAL)})")
            )
        elif target not in header:
            problems.append(DataProblem(f"--column {key}={_shown(target)}: no such column; found {found}"))
        elif is_personal_column(target):
            problems.append(
                DataProblem(
                    f"--column {key}={target}: {target!r} holds personal data, which is never read; "
                    "map a pseudonymous column (e.g. a customer number) instead"
                )
            )
    mapping = _match(header, column_map)
    missing = [n for n in REQUIRED if n not in mapping]
    if missing:
        headerless = " (the first row looks like data: add a header row)" if any(map(_looks_like_data, header)) else ""
        problems.append(
            DataProblem(
                f"missing required column(s) {', '.join(missing)}; found {found}{headerless}. "
                f'Map them with --column, e.g. --column {missing[0]}="Your Header"'
            )
        )
    counts = {h: header.count(h) for h in mapping.values()}
    problems.extend(
        DataProblem(f"the header {h!r} appears {n} times; rename all but one") for h, n in counts.items() if n > 1
    )
    if problems:
        raise DataError(source, problems, hint=_HINT)
    return _Columns(mapping, _ignored_warnings(header, set(mapping.values())))


def _match(header: list[str], column_map: Mapping[str, str]) -> dict[str, str]:
    by_compact: dict[str, str] = {}
    for h in header:
        if not is_personal_column(h):
            by_compact.setdefault(_compact(h), h)
    taken = set(column_map.values())
    mapping: dict[str, str] = {}
    for name in CANONICAL:
        if name in column_map:
            target = column_map[name]
            if target in header and not is_personal_column(target):
                mapping[name] = target
            continue
        for candidate in (name, *ALIASES[name]):
            match = by_compact.get(_compact(candidate))
            if match is not None and match not in taken and match not in mapping.values():
                mapping[name] = match
                break
    return mapping


def _ignored_warnings(header: list[str], used: set[str]) -> list[str]:
    personal = sorted({h for h in header if h and h not in used and is_personal_column(h)})
    other = [h for h in dict.fromkeys(header) if h and h not in used and h not in personal]
    unnamed = sum(1 for h in header if not h)
    warnings: list[str] = []
    if personal:
        warnings.append(f"ignored personal columns: {', '.join(personal)}")
    if other:
        warnings.append(f"ignored columns: {', '.join(_shown(h) for h in other)}")
    if unnamed:
        warnings.append(f"ignored {unnamed} column(s) without a header")
    return warnings


# ----------------------------------------------------------------------------------------------------
# Rows


def _validate(frame: pd.DataFrame, columns: _Columns, source: str, negative: NegativePolicy) -> TransactionsTable:
    m = columns.mapping
    warnings = list(columns.warnings)
    n = len(frame)
    if n == 0:
        raise DataError(source, [DataProblem("the file has no data rows")], hint=_HINT)
    problems: list[DataProblem] = []
    ids = _customer_ids(frame[m["customer_id"]], m["customer_id"], problems)
    days = _days(frame[m["date"]], m["date"], problems)
    amount = _numbers(frame[m["amount"]], m["amount"], problems, empty_ok=False)
    quantity = (
        _numbers(frame[m["quantity"]], m["quantity"], problems, empty_ok=True)
        if "quantity" in m
        else np.ones(n, dtype=np.float64)
    )
    product = _texts(frame[m["product_id"]]) if "product_id" in m else np.full(n, "", dtype=object)
    channel = _texts(frame[m["channel"]]) if "channel" in m else np.full(n, "", dtype=object)
    if "transaction_id" in m:
        _check_duplicate_ids(_texts(frame[m["transaction_id"]]), m["transaction_id"], problems)

    negatives = np.isfinite(amount) & (amount < 0)  # a non-finite amount is already a problem of its own
    if negative == "error":
        for i in np.flatnonzero(negatives):
            problems.append(
                DataProblem(
                    f"{_number(amount[i])} is negative (a return or refund?); "
                    "pass --negative returns to net it against spend, or --negative drop to leave it out",
                    int(i) + 1,
                    m["amount"],
                )
            )
    if "quantity" in m:
        for i in np.flatnonzero((quantity < 0) & ~negatives):
            problems.append(
                DataProblem(
                    f"{_number(quantity[i])} is negative but the amount is not (a return needs a negative amount)",
                    int(i) + 1,
                    m["quantity"],
                )
            )
    if problems:
        hint = f"{_HINT}\n{_NEGATIVE_HINT}" if negative == "error" and negatives.any() else _HINT
        raise DataError(source, problems, hint=hint)

    _warn_future(days, warnings)
    keep = np.ones(n, dtype=bool)
    count = int(negatives.sum())
    if count and negative == "drop":
        keep = ~negatives
        warnings.append(f"dropped {count} transaction(s) with a negative amount (--negative drop)")
        if not keep.any():
            raise DataError(source, [DataProblem("every amount is negative: nothing is left after --negative drop")])
    elif count:
        warnings.append(f"kept {count} transaction(s) with a negative amount as returns (--negative returns)")
    out = pd.DataFrame(
        {
            "customer_id": ids[keep],
            "date": days[keep],
            "amount": amount[keep],
            # The sign of a return lives in amount and is_return; quantity counts the units either way.
            "quantity": np.abs(quantity[keep]),
            "product_id": product[keep],
            "channel": channel[keep],
            "is_return": negatives[keep],
        }
    )
    return TransactionsTable(frame=_sorted(out), source=source, warnings=warnings)


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    """By customer, then day, keeping file order within a day (np.lexsort is stable)."""
    codes, _ = pd.factorize(frame["customer_id"], sort=True)
    order = np.lexsort((np.arange(len(frame)), frame["date"].to_numpy().view(np.int64), codes))
    return frame.iloc[order].reset_index(drop=True)


def _texts(values: pd.Series[Any]) -> np.ndarray[Any, np.dtype[np.object_]]:
    """Stripped cell text, "" where a cell is missing; integral floats (ids read as numbers) lose their ".0"."""
    missing = values.isna().to_numpy()
    if pd.api.types.is_float_dtype(values.dtype):
        text = [_float_text(float(v)) for v in values.to_numpy()]
    else:
        text = values.astype(str).str.strip().tolist()
    out = np.array(text, dtype=object)
    out[missing] = ""
    return out


def _float_text(value: float) -> str:
    return str(int(value)) if np.isfinite(value) and value.is_integer() else str(value)


def _customer_ids(
    values: pd.Series[Any], header: str, problems: list[DataProblem]
) -> np.ndarray[Any, np.dtype[np.object_]]:
    ids = _texts(values)
    for i, text in enumerate(ids.tolist()):
        if text.lower() in _MISSING_WORDS:
            problems.append(DataProblem("is empty (need a customer id)", i + 1, header))
            ids[i] = ""
        elif _EMAIL_LIKE.fullmatch(text):
            # Never echoed: the value is personal data.
            problems.append(
                DataProblem(
                    "looks like an email address; customer ids must be pseudonymous (e.g. a customer number)",
                    i + 1,
                    header,
                )
            )
    return ids


def _echo(text: str) -> str:
    """A cell as it may appear in a message: shortened, and hidden when it looks like an email address."""
    if "@" in text:
        return "(a value that looks like an email address)"
    return repr(text if len(text) <= 40 else text[:37] + "...")


def _number(value: float) -> str:
    return f"{value:g}"


def _numbers(
    values: pd.Series[Any], header: str, problems: list[DataProblem], *, empty_ok: bool
) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Numbers per row; an empty cell is 1.0 when `empty_ok` (a quantity) and a problem otherwise."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        numbers = np.array(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)  # a writable copy
        raw = ["" if np.isnan(v) else str(v) for v in numbers]
    else:
        raw = _texts(values).tolist()
        parsed = pd.to_numeric(pd.Series([_plain_number(t) for t in raw], dtype=object), errors="coerce")
        numbers = np.array(parsed.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    for i in np.flatnonzero(~np.isfinite(numbers)):
        text = raw[i]
        if text.lower() in _MISSING_WORDS:
            if empty_ok:
                numbers[i] = 1.0
                continue
            message = "is empty (need a number)"
        elif np.isnan(numbers[i]):
            message = f"{_echo(text)} is not a number"
        else:
            message = f"{_echo(text)} is not a finite number"
        problems.append(DataProblem(message, int(i) + 1, header))
    return numbers


def _plain_number(text: str) -> str:
    """'$1,234.50' -> '1234.50' and accounting '(12.50)' -> '-12.50'; anything else is left for to_numeric."""
    text = text.strip().lstrip("$€£¥").strip()
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1].strip().lstrip("$€£¥")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?", text):
        text = text.replace(",", "")
    return text


def _days(values: pd.Series[Any], header: str, problems: list[DataProblem]) -> np.ndarray[Any, np.dtype[Any]]:
    """Each row's day as datetime64[ns] (NaT where a problem was recorded); times of day are dropped."""
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        index = pd.DatetimeIndex(values)
        if index.tz is not None:
            index = index.tz_localize(None)  # the wall-clock day the customer saw
        raw: list[Any] = list(index)
    else:
        raw = values.tolist()
    cache: dict[Any, pd.Timestamp | None] = {}
    stamps: list[pd.Timestamp | None] = []
    for i, value in enumerate(raw):
        key = value if isinstance(value, str | date | datetime) else repr(value)
        if key not in cache:
            cache[key] = _parse_day(value)
        stamp = cache[key]
        if stamp is None:
            text = "" if value is None or value is pd.NaT else str(value).strip()
            missing = text.lower() in _MISSING_WORDS
            message = "is empty (need a date)" if missing else f"{_echo(text)} is not a date; use YYYY-MM-DD"
            problems.append(DataProblem(message, i + 1, header))
        elif not _YEARS[0] <= stamp.year <= _YEARS[1]:
            problems.append(
                DataProblem(
                    f"{stamp.date().isoformat()} is outside the supported years {_YEARS[0]}-{_YEARS[1]}", i + 1, header
                )
            )
            stamp = None
        stamps.append(stamp)
    out = np.array([np.datetime64("NaT") if s is None else s.to_datetime64() for s in stamps], dtype="datetime64[ns]")
    return out


def _parse_day(value: Any) -> pd.Timestamp | None:
    try:
        if isinstance(value, pd.Timestamp | datetime | date | np.datetime64):
            stamp = pd.Timestamp(value)
        else:
            text = "" if value is None else str(value).strip()
            if text.lower() in _MISSING_WORDS:
                return None
            if re.match(r"\d{4}/\d{1,2}/\d{1,2}", text):
                text = text.replace("/", "-", 2)
            if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):  # 2024-1-5: fromisoformat wants two digits
                year, month, day = (int(p) for p in text.split("-"))
                stamp = pd.Timestamp(year=year, month=month, day=day)
            else:
                stamp = pd.Timestamp(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):  # OutOfBoundsDatetime is a ValueError
        return None
    if pd.isna(stamp):
        return None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return stamp.normalize()


def _check_duplicate_ids(ids: np.ndarray[Any, np.dtype[np.object_]], header: str, problems: list[DataProblem]) -> None:
    first: dict[str, int] = {}
    for i, text in enumerate(ids.tolist()):
        if not text:
            continue
        if text in first:
            problems.append(
                DataProblem(f"duplicate transaction id {_echo(text)} (first at row {first[text]})", i + 1, header)
            )
        else:
            first[text] = i + 1


def _warn_future(days: np.ndarray[Any, np.dtype[Any]], warnings: list[str]) -> None:
    today = np.datetime64(date.today().isoformat(), "ns")
    rows = np.flatnonzero(days > today)
    if len(rows) == 0:
        return
    examples = ", ".join(f"row {i + 1} ({str(days[i])[:10]})" for i in rows[:3])
    warnings.append(
        f"{len(rows)} transaction(s) dated after today ({date.today().isoformat()}), e.g. {examples}; "
        "check the date column (kept as they are)"
    )


def describe(table: TransactionsTable) -> str:
    """A one-line summary for logs and the CLI (no customer ids: only counts and dates)."""
    returns = int(table.frame["is_return"].sum())
    extra = f", {returns} returns" if returns else ""
    return (
        f"{table.source}: {len(table.frame)} transactions{extra} from {table.customers} customers, "
        f"{table.start.date().isoformat()} to {table.end.date().isoformat()}"
    )


__all__ = [
    "ALIASES",
    "CANONICAL",
    "NEGATIVE_POLICIES",
    "REQUIRED",
    "NegativePolicy",
    "TransactionsTable",
    "describe",
    "is_personal_column",
    "read_transactions_file",
    "transactions_from_frame",
]
