"""Reading and validating customer transaction files (CSV or JSONL, optionally gzipped) for RFM and the segmenter.

A file has one row per purchase: `customer_id`, `date`, `amount`, plus optional `quantity`, `product_id`,
`channel` and `transaction_id`. It is read by the shared reader (`core/tabular.py`: formats, encodings, dates,
numbers, aliases); every problem is collected with its row and column, so a user fixes a file in one pass.
Row numbers are 1-based data rows (the header is not counted, nor blank lines).

CRM exports often carry personal columns (names, emails, phones, addresses). Those are recognised by
their header and never read: a file is parsed with only the columns we use, so their values never reach
the table, a warning or an error. Only the headers are named ("ignored personal columns: email, name").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pandas as pd

from core.errors import DataError, DataProblem
from core.tabular import Field, Schema, Table, echo, is_personal_column, read_table, table_from_frame

NegativePolicy = Literal["error", "returns", "drop"]
NEGATIVE_POLICIES: tuple[str, ...] = get_args(NegativePolicy)

_HINT = "Nothing was read. Fix the file or the options named above and run again."
_NEGATIVE_HINT = (
    "Negative amounts are usually returns or refunds: pass --negative returns to net them against spend, "
    "or --negative drop to leave them out."
)
_EMAIL_LIKE = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _pseudonymous(customer_id: str) -> str | None:
    """Never echoed: an email address is personal data."""
    if _EMAIL_LIKE.fullmatch(customer_id):
        return "looks like an email address; customer ids must be pseudonymous (e.g. a customer number)"
    return None


# Common export headers, so most files need no --column mapping. order_id/invoice are deliberately not
# transaction_id aliases: line-item exports repeat them per product, which would read as duplicated transactions.
# Personal columns (names, emails, phones, addresses) are recognised by header and never read: their values never
# reach the table, a warning or an error; only their headers are named ("ignored personal columns: email, name").
SCHEMA = Schema(
    noun="transactions",
    fields=(
        Field(
            "customer_id",
            "id",
            required=True,
            aliases=("customer", "client_id", "user_id", "member_id", "account_id", "cust_id", "customer_number"),
            need="a customer id",
            check=_pseudonymous,
        ),
        Field(
            "date",
            "date",
            required=True,
            aliases=(
                "order_date",
                "purchase_date",
                "transaction_date",
                "invoice_date",
                "timestamp",
                "datetime",
                "created_at",
                "day",
            ),
            need="a date",
        ),
        Field(
            "amount",
            "number",
            required=True,
            aliases=("revenue", "total", "value", "sales", "order_total", "total_amount", "net_amount", "spend"),
            need="a number",
        ),
        Field("quantity", "number", aliases=("qty", "units", "unit_count", "quantity_ordered")),
        Field("product_id", "id", aliases=("sku", "item_id", "product", "article_id", "stock_code")),
        Field("channel", aliases=("sales_channel", "order_channel")),
        Field("transaction_id", "id", aliases=("txn_id", "transaction", "line_id")),
    ),
    hint=_HINT,
    personal=True,
)
REQUIRED = SCHEMA.required
CANONICAL = SCHEMA.names
ALIASES = {f.name: f.aliases for f in SCHEMA.fields}


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
    """Read and validate a transactions CSV or JSONL file (`.gz` too). Raises DataError listing every problem."""
    _check_policy(negative, str(path))
    return _validate(read_table(path, SCHEMA, column_map), negative)


def transactions_from_frame(
    frame: pd.DataFrame,
    *,
    source: str = "data",
    column_map: Mapping[str, str] | None = None,
    negative: NegativePolicy = "error",
) -> TransactionsTable:
    """Validate a frame (string cells from a file, or typed columns) into a TransactionsTable. Only the columns
    used are carried on, so personal columns cannot leak into the result."""
    _check_policy(negative, source)
    return _validate(table_from_frame(frame, SCHEMA, source=source, column_map=column_map), negative)


def _check_policy(negative: str, source: str) -> None:
    if negative not in NEGATIVE_POLICIES:
        raise DataError(
            source,
            [DataProblem(f"unknown negative-amount policy {negative!r}; use one of {', '.join(NEGATIVE_POLICIES)}")],
        )


# ----------------------------------------------------------------------------------------------------
# Rows


def _validate(table: Table, negative: NegativePolicy) -> TransactionsTable:
    table.raise_if_unreadable()
    source = table.source
    warnings = list(table.warnings)
    n = len(table)
    problems: list[DataProblem] = []
    ids = np.array(table.parse("customer_id", problems).values, dtype=object)
    days = _days(table.parse("date", problems).values)
    amount = _floats(table.parse("amount", problems).values, empty=np.nan)
    quantity = _floats(table.parse("quantity", problems).values, empty=1.0)
    product = np.array(table.parse("product_id", problems).values, dtype=object)
    channel = np.array(table.parse("channel", problems).values, dtype=object)
    if table.has("transaction_id"):
        _check_duplicate_ids(table.parse("transaction_id", problems).values, table.header("transaction_id"), problems)

    negatives = np.isfinite(amount) & (amount < 0)  # a non-finite amount is already a problem of its own
    if negative == "error":
        for i in np.flatnonzero(negatives):
            problems.append(
                DataProblem(
                    f"{_number(amount[i])} is negative (a return or refund?); "
                    "pass --negative returns to net it against spend, or --negative drop to leave it out",
                    int(i) + 1,
                    table.header("amount"),
                )
            )
    if table.has("quantity"):
        for i in np.flatnonzero((quantity < 0) & ~negatives):
            problems.append(
                DataProblem(
                    f"{_number(quantity[i])} is negative but the amount is not (a return needs a negative amount)",
                    int(i) + 1,
                    table.header("quantity"),
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


def _floats(values: Sequence[float | None], empty: float) -> np.ndarray[Any, np.dtype[np.float64]]:
    return np.array([empty if v is None else v for v in values], dtype=np.float64)


def _days(values: Sequence[datetime | None]) -> np.ndarray[Any, np.dtype[Any]]:
    """Each row's day as datetime64[ns] (NaT where a problem was recorded); times of day are dropped."""
    days = [np.datetime64("NaT") if v is None else np.datetime64(v.date(), "D") for v in values]
    return np.array(days, dtype="datetime64[ns]")


def _number(value: float) -> str:
    return f"{value:g}"


def _check_duplicate_ids(ids: Sequence[str], header: str, problems: list[DataProblem]) -> None:
    first: dict[str, int] = {}
    for i, text in enumerate(ids):
        if not text:
            continue
        if text in first:
            problems.append(
                DataProblem(f"duplicate transaction id {echo(text)} (first at row {first[text]})", i + 1, header)
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
