"""Reading and validating review files (CSV or JSONL, optionally gzipped) before anything is written.

Every problem is collected with its row and column, so a user fixes a file in one pass. Row numbers are
1-based data rows (the header is not counted); CSV problems also give the line number in the file.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from tools.errors import DataError, DataProblem

REQUIRED = ("product_id", "rating", "text")
OPTIONAL = ("review_id", "title", "product_name", "category", "date", "channel")
CANONICAL = REQUIRED + OPTIONAL
# Common export headers, so most files need no --column mapping (matched after normalising case/spaces).
ALIASES: dict[str, tuple[str, ...]] = {
    "review_id": ("id", "reviewid"),
    "product_id": ("sku", "item_id", "productid", "asin", "clothing_id"),
    "rating": ("stars", "star_rating", "score", "review_rating"),
    "text": ("review_text", "review", "body", "content", "review_body", "comment"),
    "title": ("review_title", "summary", "headline"),
    "date": ("review_date", "created_at", "timestamp", "submitted_at"),
}
MAX_TEXT_CHARS = 20_000
MAX_FIELD_CHARS = 1_000_000
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")


@dataclass(frozen=True, slots=True)
class ReviewRow:
    """One valid review, normalised and ready to store."""

    review_id: str
    product_id: str
    rating: int
    text: str
    title: str = ""
    product_name: str = ""
    category: str = ""
    date: str = ""  # ISO YYYY-MM-DD, or "" when unknown
    channel: str = ""
    content_hash: str = ""

    @property
    def embedding_text(self) -> str:
        """What gets embedded: the title carries meaning ("Runs small!") that the body may not repeat."""
        return f"{self.title}. {self.text}" if self.title else self.text


@dataclass
class ParsedReviews:
    """The outcome of validating a file: valid rows plus every problem and warning found."""

    source: str
    rows: list[ReviewRow] = field(default_factory=list)
    problems: list[DataProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    column_map: dict[str, str] = field(default_factory=dict)
    total_rows: int = 0
    duplicates: int = 0  # exact repeats of an earlier row, ingested once

    def raise_if_invalid(self) -> None:
        if self.problems:
            raise DataError(
                self.source,
                self.problems,
                hint="Nothing was written. Fix the rows above, or pass --skip-invalid to ingest only the valid rows.",
            )


# ----------------------------------------------------------------------------------------------------
# Reading raw records


def read_review_file(path: str | Path, column_map: Mapping[str, str] | None = None) -> ParsedReviews:
    """Read and validate a CSV/JSONL review file (`.gz` too). Raises DataError only for file-level
    problems (missing file, unknown format, missing columns); row problems are collected."""
    path = Path(path)
    if not path.is_file():
        raise DataError(path, [DataProblem("file not found")])
    fmt = _file_format(path)
    with _open_text(path) as handle:
        records = _read_csv(handle, path) if fmt == "csv" else _read_jsonl(handle)
        return validate_review_records(records, source=str(path), column_map=column_map)


def _file_format(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    kind = suffixes[-1] if suffixes else ""
    if kind in (".csv", ".tsv", ".txt"):
        return "csv"
    if kind in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise DataError(path, [DataProblem(f"unknown file type {kind or '(none)'!r}; use .csv or .jsonl (optionally .gz)")])


def _open_text(path: Path) -> IO[str]:
    # surrogateescape keeps undecodable bytes visible as surrogates, so each bad row can be reported.
    if path.suffix.lower() == ".gz":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", errors="surrogateescape", newline="")
    return path.open(encoding="utf-8-sig", errors="surrogateescape", newline="")


@dataclass
class _Raw:
    """A raw record: header -> cell text (None when the cell is missing), or a problem reading it."""

    row: int
    values: dict[str, Any] | None
    problem: str = ""
    line: int | None = None


def _read_csv(handle: IO[str], path: Path) -> Iterator[_Raw]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    sample = handle.read(64 * 1024)
    handle.seek(0)
    delimiter = "\t" if path.suffixes and ".tsv" in [s.lower() for s in path.suffixes] else _sniff(sample)
    reader = csv.reader(handle, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip() for h in header]
    yield _Raw(row=0, values={"__header__": header})
    row, line = 0, reader.line_num + 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield _Raw(row=row, values=None, problem=f"unreadable CSV ({exc})", line=line)
            return
        if cells:
            yield _csv_record(row, line, header, cells)
        else:
            row -= 1  # blank lines are not rows
        line = reader.line_num + 1


def _csv_record(row: int, line: int, header: list[str], cells: list[str]) -> _Raw:
    if len(cells) > len(header):
        return _Raw(row, None, f"{len(cells)} fields but the header has {len(header)} (an unquoted delimiter?)", line)
    values: dict[str, Any] = {name: (cells[i] if i < len(cells) else None) for i, name in enumerate(header)}
    return _Raw(row, values, line=line)


def _sniff(sample: str) -> str:
    first_line = sample.split("\n", 1)[0]
    return max((",", ";", "\t", "|"), key=first_line.count) if first_line else ","


def _read_jsonl(handle: IO[str]) -> Iterator[_Raw]:
    row = 0
    for line_number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        row += 1
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            yield _Raw(row, None, f"not valid JSON ({exc})", line_number)
            continue
        if not isinstance(value, dict):
            yield _Raw(row, None, f"expected a JSON object, got {type(value).__name__}", line_number)
            continue
        yield _Raw(row, value, line=line_number)


# ----------------------------------------------------------------------------------------------------
# Validation


def validate_review_records(
    records: Iterable[_Raw] | Iterable[Mapping[str, Any]],
    *,
    source: str = "request",
    column_map: Mapping[str, str] | None = None,
) -> ParsedReviews:
    """Validate raw records (from a file reader, or plain dicts from an API request)."""
    result = ParsedReviews(source=source)
    validator: _Validator | None = None
    seen: dict[str, tuple[int, str]] = {}
    for raw in _as_raw(records):
        if raw.values is not None and "__header__" in raw.values:
            validator = _Validator.for_columns(raw.values["__header__"], column_map, result)
            continue
        if validator is None:
            # Plain records (API rows) have no header; a key absent from one record is simply empty there.
            keys = list(raw.values or {})
            validator = _Validator.for_columns(keys + [c for c in CANONICAL if c not in keys], column_map, result)
        result.total_rows += 1
        row = validator.check(raw, result.problems)
        if row is not None and _keep_unique(row, raw.row, seen, result):
            result.rows.append(row)
    if result.total_rows == 0 and not result.problems:
        result.problems.append(DataProblem("the file has no review rows"))
    return result


def _as_raw(records: Iterable[_Raw] | Iterable[Mapping[str, Any]]) -> Iterator[_Raw]:
    for index, record in enumerate(records, start=1):
        if isinstance(record, _Raw):
            yield record
        elif isinstance(record, Mapping):
            yield _Raw(index, dict(record))
        else:
            yield _Raw(index, None, f"expected an object with review fields, got {type(record).__name__}")


def _keep_unique(row: ReviewRow, row_number: int, seen: dict[str, tuple[int, str]], result: ParsedReviews) -> bool:
    first = seen.get(row.review_id)
    if first is None:
        seen[row.review_id] = (row_number, row.content_hash)
        return True
    if first[1] != row.content_hash:
        result.problems.append(
            DataProblem(
                f"duplicate review_id {row.review_id!r} (first at row {first[0]}) with different content",
                row_number,
                "review_id",
            )
        )
    else:
        result.duplicates += 1
        if result.duplicates <= 5:
            result.warnings.append(f"row {row_number}: exact duplicate of row {first[0]}, ingested once")
    return False


@dataclass
class _Validator:
    """Checks one record at a time against a resolved column mapping (canonical name -> source header)."""

    columns: dict[str, str]

    @classmethod
    def for_columns(cls, header: list[str], column_map: Mapping[str, str] | None, result: ParsedReviews) -> _Validator:
        columns = resolve_columns(header, column_map or {}, result.source)
        result.column_map = columns
        unused = [h for h in header if h and h not in columns.values()]
        if unused:
            result.warnings.append(f"ignored columns: {', '.join(unused)}")
        return cls(columns)

    def check(self, raw: _Raw, problems: list[DataProblem]) -> ReviewRow | None:
        if raw.values is None:
            problems.append(DataProblem(_with_line(raw.problem, raw.line), raw.row))
            return None
        before = len(problems)
        cells = {name: self._cell(raw, name, problems) for name in CANONICAL}
        rating = _parse_rating(cells["rating"], raw.row, problems)
        review_date = _parse_date(cells["date"], raw.row, problems)
        text = cells["text"] or ""
        already = {p.column for p in problems[before:]}
        for name in REQUIRED:
            if not cells[name] and name != "rating" and self.columns[name] not in already:
                problems.append(DataProblem("is empty", raw.row, self.columns[name]))
        if len(text) > MAX_TEXT_CHARS:
            problems.append(
                DataProblem(
                    f"text is {len(text):,} characters (limit {MAX_TEXT_CHARS:,})", raw.row, self.columns["text"]
                )
            )
        if len(problems) > before or rating is None:
            return None
        return _make_row(cells, rating, review_date)

    def _cell(self, raw: _Raw, name: str, problems: list[DataProblem]) -> str:
        header = self.columns.get(name)
        value = None if header is None or raw.values is None else raw.values.get(header)
        if value is None:
            return ""
        if isinstance(value, dict | list):
            problems.append(DataProblem("expected a plain value, got a nested object", raw.row, header))
            return ""
        text = str(value)
        if _SURROGATE.search(text):
            problems.append(DataProblem("is not valid UTF-8; re-save the file as UTF-8", raw.row, header))
            return ""
        return _CONTROL_CHARS.sub("", text).strip()


def _with_line(message: str, line: int | None) -> str:
    return f"{message} (line {line})" if line is not None else message


def parse_column_pairs(pairs: Iterable[str]) -> dict[str, str]:
    """`FIELD=HEADER` strings (our field, the data's column name) as a column map; ValueError names a bad one."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        field_name, sep, header = pair.partition("=")
        if not sep or not field_name.strip() or not header:
            raise ValueError(f"{pair!r}: use FIELD=HEADER, e.g. text='Review Text'")
        mapping[field_name.strip()] = header
    return mapping


def resolve_columns(header: list[str], column_map: Mapping[str, str], source: str) -> dict[str, str]:
    """Map canonical column names to the file's headers: explicit --column first, then name/alias matches."""
    unknown_targets = [k for k in column_map if k not in CANONICAL]
    problems = [
        DataProblem(f"--column {k}=...: {k!r} is not a review field ({', '.join(CANONICAL)})") for k in unknown_targets
    ]
    by_norm = {_normalise(h): h for h in header}
    columns: dict[str, str] = {}
    for name in CANONICAL:
        if name in column_map:
            if column_map[name] not in header:
                problems.append(DataProblem(f"--column {name}={column_map[name]}: no such column"))
            columns[name] = column_map[name]
            continue
        for candidate in (name, *ALIASES.get(name, ())):
            if candidate in by_norm and by_norm[candidate] not in column_map.values():
                columns[name] = by_norm[candidate]
                break
    missing = [n for n in REQUIRED if n not in columns]
    if missing:
        problems.append(
            DataProblem(
                f"missing required column(s) {', '.join(missing)}; found {', '.join(header) or 'no columns'}. "
                f'Map them with --column, e.g. --column {missing[0]}="Your Header"'
            )
        )
    if problems:
        raise DataError(source, problems, hint="Nothing was written.")
    return columns


def _normalise(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().lower())


def _parse_rating(value: str, row: int, problems: list[DataProblem]) -> int | None:
    if not value:
        problems.append(DataProblem("is empty (need a whole number 1-5)", row, "rating"))
        return None
    try:
        number = float(value)
    except ValueError:
        problems.append(DataProblem(f"{value!r} is not a number (need a whole number 1-5)", row, "rating"))
        return None
    if not number.is_integer() or not 1 <= number <= 5:
        problems.append(DataProblem(f"{value} is outside 1-5 or not a whole number", row, "rating"))
        return None
    return int(number)


def _parse_date(value: str, row: int, problems: list[DataProblem]) -> str:
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10]).isoformat()
    except ValueError:
        problems.append(DataProblem(f"{value!r} is not a date; use YYYY-MM-DD", row, "date"))
        return ""


def _make_row(cells: dict[str, str], rating: int, review_date: str) -> ReviewRow:
    content = "\x1f".join(
        (
            cells["product_id"],
            str(rating),
            cells["title"],
            cells["text"],
            review_date,
            cells["category"],
            cells["product_name"],
            cells["channel"],
        )
    )
    content_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()[:24]
    return ReviewRow(
        review_id=cells["review_id"] or f"r-{content_hash[:16]}",
        product_id=cells["product_id"],
        rating=rating,
        text=cells["text"],
        title=cells["title"],
        product_name=cells["product_name"],
        category=cells["category"],
        date=review_date,
        channel=cells["channel"],
        content_hash=content_hash,
    )
