"""The shared tabular reader (core/tabular.py): every input reads dates, numbers, missing values, aliases,
--column maps, encodings and compressed files by the same rules, and refuses the same things the same way."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from core.errors import DataError
from core.tabular import (
    GZIP_RATIO_FLOOR,
    Field,
    Schema,
    parse_column_pairs,
    parse_date,
    parse_number,
    read_table,
    table_from_records,
)
from tools.review_data import read_review_file
from tools.sales_data import read_sales_file
from tools.transactions_data import read_transactions_file

# Each input, as a file with one date in it (sales needs a second date on the grid to infer its frequency).


def _reviews(tmp_path: Path, day: str, name: str = "r.csv") -> str:
    path = tmp_path / name
    path.write_text(f"product_id,rating,text,date\nP1,5,Lovely,{day}\n", encoding="utf-8")
    parsed = read_review_file(path)
    if parsed.problems:
        raise DataError(path, parsed.problems)
    return parsed.rows[0].date


def _transactions(tmp_path: Path, day: str, name: str = "t.csv") -> str:
    path = tmp_path / name
    path.write_text(f"customer_id,date,amount\nc1,{day},5\n", encoding="utf-8")
    return read_transactions_file(path).frame["date"][0].date().isoformat()


def _sales(tmp_path: Path, day: str, name: str = "s.csv", then: str = "2024-03-06") -> str:
    path = tmp_path / name
    path.write_text(f"date,series_id,quantity\n{day},A,1\n{then},A,2\n", encoding="utf-8")
    return read_sales_file(path).series[0].dates[0].date().isoformat()


READERS: dict[str, Callable[..., str]] = {"reviews": _reviews, "transactions": _transactions, "sales": _sales}


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("day", ["2024-03-05", "2024-3-5", "2024/03/05", "2024/3/5", "2024.03.05", "20240305"])
def test_every_input_accepts_the_same_day_formats(tmp_path: Path, reader: str, day: str) -> None:
    assert READERS[reader](tmp_path, day) == "2024-03-05"


@pytest.mark.parametrize("reader", ["reviews", "transactions"])
@pytest.mark.parametrize(
    "moment", ["2024-03-05T14:30:00", "2024-03-05 14:30", "2024-03-05T23:59:00Z", "2024-03-05T00:30+09:00"]
)
def test_times_of_day_and_time_zones_keep_the_wall_clock_day(tmp_path: Path, reader: str, moment: str) -> None:
    assert READERS[reader](tmp_path, moment) == "2024-03-05"


@pytest.mark.parametrize("reader", READERS)
def test_every_input_reads_a_month_as_its_first_day(tmp_path: Path, reader: str) -> None:
    if reader == "sales":
        assert _sales(tmp_path, "2024-03", then="2024-04") == "2024-03-01"
        assert _sales(tmp_path, "2024/3", then="2024/4", name="slash.csv") == "2024-03-01"
    else:
        assert READERS[reader](tmp_path, "2024-03") == "2024-03-01"


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("day", ["05/03/2024", "03/05/2024", "5.3.2024", "2024-13-01", "2024-02-30", "March 5 2024"])
def test_every_input_refuses_the_same_ambiguous_or_impossible_dates(tmp_path: Path, reader: str, day: str) -> None:
    with pytest.raises(DataError) as exc:
        READERS[reader](tmp_path, day)
    problems = [str(p) for p in exc.value.problems]
    assert any(
        p.startswith("row 1, column 'date': ") and f"{day!r} is not a date; use YYYY-MM-DD" in p for p in problems
    )


@pytest.mark.parametrize("reader", READERS)
def test_every_input_refuses_years_outside_the_supported_range(tmp_path: Path, reader: str) -> None:
    with pytest.raises(DataError, match="outside the supported years 1700-2200"):
        READERS[reader](tmp_path, "2999-01-01")


def test_parse_date_typed_values() -> None:
    assert parse_date(pd.Timestamp("2024-03-05 10:00", tz="Europe/Paris")) == datetime(2024, 3, 5, 10, 0)
    assert parse_date(datetime(2024, 3, 5).date()) == datetime(2024, 3, 5)
    assert parse_date(pd.Timestamp("2024-03-05").to_datetime64()) == datetime(2024, 3, 5)
    assert parse_date("2024-03-05 10:00:00 UTC") == datetime(2024, 3, 5, 10, 0)
    assert parse_date("2024-03-05 rubbish") is None
    assert parse_date("2024-03/05") is None  # one separator throughout


@pytest.mark.parametrize(
    ("text", "number"),
    [("12", 12.0), (" 1e3 ", 1000.0), ("$1,234.50", 1234.5), ("(12.50)", -12.5), ("€7", 7.0), ("-3.25", -3.25)],
)
def test_numbers(text: str, number: float) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize("text", ["1,5", "12,34", "1_000", "abc", "true", "1.2.3"])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None
    assert parse_number("yes", booleans=True) == 1.0


# ----------------------------------------------------------------------------------------------------
# Missing values, aliases and --column


@pytest.mark.parametrize("word", ["NA", "n/a", "null", "None", "NaN", ""])
def test_missing_value_words_are_missing_in_every_input(tmp_path: Path, word: str) -> None:
    reviews = tmp_path / "r.csv"
    reviews.write_text(f"product_id,rating,text,title\nP1,5,Fine,{word}\nP1,{word},Fine,x\n", encoding="utf-8")
    parsed = read_review_file(reviews)
    assert parsed.rows[0].title == ""  # an optional field: simply missing
    shown = "is empty" if not word else f"is {word!r}, a missing value"
    assert [str(p) for p in parsed.problems] == [f"row 2, column 'rating': {shown} (need a whole number 1-5)"]
    transactions = tmp_path / "t.csv"
    transactions.write_text(f"customer_id,date,amount,quantity\nc1,2024-01-01,{word},{word}\n", encoding="utf-8")
    with pytest.raises(DataError) as exc:
        read_transactions_file(transactions)
    assert [str(p) for p in exc.value.problems] == [f"row 1, column 'amount': {shown} (need a number)"]
    sales = tmp_path / "s.csv"
    sales.write_text(f"date,series_id,quantity\n2024-01-01,A,1\n2024-01-02,{word},2\n2024-01-02,A,3\n")
    with pytest.raises(DataError) as exc:
        read_sales_file(sales)
    assert [str(p) for p in exc.value.problems] == [f"row 2, column 'series_id': {shown} (need a series id)"]


def test_headers_match_fields_whatever_their_case_and_separators(tmp_path: Path) -> None:
    reviews = tmp_path / "r.csv"
    reviews.write_text("Product-ID;STARS;Review Text\nP1;4;Good\n", encoding="utf-8")
    assert read_review_file(reviews).rows[0].product_id == "P1"
    transactions = tmp_path / "t.csv"
    transactions.write_text("customerId,Order Date,Revenue,SKU\nc1,2024-01-01,5,P9\n", encoding="utf-8")
    assert read_transactions_file(transactions).frame["product_id"].tolist() == ["P9"]
    sales = tmp_path / "s.csv"
    sales.write_text("Week,SKU,Units Sold\n2024-01-01,P9,1\n2024-01-08,P9,2\n", encoding="utf-8")
    assert read_sales_file(sales).series[0].series_id == "P9"


def test_column_maps_are_checked_the_same_way_by_every_input(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("who,when,what,stars,words,how_many\nc1,2024-01-01,P1,5,ok,3\nc1,2024-01-08,P1,4,ok,2\n")
    reviews = read_review_file(path, column_map={"product_id": "what", "text": "words"})
    assert (reviews.rows[0].product_id, reviews.rows[0].text, reviews.rows[0].rating) == ("P1", "ok", 5)
    transactions = read_transactions_file(
        path, column_map={"customer_id": "who", "date": "when", "amount": "how_many", "product_id": "what"}
    )
    assert transactions.frame["amount"].tolist() == [3.0, 2.0]
    numeric = tmp_path / "n.csv"
    numeric.write_text("when,what,stars,how_many\n2024-01-01,P1,5,3\n2024-01-08,P1,4,2\n")
    sales = read_sales_file(numeric, column_map={"date": "when", "series_id": "what", "quantity": "how_many"})
    assert sales.covariates == ["stars"]
    for read in (
        lambda m: read_review_file(path, column_map=m),
        lambda m: read_transactions_file(path, column_map=m),
        lambda m: read_sales_file(path, column_map=m),
    ):
        with pytest.raises(DataError) as exc:
            read({"date": "nope"})
        assert any("--column date=nope: no such column; found who, when, what" in str(p) for p in exc.value.problems)
        assert "missing required column(s)" in str(exc.value)
    with pytest.raises(DataError, match="'colour' is not a transactions field"):
        read_transactions_file(path, column_map={"colour": "who"})


def test_parse_column_pairs() -> None:
    assert parse_column_pairs(["text=Review Text", " rating =Stars=5"]) == {"text": "Review Text", "rating": "Stars=5"}
    for bad in ("text", "=Review Text", "text="):
        with pytest.raises(ValueError, match="use FIELD=HEADER"):
            parse_column_pairs([bad])


def test_a_schema_is_all_an_input_declares() -> None:
    """A new input (here: channel spend) is a schema: the reader does formats, aliases, kinds and checks."""
    spend = Schema(
        noun="spend",
        fields=(
            Field("week", "date", required=True, aliases=("date",), need="a date"),
            Field("channel", required=True, need="a channel"),
            Field("spend", "number", required=True, need="a number", check=lambda v: "is negative" if v < 0 else None),
        ),
    )
    rows = [
        {"Date": "2024-01-01", "Channel": "search", "Spend": "$1,200"},
        {"Date": "2024-01-08", "Channel": "", "Spend": "-5"},
        {"Date": "1/8/2024", "Channel": "social", "Spend": 3},
    ]
    table = table_from_records(rows, spend, column_map={"spend": "Spend"})
    problems: list[Any] = []
    values = {name: table.parse(name, problems).values for name in ("week", "channel", "spend")}
    assert values["spend"] == [1200.0, None, 3.0]
    assert values["week"][0] == datetime(2024, 1, 1)
    assert [str(p) for p in problems] == [
        "row 3, column 'Date': '1/8/2024' is not a date; use YYYY-MM-DD",
        "row 2, column 'Channel': is empty (need a channel)",
        "row 2, column 'Spend': is negative",
    ]


# ----------------------------------------------------------------------------------------------------
# Formats, encodings, compressed files


def _gzip(path: Path, text: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path


def test_jsonl_and_gzip_work_for_every_input(tmp_path: Path) -> None:
    def jsonl(*rows: dict[str, Any]) -> str:
        return "\n".join(json.dumps(r) for r in rows) + "\n"

    purchases = jsonl(
        {"customer_id": "c1", "amount": 5},  # no date here: a later object may still carry it
        {"customer_id": "c1", "amount": "$7", "date": "2024-01-02"},
        {"customer_id": "c2", "amount": "7"},
    )
    with pytest.raises(DataError) as exc:
        read_transactions_file(_gzip(tmp_path / "t.jsonl.gz", purchases))
    assert [str(p) for p in exc.value.problems] == [
        "row 1, column 'date': is empty (need a date)",
        "row 3, column 'date': is empty (need a date)",
    ]
    sales = jsonl({"date": "2024-01-01", "sku": "A", "units": 1}, {"date": "2024-01-02", "sku": "A", "units": 2})
    assert read_sales_file(_gzip(tmp_path / "s.jsonl.gz", sales)).freq == "D"
    assert len(read_review_file(_gzip(tmp_path / "r.csv.gz", "product_id,rating,text\nP,5,ok\n")).rows) == 1


def test_a_byte_order_mark_is_fine_and_utf16_is_refused_by_every_input(tmp_path: Path) -> None:
    bom = tmp_path / "bom.csv"
    bom.write_bytes(b"\xef\xbb\xbfcustomer_id,date,amount\nc1,2024-01-01,5\n")
    assert len(read_transactions_file(bom)) == 1
    utf16 = tmp_path / "utf16.csv"
    utf16.write_text("date,series_id,quantity,product_id,rating,text,customer_id,amount\n", encoding="utf-16")
    for read in (read_review_file, read_sales_file, read_transactions_file):
        with pytest.raises(DataError, match="is UTF-16"):
            read(utf16)


def test_a_latin1_cell_is_reported_at_its_row_and_column_by_every_input(tmp_path: Path) -> None:
    expected = "is not valid UTF-8; re-save the file as UTF-8"
    files = {
        "reviews": ("product_id,rating,text\n", "P,5,ok\nP,5,Caf\xe9\n", read_review_file, "text"),
        "sales": ("date,series_id,quantity\n", "2024-01-01,A,1\n2024-01-02,Caf\xe9,1\n", read_sales_file, "series_id"),
        "transactions": (
            "customer_id,date,amount\n",
            "c1,2024-01-01,5\nJos\xe9,2024-01-02,5\n",
            read_transactions_file,
            "customer_id",
        ),
    }
    for name, (header, rows, read, column) in files.items():
        path = tmp_path / f"{name}.csv"
        path.write_bytes(header.encode() + rows.encode("latin-1"))
        try:
            problems = [str(p) for p in read(path).problems]
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
        assert problems[0] == f"row 2, column '{column}': {expected}", problems


def _bomb(path: Path, header: bytes, row: bytes) -> Path:
    """A .gz expanding past the ratio guard's floor at well over 100x (about 12 MB out of some 40 KB)."""
    block = row * (1_000_000 // len(row))
    with path.open("wb") as handle:
        handle.write(gzip.compress(header))
        member = gzip.compress(block, compresslevel=9)
        for _ in range(3 * GZIP_RATIO_FLOOR // len(block)):
            handle.write(member)
    return path


@pytest.mark.parametrize(
    ("read", "header", "row"),
    [
        (read_review_file, b"product_id,rating,text\n", b"P1,5,great value for money\n"),
        (read_sales_file, b"date,series_id,quantity\n", b"2024-01-01,A,1\n"),
        (read_transactions_file, b"customer_id,date,amount\n", b"c1,2024-01-01,5\n"),
    ],
)
def test_zip_bombs_and_corrupt_gzip_are_refused_by_every_input(
    tmp_path: Path, read: Callable[[Path], Any], header: bytes, row: bytes
) -> None:
    with pytest.raises(DataError, match="zip bomb"):
        read(_bomb(tmp_path / "bomb.csv.gz", header, row))
    line = tmp_path / "line.jsonl.gz"
    _bomb(line, b'{"text": "', b"a" * 4096)
    with pytest.raises(DataError, match="zip bomb"):
        read(line)
    corrupt = tmp_path / "corrupt.csv.gz"
    corrupt.write_bytes(gzip.compress(header + row * 1000)[:60])
    with pytest.raises(DataError, match="corrupt or cut-short"):
        read(corrupt)


def test_rows_that_cannot_be_read_are_named_the_same_way_by_every_input(tmp_path: Path) -> None:
    expected = "row 2: 4 fields but the header has 3 (an unquoted delimiter in a value, or a missing header name?)"
    for header, row, read in (
        ("product_id,rating,text", "P,5,ok", read_review_file),
        ("date,series_id,quantity", "2024-01-01,A,1", read_sales_file),
        ("customer_id,date,amount", "c1,2024-01-01,5", read_transactions_file),
    ):
        path = tmp_path / "wide.csv"
        path.write_text(f"{header}\n{row}\n\n{row},extra\n", encoding="utf-8")
        try:
            problems = [str(p) for p in read(path).problems]
        except DataError as exc:
            problems = [str(p) for p in exc.problems]
        assert problems == [expected]


def test_unknown_file_types_are_refused_by_every_input(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"PK\x03\x04")
    schema = Schema(noun="x", fields=(Field("a", required=True),))
    for read in (read_review_file, read_sales_file, read_transactions_file, lambda p: read_table(p, schema)):
        with pytest.raises(DataError, match=r"unknown file type '\.xlsx'"):
            read(path)
