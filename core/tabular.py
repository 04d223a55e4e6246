"""The one tabular reader: every input file or request (reviews, sales, transactions, the catalogue, ...) is read
and checked here, so the same file is read by the same rules whichever command it is given to.

An input declares only its `Schema`: its fields (kind, required or optional, header aliases, a per-value check)
and whether columns it does not name are kept (sales covariates) or ignored. The reader does the rest:

- Formats: CSV (`.csv`, `.txt`; `.tsv` is tab-separated; otherwise the delimiter is whichever of `, ; TAB |` the
  header line holds most), JSONL (`.jsonl`, `.ndjson`, `.json`: one JSON object per line), each optionally
  gzipped (`.gz`). Plain records (dicts from a REST request) and pandas frames go through the same checks.
- Encoding: UTF-8, with or without a byte order mark. UTF-16/32 files and binary files are refused before
  reading; a cell that is not valid UTF-8 (a latin-1 export) is reported at its row and column.
- Limits: a value of at most `MAX_FIELD_CHARS` characters, a JSON line of at most `MAX_LINE_CHARS`; a `.gz` that
  expands more than `MAX_GZIP_RATIO` times (a zip bomb) or is corrupt stops the read with a clear error.
- Headers: matched to fields by name or alias after dropping case and separators ("Customer ID", "customerId"
  and "customer-id" all name customer_id); `--column FIELD=HEADER` (see `parse_column_pairs`) overrides. With
  `Schema.personal`, headers that name personal data (names, emails, phones, addresses) are never read.
- Cells: surrounding spaces and control characters are dropped; `MISSING_WORDS` (blank, NaN, NA, N/A, null,
  None) mean missing; numbers and dates are read by `parse_number` and `parse_date` (formats: `DATE_FORMATS`).

Every problem is a `DataProblem` naming the row (1-based data rows: the header and blank lines are not counted)
and the column as the file names it; readers raise them together in one `DataError`, so a user fixes a file
in one pass.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import math
import re
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np

from core.errors import DataError, DataProblem

MAX_FIELD_CHARS = 1_000_000
MAX_LINE_CHARS = MAX_FIELD_CHARS  # a longer JSONL line (or CSV header) is refused without being read whole
MAX_GZIP_RATIO = 100  # a .gz expanding more than this (past GZIP_RATIO_FLOOR) is refused as a likely zip bomb
GZIP_RATIO_FLOOR = 4_000_000  # bytes out before the ratio counts: small files may compress very well
GZIP_READ = 16_384  # compressed bytes per read, so the ratio is measured finely
YEARS = (1700, 2200)  # dates outside are refused (typos such as 20224; also pandas' nanosecond range)
MISSING_WORDS = frozenset({"", "nan", "na", "n/a", "null", "none"})
BOOLEAN_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0}
DELIMITERS = (",", ";", "\t", "|")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
DATE_FORMATS = (
    "2024-03-05 (ISO; also 2024-3-5, 2024/03/05, 2024/3/5 and 2024.03.05: year first, then month, then day)",
    "2024-03 or 2024/03 (a month: read as its first day)",
    "2024-03-05T14:30:00, 2024-03-05 14:30 (a time of day; a trailing Z, +02:00 or UTC is dropped: the "
    "wall-clock time is kept)",
    "20240305 and ISO week dates such as 2024-W10-2",
)
DATE_HINT = "use YYYY-MM-DD"
Kind = Literal["text", "id", "number", "date"]

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # undecodable bytes (surrogateescape), or a lone surrogate from JSON
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # control bytes text files do not contain
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_YMD = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?=$|[T ])")
_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")
_TIME_ZONE_WORD = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")
_CURRENCY = "$€£¥"
_UNNAMED = re.compile(r"^Unnamed: \d+$")  # pandas' name for a column without a header


# ----------------------------------------------------------------------------------------------------
# Schemas


def echo(text: str, limit: int = 60) -> str:
    """A cell as a message may quote it: shortened, and hidden when it looks like an email address."""
    if "@" in text:
        return "(a value that looks like an email address)"
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


@dataclass(frozen=True)
class Field:
    """One column an input reads.

    kind: "text" (free text), "id" (an identifier: a whole number read from a float loses its ".0"), "number"
    (`parse_number`) or "date" (`parse_date`). `need` completes "is empty (need ...)" for a required field.
    `check` runs on each parsed value and returns a problem ("7 is outside 1-5") or None. `booleans`: a number
    may be written true/false/yes/no. `max_chars`: the longest text accepted.
    """

    name: str
    kind: Kind = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    need: str = ""
    check: Callable[[Any], str | None] | None = None
    booleans: bool = False
    max_chars: int | None = None


@dataclass(frozen=True)
class Schema:
    """What one input reads. `noun` names it in messages ("'stars' is not a review field"). `extra`: columns no
    field names are "ignore"d with a warning or "keep"-t as extra columns, each read like `extra_template` (a
    reader may restrict them to a requested list, e.g. `--covariates`); `extra_label` names one in messages.
    `personal`: headers naming personal data are never read. `echo` quotes a cell in a message (the default
    hides email addresses). `hint` ends every error: what happened to the user's data, what to do."""

    noun: str
    fields: tuple[Field, ...]
    hint: str = "Nothing was written. Fix the file or the options named above and run again."
    extra: Literal["ignore", "keep"] = "ignore"
    extra_label: str = "extra column"
    extra_template: Field = Field("", "number")
    personal: bool = False
    echo: Callable[[str], str] = echo

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    def field(self, name: str) -> Field:
        """The field `name`, or an extra column of that name read like `extra_template`."""
        found = next((f for f in self.fields if f.name == name), None)
        return found if found is not None else replace(self.extra_template, name=name)


def not_negative(rule: str) -> Callable[[float], str | None]:
    """A Field `check` that refuses a negative number, saying the rule: "-3 is negative (a price is 0 or more)"."""

    def check(value: float) -> str | None:
        return f"{value:g} is negative ({rule})" if value < 0 else None

    return check


def parse_column_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`FIELD=HEADER` strings (our field, the data's column name) as a column map; ValueError names a bad one."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field_name, sep, header = pair.partition("=")
        if not sep or not field_name.strip() or not header:
            raise ValueError(f"{pair!r}: use FIELD=HEADER, e.g. text='Review Text'")
        mapping[field_name.strip()] = header
    return mapping


# ----------------------------------------------------------------------------------------------------
# Cells


def is_missing(value: Any) -> bool:
    """True for None, NaN/NaT/pd.NA and the missing-value words (blank, NaN, NA, N/A, null, None)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip().lower() in MISSING_WORDS
    try:
        return bool(value != value)  # noqa: PLR0124 - NaN, NaT and pd.NA are not equal to themselves
    except (TypeError, ValueError):  # pd.NA refuses bool()
        return True


def _blank(value: Any) -> bool:
    """Missing without saying so in words: nothing there at all (a missing word is named in messages)."""
    return not (isinstance(value, str) and value.strip()) and is_missing(value)


def parse_number(value: Any, *, booleans: bool = False) -> float | None:
    """A cell as a number (inf included: finiteness is the caller's check), None when it is not one.
    Accepted: numbers, "1234.5", "1e3", "$1,234.50" (a currency sign and thousands commas), "(12.50)" (an
    accounting negative), and with `booleans` true/false/yes/no as 1/0. A decimal comma ("1,5") is not a number."""
    if isinstance(value, bool):
        return float(value) if booleans else None
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:  # an integer of hundreds of digits
            return math.inf if value > 0 else -math.inf
    text = str(value).strip()
    if booleans and text.lower() in BOOLEAN_WORDS:
        return BOOLEAN_WORDS[text.lower()]
    if not text.startswith(("(", *_CURRENCY)) and "," not in text:
        return _float(text)
    text = text.lstrip(_CURRENCY).strip()
    if text.startswith("(") and text.endswith(")"):
        text = "-" + text[1:-1].strip().lstrip(_CURRENCY)
    if _THOUSANDS.fullmatch(text):
        text = text.replace(",", "")
    return _float(text)


def _float(text: str) -> float | None:
    if "_" in text:  # float() reads "1_000"; no spreadsheet writes it
        return None
    try:
        return float(text)
    except ValueError:
        return None


def parse_date(value: Any) -> datetime | None:
    """A cell as a (time-zone-free, wall-clock) datetime, None when it is not a date in one of `DATE_FORMATS`.
    Day-first or month-first dates (05/03/2024, 03/05/2024) are refused: nothing tells them apart."""
    if isinstance(value, datetime):
        return _naive(value)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if hasattr(value, "to_pydatetime"):  # pd.Timestamp
        return None if is_missing(value) else _naive(value.to_pydatetime())
    if isinstance(value, np.datetime64):
        return None if is_missing(value) else parse_date(value.astype("datetime64[us]").item())
    text = _TIME_ZONE_WORD.sub("", str(value).strip())
    month = _MONTH.fullmatch(text)
    if month:
        text = f"{month.group(1)}-{int(month.group(2)):02d}-01"
    elif ymd := _YMD.match(text):
        text = f"{ymd.group(1)}-{int(ymd.group(3)):02d}-{int(ymd.group(4)):02d}{text[ymd.end() :]}"
    try:
        return _naive(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo is not None else moment


def day_text(moment: datetime) -> str:
    """2024-03-05, or 2024-03-05T14:30:00 when it has a time of day."""
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()


def _cell_text(value: Any) -> str:
    """Cell text without surrounding space or control characters; an integral float loses its ".0"."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _CONTROL_CHARS.sub("", str(value)).strip()


# ----------------------------------------------------------------------------------------------------
# Files


def check_readable(path: Path) -> None:
    """DataError unless `path` is a regular file: missing, a broken link or a loop of links, a directory, a
    device (/dev/zero never ends) or a pipe (may never end) are refused before anything is read."""
    if path.is_file():
        return
    if path.is_symlink() and not path.exists():
        raise DataError(path, [DataProblem("is a broken symbolic link (or a loop of links)")])
    if path.exists():
        problem = "is not a regular file (a directory, device or pipe); name a CSV or JSONL file"
        raise DataError(path, [DataProblem(problem)])
    raise DataError(path, [DataProblem("file not found")])


def file_format(path: Path) -> Literal["csv", "jsonl"]:
    """csv or jsonl, from the file name (a trailing .gz aside); DataError for anything else."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    if kind in CSV_SUFFIXES:
        return "csv"
    if kind in JSONL_SUFFIXES:
        return "jsonl"
    raise DataError(path, [DataProblem(f"unknown file type {kind or '(none)'!r}; use .csv or .jsonl (optionally .gz)")])


def check_text(path: Path) -> None:
    """DataError when the file's first bytes show it is not UTF-8 text: a UTF-16/32 byte order mark, or many
    control bytes (a binary file, e.g. a spreadsheet or an image renamed .csv; a stray NUL in a row is fine)."""
    with open_bytes(path) as handle:
        head = handle.read(4096)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DataError(path, [DataProblem("is UTF-16 (or UTF-32) text; re-save it as UTF-8")])
    if len(_BINARY_BYTES.findall(head)) > max(8, len(head) // 50):
        problem = "looks like a binary file, not CSV or JSONL text (many control bytes near the start)"
        raise DataError(path, [DataProblem(problem)])


def open_bytes(path: Path) -> IO[bytes]:
    """The file's bytes; a .gz is decompressed as it is read, and refused if it expands like a zip bomb."""
    if path.suffix.lower() == ".gz":
        return io.BufferedReader(GzipGuard(path))
    return path.open("rb")


def open_text(path: Path) -> IO[str]:
    """UTF-8 text (a BOM is dropped); undecodable bytes stay visible as surrogates, so each bad cell is reported."""
    return io.TextIOWrapper(open_bytes(path), encoding="utf-8-sig", errors="surrogateescape", newline="")


class GzipGuard(io.RawIOBase):
    """A .gz file's decompressed bytes, read with bounded memory: past GZIP_RATIO_FLOOR bytes, output more than
    MAX_GZIP_RATIO times the compressed input read so far raises DataError (a zip bomb of a few MB can expand to
    terabytes). A corrupt or truncated file raises DataError too."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._raw = _SmallReads(path)
        self._gzip = gzip.GzipFile(fileobj=self._raw, mode="rb")
        self._out = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            n = self._gzip.readinto(buffer)
        except (OSError, EOFError, zlib.error) as exc:
            raise DataError(
                self.path, [DataProblem(f"cannot read the file (a corrupt or cut-short .gz: {exc})")]
            ) from None
        self._out += n
        if self._out > GZIP_RATIO_FLOOR and self._out > MAX_GZIP_RATIO * max(1, self._raw.tell()):
            problem = (
                f"expands to over {MAX_GZIP_RATIO} times its compressed size (a zip bomb?); reading stopped at "
                f"{self._out // 1_000_000} MB. Decompress it yourself and check what is inside"
            )
            raise DataError(self.path, [DataProblem(problem)])
        return n

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._out = self._gzip.seek(offset, whence)
        return self._out

    def tell(self) -> int:
        return self._gzip.tell()

    def close(self) -> None:
        if not self.closed:
            self._gzip.close()
            self._raw.close()
        super().close()


class _SmallReads(io.FileIO):
    """A file that hands out at most GZIP_READ bytes per read: gzip then asks for input little by little, and
    `tell()` says how much compressed input the output so far came from."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")

    def read(self, size: int | None = -1) -> bytes:
        return super().read(GZIP_READ if size is None or size < 0 else min(size, GZIP_READ))


# ----------------------------------------------------------------------------------------------------
# Records: a header, then rows of cells (CSV), objects (JSONL, requests), or rows that cannot be read


@dataclass
class _Record:
    """One data row: cells by position (CSV) or by key (JSON), or the reason it cannot be read."""

    row: int
    cells: list[str] | Mapping[str, Any] | None
    problem: str = ""


@dataclass
class _Header:
    names: list[str]


_Item = _Header | _Record


def _csv_items(handle: IO[str], path: Path) -> Iterator[_Item]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    first = handle.readline(MAX_LINE_CHARS + 1)
    while first and not first.strip() and len(first) <= MAX_LINE_CHARS:  # blank lines before the header
        first = handle.readline(MAX_LINE_CHARS + 1)
    if len(first) > MAX_LINE_CHARS:
        raise DataError(path, [DataProblem(f"the first line is longer than {MAX_LINE_CHARS:,} characters")])
    tab = ".tsv" in [s.lower() for s in path.suffixes]
    delimiter = "\t" if tab else (max(DELIMITERS, key=first.count) if first.strip() else ",")
    # strict: a quote never closed is an error, not a field that silently swallows the rest of the file
    reader = csv.reader(itertools.chain([first], handle), delimiter=delimiter, strict=True, skipinitialspace=True)
    row = 0
    try:
        header = next(reader, None)
        if header is None or not any(h.strip() for h in header):
            return
        yield _Header([h.strip() for h in header])
        for cells in reader:
            if any(cell.strip() for cell in cells):  # blank rows are not rows
                row += 1
                yield _Record(row, cells)
    except csv.Error as exc:
        yield _Record(row + 1, None, f"unreadable CSV: {_csv_problem(exc)}")


def _csv_problem(exc: csv.Error) -> str:
    """The reader's complaint in words, never the text around it (it may hold personal data)."""
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value is never closed"
    if "field larger than field limit" in text:
        return f"a value is longer than {MAX_FIELD_CHARS:,} characters"
    return "malformed quoting (a quote inside an unquoted value?)"


def _jsonl_items(handle: IO[str]) -> Iterator[_Item]:
    row = 0
    for line_number, line in enumerate(_bounded_lines(handle), start=1):
        if line is not None and not line.strip():
            continue
        row += 1
        if line is None:  # a line too long to read whole
            yield _Record(row, None, f"the line is longer than {MAX_LINE_CHARS:,} characters (line {line_number})")
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield _Record(row, None, f"not valid JSON ({exc}) (line {line_number})")
            continue
        except RecursionError:
            yield _Record(row, None, f"not valid JSON (nested too deeply) (line {line_number})")
            continue
        if not isinstance(value, dict):
            yield _Record(row, None, f"expected a JSON object, got {_json_type(value)} (line {line_number})")
            continue
        yield _Record(row, value)


def _json_type(value: Any) -> str:
    return {list: "list", str: "string", type(None): "null", bool: "true/false"}.get(type(value), "number")


def _bounded_lines(handle: IO[str]) -> Iterator[str | None]:
    """The lines of `handle`, None for each one longer than MAX_LINE_CHARS (skipped without being held whole)."""
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        if len(line) <= MAX_LINE_CHARS or line.endswith("\n"):
            yield line
            continue
        while line and not line.endswith("\n"):  # the rest of the long line
            line = handle.readline(MAX_LINE_CHARS)
        yield None


def _plain_items(records: Iterable[Any], noun: str) -> Iterator[_Item]:
    for row, record in enumerate(records, start=1):
        if isinstance(record, Mapping):
            yield _Record(row, record)
        else:
            yield _Record(row, None, f"expected an object with {noun} fields, got {type(record).__name__}")


# ----------------------------------------------------------------------------------------------------
# Columns


@dataclass
class Columns:
    """Which header each field (and each kept extra column) is read from, what is left out, and the problems."""

    mapping: dict[str, str] = field(default_factory=dict)  # field or extra name -> header
    extras: list[str] = field(default_factory=list)  # names of the extra columns kept, in header order
    warnings: list[str] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)


def compact(header: str) -> str:
    """A header as names are compared: lower case without separators ("Customer ID" -> "customerid")."""
    return re.sub(r"[^0-9a-z]+", "", header.lower())


def resolve_columns(
    header: Sequence[str],
    schema: Schema,
    column_map: Mapping[str, str] | None = None,
    extras: Sequence[str] | None = None,
    *,
    records: bool = False,
) -> Columns:
    """Map fields to headers: `--column` first, then name and alias matches. With `extras` (a schema that keeps
    extra columns), only those extra columns are wanted, and every other unmatched header is a problem. With
    `records` (the header is the first of several JSON objects, whose keys may differ), a field no key matches
    is read from a key of its own name, so a later object may still carry it."""
    column_map = dict(column_map or {})
    found = ", ".join(shown_header(h) for h in header if h) or "no columns"
    out = Columns()
    asked = _Asked(header, schema, column_map, extras, found)
    _check_column_map(asked, out)
    out.mapping = _match(header, schema, column_map)
    if records:
        taken = set(out.mapping.values()) | set(header)
        out.mapping |= {f.name: f.name for f in schema.fields if f.name not in out.mapping and f.name not in taken}
    missing = [n for n in schema.required if n not in out.mapping]
    if missing:
        headerless = " (the first row looks like data: add a header row)" if any(map(looks_like_data, header)) else ""
        out.problems.append(
            DataProblem(
                f"missing required column(s) {', '.join(missing)}; found {found}{headerless}. "
                f'Map them with --column, e.g. --column {missing[0]}="Your Header"'
            )
        )
    if schema.extra == "keep":
        _keep_extras(asked, out)
    counts = {h: list(header).count(h) for h in out.mapping.values()}
    out.problems.extend(
        DataProblem(f"the header {shown_header(h)!r} appears {n} times; rename all but one")
        for h, n in counts.items()
        if n > 1
    )
    out.warnings = _ignored_warnings(header, schema, set(out.mapping.values()))
    return out


@dataclass(frozen=True)
class _Asked:
    """What resolve_columns was asked, which its checks share: the header read, the schema, the --column map, the
    extra columns wanted (None: any), and the header as a problem quotes it."""

    header: Sequence[str]
    schema: Schema
    column_map: Mapping[str, str]
    extras: Sequence[str] | None
    found: str


def _check_column_map(asked: _Asked, out: Columns) -> None:
    schema, fields = asked.schema, ", ".join(asked.schema.names)
    for key, target in asked.column_map.items():
        if key not in schema.names and schema.extra == "ignore":
            out.problems.append(DataProblem(f"--column {key}=...: {key!r} is not a {schema.noun} field ({fields})"))
        elif key not in schema.names and asked.extras is not None and key not in asked.extras:
            out.problems.append(
                DataProblem(
                    f"--column {key}={target}: {key!r} is not a {schema.noun} field ({fields}) "
                    f"or a requested {schema.extra_label}"
                )
            )
        elif target not in asked.header:
            out.problems.append(
                DataProblem(f"--column {key}={shown_header(target)}: no such column; found {asked.found}")
            )
        elif schema.personal and is_personal_column(target):
            out.problems.append(
                DataProblem(
                    f"--column {key}={target}: {target!r} holds personal data, which is never read; "
                    "map a pseudonymous column (e.g. a customer number) instead"
                )
            )


def _match(header: Sequence[str], schema: Schema, column_map: Mapping[str, str]) -> dict[str, str]:
    by_compact: dict[str, str] = {}
    for h in header:
        if h and not (schema.personal and is_personal_column(h)):
            by_compact.setdefault(compact(h), h)
    taken = set(column_map.values())
    mapping: dict[str, str] = {}
    for f in schema.fields:
        if f.name in column_map:
            target = column_map[f.name]
            if target in header and not (schema.personal and is_personal_column(target)):
                mapping[f.name] = target
            continue
        for candidate in (f.name, *f.aliases):
            match = by_compact.get(compact(candidate))
            if match is not None and match not in taken and match not in mapping.values():
                mapping[f.name] = match
                break
    return mapping


def _keep_extras(asked: _Asked, out: Columns) -> None:
    """Every other named header is an extra column (under its --column name when mapped); with `asked.extras`,
    only those, and the rest are problems."""
    header, schema, column_map, found = asked.header, asked.schema, asked.column_map, asked.found
    used = set(out.mapping.values())
    renamed = {target: key for key, target in column_map.items() if key not in schema.names and target in header}
    available = [
        h for h in dict.fromkeys(header) if h and h not in used and not (schema.personal and is_personal_column(h))
    ]
    label = schema.extra_label
    if asked.extras is None:
        for h in available:
            out.mapping[renamed.get(h, h)] = h
            out.extras.append(renamed.get(h, h))
        return
    by_compact = {compact(h): h for h in available}
    for name in dict.fromkeys(asked.extras):
        if name in schema.names:
            out.problems.append(DataProblem(f"--{label}s {name}: {name!r} is a {schema.noun} field, not a {label}"))
            continue
        match = column_map.get(name) or (name if name in available else by_compact.get(compact(name)))
        if match is None or match not in available:
            out.problems.append(
                DataProblem(f'{label} {name!r} not found; found {found}. Map it with --column {name}="Your Header"')
            )
        else:
            out.mapping[name] = match
            out.extras.append(name)
    kept = {out.mapping[name] for name in out.extras}
    out.problems.extend(
        DataProblem(f"column {h!r} is neither required nor a requested {label}; drop it or add it to --{label}s")
        for h in available
        if h not in kept
    )


def _ignored_warnings(header: Sequence[str], schema: Schema, used: set[str]) -> list[str]:
    personal = sorted({h for h in header if h and h not in used and schema.personal and is_personal_column(h)})
    other = [h for h in dict.fromkeys(header) if h and h not in used and h not in personal and schema.extra == "ignore"]
    warnings: list[str] = []
    if personal:
        warnings.append(f"ignored personal columns: {', '.join(personal)}")
    if other:
        warnings.append(f"ignored columns: {', '.join(shown_header(h) for h in other)}")
    return warnings


# Personal data, recognised by header. Whole compact headers (lower case, no separators) ...
_PERSONAL_HEADERS = frozenset(
    {
        *("name", "fullname", "firstname", "lastname", "middlename", "surname", "givenname", "familyname"),
        *("maidenname", "nickname", "username", "displayname", "customername", "clientname", "contactname"),
        *("membername", "dob", "dateofbirth", "birthdate", "birthday", "ssn", "socialsecuritynumber"),
        *("nationalid", "taxid", "passport", "passportnumber", "iban", "creditcard", "cardnumber", "ccnumber"),
        *("ip", "ipaddress", "zip", "zipcode", "postcode", "postalcode", "street", "password"),
    }
)
# ... words that make any header personal wherever they appear ("billing_address", "EmailAddress") ...
_PERSONAL_PARTS = ("email", "e_mail", "phone", "mobile", "address", "street", "postcode", "zipcode", "birth")
# ... and name columns: "name" with a word that says whose ("shipping_name"), never "product_name".
_NAME_OWNERS = frozenset(
    {
        *("first", "last", "full", "middle", "given", "family", "sur", "customer", "client", "contact", "user"),
        *("member", "person", "billing", "shipping", "recipient", "buyer", "holder", "account"),
    }
)


def is_personal_column(header: str) -> bool:
    """Whether a header names personal data (names, emails, phones, addresses, birth dates, ids, cards)."""
    words = [w for w in re.split(r"[^0-9a-z]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", header).lower()) if w]
    joined = "".join(words)
    if joined in _PERSONAL_HEADERS or any(part.replace("_", "") in joined for part in _PERSONAL_PARTS):
        return True
    return "name" in words and any(w in _NAME_OWNERS for w in words)


def looks_like_data(header: str) -> bool:
    """An email, a long number (phone, card, id) or a date/amount: no one names a column like that."""
    digits = sum(ch.isdigit() for ch in header)
    return "@" in header or digits >= 7 or (digits > 0 and bool(re.fullmatch(r"[-+$€£(]?[\d.,:/ T()-]+", header)))


def shown_header(header: str) -> str:
    """A header as it may be echoed: a headerless file's first row puts data here (emails, phone numbers)."""
    return "(a value, not a header)" if looks_like_data(header) else header


# ----------------------------------------------------------------------------------------------------
# Tables


@dataclass
class Table:
    """The cells of the columns an input reads, one list per field or extra column, before they are parsed.

    `rows[i]` is the data row number of the i-th record kept; records that could not be read at all are left
    out and reported in `problems` (with an empty file's "the file is empty"). `total_rows` counts both."""

    source: str
    schema: Schema
    columns: Columns = field(default_factory=Columns)
    rows: list[int] = field(default_factory=list)
    cells: dict[str, list[Any]] = field(default_factory=dict)
    problems: list[DataProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    total_rows: int = 0

    def __len__(self) -> int:
        return len(self.rows)

    def has(self, name: str) -> bool:
        return name in self.columns.mapping

    def header(self, name: str) -> str:
        """The column `name` is read from, as the file names it."""
        return self.columns.mapping.get(name, name)

    @property
    def extras(self) -> list[str]:
        return self.columns.extras

    def raise_if_unreadable(self) -> None:
        """DataError with every row that could not be read (and an empty file), before any cell is parsed."""
        if self.problems:
            raise DataError(self.source, self.problems, hint=self.schema.hint)

    def parse(self, name: str, problems: list[DataProblem], prefix: Sequence[str] | None = None) -> Column:
        """Field (or extra column) `name` parsed by its kind, each problem added to `problems` with its row and
        column (after `prefix[i]`, e.g. "series 'A': "). A column the input does not have reads as missing."""
        spec = self.schema.field(name)
        cells = self.cells.get(name) or [None] * len(self.rows)
        return _parse_column(spec, cells, self, problems, prefix)


@dataclass
class Column:
    """Parsed cells: `values[i]` is a str (text, id; "" when missing), a float (number) or a datetime (date), or
    None when missing or unusable; `bad[i]` when the cell had a problem."""

    values: list[Any]
    bad: list[bool]


def read_table(
    path: str | Path,
    schema: Schema,
    column_map: Mapping[str, str] | None = None,
    extras: Sequence[str] | None = None,
) -> Table:
    """Read a CSV or JSONL file (`.gz` too) into a Table. Raises DataError for a file that cannot be read at all
    (missing, binary, UTF-16, a zip bomb, an unknown type) and for column problems (a required column missing,
    a bad --column); rows that cannot be read are reported in `Table.problems`."""
    path = Path(path)
    check_readable(path)
    kind = file_format(path)
    check_text(path)
    with open_text(path) as handle:
        items = _csv_items(handle, path) if kind == "csv" else _jsonl_items(handle)
        return _collect(items, schema, str(path), column_map, extras, what="the file")


def table_from_records(
    records: Iterable[Any],
    schema: Schema,
    *,
    source: str = "request",
    column_map: Mapping[str, str] | None = None,
    extras: Sequence[str] | None = None,
) -> Table:
    """Plain records (dicts, e.g. JSON rows of a REST request) as a Table; a key a record lacks is missing."""
    return _collect(_plain_items(records, schema.noun), schema, source, column_map, extras, what="the request")


def table_from_frame(
    frame: Any,
    schema: Schema,
    *,
    source: str = "data",
    column_map: Mapping[str, str] | None = None,
    extras: Sequence[str] | None = None,
) -> Table:
    """A pandas DataFrame (string cells from a file, or typed columns) as a Table."""
    header = ["" if _UNNAMED.match(str(c)) else str(c).strip() for c in frame.columns]
    columns = _resolved(header, schema, column_map, extras, source)
    table = Table(source, schema, columns, rows=list(range(1, len(frame) + 1)), total_rows=len(frame))
    position = {h: i for i, h in reversed(list(enumerate(header)))}
    for name, h in columns.mapping.items():
        table.cells[name] = frame.iloc[:, position[h]].tolist()
    unnamed = [i for i, h in enumerate(header) if not h]
    filled = sum(1 for i in unnamed if not all(is_missing(v) for v in frame.iloc[:, i].tolist()))
    table.warnings = [*columns.warnings, *_unnamed_warnings(len(unnamed), filled)]
    if len(frame) == 0:
        table.problems.append(DataProblem("there are no data rows"))
    return table


def _resolved(
    header: Sequence[str],
    schema: Schema,
    column_map: Mapping[str, str] | None,
    extras: Sequence[str] | None,
    source: str,
    *,
    records: bool = False,
) -> Columns:
    columns = resolve_columns(header, schema, column_map, extras, records=records)
    if columns.problems:
        raise DataError(source, columns.problems, hint=schema.hint)
    return columns


def _unnamed_warnings(unnamed: int, filled: int) -> list[str]:
    warnings = []
    if unnamed - filled:
        warnings.append(f"ignored {unnamed - filled} empty column(s) without a header")
    if filled:
        warnings.append(f"ignored {filled} column(s) without a header that hold values (name them to use them)")
    return warnings


@dataclass
class _Collector:
    """Turns items into a Table: the header (or the first object's keys) resolves the columns, then each
    record's cells of the wanted columns are kept (the others, personal ones included, are dropped at once)."""

    table: Table
    column_map: Mapping[str, str] | None
    extras: Sequence[str] | None
    header: list[str] | None = None
    positions: dict[str, int] = field(default_factory=dict)
    unnamed: list[int] = field(default_factory=list)
    filled: set[int] = field(default_factory=set)

    def resolve(self, header: list[str], *, records: bool = False) -> None:
        if any(_SURROGATE.search(h) for h in header):
            raise DataError(self.table.source, [DataProblem("the header is not valid UTF-8; re-save it as UTF-8")])
        schema = self.table.schema
        columns = _resolved(header, schema, self.column_map, self.extras, self.table.source, records=records)
        self.table.columns = columns
        self.header = header
        position = {h: i for i, h in reversed(list(enumerate(header)))}
        self.positions = {name: position[h] for name, h in columns.mapping.items() if h in position}
        self.unnamed = [i for i, h in enumerate(header) if not h]
        self.table.cells = {name: [] for name in columns.mapping}

    def add(self, record: _Record) -> None:
        table = self.table
        table.total_rows += 1
        if record.cells is None:
            table.problems.append(DataProblem(record.problem, record.row))
            return
        if isinstance(record.cells, Mapping):
            self._add_object(record.row, record.cells)
            return
        assert self.header is not None
        if len(record.cells) > len(self.header):
            problem = (
                f"{len(record.cells)} fields but the header has {len(self.header)} "
                "(an unquoted delimiter in a value, or a missing header name?)"
            )
            table.problems.append(DataProblem(problem, record.row))
            return
        cells = record.cells
        self.filled.update(i for i in self.unnamed if i < len(cells) and cells[i].strip())
        table.rows.append(record.row)
        for name, i in self.positions.items():
            table.cells[name].append(cells[i] if i < len(cells) else None)

    def _add_object(self, row: int, values: Mapping[str, Any]) -> None:
        if self.header is None:  # the first object's keys are the header; fields it lacks may come later
            self.resolve([str(k) for k in values], records=True)
        self.table.rows.append(row)
        for name, header in self.table.columns.mapping.items():
            self.table.cells[name].append(values.get(header))


def _collect(
    items: Iterable[_Item],
    schema: Schema,
    source: str,
    column_map: Mapping[str, str] | None,
    extras: Sequence[str] | None,
    what: str,
) -> Table:
    collector = _Collector(Table(source, schema), column_map, extras)
    for item in items:
        if isinstance(item, _Header):
            collector.resolve(item.names)
        else:
            collector.add(item)
    table = collector.table
    table.warnings = [*table.columns.warnings, *_unnamed_warnings(len(collector.unnamed), len(collector.filled))]
    if table.total_rows == 0 and what != "the file":
        table.problems.append(DataProblem("there are no data rows"))
    elif collector.header is None and table.total_rows == 0:
        expected = ",".join(schema.required)
        table.problems.append(DataProblem(f"the file is empty (expected a header: {expected})"))
    elif table.total_rows == 0:
        table.problems.append(DataProblem("the file has no data rows"))
    return table


# ----------------------------------------------------------------------------------------------------
# Parsing cells by kind


def _parse_column(
    spec: Field, cells: Sequence[Any], table: Table, problems: list[DataProblem], prefix: Sequence[str] | None
) -> Column:
    header = table.header(spec.name)
    out = Column(values=[None] * len(cells), bad=[False] * len(cells))
    read = _READERS[spec.kind]
    cache: dict[Any, tuple[Any, str]] = {}
    for i, cell in enumerate(cells):
        key = (type(cell), cell) if isinstance(cell, str | int | float) and not isinstance(cell, bool) else None
        if key is not None and key in cache:
            value, message = cache[key]
        else:
            value, message = _read_cell(spec, cell, read, table.schema.echo)
            if key is not None:
                cache[key] = (value, message)
        out.values[i] = value
        if message:
            out.bad[i] = True
            label = prefix[i] if prefix is not None else ""
            problems.append(DataProblem(label + message, table.rows[i], header))
    return out


def _read_cell(spec: Field, cell: Any, read: _Reader, quote: Callable[[str], str]) -> tuple[Any, str]:
    """(value, problem): the parsed value (or the empty value), and "" or what is wrong with the cell."""
    empty = "" if spec.kind in ("text", "id") else None
    if isinstance(cell, dict | list):
        return empty, "expected a plain value, got a nested object"
    if isinstance(cell, str) and _SURROGATE.search(cell):
        return empty, "is not valid UTF-8; re-save the file as UTF-8"
    if is_missing(cell):
        return empty, _missing_problem(spec, cell)
    value, message = read(spec, cell, quote)
    if not message and spec.check is not None:
        message = spec.check(value) or ""
    return (empty, message) if message else (value, "")


def _missing_problem(spec: Field, cell: Any) -> str:
    if not spec.required:
        return ""
    need = f" (need {spec.need})" if spec.need else ""
    if _blank(cell):
        return f"is empty{need}"
    return f"is {str(cell).strip()!r}, a missing value{need}"


_Reader = Callable[[Field, Any, Callable[[str], str]], tuple[Any, str]]


def _read_text(spec: Field, cell: Any, quote: Callable[[str], str]) -> tuple[Any, str]:
    text = _cell_text(cell) if spec.kind == "id" else _CONTROL_CHARS.sub("", str(cell)).strip()
    if spec.max_chars is not None and len(text) > spec.max_chars:
        return "", f"is {len(text):,} characters (limit {spec.max_chars:,})"
    return text, ""


def _read_number(spec: Field, cell: Any, quote: Callable[[str], str]) -> tuple[Any, str]:
    number = parse_number(cell, booleans=spec.booleans)
    if number is None:
        return None, f"{quote(str(cell).strip())} is not a number"
    if not math.isfinite(number):
        return None, f"{quote(str(cell).strip())} is not a finite number"
    return number, ""


def _read_date(spec: Field, cell: Any, quote: Callable[[str], str]) -> tuple[Any, str]:
    moment = parse_date(cell)
    if moment is None:
        return None, f"{quote(str(cell).strip())} is not a date; {DATE_HINT}"
    if not YEARS[0] <= moment.year <= YEARS[1]:
        return None, f"{day_text(moment)} is outside the supported years {YEARS[0]}-{YEARS[1]}"
    return moment, ""


_READERS: dict[str, _Reader] = {"text": _read_text, "id": _read_text, "number": _read_number, "date": _read_date}


def with_fields(schema: Schema, *fields: Field) -> Schema:
    """`schema` with `fields` replacing its fields of the same name (e.g. a stricter check for one call)."""
    by_name = {f.name: f for f in fields}
    return replace(schema, fields=tuple(by_name.get(f.name, f) for f in schema.fields))
