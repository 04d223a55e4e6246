"""The bad inputs: malformed files (reviews, sales, transactions), each a `Case` that writes itself under a folder."""

from __future__ import annotations

import functools
import gzip
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

HUGE_LINE_BYTES = 50_000_000
BOMB_BYTES = 2_000_000_000  # a gzip member of repeated rows, concatenated: expands to this
BOMB_LINE_BYTES = 1_000_000_000  # one line with no end


Writer = Callable[[Path], Path]  # writes a case's input under a folder; returns the path to hand over


REVIEW_HEADER = "review_id,product_id,rating,text,date"
GOOD_REVIEWS = [
    "X0001,1001,5,Lovely breathable linen; true to size,2025-05-01",
    "X0002,1002,2,The seams came apart after one wash,2025-05-02",
    "X0003,1001,4,Comfortable and cool on hot days,2025-05-03",
]


def _text(name: str, body: str, encoding: str = "utf-8") -> Writer:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(body.encode(encoding))
        return path

    return write


def _bytes(name: str, body: bytes) -> Writer:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(body)
        return path

    return write


def _reviews_csv(name: str, rows: Sequence[str], header: str = REVIEW_HEADER, encoding: str = "utf-8") -> Writer:
    return _text(name, "\n".join([header, *rows]) + "\n", encoding)


def _huge_line(name: str, prefix: bytes, suffix: bytes = b"\n") -> Writer:
    """A file with one line of HUGE_LINE_BYTES (written in chunks, never held in memory)."""

    def write(folder: Path) -> Path:
        path = folder / name
        chunk = b"a" * 1_000_000
        with path.open("wb") as handle:
            handle.write(prefix)
            for _ in range(HUGE_LINE_BYTES // len(chunk)):
                handle.write(chunk)
            handle.write(suffix)
        return path

    return write


def _bomb(name: str, head: bytes, repeated: bytes, total: int) -> Writer:
    """A .gz expanding to about `total` bytes: `head`, then `repeated` over and over. Built from one compressed
    member of 16 MB, concatenated (gzip allows many members), so writing it takes no time."""

    def write(folder: Path) -> Path:
        path = folder / name
        block = repeated * max(1, 16_000_000 // len(repeated))
        member = gzip.compress(block, compresslevel=9)
        with path.open("wb") as handle:
            handle.write(gzip.compress(head))
            for _ in range(total // len(block)):
                handle.write(member)
        return path

    return write


def _symlink(name: str, target: str | Callable[[Path], Path]) -> Writer:
    def write(folder: Path) -> Path:
        path = folder / name
        path.unlink(missing_ok=True)
        path.symlink_to(target(folder) if callable(target) else target)
        return path

    return write


def _directory(name: str) -> Writer:
    def write(folder: Path) -> Path:
        path = folder / name
        path.mkdir(exist_ok=True)
        return path

    return write


def _outside(folder: Path) -> Path:
    """A path that climbs out of the cases folder with ../ to a file that is not a review file."""
    return folder / ("../" * len(folder.resolve().parts)) / "etc" / "passwd"


def _truncated_gzip(header: str) -> bytes:
    """2,000 distinct reviews, gzipped, cut in the middle of the compressed stream."""
    rng = random.Random(9)
    rows = [f"T{i:05d},1001,{1 + i % 5},{' '.join(rng.choices(QUALITY_WORDS, k=12))}," for i in range(2000)]
    data = gzip.compress(("\n".join([header, *rows]) + "\n").encode())
    return data[: len(data) // 2]


QUALITY_WORDS = (
    "soft",
    "warm",
    "light",
    "thin",
    "sturdy",
    "bright",
    "dull",
    "loose",
    "snug",
    "cheap",
    "lovely",
    "fine",
)


def nested_json(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def random_bytes(size: int) -> bytes:
    return random.Random(8).randbytes(size)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + random_bytes(2000)


def _sales_rows(weeks: int = 30, start: str = "2025-01-06", quantity: Callable[[int, int], str] | None = None) -> str:
    import pandas as pd

    dates = pd.date_range(start, periods=weeks, freq="W-MON")
    rows = ["date,series_id,quantity"]
    for series in ("A", "B"):
        for i, day in enumerate(dates):
            value = quantity(i, ord(series)) if quantity else str(10 + (i * 7 + ord(series)) % 13)
            rows.append(f"{day.date()},{series},{value}")
    return "\n".join(rows) + "\n"


def _transactions_rows(amount: Callable[[int], str] | None = None, start_day: int = 0) -> str:
    import pandas as pd

    rows = ["transaction_id,customer_id,date,amount"]
    first = pd.Timestamp("2025-01-01") + pd.Timedelta(days=start_day)
    for i in range(400):
        day = first + pd.Timedelta(days=(i * 37) % 330)
        rows.append(f"T{i:05d},C{i % 60:03d},{day.date()},{amount(i) if amount else f'{20 + i % 50}.00'}")
    return "\n".join(rows) + "\n"


@dataclass(frozen=True)
class Case:
    """One malformed input. `kind`: what reads it (reviews, sales, transactions). `interfaces`: which of cli,
    python, rest it goes through. `expect`: "refuse", or "warn" (refusing, or accepting with a warning that
    says what is odd, both pass). `isolate`: run the Python call in a subprocess (it could exhaust memory)."""

    name: str
    kind: str
    write: Writer
    interfaces: tuple[str, ...] = ("python", "cli", "rest")
    expect: str = "refuse"
    isolate: bool = False
    quick: bool = False


def file_cases() -> list[Case]:
    header = REVIEW_HEADER
    # Each list names its kind, and the interfaces its files go through, once
    review_case = functools.partial(Case, kind="reviews")
    sales_case = functools.partial(Case, kind="sales", interfaces=("python", "cli"))
    transactions_case = functools.partial(Case, kind="transactions", interfaces=("python", "cli"))
    reviews = [
        review_case(
            "wrong columns (no text column)",
            write=_reviews_csv("wrong_columns.csv", ["1001,5,nice"], "sku,score,opinion"),
            quick=True,
        ),
        review_case(
            "wrong types (rating five, 7, 3.5)",
            write=_reviews_csv("wrong_types.csv", ["X1,1001,five,ok,", "X2,1001,7,ok,", "X3,1001,3.5,ok,"]),
        ),
        review_case(
            "latin-1 encoded",
            write=_reviews_csv("latin1.csv", ["X1,1001,5,Très joli café crème,2025-05-01"], encoding="latin-1"),
            quick=True,
        ),
        review_case("UTF-16 encoded", write=_reviews_csv("utf16.csv", GOOD_REVIEWS, encoding="utf-16")),
        review_case(
            "invalid UTF-8 bytes",
            write=_bytes("invalid_bytes.csv", f"{header}\nX1,1001,5,good \xff\xfe value,\n".encode("latin-1")),
        ),
        review_case(
            "a 50 MB single line (CSV)",
            write=_huge_line("huge_line.csv", f"{header}\nX1,1001,5,".encode()),
            isolate=True,
        ),
        review_case(
            "a 50 MB single line (JSONL)",
            write=_huge_line("huge_line.jsonl", b'{"product_id": "1001", "rating": 5, "text": "', b'"}\n'),
            isolate=True,
            quick=True,
        ),
        review_case("empty file (CSV)", write=_bytes("empty.csv", b"")),
        review_case("empty file (JSONL)", write=_bytes("empty.jsonl", b"")),
        review_case("header only", write=_text("header_only.csv", header + "\n"), quick=True),
        review_case(
            "zip bomb: 2 GB of rows (.csv.gz)",
            write=_bomb(
                "bomb.csv.gz", f"{header}\n".encode(), b"X1,1001,5,great value for money,2025-05-01\n", BOMB_BYTES
            ),
            isolate=True,
            quick=True,
        ),
        review_case(
            "zip bomb: a 1 GB line (.jsonl.gz)",
            write=_bomb("bomb_line.jsonl.gz", b'{"text": "', b"a" * 4096, BOMB_LINE_BYTES),
            isolate=True,
        ),
        review_case("deeply nested JSON (100,000 levels)", write=_text("nested.jsonl", nested_json(100_000) + "\n")),
        review_case(
            "deeply nested JSON value",
            write=_text(
                "nested_value.jsonl",
                '{"product_id": "1001", "rating": 5, "text": ' + nested_json(50_000, '"x"') + "}\n",
            ),
        ),
        review_case(
            "NaN and inf ratings",
            write=_reviews_csv(
                "nan_ratings.csv", ["X1,1001,nan,ok,", "X2,1001,inf,ok,", "X3,1001,-inf,ok,", "X4,1001,1e309,ok,"]
            ),
        ),
        review_case("negative ratings", write=_reviews_csv("negative.csv", ["X1,1001,-3,bad,", "X2,1001,-0,bad,"])),
        review_case(
            "dates in the future",
            write=_reviews_csv("future.csv", ["X1,1001,5,From the future,2099-01-01"]),
            expect="warn",
        ),
        review_case(
            "duplicated ids, different content",
            write=_reviews_csv("duplicate_ids.csv", ["X1,1001,5,first,", "X1,1001,1,second,"]),
            quick=True,
        ),
        review_case("binary file renamed .csv", write=_bytes("binary.csv", random_bytes(200_000))),
        review_case("a PNG renamed .csv", write=_bytes("image.csv", PNG)),
        review_case(
            "unclosed quote", write=_reviews_csv("unclosed.csv", ['X1,1001,5,"never closed,', "X2,1001,4,fine,"])
        ),
        review_case("a corrupt .gz", write=_bytes("corrupt.csv.gz", b"\x1f\x8b\x08\x00" + random_bytes(5000))),
        review_case("a truncated .gz", write=_bytes("truncated.csv.gz", _truncated_gzip(header))),
        review_case("JSON lines that are not objects", write=_text("not_objects.jsonl", '[1, 2]\n"text"\n42\nnull\n')),
        review_case("unknown file type (.xlsx)", write=_bytes("reviews.xlsx", b"PK\x03\x04" + random_bytes(1000))),
        review_case("symlink to /dev/zero", write=_symlink("zero.csv", "/dev/zero"), interfaces=("python", "cli")),
        review_case("symlink loop", write=_symlink("loop.csv", lambda f: f / "loop.csv"), interfaces=("python", "cli")),
        review_case("a directory named .csv", write=_directory("folder.csv"), interfaces=("python", "cli")),
        review_case(
            "a path climbing out with ../ (/etc/passwd)", write=_outside, interfaces=("python", "cli"), quick=True
        ),
    ]
    sales = [
        sales_case(
            "wrong columns", write=_text("sales_columns.csv", "when,what,how_many\n2025-01-06,A,3\n"), quick=True
        ),
        sales_case(
            "wrong types (quantity abc)",
            write=_text("sales_types.csv", _sales_rows(quantity=lambda i, s: "abc" if i == 5 else "4")),
        ),
        sales_case(
            "negative quantities",
            write=_text("sales_negative.csv", _sales_rows(quantity=lambda i, s: "-5" if i % 7 == 0 else "4")),
        ),
        sales_case(
            "NaN and inf quantities",
            write=_text("sales_nan.csv", _sales_rows(quantity=lambda i, s: ["nan", "inf", "-inf", "4"][i % 4])),
        ),
        sales_case(
            "dates in the future",
            write=_text("sales_future.csv", _sales_rows(weeks=40, start="2026-09-07")),
            expect="warn",
        ),
        sales_case(
            "duplicated (series, date) rows", write=_text("sales_duplicates.csv", _sales_rows() + "2025-01-06,A,3\n")
        ),
        sales_case("empty file", write=_bytes("sales_empty.csv", b"")),
        sales_case("header only", write=_text("sales_header.csv", "date,series_id,quantity\n")),
        sales_case(
            "zip bomb: a 1 GB line (.csv.gz)",
            write=_bomb("sales_bomb.csv.gz", b"date,series_id,quantity\n2025-01-06,A,", b"9" * 4096, BOMB_LINE_BYTES),
            isolate=True,
            quick=True,
        ),
        sales_case("binary file renamed .csv", write=_bytes("sales_binary.csv", random_bytes(100_000))),
        sales_case(
            "latin-1 encoded", write=_text("sales_latin1.csv", _sales_rows().replace(",A,", ",Café,"), "latin-1")
        ),
    ]
    transactions = [
        transactions_case(
            "wrong columns", write=_text("tx_columns.csv", "who,when,spent\nC1,2025-01-01,3\n"), quick=True
        ),
        transactions_case(
            "wrong types (amount abc)",
            write=_text("tx_types.csv", _transactions_rows(lambda i: "abc" if i == 3 else "5.00")),
        ),
        transactions_case(
            "negative amounts",
            write=_text("tx_negative.csv", _transactions_rows(lambda i: "-20.00" if i % 9 == 0 else "20.00")),
        ),
        transactions_case(
            "NaN and inf amounts",
            write=_text("tx_nan.csv", _transactions_rows(lambda i: ["nan", "inf", "20.00"][i % 3])),
        ),
        transactions_case(
            "dates in the future", write=_text("tx_future.csv", _transactions_rows(start_day=600)), expect="warn"
        ),
        transactions_case(
            "duplicated transaction ids",
            write=_text("tx_duplicates.csv", _transactions_rows() + "T00001,C001,2025-02-01,5.00\n"),
        ),
        transactions_case("empty file", write=_bytes("tx_empty.csv", b"")),
        transactions_case(
            "zip bomb: a 1 GB line (.csv.gz)",
            write=_bomb("tx_bomb.csv.gz", b"transaction_id,customer_id,date,amount\n", b"C" * 4096, BOMB_LINE_BYTES),
            isolate=True,
        ),
        transactions_case("binary file renamed .csv", write=_bytes("tx_binary.csv", random_bytes(100_000))),
        transactions_case("UTF-16 encoded", write=_text("tx_utf16.csv", _transactions_rows(), "utf-16")),
    ]
    return reviews + sales + transactions
