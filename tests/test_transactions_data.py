"""Transaction files: reading, aliases, every validation problem named by row/column, negative-amount
policies, and personal columns that never reach the table, a warning or an error."""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from data_problems import one_problem, problems
from tools.transactions_data import (
    TransactionsTable,
    is_personal_column,
    read_transactions_file,
    transactions_from_frame,
)

COLUMNS = ["customer_id", "date", "amount", "quantity", "product_id", "channel", "is_return"]
HINTS = ("--negative returns", "--negative drop")


def _write(tmp_path: Path, text: str, name: str = "transactions.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(table: TransactionsTable) -> list[tuple[object, ...]]:
    frame = table.frame
    return [
        (c, d.date().isoformat(), a, q, p, ch, bool(r))
        for c, d, a, q, p, ch, r in zip(*(frame[name].tolist() for name in COLUMNS), strict=True)
    ]


VALID = """transaction_id,customer_id,date,amount,quantity,product_id,channel
T1,c2,2024-01-05,10.50,1,P1,web
T2,c1,2024-01-07,20,2,P2,app
T3,c1,2024-01-03,5,1,P1,store
T4,c2,2024-01-05,0,3,P3,web
"""


def test_valid_file_types_and_order(tmp_path: Path) -> None:
    table = read_transactions_file(_write(tmp_path, VALID))
    frame = table.frame
    assert list(frame.columns) == COLUMNS
    assert isinstance(frame.index, pd.RangeIndex)
    assert list(frame.index) == [0, 1, 2, 3]
    assert str(frame["date"].dtype) == "datetime64[ns]"
    assert frame["amount"].dtype == np.float64
    assert frame["quantity"].dtype == np.float64
    assert frame["is_return"].dtype == bool
    assert pd.api.types.is_string_dtype(frame["customer_id"].dtype)
    # Sorted by customer then day; rows on the same day keep file order. A zero amount is fine.
    assert _rows(table) == [
        ("c1", "2024-01-03", 5.0, 1.0, "P1", "store", False),
        ("c1", "2024-01-07", 20.0, 2.0, "P2", "app", False),
        ("c2", "2024-01-05", 10.5, 1.0, "P1", "web", False),
        ("c2", "2024-01-05", 0.0, 3.0, "P3", "web", False),
    ]
    assert table.warnings == []
    assert table.customers == 2
    assert table.start == pd.Timestamp("2024-01-03")
    assert table.end == pd.Timestamp("2024-01-07")
    assert table.source.endswith("transactions.csv")


def test_aliases_times_of_day_and_optional_columns_absent(tmp_path: Path) -> None:
    text = (
        "Customer ID;Order Date;Revenue\n"
        " 007 ;2024-01-05 13:45:00;$1,200.50\n"
        "A-1;2024/1/6;(3.25)\n"
        "A-1;2024-01-06T23:59:00Z;7\n"
    )
    table = read_transactions_file(_write(tmp_path, text), negative="returns")
    assert _rows(table) == [
        ("007", "2024-01-05", 1200.5, 1.0, "", "", False),  # ids stay strings, leading zeros kept
        ("A-1", "2024-01-06", -3.25, 1.0, "", "", True),
        ("A-1", "2024-01-06", 7.0, 1.0, "", "", False),
    ]


@pytest.mark.parametrize(
    "header",
    [
        "client_id,purchase_date,total",
        "user_id,timestamp,value",
        "customer,order_date,sales",
        "CustomerId,PurchaseDate,Amount",
    ],
)
def test_more_aliases(tmp_path: Path, header: str) -> None:
    table = read_transactions_file(_write(tmp_path, f"{header}\nc1,2024-02-01,3\n"))
    assert _rows(table) == [("c1", "2024-02-01", 3.0, 1.0, "", "", False)]


def test_column_map_overrides_names(tmp_path: Path) -> None:
    text = "Kunde,Datum,Betrag,Menge,total\nk1,2024-03-01,9.5,2,999\n"
    table = read_transactions_file(
        _write(tmp_path, text),
        column_map={"customer_id": "Kunde", "date": "Datum", "amount": "Betrag", "quantity": "Menge"},
    )
    assert _rows(table) == [("k1", "2024-03-01", 9.5, 2.0, "", "", False)]
    assert table.warnings == ["ignored columns: total"]


def test_column_map_problems(tmp_path: Path) -> None:
    path = _write(tmp_path, "cust,date,amount,email\nc1,2024-01-01,1,x@y.com\n")
    with pytest.raises(DataError) as exc:
        read_transactions_file(path, column_map={"customer_id": "nope", "colour": "cust"})
    one_problem(exc, "--column customer_id=nope", "no such column", "found cust, date, amount, email")
    one_problem(exc, "--column colour=...", "not a transactions field")
    one_problem(exc, "missing required column(s) customer_id")
    with pytest.raises(DataError) as exc:
        read_transactions_file(path, column_map={"customer_id": "email"})
    one_problem(exc, "--column customer_id=email", "personal data")
    assert "x@y.com" not in str(exc.value)


def test_missing_required_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "id,when,product\n1,2024-01-01,P1\n"))
    problem = one_problem(exc, "missing required column(s) customer_id, date, amount")
    assert "found id, when, product" in problem
    assert '--column customer_id="Your Header"' in problem


def test_empty_file_header_only_and_empty_frame(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, ""))
    one_problem(exc, "the file is empty", "customer_id,date,amount")
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "customer_id,date,amount\n\n"))
    one_problem(exc, "no data rows")
    with pytest.raises(DataError) as exc:
        transactions_from_frame(pd.DataFrame(columns=["customer_id", "date", "amount"]))
    one_problem(exc, "no data rows")
    with pytest.raises(DataError) as exc:
        read_transactions_file(tmp_path / "missing.csv")
    one_problem(exc, "file not found")


def test_every_row_problem_at_once(tmp_path: Path) -> None:
    text = (
        "customer_id,date,amount,quantity\n"
        "c1,2024-13-01,5,1\n"  # 1: bad date
        "c2,,5,1\n"  # 2: empty date
        "c3,2024-01-01,abc,1\n"  # 3: non-numeric amount
        "c4,2024-01-01,,1\n"  # 4: empty amount
        " ,2024-01-01,5,1\n"  # 5: empty customer id
        "c6,2024-01-01,5,two\n"  # 6: non-numeric quantity
        "c7,2024-01-01,inf,1\n"  # 7: not finite
        "c8,2024-01-01,5,\n"  # 8: empty quantity means 1
        "c9,01/02/2024,5,1\n"  # 9: ambiguous date format
    )
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, text))
    assert len(exc.value.problems) == 8
    assert one_problem(exc, "row 1,") == "row 1, column 'date': '2024-13-01' is not a date; use YYYY-MM-DD"
    assert one_problem(exc, "row 2,") == "row 2, column 'date': is empty (need a date)"
    assert one_problem(exc, "row 3,") == "row 3, column 'amount': 'abc' is not a number"
    assert one_problem(exc, "row 4,") == "row 4, column 'amount': is empty (need a number)"
    assert one_problem(exc, "row 5,") == "row 5, column 'customer_id': is empty (need a customer id)"
    assert one_problem(exc, "row 6,") == "row 6, column 'quantity': 'two' is not a number"
    assert one_problem(exc, "row 7,") == "row 7, column 'amount': 'inf' is not a finite number"
    one_problem(exc, "row 9,", "'01/02/2024' is not a date")
    assert "Nothing was read" in str(exc.value)


NEGATIVE = """customer_id,date,amount,quantity
c1,2024-01-01,50,2
c1,2024-01-02,-20,-1
c2,2024-01-03,0,1
c2,2024-01-04,-5,1
"""


def test_negative_amounts_are_an_error_by_default(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, NEGATIVE))
    assert len(exc.value.problems) == 2
    first = one_problem(exc, "row 2, column 'amount'")
    assert first.startswith("row 2, column 'amount': -20 is negative")
    assert all(h in first for h in HINTS)
    one_problem(exc, "row 4, column 'amount'", "-5 is negative")
    assert all(h in exc.value.hint for h in HINTS)


def test_negative_returns_policy(tmp_path: Path) -> None:
    table = read_transactions_file(_write(tmp_path, NEGATIVE), negative="returns")
    assert _rows(table) == [
        ("c1", "2024-01-01", 50.0, 2.0, "", "", False),
        ("c1", "2024-01-02", -20.0, 1.0, "", "", True),  # quantity counts units; the sign is in amount
        ("c2", "2024-01-03", 0.0, 1.0, "", "", False),
        ("c2", "2024-01-04", -5.0, 1.0, "", "", True),
    ]
    assert table.warnings == ["kept 2 transaction(s) with a negative amount as returns (--negative returns)"]


def test_negative_drop_policy(tmp_path: Path) -> None:
    table = read_transactions_file(_write(tmp_path, NEGATIVE), negative="drop")
    assert _rows(table) == [
        ("c1", "2024-01-01", 50.0, 2.0, "", "", False),
        ("c2", "2024-01-03", 0.0, 1.0, "", "", False),
    ]
    assert table.warnings == ["dropped 2 transaction(s) with a negative amount (--negative drop)"]
    assert list(table.frame.index) == [0, 1]
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "customer_id,date,amount\nc1,2024-01-01,-1\n"), negative="drop")
    one_problem(exc, "nothing is left after --negative drop")


def test_negative_quantity_needs_a_negative_amount_and_unknown_policy(tmp_path: Path) -> None:
    path = _write(tmp_path, "customer_id,date,amount,quantity\nc1,2024-01-01,5,-2\n")
    with pytest.raises(DataError) as exc:
        read_transactions_file(path, negative="returns")
    one_problem(exc, "row 1, column 'quantity'", "-2 is negative but the amount is not")
    with pytest.raises(DataError) as exc:
        read_transactions_file(path, negative="refund")  # type: ignore[arg-type]
    one_problem(exc, "unknown negative-amount policy 'refund'", "error, returns, drop")


def test_future_dates_are_a_warning(tmp_path: Path) -> None:
    text = "customer_id,date,amount\nc1,2024-01-01,1\nc2,2199-06-01,2\n"
    table = read_transactions_file(_write(tmp_path, text))
    assert len(table.frame) == 2
    assert len(table.warnings) == 1
    assert table.warnings[0].startswith("1 transaction(s) dated after today")
    assert "row 2 (2199-06-01)" in table.warnings[0]
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "customer_id,date,amount\nc1,2999-01-01,1\n"))
    one_problem(exc, "row 1, column 'date'", "outside the supported years")


def test_unknown_and_unnamed_columns_are_ignored_with_a_warning(tmp_path: Path) -> None:
    text = "customer_id,date,amount,region,coupon,\nc1,2024-01-01,1,West,X,\n"
    table = read_transactions_file(_write(tmp_path, text))
    assert table.warnings == ["ignored columns: region, coupon", "ignored 1 empty column(s) without a header"]
    assert list(table.frame.columns) == COLUMNS


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(VALID)
    table = read_transactions_file(path)
    assert len(table.frame) == 4
    assert table.customers == 2


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("broken.csv.gz", gzip.compress(VALID.encode())[:20], "cannot read the file"),
        ("latin.csv", "customer_id,date,amount\nJos\xe9,2024-01-01,1\n".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_unreadable_bytes_are_a_data_error(tmp_path: Path, name: str, content: bytes, problem: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DataError) as exc:
        read_transactions_file(path)
    one_problem(exc, problem)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "transaction_id,customer_id,date,amount\n"
            "T1,c1,2024-01-01,1\nT2,c1,2024-01-02,1\nT1,c2,2024-01-03,1\n,c2,2024-01-04,1\n,c2,2024-01-05,1\n",
            ["row 3, column 'transaction_id': duplicate transaction id 'T1' (first at row 1)"],
            id="duplicate transaction ids name the rows",
        ),
        pytest.param(
            "customer_id,date,amount\nc1,2024-01-01,1\n\n,,\nc2,2024-01-01,1,extra\nc3,2024-01-02\n",
            ["row 2: 4 fields but the header has 3 (an unquoted delimiter in a value, or a missing header name?)"],
            id="a row longer than the header",
        ),
        pytest.param(
            'customer_id,date,amount\nc1,2024-01-01,1\nc1,2024-01-01,"1\n',
            ["row 2: unreadable CSV: a quoted value is never closed"],
            id="an unclosed quote",
        ),
        pytest.param(  # blank rows are not counted, so c2 is row 2; its missing amount is an empty cell
            "customer_id,date,amount,channel\nc1,2024-01-01,1\n\n,,,\nc2,2024-01-02\n",
            ["row 2, column 'amount': is empty (need a number)"],
            id="short rows and blank rows",
        ),
    ],
)
def test_malformed_files_name_every_problem(tmp_path: Path, text: str, expected: list[str]) -> None:
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, text))
    assert problems(exc) == expected


def test_one_transaction_customers(tmp_path: Path) -> None:
    text = "customer_id,date,amount\nz,2024-01-02,3\na,2024-01-01,1\nm,2024-01-03,2\n"
    table = read_transactions_file(_write(tmp_path, text))
    assert table.frame["customer_id"].tolist() == ["a", "m", "z"]
    assert table.customers == 3


def test_typed_frame_input() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [101, 7, 101],
            "date": pd.to_datetime(["2024-01-02 10:00", "2024-01-01 00:00", "2024-01-01 00:00"]).tz_localize("UTC"),
            "amount": [1.5, 2, -1],
            "channel": ["web", None, "app"],
        }
    )
    table = transactions_from_frame(frame, source="api", negative="returns")
    assert table.source == "api"
    assert _rows(table) == [
        ("101", "2024-01-01", -1.0, 1.0, "", "app", True),
        ("101", "2024-01-02", 1.5, 1.0, "", "web", False),
        ("7", "2024-01-01", 2.0, 1.0, "", "", False),
    ]
    float_ids = pd.DataFrame({"customer_id": [1.0, np.nan], "date": ["2024-01-01"] * 2, "amount": [1.0, 2.0]})
    with pytest.raises(DataError) as exc:
        transactions_from_frame(float_ids)
    assert problems(exc) == ["row 2, column 'customer_id': is empty (need a customer id)"]


# ----------------------------------------------------------------------------------------------------
# Personal data

CANARIES = {
    "name": "Canary Zq9Person",
    "email": "canary-7f3e@example.com",
    "phone": "+1-555-0199-7f3e",
    "address": "7f3e Canary Lane",
    "first_name": "Zq9First",
    "last_name": "Zq9Last",
    "Billing Address": "12 Zq9 Street",
    "date_of_birth": "1901-02-03",
}


def _crm_text(amounts: list[str]) -> str:
    header = ["customer_id", *CANARIES, "date", "amount"]
    lines = [",".join(header)]
    for i, amount in enumerate(amounts, start=1):
        lines.append(",".join([f"c{i}", *CANARIES.values(), "2024-01-0" + str(i), amount]))
    return "\n".join(lines) + "\n"


def _assert_no_canary(*texts: str) -> None:
    for text in texts:
        for value in CANARIES.values():
            assert value not in text
        assert "7f3e" not in text and "Zq9" not in text


def test_personal_columns_never_reach_the_table(tmp_path: Path) -> None:
    table = read_transactions_file(_write(tmp_path, _crm_text(["1", "2"])))
    assert list(table.frame.columns) == COLUMNS
    assert table.warnings == [
        "ignored personal columns: Billing Address, address, date_of_birth, email, first_name, last_name, name, phone"
    ]
    _assert_no_canary(repr(table), str(table), table.frame.to_csv(), repr(table.frame.to_dict()), *table.warnings)


def test_personal_values_never_appear_in_errors(tmp_path: Path) -> None:
    path = _write(tmp_path, _crm_text(["oops", "-4"]))
    with pytest.raises(DataError) as exc:
        read_transactions_file(path)
    assert len(exc.value.problems) == 2
    _assert_no_canary(str(exc.value), repr(exc.value), *problems(exc))
    with pytest.raises(DataError) as exc:
        read_transactions_file(path, column_map={"amount": "nope"})
    _assert_no_canary(str(exc.value))


def test_personal_columns_dropped_from_frames_too() -> None:
    frame = pd.read_csv(io.StringIO(_crm_text(["1", "2"])), dtype=str)
    table = transactions_from_frame(frame)
    _assert_no_canary(repr(table), table.frame.to_csv(), *table.warnings)
    with pytest.raises(DataError) as exc:
        transactions_from_frame(frame.assign(amount=["x", "2"]))
    _assert_no_canary(str(exc.value))


def test_email_like_values_are_refused_without_echo(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "customer_id,date,amount\ncanary-7f3e@example.com,2024-01-01,1\n"))
    assert problems(exc) == [
        "row 1, column 'customer_id': looks like an email address; "
        "customer ids must be pseudonymous (e.g. a customer number)"
    ]
    # A file without a header: its first row (here with an email) is read as the header, and not echoed.
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "canary-7f3e@example.com,2024-01-01,1\n"))
    assert problems(exc) == [
        "missing required column(s) customer_id, date, amount; found (a value, not a header), "
        "(a value, not a header), (a value, not a header) (the first row looks like data: add a header row). "
        'Map them with --column, e.g. --column customer_id="Your Header"'
    ]
    _assert_no_canary(str(exc.value))
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "c1,+1 (555) 019-9731,2024-01-01,1\n"))
    assert "555" not in str(exc.value)
    # An email pasted into the amount column is not echoed either.
    with pytest.raises(DataError) as exc:
        read_transactions_file(_write(tmp_path, "customer_id,date,amount\nc1,2024-01-01,canary-7f3e@example.com\n"))
    one_problem(exc, "row 1, column 'amount'", "looks like an email address")
    _assert_no_canary(str(exc.value))


@pytest.mark.parametrize(
    ("header", "personal"),
    [
        ("name", True),
        ("Full Name", True),
        ("firstName", True),
        ("last_name", True),
        ("customer_name", True),
        ("E-mail", True),
        ("EmailAddress", True),
        ("phone_number", True),
        ("Mobile", True),
        ("shipping_address", True),
        ("zip", True),
        ("Date of Birth", True),
        ("product_name", False),
        ("campaign_name", False),
        ("customer_id", False),
        ("date", False),
        ("channel", False),
        ("region", False),
    ],
)
def test_personal_headers(header: str, personal: bool) -> None:
    assert is_personal_column(header) is personal
