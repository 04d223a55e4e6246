"""Reading and validating review files (CSV or JSONL, optionally gzipped) before anything is written.

Every problem is collected with its row and column, so a user fixes a file in one pass. Row numbers are
1-based data rows (the header is not counted); CSV problems also give the line number in the file.

Personal data written into reviews (emails, phones, cards, IBANs, IPs, SSNs, street addresses) is replaced by
tags such as <PHONE_NUMBER> here, before anything is stored or shown: the review store serves marketing
analysis, not customer service, and its text reaches snippets, answers and prompts. Ids stay as given (they
must be pseudonymous), and cell values echoed in problems are redacted too.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from core.errors import DataError, DataProblem
from tools.pii import redact

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
MAX_LINE_CHARS = MAX_FIELD_CHARS  # a longer JSONL line is refused without being read whole
MAX_GZIP_RATIO = 100  # a .gz expanding more than this (past GZIP_RATIO_FLOOR) is refused as a likely zip bomb
GZIP_RATIO_FLOOR = 4_000_000  # bytes out before the ratio counts: small files may compress very well
GZIP_READ = 16_384  # compressed bytes per read, so the ratio is measured finely
FUTURE_TOLERANCE_DAYS = 1  # time zones: "today" somewhere may be tomorrow here
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\udc80-\udcff]")
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")  # control bytes text files do not contain
REDACTED_FIELDS = ("text", "title", "product_name", "category", "channel")
# Part of every content hash: a store written before redaction (or by an older detector) is rewritten, redacted,
# the next time the same file is ingested. Review ids come from the content alone, so they never change.
REDACTION_VERSION = "pii-1"


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
    redacted: Counter[str] = field(default_factory=Counter)  # entity -> values replaced by tags

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
    check_readable(path)
    fmt = _file_format(path)
    check_text(path)
    with open_text(path) as handle:
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
    # surrogateescape keeps undecodable bytes visible as surrogates, so each bad row can be reported.
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


@dataclass
class _Raw:
    """A raw record: header -> cell text (None when the cell is missing), or a problem reading it."""

    row: int
    values: dict[str, Any] | None
    problem: str = ""
    line: int | None = None


class _SmallReads(io.FileIO):
    """A file that hands out at most GZIP_READ bytes per read: gzip then asks for input little by little, and
    `tell()` says how much compressed input the output so far came from."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "rb")

    def read(self, size: int | None = -1) -> bytes:
        return super().read(GZIP_READ if size is None or size < 0 else min(size, GZIP_READ))


def _read_csv(handle: IO[str], path: Path) -> Iterator[_Raw]:
    csv.field_size_limit(MAX_FIELD_CHARS)
    sample = handle.read(64 * 1024)
    handle.seek(0)
    delimiter = "\t" if path.suffixes and ".tsv" in [s.lower() for s in path.suffixes] else _sniff(sample)
    # strict: a quote never closed is an error, not a field that silently swallows the rest of the file
    reader = csv.reader(handle, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        yield _Raw(row=0, values=None, problem=f"unreadable CSV header ({_csv_problem(exc)})", line=1)
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
            yield _Raw(row=row, values=None, problem=f"unreadable CSV ({_csv_problem(exc)})", line=line)
            return
        if cells:
            yield _csv_record(row, line, header, cells)
        else:
            row -= 1  # blank lines are not rows
        line = reader.line_num + 1


def _csv_problem(exc: csv.Error) -> str:
    text = str(exc)
    if "unexpected end of data" in text:
        return "a quoted value is never closed"
    return text


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
    for line_number, line in enumerate(_bounded_lines(handle), start=1):
        if line is None:  # a line too long to read whole
            row += 1
            yield _Raw(row, None, f"the line is longer than {MAX_LINE_CHARS:,} characters", line_number)
            continue
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
    if validator is not None and validator.redacted:
        result.redacted = validator.redacted
        kinds = ", ".join(f"{n} {k.lower().replace('_', ' ')}" for k, n in sorted(validator.redacted.items()))
        result.warnings.append(f"personal data replaced by tags before storing: {kinds}")
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
    redacted: Counter[str] = field(default_factory=Counter)

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
        return _make_row(cells, rating, review_date, self.redacted)

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
        problems.append(DataProblem(f"{_shown(value)} is not a number (need a whole number 1-5)", row, "rating"))
        return None
    if not number.is_integer() or not 1 <= number <= 5:
        problems.append(DataProblem(f"{_shown(value)[1:-1]} is outside 1-5 or not a whole number", row, "rating"))
        return None
    return int(number)


def _parse_date(value: str, row: int, problems: list[DataProblem]) -> str:
    if not value:
        return ""
    parsed = _read_date(value)
    if parsed is None:
        problems.append(DataProblem(f"{_shown(value)} is not a date; use YYYY-MM-DD", row, "date"))
        return ""
    if parsed > date.today() + timedelta(days=FUTURE_TOLERANCE_DAYS):
        problems.append(DataProblem(f"{parsed.isoformat()} is in the future", row, "date"))
        return ""
    return parsed.isoformat()


def _read_date(value: str) -> date | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _shown(value: str) -> str:
    """A cell as a problem message may quote it: shortened, personal data replaced by tags."""
    short = value if len(value) <= 60 else value[:57] + "..."
    return repr(redact(short).text)


def _make_row(cells: dict[str, str], rating: int, review_date: str, redacted: Counter[str]) -> ReviewRow:
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
    raw_hash = hashlib.sha256(content.encode("utf-8")).hexdigest()[:24]
    content_hash = hashlib.sha256(f"{content}\x1f{REDACTION_VERSION}".encode()).hexdigest()[:24]
    safe = {name: _redacted(cells[name], redacted) for name in REDACTED_FIELDS}
    return ReviewRow(
        review_id=cells["review_id"] or f"r-{raw_hash[:16]}",
        product_id=cells["product_id"],
        rating=rating,
        text=safe["text"],
        title=safe["title"],
        product_name=safe["product_name"],
        category=safe["category"],
        date=review_date,
        channel=safe["channel"],
        content_hash=content_hash,
    )


def _redacted(value: str, counts: Counter[str]) -> str:
    redaction = redact(value)
    counts.update(redaction.found)
    return redaction.text
