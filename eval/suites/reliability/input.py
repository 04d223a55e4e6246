"""Reliability: bad input (`marketing-agent eval reliability`, issue 8 part 5).

Malformed files and requests, each through every interface it can reach, on one small demo workspace:

- the CLI (`marketing-agent ingest-reviews FILE`, `train-forecaster FILE`, `segment FILE`, run as
  `python -m agent.cli ...` subprocesses): a non-zero exit, a clear message on stderr, never a traceback;
- the Python tools (`ingest_reviews`, `train_forecaster`, `train_segmenter`): a `MarketingAgentError` subclass
  whose message names the file (cases that could exhaust memory run in a subprocess, as the CLI cases do, and
  report their peak memory);
- the REST API (`create_app(ws, keys=False)` served on 127.0.0.1, with the upload limit lowered to 5 MB so an
  oversized upload stays cheap): problem+json 4xx, never a 500; an upload is a job, which must end `failed` with
  a clear error that names the uploaded file (not a server path).

Files: wrong columns and types, bad encodings (latin-1, UTF-16, invalid bytes), 50 MB single lines, empty and
header-only files, zip bombs (.gz expanding to 1-2 GB: the reader must stop early, in bounded memory), deeply
nested JSON, NaN/inf, negative quantities, dates in the future, duplicated ids, binary files renamed .csv,
symlinks, a path through `../`, a directory. Requests: oversized and chunked bodies, nested JSON bodies, path
traversal in upload file names and review ids, huge arguments, NaN in JSON.

After each case every file in the workspace is hashed and compared with before. Excluded, because recording a
refused request is their job: `audit.jsonl`, `sessions.sqlite*` (the agent's memory), `server.sqlite*` (REST jobs
and idempotency keys) and `locks/` (lock files); `uploads/` must be empty afterwards (checked separately).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from core.errors import MarketingAgentError
from eval.demo import demo_workspace
from eval.report import SuiteReport, Table

HUGE_LINE_BYTES = 50_000_000
BOMB_BYTES = 2_000_000_000  # a gzip member of repeated rows, concatenated: expands to this
BOMB_LINE_BYTES = 1_000_000_000  # one line with no end
UPLOAD_LIMIT_MB = 5
CASE_TIMEOUT_S = 180.0
EXCLUDED = re.compile(r"^(audit\.jsonl|sessions\.sqlite.*|server\.sqlite.*|locks/.*|uploads/.*)$")
TRACEBACK = "Traceback (most recent call last)"
WARNED = re.compile(r"future|after today", re.IGNORECASE)  # a warning about dates in the future
ESCAPE_TARGET = Path("/tmp/reliability-escape.csv")  # noqa: S108 - where a ../ upload name would land; checked, never written

Writer = Callable[[Path], Path]  # writes a case's input under a folder; returns the path to hand over


# ---- the inputs ------------------------------------------------------------------------------------------------

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


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


def _random_bytes(size: int) -> bytes:
    return random.Random(8).randbytes(size)


PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452") + _random_bytes(2000)


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
    reviews = [
        Case(
            "wrong columns (no text column)",
            "reviews",
            _reviews_csv("wrong_columns.csv", ["1001,5,nice"], "sku,score,opinion"),
            quick=True,
        ),
        Case(
            "wrong types (rating five, 7, 3.5)",
            "reviews",
            _reviews_csv("wrong_types.csv", ["X1,1001,five,ok,", "X2,1001,7,ok,", "X3,1001,3.5,ok,"]),
        ),
        Case(
            "latin-1 encoded",
            "reviews",
            _reviews_csv("latin1.csv", ["X1,1001,5,Très joli café crème,2025-05-01"], encoding="latin-1"),
            quick=True,
        ),
        Case("UTF-16 encoded", "reviews", _reviews_csv("utf16.csv", GOOD_REVIEWS, encoding="utf-16")),
        Case(
            "invalid UTF-8 bytes",
            "reviews",
            _bytes("invalid_bytes.csv", f"{header}\nX1,1001,5,good \xff\xfe value,\n".encode("latin-1")),
        ),
        Case(
            "a 50 MB single line (CSV)",
            "reviews",
            _huge_line("huge_line.csv", f"{header}\nX1,1001,5,".encode()),
            interfaces=("python", "cli", "rest"),
            isolate=True,
        ),
        Case(
            "a 50 MB single line (JSONL)",
            "reviews",
            _huge_line("huge_line.jsonl", b'{"product_id": "1001", "rating": 5, "text": "', b'"}\n'),
            isolate=True,
            quick=True,
        ),
        Case("empty file (CSV)", "reviews", _bytes("empty.csv", b"")),
        Case("empty file (JSONL)", "reviews", _bytes("empty.jsonl", b"")),
        Case("header only", "reviews", _text("header_only.csv", header + "\n"), quick=True),
        Case(
            "zip bomb: 2 GB of rows (.csv.gz)",
            "reviews",
            _bomb("bomb.csv.gz", f"{header}\n".encode(), b"X1,1001,5,great value for money,2025-05-01\n", BOMB_BYTES),
            isolate=True,
            quick=True,
        ),
        Case(
            "zip bomb: a 1 GB line (.jsonl.gz)",
            "reviews",
            _bomb("bomb_line.jsonl.gz", b'{"text": "', b"a" * 4096, BOMB_LINE_BYTES),
            isolate=True,
        ),
        Case("deeply nested JSON (100,000 levels)", "reviews", _text("nested.jsonl", _nested(100_000) + "\n")),
        Case(
            "deeply nested JSON value",
            "reviews",
            _text(
                "nested_value.jsonl", '{"product_id": "1001", "rating": 5, "text": ' + _nested(50_000, '"x"') + "}\n"
            ),
        ),
        Case(
            "NaN and inf ratings",
            "reviews",
            _reviews_csv(
                "nan_ratings.csv", ["X1,1001,nan,ok,", "X2,1001,inf,ok,", "X3,1001,-inf,ok,", "X4,1001,1e309,ok,"]
            ),
        ),
        Case("negative ratings", "reviews", _reviews_csv("negative.csv", ["X1,1001,-3,bad,", "X2,1001,-0,bad,"])),
        Case(
            "dates in the future",
            "reviews",
            _reviews_csv("future.csv", ["X1,1001,5,From the future,2099-01-01"]),
            expect="warn",
        ),
        Case(
            "duplicated ids, different content",
            "reviews",
            _reviews_csv("duplicate_ids.csv", ["X1,1001,5,first,", "X1,1001,1,second,"]),
            quick=True,
        ),
        Case("binary file renamed .csv", "reviews", _bytes("binary.csv", _random_bytes(200_000))),
        Case("a PNG renamed .csv", "reviews", _bytes("image.csv", PNG)),
        Case(
            "unclosed quote", "reviews", _reviews_csv("unclosed.csv", ['X1,1001,5,"never closed,', "X2,1001,4,fine,"])
        ),
        Case("a corrupt .gz", "reviews", _bytes("corrupt.csv.gz", b"\x1f\x8b\x08\x00" + _random_bytes(5000))),
        Case("a truncated .gz", "reviews", _bytes("truncated.csv.gz", _truncated_gzip(header))),
        Case("JSON lines that are not objects", "reviews", _text("not_objects.jsonl", '[1, 2]\n"text"\n42\nnull\n')),
        Case("unknown file type (.xlsx)", "reviews", _bytes("reviews.xlsx", b"PK\x03\x04" + _random_bytes(1000))),
        Case("symlink to /dev/zero", "reviews", _symlink("zero.csv", "/dev/zero"), interfaces=("python", "cli")),
        Case("symlink loop", "reviews", _symlink("loop.csv", lambda f: f / "loop.csv"), interfaces=("python", "cli")),
        Case("a directory named .csv", "reviews", _directory("folder.csv"), interfaces=("python", "cli")),
        Case(
            "a path climbing out with ../ (/etc/passwd)", "reviews", _outside, interfaces=("python", "cli"), quick=True
        ),
    ]
    sales = [
        Case(
            "wrong columns",
            "sales",
            _text("sales_columns.csv", "when,what,how_many\n2025-01-06,A,3\n"),
            ("python", "cli"),
            quick=True,
        ),
        Case(
            "wrong types (quantity abc)",
            "sales",
            _text("sales_types.csv", _sales_rows(quantity=lambda i, s: "abc" if i == 5 else "4")),
            ("python", "cli"),
        ),
        Case(
            "negative quantities",
            "sales",
            _text("sales_negative.csv", _sales_rows(quantity=lambda i, s: "-5" if i % 7 == 0 else "4")),
            ("python", "cli"),
        ),
        Case(
            "NaN and inf quantities",
            "sales",
            _text("sales_nan.csv", _sales_rows(quantity=lambda i, s: ["nan", "inf", "-inf", "4"][i % 4])),
            ("python", "cli"),
        ),
        Case(
            "dates in the future",
            "sales",
            _text("sales_future.csv", _sales_rows(weeks=40, start="2026-09-07")),
            ("python", "cli"),
            expect="warn",
        ),
        Case(
            "duplicated (series, date) rows",
            "sales",
            _text("sales_duplicates.csv", _sales_rows() + "2025-01-06,A,3\n"),
            ("python", "cli"),
        ),
        Case("empty file", "sales", _bytes("sales_empty.csv", b""), ("python", "cli")),
        Case("header only", "sales", _text("sales_header.csv", "date,series_id,quantity\n"), ("python", "cli")),
        Case(
            "zip bomb: a 1 GB line (.csv.gz)",
            "sales",
            _bomb("sales_bomb.csv.gz", b"date,series_id,quantity\n2025-01-06,A,", b"9" * 4096, BOMB_LINE_BYTES),
            ("python", "cli"),
            isolate=True,
            quick=True,
        ),
        Case(
            "binary file renamed .csv", "sales", _bytes("sales_binary.csv", _random_bytes(100_000)), ("python", "cli")
        ),
        Case(
            "latin-1 encoded",
            "sales",
            _text("sales_latin1.csv", _sales_rows().replace(",A,", ",Café,"), "latin-1"),
            ("python", "cli"),
        ),
    ]
    transactions = [
        Case(
            "wrong columns",
            "transactions",
            _text("tx_columns.csv", "who,when,spent\nC1,2025-01-01,3\n"),
            ("python", "cli"),
            quick=True,
        ),
        Case(
            "wrong types (amount abc)",
            "transactions",
            _text("tx_types.csv", _transactions_rows(lambda i: "abc" if i == 3 else "5.00")),
            ("python", "cli"),
        ),
        Case(
            "negative amounts",
            "transactions",
            _text("tx_negative.csv", _transactions_rows(lambda i: "-20.00" if i % 9 == 0 else "20.00")),
            ("python", "cli"),
        ),
        Case(
            "NaN and inf amounts",
            "transactions",
            _text("tx_nan.csv", _transactions_rows(lambda i: ["nan", "inf", "20.00"][i % 3])),
            ("python", "cli"),
        ),
        Case(
            "dates in the future",
            "transactions",
            _text("tx_future.csv", _transactions_rows(start_day=600)),
            ("python", "cli"),
            expect="warn",
        ),
        Case(
            "duplicated transaction ids",
            "transactions",
            _text("tx_duplicates.csv", _transactions_rows() + "T00001,C001,2025-02-01,5.00\n"),
            ("python", "cli"),
        ),
        Case("empty file", "transactions", _bytes("tx_empty.csv", b""), ("python", "cli")),
        Case(
            "zip bomb: a 1 GB line (.csv.gz)",
            "transactions",
            _bomb("tx_bomb.csv.gz", b"transaction_id,customer_id,date,amount\n", b"C" * 4096, BOMB_LINE_BYTES),
            ("python", "cli"),
            isolate=True,
        ),
        Case(
            "binary file renamed .csv",
            "transactions",
            _bytes("tx_binary.csv", _random_bytes(100_000)),
            ("python", "cli"),
        ),
        Case(
            "UTF-16 encoded", "transactions", _text("tx_utf16.csv", _transactions_rows(), "utf-16"), ("python", "cli")
        ),
    ]
    return reviews + sales + transactions


# ---- outcomes ------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    case: str
    kind: str
    interface: str
    outcome: str  # refused | accepted | accepted (warned) | unhandled | traceback | 5xx | timeout | ...
    message: str
    clear: bool
    unchanged: bool | None
    seconds: float
    peak_mb: float | None = None
    expect: str = "refuse"

    @property
    def crashed(self) -> bool:
        return self.outcome in ("unhandled", "traceback", "crashed", "timeout") or self.outcome[:1] == "5"

    @property
    def passed(self) -> bool:
        if self.outcome == "refused":
            return self.clear and self.unchanged is not False
        if self.expect == "either":
            return self.outcome == "accepted"
        return self.expect == "warn" and self.outcome == "accepted (warned)"

    def row(self) -> list[str | int | float | None]:
        unchanged = "-" if self.unchanged is None else ("yes" if self.unchanged else "NO")
        return [self.kind, self.case, self.interface, self.outcome, self.message, unchanged,
                round(self.seconds, 2), self.peak_mb, "yes" if self.passed else "NO"]  # fmt: skip


def fingerprint(workspace: Path) -> dict[str, str]:
    """sha256 of every file in the workspace but the excluded ones (see the module docstring)."""
    hashes = {}
    for path in sorted(workspace.rglob("*")):
        relative = path.relative_to(workspace).as_posix()
        if path.is_file() and not path.is_symlink() and not EXCLUDED.match(relative):
            hashes[relative] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))


def _first_line(text: str, limit: int = 200) -> str:
    """The first two lines of a message, shortened, with undecodable characters shown as "?"."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    line = " / ".join(lines[:2]) if lines else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


# ---- the Python tools ------------------------------------------------------------------------------------------


def call_tool(kind: str, path: Path, workspace: Path) -> Any:
    """The Python tool that reads `kind` files, on `path` (short training budgets: only the reading matters)."""
    if kind == "reviews":
        from tools.reviews import ingest_reviews

        return ingest_reviews(path, workspace=workspace, progress=False)
    if kind == "sales":
        from tools.forecast import train_forecaster

        return train_forecaster(path, horizon=4, max_seconds=3.0, members=1, workspace=workspace, progress=False)
    from tools.segments import train_segmenter

    return train_segmenter(path, max_seconds=3.0, workspace=workspace)


def tool_outcome(kind: str, path: Path, workspace: Path) -> dict[str, Any]:
    """What calling the tool did, as plain data (also printed as JSON by the isolated worker)."""
    try:
        result = call_tool(kind, path, workspace)
    except MarketingAgentError as exc:
        return {"outcome": "refused", "type": type(exc).__name__, "message": str(exc)}
    except Exception as exc:  # the finding
        return {"outcome": "unhandled", "type": type(exc).__name__, "message": str(exc)[:500]}
    warnings = list(getattr(result, "warnings", []) or [])
    return {"outcome": "accepted", "type": "", "message": "; ".join(warnings)}


def isolated_worker() -> None:
    """`python -c "from eval.suites.reliability.input import isolated_worker; isolated_worker()" KIND PATH WORKSPACE`"""
    kind, path, workspace = sys.argv[1:4]
    print(json.dumps(tool_outcome(kind, Path(path), Path(workspace))), flush=True)


@dataclass
class Finished:
    """A subprocess's end: exit code (None if killed at the timeout), output, seconds and peak memory."""

    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float


def run_process(command: Sequence[str], timeout: float = CASE_TIMEOUT_S) -> Finished:
    """Run `command`, killing it (its own process group) after `timeout`; peak RSS from wait4."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command), stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, env=_env()
    )
    out: list[bytes] = []
    err: list[bytes] = []
    readers = [
        threading.Thread(target=lambda: out.append(process.stdout.read() if process.stdout else b""), daemon=True),
        threading.Thread(target=lambda: err.append(process.stderr.read() if process.stderr else b""), daemon=True),
    ]
    for reader in readers:
        reader.start()
    status, peak_kb = _wait(process, started + timeout)
    for reader in readers:
        reader.join(10)
    returncode = None if status is None else os.waitstatus_to_exitcode(status)
    return Finished(
        returncode,
        b"".join(out).decode("utf-8", "replace"),
        b"".join(err).decode("utf-8", "replace"),
        time.monotonic() - started,
        round(peak_kb / 1024, 1),
    )


def _wait(process: subprocess.Popen[bytes], deadline: float) -> tuple[int | None, int]:
    """Wait for `process` (killing its group at `deadline`); its exit status (None if killed) and peak RSS in kB,
    polled from /proc (wait4's figure would count the memory the child shared with this process before exec)."""
    peak = 0
    while True:
        peak = max(peak, _high_water_kb(process.pid))
        pid, status = os.waitpid(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return status, peak
        if time.monotonic() > deadline:
            os.killpg(process.pid, 9)  # our own child's group, by its id
            os.waitpid(process.pid, 0)
            process.returncode = -9
            return None, peak
        time.sleep(0.02)


def _high_water_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _env() -> dict[str, str]:
    return {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "COLUMNS": "200", "NO_COLOR": "1"}


def python_case(case: Case, path: Path, workspace: Path) -> Outcome:
    before = fingerprint(workspace)
    started = time.monotonic()
    peak: float | None = None
    if case.isolate:
        code = "from eval.suites.reliability.input import isolated_worker; isolated_worker()"
        finished = run_process([sys.executable, "-c", code, case.kind, str(path), str(workspace)])
        peak = finished.peak_mb
        result = _parse_worker(finished)
    else:
        result = _watched(lambda: tool_outcome(case.kind, path, workspace))
    seconds = time.monotonic() - started
    unchanged = not changed(before, fingerprint(workspace))
    outcome, message = _python_verdict(result, path, case)
    clear = outcome == "refused" and path.name in result["message"]
    return Outcome(case.name, case.kind, "Python", outcome, message, clear, unchanged, seconds, peak, case.expect)


def _parse_worker(finished: Finished) -> dict[str, Any]:
    if finished.returncode is None:
        return {"outcome": "timeout", "type": "", "message": f"still running after {finished.seconds:.0f} s"}
    for line in reversed(finished.stdout.splitlines()):
        if line.startswith("{"):
            return dict(json.loads(line))
    return {"outcome": "crashed", "type": "", "message": _first_line(finished.stderr) or f"exit {finished.returncode}"}


def _watched(work: Callable[[], dict[str, Any]], timeout: float = CASE_TIMEOUT_S) -> dict[str, Any]:
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(work()), daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return {"outcome": "timeout", "type": "", "message": f"still running after {timeout:.0f} s"}
    return box


def _python_verdict(result: dict[str, Any], path: Path, case: Case) -> tuple[str, str]:
    message = _first_line(result["message"])
    if result["outcome"] == "accepted":
        warned = bool(WARNED.search(result["message"]))
        return ("accepted (warned)" if warned else "accepted"), message or "no warning"
    if result["outcome"] == "refused":
        return "refused", f"{result['type']}: {message}"
    return result["outcome"], f"{result['type']}: {message}".strip(": ")


# ---- the CLI ---------------------------------------------------------------------------------------------------


def cli_command(kind: str, path: Path, workspace: Path) -> list[str]:
    base = [sys.executable, "-m", "agent.cli"]
    if kind == "reviews":
        return [*base, "ingest-reviews", str(path), "--workspace", str(workspace)]
    if kind == "sales":
        return [*base, "train-forecaster", str(path), "--workspace", str(workspace), "--minutes", "0.05", "-H", "4"]
    return [*base, "segment", str(path), "--workspace", str(workspace), "--minutes", "0.05"]


def cli_case(case: Case, path: Path, workspace: Path) -> Outcome:
    before = fingerprint(workspace)
    finished = run_process(cli_command(case.kind, path, workspace))
    unchanged = not changed(before, fingerprint(workspace))
    stderr = finished.stderr
    if finished.returncode is None:
        outcome, message = "timeout", f"still running after {finished.seconds:.0f} s"
    elif TRACEBACK in stderr:
        outcome, message = "traceback", _traceback_line(stderr)
    elif finished.returncode == 0:
        warned = bool(WARNED.search(finished.stdout + stderr))
        outcome, message = ("accepted (warned)" if warned else "accepted"), _first_line(finished.stdout)
    else:
        outcome, message = "refused", _first_line(stderr)
    clear = outcome == "refused" and bool(message) and (path.name in stderr or "Usage" in stderr)
    return Outcome(
        case.name, case.kind, "CLI", outcome, message, clear, unchanged, finished.seconds, finished.peak_mb, case.expect
    )


def _traceback_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return "traceback: " + (lines[-1][:180] if lines else "")


# ---- the REST API --------------------------------------------------------------------------------------------


@contextmanager
def rest_server(workspace: Path) -> Iterator[str]:
    """The REST app on 127.0.0.1 (no keys, no rate limit, uploads up to UPLOAD_LIMIT_MB); yields its URL."""
    from agent.openai_server import serve_app
    from agent.server import create_app

    saved = os.environ.get("MARKETING_AGENT_MAX_UPLOAD_MB")
    os.environ["MARKETING_AGENT_MAX_UPLOAD_MB"] = str(UPLOAD_LIMIT_MB)
    try:
        server = serve_app(create_app(workspace, keys=False, rate_limit_per_minute=0))
    finally:
        if saved is None:
            os.environ.pop("MARKETING_AGENT_MAX_UPLOAD_MB", None)
        else:
            os.environ["MARKETING_AGENT_MAX_UPLOAD_MB"] = saved
    try:
        yield server.url
    finally:
        server.server.should_exit = True
        server.thread.join(10)


@dataclass(frozen=True)
class Request:
    """One REST request: `send(client)` returns the response; `upload`: a file upload (answered by a job)."""

    name: str
    send: Callable[[httpx.Client], httpx.Response]
    upload: bool = False
    quick: bool = False
    expect: str = "refuse"  # or "either": a harmless request may also be answered


def upload(path_or_bytes: Path | bytes, filename: str, **form: Any) -> Callable[[httpx.Client], httpx.Response]:
    def send(client: httpx.Client) -> httpx.Response:
        body = path_or_bytes.read_bytes() if isinstance(path_or_bytes, Path) else path_or_bytes
        return client.post("/v1/reviews/upload", files={"file": (filename, body, "text/csv")}, data=form)

    return send


def post_json(route: str, body: Any) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(route, json=body)


def post_raw(
    route: str, body: bytes, content_type: str = "application/json"
) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post(route, content=body, headers={"Content-Type": content_type})


def post_chunked(route: str, size: int) -> Callable[[httpx.Client], httpx.Response]:
    def chunks() -> Iterator[bytes]:
        yield b'{"rows": [{"text": "'
        for _ in range(size // 65536):
            yield b"a" * 65536
        yield b'"}]}'

    return lambda client: client.post(route, content=chunks(), headers={"Content-Type": "application/json"})


WHAT_IF = b'{"series_ids": ["1001"], "horizon": 4, "what_if": {"promo": %s}}'  # JSON allows no NaN: Python does


def request_cases() -> list[Request]:
    good = ("\n".join([REVIEW_HEADER, *GOOD_REVIEWS]) + "\n").encode()
    bad = ("\n".join([REVIEW_HEADER, "X1,1001,seven,bad rating,"]) + "\n").encode()
    return [
        Request(
            "upload named ../../../../tmp/escape.csv (bad rows)",
            upload(bad, f"../../../..{ESCAPE_TARGET}"),
            upload=True,
            quick=True,
        ),
        Request("upload named '..'", upload(bad, ".."), upload=True),
        Request("upload with a 10,000-character name", upload(bad, "r" * 10_000 + ".csv"), upload=True),
        Request("upload named x.csv%00.sh", upload(bad, "x.csv\x00.sh"), upload=True),
        Request("upload of an .exe", upload(good, "reviews.exe"), upload=True),
        Request(
            f"upload over the limit ({UPLOAD_LIMIT_MB + 1} MB)",
            upload(b"a" * (UPLOAD_LIMIT_MB + 1) * 1_000_000, "big.csv"),
            upload=True,
            quick=True,
        ),
        Request(
            "upload with an unknown column mapping", upload(good, "reviews.csv", column="bogus=review_id"), upload=True
        ),
        Request("JSON body over 1 MB (ask)", post_json("/v1/ask", {"message": "a" * 1_100_000})),
        Request(
            f"JSON rows over the upload limit ({UPLOAD_LIMIT_MB + 1} MB)",
            post_json("/v1/reviews", {"rows": [{"text": "a" * (UPLOAD_LIMIT_MB + 1) * 1_000_000}]}),
        ),
        Request("chunked body over 1 MB (no Content-Length)", post_chunked("/v1/ask", 1_200_000)),
        Request(
            "deeply nested JSON body (rows)",
            post_raw("/v1/reviews", b'{"rows": [{"text": ' + _nested(100_000).encode() + b"}]}"),
            quick=True,
        ),
        Request(
            "deeply nested JSON body (ask)", post_raw("/v1/ask", b'{"message": ' + _nested(100_000).encode() + b"}")
        ),
        Request(
            "NaN rating in JSON rows",
            post_raw("/v1/reviews", b'{"rows": [{"product_id": "1001", "rating": NaN, "text": "ok"}]}'),
        ),
        Request(
            "Infinity in a what-if",
            post_raw(
                "/v1/tools/forecast_sales", b'{"series_ids": ["1001"], "horizon": 4, "what_if": {"promo": Infinity}}'
            ),
            quick=True,
        ),
        Request(
            "NaN in a what-if",
            post_raw("/v1/tools/forecast_sales", WHAT_IF % b"NaN"),
        ),
        Request("rows: []", post_json("/v1/reviews", {"rows": []})),
        Request("rows: not a list", post_json("/v1/reviews", {"rows": "X1,1001,5,ok"})),
        Request(
            "rows of 10,000 fields each", post_json("/v1/reviews", {"rows": [{f"f{i}": i for i in range(10_000)}]})
        ),
        Request("review id with ../ (GET)", lambda client: client.get("/v1/reviews/..%2F..%2F..%2Fetc%2Fpasswd")),
        Request(
            "session id with ../ (an id, never a path: answering is fine)",
            post_json("/v1/ask", {"message": "Forecast the Aurora dress", "session_id": "../../etc/passwd"}),
            expect="either",
        ),
        Request("ask: 100,000 characters", post_json("/v1/ask", {"message": "forecast " * 11_112})),
        Request(
            "forecast horizon 10^6", post_json("/v1/tools/forecast_sales", {"series_ids": ["1001"], "horizon": 10**6})
        ),
        Request("search k = 10^6", post_json("/v1/tools/search_reviews", {"query": "fit", "k": 10**6})),
        Request(
            "ad copy n_variants = 1000",
            post_json("/v1/tools/generate_ad_copy", {"product": "1001", "n_variants": 1000}),
        ),
        Request(
            "segment a server file (/etc/passwd)", post_json("/v1/tools/segment_customers", {"file": "/etc/passwd"})
        ),
        Request("binary body as JSON", post_raw("/v1/reviews", _random_bytes(5000))),
        Request("invalid UTF-8 in JSON", post_raw("/v1/ask", b'{"message": "caf\xe9 \xff"}')),
    ]


def rest_case(client: httpx.Client, request: Request, workspace: Path, kind: str = "request") -> Outcome:
    before = fingerprint(workspace)
    started = time.monotonic()
    try:
        response = request.send(client)
        outcome, message, clear = _rest_verdict(client, response, request)
    except httpx.HTTPError as exc:
        outcome, message, clear = "connection failed", f"{type(exc).__name__}: {exc}"[:200], False
    seconds = time.monotonic() - started
    unchanged = not changed(before, fingerprint(workspace)) and not _uploads_left(workspace)
    return Outcome(request.name, kind, "REST", outcome, message, clear, unchanged, seconds, expect=request.expect)


def _rest_verdict(client: httpx.Client, response: httpx.Response, request: Request) -> tuple[str, str, bool]:
    status = response.status_code
    if status == 202 and request.upload:
        return _job_verdict(client, response.json(), request)
    if status >= 500:
        return f"{status}", _first_line(response.text), False
    if status < 400:
        return "accepted", f"{status}", False
    problem = "application/problem+json" in response.headers.get("content-type", "")
    detail = str(response.json().get("detail", "")) if problem else response.text
    return "refused", f"{status}: {_first_line(detail)}", problem and bool(detail)


def _job_verdict(client: httpx.Client, job: dict[str, Any], request: Request) -> tuple[str, str, bool]:
    deadline = time.monotonic() + CASE_TIMEOUT_S
    while job.get("status") not in ("succeeded", "failed", "interrupted"):
        if time.monotonic() > deadline:
            return "timeout", f"job {job.get('status')} after {CASE_TIMEOUT_S:.0f} s", False
        time.sleep(0.2)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    if job["status"] != "failed":
        return f"job {job['status']}", _first_line(json.dumps(job.get("result"))), False
    error = str(job.get("error") or "")
    leaks = "/uploads/" in error or "job-" in error
    python_error = re.match(r"^[A-Z]\w*(Error|Exception)\b", error) is not None
    return "refused", "job failed: " + _first_line(error), bool(error) and not leaks and not python_error


def _uploads_left(workspace: Path) -> bool:
    folder = workspace / "uploads"
    return folder.exists() and any(folder.iterdir())


def file_upload_request(case: Case, path: Path) -> Request:
    return Request(case.name, upload(path, path.name), upload=True, quick=case.quick)


# ---- the suite -----------------------------------------------------------------------------------------------


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    scratch.mkdir(parents=True, exist_ok=True)
    workspace = _workspace(scratch, console)
    folder = scratch / "cases"
    folder.mkdir()
    cases = [c for c in file_cases() if c.quick or not quick]
    with console.status("Writing the malformed files"):
        paths = {c.name + c.kind: c.write(folder) for c in cases}
    # REST first: the cases accepted with a warning (dates in the future) retrain the workspace's models
    clock = time.perf_counter()
    outcomes = _rest_outcomes(workspace, cases, paths, quick, console)
    seconds = {"REST": time.perf_counter() - clock}
    clock = time.perf_counter()
    for case in cases:
        if "python" in case.interfaces:
            with console.status(f"Python: {case.kind}: {case.name}"):
                outcomes.append(python_case(case, paths[case.name + case.kind], workspace))
    seconds["Python"] = time.perf_counter() - clock
    clock = time.perf_counter()
    for case in cases:
        if "cli" in case.interfaces:
            with console.status(f"CLI: {case.kind}: {case.name}"):
                outcomes.append(cli_case(case, paths[case.name + case.kind], workspace))
    seconds["CLI"] = time.perf_counter() - clock
    escaped = ESCAPE_TARGET.exists()
    _tables(report, outcomes, escaped)
    report.notes.append("Seconds: " + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()) + ".")


def _rest_outcomes(
    workspace: Path, cases: Sequence[Case], paths: dict[str, Path], quick: bool, console: Console
) -> list[Outcome]:
    outcomes = []
    with rest_server(workspace) as url, httpx.Client(base_url=url, timeout=CASE_TIMEOUT_S) as client:
        for case in cases:
            if "rest" in case.interfaces and case.kind == "reviews":
                with console.status(f"REST upload: {case.name}"):
                    request = file_upload_request(case, paths[case.name + case.kind])
                    outcomes.append(rest_case(client, request, workspace, case.kind))
        for request in request_cases():
            if request.quick or not quick:
                with console.status(f"REST: {request.name}"):
                    outcomes.append(rest_case(client, request, workspace))
    return outcomes


def _workspace(scratch: Path, console: Console) -> Path:
    return demo_workspace(
        scratch / "demo", console, reviews=200, customers=150, forecaster_seconds=5, segmenter_seconds=5
    )


def _tables(report: SuiteReport, outcomes: list[Outcome], escaped: bool) -> None:
    report.tables.append(
        Table(
            title="Bad input: every case through every interface it reaches",
            columns=[
                "input",
                "case",
                "interface",
                "outcome",
                "message",
                "workspace unchanged",
                "seconds",
                "peak MB",
                "pass",
            ],
            rows=[o.row() for o in outcomes],
            note=(
                "Pass: refused with a clear message (CLI: non-zero exit, no traceback, the file named; Python: a "
                "MarketingAgentError naming the file; REST: problem+json 4xx, or an upload job that fails with an "
                "error naming the upload and no server path) and the workspace unchanged; for 'dates in the "
                "future', accepting with a warning that says so also passes. Peak MB: the subprocess's peak RSS "
                "(CLI, and Python cases run isolated). Excluded from the workspace hash: audit.jsonl, "
                "sessions.sqlite*, server.sqlite*, locks/, uploads/ (which must be empty afterwards)."
            ),
        )
    )
    summary: list[list[str | int | float | None]] = []
    for interface in sorted({o.interface for o in outcomes}):
        mine = [o for o in outcomes if o.interface == interface]
        summary.append([interface, len(mine), sum(o.passed for o in mine), sum(o.crashed for o in mine)])
    report.tables.append(
        Table(
            title="Bad input by interface",
            columns=["interface", "cases", "passed", "crashed / 5xx / hung"],
            rows=summary,
        )
    )
    passed = sum(o.passed for o in outcomes) / len(outcomes) if outcomes else None
    report.target("bad input: cases refused clearly with the workspace unchanged (share)", passed, at_least=1.0)
    report.target(
        "bad input: tracebacks, unhandled errors, 5xx or hangs", float(sum(o.crashed for o in outcomes)), at_most=0
    )
    dirtied = sum(o.unchanged is False and o.outcome == "refused" for o in outcomes)
    report.target("bad input: workspace changed by a refused case", float(dirtied), at_most=0)
    report.target("bad input: a file written outside the workspace by an upload name", float(escaped), at_most=0)
    peaks = [o.peak_mb for o in outcomes if o.peak_mb is not None and ("bomb" in o.case or "50 MB" in o.case)]
    report.target(
        "bad input: peak memory of a zip bomb or 50 MB line (MB)", max(peaks) if peaks else None, at_most=1500
    )
