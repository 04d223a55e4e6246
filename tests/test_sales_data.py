"""Sales files: reading, frequency inference, every validation problem named by series/row/column, gap filling."""

from __future__ import annotations

import gzip
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.errors import DataError
from data_problems import one_problem, problems
from tools.sales_data import (
    SalesPanel,
    infer_freq,
    read_sales_file,
    sales_panel_from_frame,
    seasonal_period,
)

HEADER = "date,series_id,quantity"


def _write(tmp_path: Path, text: str, name: str = "sales.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _frame(rows: list[tuple[str, str, str]], **extra: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["date", "series_id", "quantity"])
    for name, values in extra.items():
        frame[name] = values
    return frame


WEEKLY = """date,series_id,quantity,price,promo,holiday
2024-01-08,B,5,2.50,0,0
2024-01-01,A,10,9.99,1,1
2024-01-08,A,12,9.99,0,0
2024-01-15,A,7,10.49,0,0
2024-01-01,B,4,2.50,1,1
2024-01-15,B,6,2.75,0,0
"""


def test_valid_weekly_file_with_covariates(tmp_path: Path) -> None:
    panel = read_sales_file(_write(tmp_path, WEEKLY))
    assert isinstance(panel, SalesPanel)
    assert panel.freq == "W-MON"
    assert panel.covariates == ["price", "promo", "holiday"]
    assert panel.warnings == []
    assert [s.series_id for s in panel.series] == ["A", "B"]
    a = panel.series_by_id()["A"]
    assert list(a.dates) == list(pd.date_range("2024-01-01", periods=3, freq="W-MON"))
    assert a.quantity.dtype == np.float64
    assert a.quantity.tolist() == [10.0, 12.0, 7.0]
    assert a.covariates["price"].tolist() == [9.99, 9.99, 10.49]
    assert a.covariates["promo"].tolist() == [1.0, 0.0, 0.0]
    b = panel.series_by_id()["B"]  # rows were out of order in the file
    assert b.quantity.tolist() == [4.0, 5.0, 6.0]
    assert b.covariates["holiday"].tolist() == [1.0, 0.0, 0.0]
    assert seasonal_period(panel.freq) == 52


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        (pd.date_range("2023-01-01", periods=30, freq="D"), "D"),
        (pd.date_range("2023-01-03", periods=10, freq="W-TUE"), "W-TUE"),
        (pd.date_range("2023-01-01", periods=14, freq="MS"), "MS"),
        (pd.date_range("2023-01-31", periods=14, freq="ME"), "ME"),
        (pd.date_range("2020-01-01", periods=9, freq="QS"), "QS"),
        (pd.date_range("2020-03-31", periods=9, freq="QE"), "QE"),
        (pd.date_range("2020-02-01", periods=9, freq="QS-FEB"), "QS-FEB"),
        (pd.date_range("2010-01-01", periods=6, freq="YS"), "YS"),
        (pd.date_range("2010-12-31", periods=6, freq="YE"), "YE"),
        (pd.date_range("2010-06-30", periods=6, freq="YE-JUN"), "YE-JUN"),
    ],
)
def test_infer_freq(dates: pd.DatetimeIndex, expected: str) -> None:
    assert infer_freq(dates) == expected
    assert infer_freq([d.date().isoformat() for d in dates]) == expected  # strings too


def test_infer_freq_uses_the_most_common_spacing_despite_gaps() -> None:
    dates = pd.date_range("2023-01-01", periods=12, freq="MS").delete([3, 7])
    assert infer_freq(dates) == "MS"


def test_infer_freq_irregular_is_a_clear_error() -> None:
    with pytest.raises(DataError) as exc:
        infer_freq(["2024-01-01", "2024-01-11", "2024-01-21", "2024-02-01"])
    assert "irregular" in str(exc.value) and "10 days" in str(exc.value) and "--freq" in str(exc.value)
    with pytest.raises(DataError, match="first or the last day of a month"):
        infer_freq(["2024-01-15", "2024-02-15", "2024-03-15"])
    with pytest.raises(DataError, match="no series has two dates"):
        infer_freq(["2024-01-15"])


def test_monthly_and_daily_files(tmp_path: Path) -> None:
    monthly = "\n".join([HEADER] + [f"2023-{m:02d}-01,S1,{m}" for m in range(1, 13)]) + "\n"
    panel = read_sales_file(_write(tmp_path, monthly, "m.csv"))
    assert panel.freq == "MS"
    assert seasonal_period(panel.freq) == 12
    assert panel.series[0].quantity.tolist() == [float(m) for m in range(1, 13)]
    daily = "\n".join([HEADER] + [f"2024-02-{d:02d},S1,{d}" for d in range(1, 29)]) + "\n"
    panel = read_sales_file(_write(tmp_path, daily, "d.csv"))
    assert panel.freq == "D"
    assert seasonal_period(panel.freq) == 7
    assert len(panel.series[0].dates) == 28


@pytest.mark.parametrize(
    ("freq", "period"), [("D", 7), ("B", 5), ("W-MON", 52), ("MS", 12), ("ME", 12), ("QS", 4), ("YE", 1)]
)
def test_seasonal_period(freq: str, period: int) -> None:
    assert seasonal_period(freq) == period


def test_missing_required_columns_say_what_was_found(tmp_path: Path) -> None:
    path = _write(tmp_path, "day,product,units_sold\n2024-01-01,A,3\n")
    with pytest.raises(DataError) as exc:
        read_sales_file(path)
    message = one_problem(exc, "missing required column(s) date, series_id")
    assert "found day, product, units_sold" in message
    assert "--column date=" in message
    assert str(path) in str(exc.value)


def test_column_mapping_and_aliases(tmp_path: Path) -> None:
    path = _write(tmp_path, "Day,Product,units_sold,Unit Price\n2024-01-01,A,3,1.5\n2024-01-02,A,4,1.5\n")
    panel = read_sales_file(path, column_map={"date": "Day", "series_id": "Product", "price": "Unit Price"})
    assert panel.freq == "D"
    assert panel.covariates == ["price"]  # mapped covariate takes its canonical name
    assert panel.series[0].series_id == "A"
    assert panel.series[0].quantity.tolist() == [3.0, 4.0]  # units_sold is a known alias of quantity
    with pytest.raises(DataError) as exc:
        read_sales_file(path, column_map={"date": "When", "series_id": "Product"})
    assert "--column date=When: no such column" in one_problem(exc, "When")


def test_unparseable_dates_name_series_row_and_column(tmp_path: Path) -> None:
    text = f"{HEADER}\n2024-01-01,A,1\n2024-01-08,A,2\nnot-a-date,A,3\n2024-01-01,B,1\n,B,2\n2024-01-08,B,2\n"
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, text))
    assert one_problem(exc, "row 3") == "row 3, column 'date': series 'A': 'not-a-date' is not a date; use YYYY-MM-DD"
    assert one_problem(exc, "row 5") == "row 5, column 'date': series 'B': is empty (need a date)"
    assert len(exc.value.problems) == 2  # no gap reported for series whose dates are not all known


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("abc", "'abc' is not a number"),
        ("-2", "-2 is negative"),
        ("", "is empty (need a number)"),
        ("NaN", "is 'NaN', a missing value (need a number)"),
        ("inf", "'inf' is not a finite number"),
    ],
)
def test_bad_quantities(tmp_path: Path, cell: str, expected: str) -> None:
    text = f"{HEADER}\n2024-01-01,A,1\n2024-01-02,A,{cell}\n2024-01-03,A,3\n"
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, text))
    message = one_problem(exc, expected)
    assert message.startswith("row 2, column 'quantity': series 'A': ")
    assert len(exc.value.problems) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            f"{HEADER}\n2024-01-01,A,1\n2024-01-02,A,2\n2024-01-01,B,3\n2024-01-02,A,9\n",
            ["row 4, column 'date': series 'A': duplicate date 2024-01-02 (first at row 2)"],
            id="duplicated series-date pairs",
        ),
        pytest.param(
            f"{HEADER},price\n2024-01-01,A,1,2.0\n2024-01-02,A,2,cheap\n2024-01-03,A,3,2.5\n2024-01-04,A,3,\n",
            [
                "row 2, column 'price': series 'A': 'cheap' is not a number",
                "row 4, column 'price': series 'A': is empty (need a number)",
            ],
            id="non-numeric covariate values",
        ),
        pytest.param(
            f"{HEADER}\n2024-01-01,A,1\n2024-01-08,A,2\n2024-01-16,A,3\n2024-01-22,A,4\n",
            [
                "row 3, column 'date': series 'A': 2024-01-16 (Tuesday) is not on the W-MON grid; "
                "the nearest grid dates are 2024-01-15 and 2024-01-22"
            ],
            id="misaligned date in a weekly series",
        ),
        pytest.param(
            f"{HEADER},promo\n2024-01-01,A,x,1\n2024-01-08,A,2,maybe\n2024-01-08,A,3,0\n2024-01-01,,4,0\n",
            [
                "row 4, column 'series_id': is empty (need a series id)",
                "row 1, column 'quantity': series 'A': 'x' is not a number",
                "row 2, column 'promo': series 'A': 'maybe' is not a number",
                "row 3, column 'date': series 'A': duplicate date 2024-01-08 (first at row 2)",
            ],
            id="every problem collected in one error",
        ),
    ],
)
def test_refused_files_name_every_problem(tmp_path: Path, text: str, expected: list[str]) -> None:
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, text))
    assert problems(exc) == expected
    assert f"{len(expected)} problem{'s' if len(expected) > 1 else ''} found" in str(exc.value)


def test_non_numeric_extra_column_is_reported_by_name(tmp_path: Path) -> None:
    text = f"{HEADER},store,price\n2024-01-01,A,1,North,2.0\n2024-01-02,A,2,South,2.0\n"
    path = _write(tmp_path, text)
    with pytest.raises(DataError) as exc:
        read_sales_file(path)
    message = one_problem(exc, "'store'")
    assert "not numeric" in message and "'North' at row 1" in message
    assert "drop it" in message and "--covariates" in message
    without_store = f"{HEADER},price\n2024-01-01,A,1,2.0\n2024-01-02,A,2,2.0\n"
    assert read_sales_file(_write(tmp_path, without_store, "ok.csv")).covariates == ["price"]


def test_explicit_covariates_reject_unlisted_and_missing_columns(tmp_path: Path) -> None:
    text = f"{HEADER},price,promo\n2024-01-01,A,1,2.0,0\n2024-01-02,A,2,2.0,1\n"
    path = _write(tmp_path, text)
    panel = read_sales_file(path, covariates=["price", "promo"])
    assert panel.covariates == ["price", "promo"]
    with pytest.raises(DataError) as exc:
        read_sales_file(path, covariates=["price", "holiday"])
    assert "column 'promo' is neither required nor a requested covariate" in one_problem(exc, "'promo'")
    assert "--covariates" in one_problem(exc, "'promo'")
    assert "covariate 'holiday' not found" in one_problem(exc, "'holiday'")
    assert len(exc.value.problems) == 2


GAPPY = """date,series_id,quantity,price
2024-01-01,A,10,1.0
2024-01-08,A,20,2.0
2024-01-29,A,50,5.0
2024-01-01,B,1,1.0
2024-01-08,B,2,1.0
2024-01-15,B,3,1.0
"""


def test_gaps_are_refused_by_default(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, GAPPY))
    message = one_problem(exc, "series 'A'")
    assert message.startswith("column 'date': series 'A' has 2 missing periods (W-MON)")
    assert "the first on 2024-01-15" in message
    assert "--fill zero|interpolate|ffill" in message
    assert len(exc.value.problems) == 1  # B has no gap


@pytest.mark.parametrize(
    ("fill", "expected"),
    [
        ("zero", [10.0, 20.0, 0.0, 0.0, 50.0]),
        ("interpolate", [10.0, 20.0, 30.0, 40.0, 50.0]),
        ("ffill", [10.0, 20.0, 20.0, 20.0, 50.0]),
    ],
)
def test_fill_policies(tmp_path: Path, fill: str, expected: list[float]) -> None:
    panel = read_sales_file(_write(tmp_path, GAPPY), fill=fill)  # type: ignore[arg-type]
    a = panel.series_by_id()["A"]
    assert list(a.dates) == list(pd.date_range("2024-01-01", "2024-01-29", freq="W-MON"))
    assert a.quantity.tolist() == expected
    assert a.covariates["price"].tolist() == [1.0, 2.0, 2.0, 2.0, 5.0]  # covariates carried forward
    assert panel.series_by_id()["B"].quantity.tolist() == [1.0, 2.0, 3.0]
    assert panel.warnings == [
        f"filled 2 missing points with fill={fill} (covariates carried forward) in 1 series: A (2)"
    ]


def test_explicit_freq(tmp_path: Path) -> None:
    path = _write(tmp_path, WEEKLY)
    assert read_sales_file(path, freq="W-MON").freq == "W-MON"
    with pytest.raises(DataError) as exc:
        read_sales_file(path, freq="MS")
    message = one_problem(exc, "--freq MS does not match the data")
    assert "not on it" in message and "looks like 'W-MON'" in message
    with pytest.raises(DataError) as exc:
        read_sales_file(path, freq="D")
    assert "7 periods apart" in one_problem(exc, "--freq D does not match the data")
    with pytest.raises(DataError) as exc:
        read_sales_file(path, freq="every tuesday")
    assert "not a pandas frequency alias" in one_problem(exc, "--freq every tuesday")


def test_min_length_after_filling(tmp_path: Path) -> None:
    path = _write(tmp_path, GAPPY)
    assert len(read_sales_file(path, fill="zero", min_length=3).series) == 2
    with pytest.raises(DataError) as exc:
        read_sales_file(path, fill="zero", min_length=4)
    assert problems(exc) == ["series 'B' has 3 points, fewer than the minimum of 4; drop it or add more history"]
    with pytest.raises(DataError) as exc:
        read_sales_file(path, fill="zero", min_length=6)
    assert problems(exc) == [
        "series 'A' has 5 points after filling, fewer than the minimum of 6; drop it or add more history",
        "series 'B' has 3 points, fewer than the minimum of 6; drop it or add more history",
    ]


def test_empty_and_header_only_files(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, "", "empty.csv"))
    assert "the file is empty" in str(exc.value)
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, HEADER + "\n", "header.csv"))
    assert "no data rows" in str(exc.value)
    with pytest.raises(DataError, match="file not found"):
        read_sales_file(tmp_path / "nope.csv")


def test_gzip_input(tmp_path: Path) -> None:
    path = tmp_path / "sales.csv.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(WEEKLY)
    panel = read_sales_file(path)
    assert panel.freq == "W-MON"
    assert panel.series_by_id()["A"].quantity.tolist() == [10.0, 12.0, 7.0]


def test_frame_with_typed_columns() -> None:
    frame = pd.DataFrame(
        {
            "date": [date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1)],
            "series_id": [12, 12, 12],
            "quantity": [1, 2, 3],
            "promo": [True, False, True],
        }
    )
    panel = sales_panel_from_frame(frame, source="request")
    assert panel.freq == "MS"
    assert panel.series[0].series_id == "12"
    assert panel.series[0].covariates["promo"].tolist() == [1.0, 0.0, 1.0]
    bad = _frame([("2024-01-01", "A", "1")])
    with pytest.raises(DataError, match="request: 1 problem found"):
        sales_panel_from_frame(bad, source="request")


def test_malformed_csv_rows_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, f"{HEADER}\n2024-01-01,A,1\n2024-01-02,A,2,3\n", "mixed.csv"))
    assert problems(exc) == [
        "row 2: 4 fields but the header has 3 (an unquoted delimiter in a value, or a missing header name?)"
    ]
    with pytest.raises(DataError) as exc:
        read_sales_file(_write(tmp_path, f"{HEADER}\n2024-01-01,A,1,5\n2024-01-02,A,2,3\n", "longer.csv"))
    assert problems(exc)[0].startswith("row 1: 4 fields but the header has 3")
    # A trailing delimiter leaves an empty unnamed column: dropped with a warning, not refused.
    panel = read_sales_file(_write(tmp_path, f"{HEADER},\n2024-01-01,A,1,\n2024-01-02,A,2,\n", "trailing.csv"))
    assert panel.covariates == []
    assert panel.warnings == ["ignored 1 empty column(s) without a header"]
