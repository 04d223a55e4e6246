"""Reading and validating review files (CSV or JSONL, optionally gzipped) before anything is written.

Every problem is collected with its row and column, so a user fixes a file in one pass. Row numbers are
1-based data rows (the header and blank lines are not counted); JSONL problems also give the line number. The
rules (formats, encodings, dates, numbers, missing values, aliases) are the shared reader's: `core/tabular.py`.

Personal data written into reviews (emails, phones, cards, IBANs, IPs, SSNs, street addresses) is replaced by
tags such as <PHONE_NUMBER> here, before anything is stored or shown: the review store serves marketing
analysis, not customer service, and its text reaches snippets, answers and prompts. Ids stay as given (they
must be pseudonymous), and cell values echoed in problems are redacted too.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.errors import DataError, DataProblem
from core.tabular import Field, Schema, Table, parse_column_pairs, read_table, table_from_records
from tools.pii import redact

MAX_TEXT_CHARS = 20_000
FUTURE_TOLERANCE_DAYS = 1  # time zones: "today" somewhere may be tomorrow here
REDACTED_FIELDS = ("text", "title", "product_name", "category", "channel")
# Part of every content hash: a store written before redaction (or by an older detector) is rewritten, redacted,
# the next time the same file is ingested. Review ids come from the content alone, so they never change.
REDACTION_VERSION = "pii-1"


def _whole_star(rating: float) -> str | None:
    return None if rating.is_integer() and 1 <= rating <= 5 else f"{rating:g} is outside 1-5 or not a whole number"


def _not_future(moment: datetime) -> str | None:
    if moment.date() > date.today() + timedelta(days=FUTURE_TOLERANCE_DAYS):
        return f"{moment.date().isoformat()} is in the future"
    return None


def _shown(value: str) -> str:
    """A cell as a problem message may quote it: shortened, personal data replaced by tags."""
    short = value if len(value) <= 60 else value[:57] + "..."
    return repr(redact(short).text)


SCHEMA = Schema(
    noun="review",
    fields=(
        Field("product_id", "id", required=True, aliases=("sku", "item_id", "productid", "asin", "clothing_id")),
        Field(
            "rating",
            "number",
            required=True,
            aliases=("stars", "star_rating", "score", "review_rating"),
            need="a whole number 1-5",
            check=_whole_star,
        ),
        Field(
            "text",
            required=True,
            aliases=("review_text", "review", "body", "content", "review_body", "comment"),
            max_chars=MAX_TEXT_CHARS,
        ),
        Field("review_id", "id", aliases=("id", "reviewid")),
        Field("title", aliases=("review_title", "summary", "headline")),
        Field("product_name"),
        Field("category"),
        Field("date", "date", aliases=("review_date", "created_at", "timestamp", "submitted_at"), check=_not_future),
        Field("channel"),
    ),
    hint="Nothing was written.",
    personal=True,
    echo=_shown,
)
REQUIRED = SCHEMA.required
CANONICAL = SCHEMA.names


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


def read_review_file(path: str | Path, column_map: Mapping[str, str] | None = None) -> ParsedReviews:
    """Read and validate a CSV/JSONL review file (`.gz` too). Raises DataError only for file-level
    problems (missing file, unknown format, missing columns); row problems are collected."""
    return _validate(read_table(path, SCHEMA, column_map))


def validate_review_records(
    records: Iterable[Mapping[str, Any]] | Iterable[Any],
    *,
    source: str = "request",
    column_map: Mapping[str, str] | None = None,
) -> ParsedReviews:
    """Validate plain records (dicts, e.g. the JSON rows of an API request) as a review file is validated."""
    return _validate(table_from_records(records, SCHEMA, source=source, column_map=column_map))


def _validate(table: Table) -> ParsedReviews:
    result = ParsedReviews(source=table.source, column_map=dict(table.columns.mapping), total_rows=table.total_rows)
    result.warnings = list(table.warnings)
    problems: list[DataProblem] = []
    columns = {name: table.parse(name, problems).values for name in CANONICAL}
    bad = {p.row for p in problems}
    redacted: Counter[str] = Counter()
    seen: dict[str, tuple[int, str]] = {}
    for i, row_number in enumerate(table.rows):
        if row_number not in bad:
            row = _make_row({name: columns[name][i] for name in CANONICAL}, redacted)
            if _keep_unique(row, row_number, seen, result, problems):
                result.rows.append(row)
    # Row by row, as a user reads the file: rows that could not be read, then each row's cell problems.
    result.problems = sorted([*table.problems, *problems], key=lambda p: p.row or 0)
    if redacted:
        result.redacted = redacted
        kinds = ", ".join(f"{n} {k.lower().replace('_', ' ')}" for k, n in sorted(redacted.items()))
        result.warnings.append(f"personal data replaced by tags before storing: {kinds}")
    return result


def _keep_unique(
    row: ReviewRow,
    row_number: int,
    seen: dict[str, tuple[int, str]],
    result: ParsedReviews,
    problems: list[DataProblem],
) -> bool:
    first = seen.get(row.review_id)
    if first is None:
        seen[row.review_id] = (row_number, row.content_hash)
        return True
    if first[1] != row.content_hash:
        problems.append(
            DataProblem(
                f"duplicate review_id {row.review_id!r} (first at row {first[0]}) with different content",
                row_number,
                result.column_map.get("review_id", "review_id"),
            )
        )
    else:
        result.duplicates += 1
        if result.duplicates <= 5:
            result.warnings.append(f"row {row_number}: exact duplicate of row {first[0]}, ingested once")
    return False


def _make_row(cells: dict[str, Any], redacted: Counter[str]) -> ReviewRow:
    rating = int(cells["rating"])
    review_date = cells["date"].date().isoformat() if cells["date"] is not None else ""
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


__all__ = [
    "CANONICAL",
    "MAX_TEXT_CHARS",
    "REQUIRED",
    "SCHEMA",
    "ParsedReviews",
    "ReviewRow",
    "parse_column_pairs",
    "read_review_file",
    "validate_review_records",
]
