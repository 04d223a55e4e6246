"""The REST API served on loopback, and the malformed requests and uploads sent to it."""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from eval.suites.reliability.input.cases import GOOD_REVIEWS, REVIEW_HEADER, Case, nested_json, random_bytes
from eval.suites.reliability.input.outcomes import CASE_TIMEOUT_S, Outcome, changed, fingerprint, first_line

UPLOAD_LIMIT_MB = 5


ESCAPE_TARGET = Path("/tmp/reliability-escape.csv")  # noqa: S108 - where a ../ upload name would land; checked, never written


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
            post_raw("/v1/reviews", b'{"rows": [{"text": ' + nested_json(100_000).encode() + b"}]}"),
            quick=True,
        ),
        Request(
            "deeply nested JSON body (ask)", post_raw("/v1/ask", b'{"message": ' + nested_json(100_000).encode() + b"}")
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
        Request("binary body as JSON", post_raw("/v1/reviews", random_bytes(5000))),
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
        return f"{status}", first_line(response.text), False
    if status < 400:
        return "accepted", f"{status}", False
    problem = "application/problem+json" in response.headers.get("content-type", "")
    detail = str(response.json().get("detail", "")) if problem else response.text
    return "refused", f"{status}: {first_line(detail)}", problem and bool(detail)


def _job_verdict(client: httpx.Client, job: dict[str, Any], request: Request) -> tuple[str, str, bool]:
    deadline = time.monotonic() + CASE_TIMEOUT_S
    while job.get("status") not in ("succeeded", "failed", "interrupted"):
        if time.monotonic() > deadline:
            return "timeout", f"job {job.get('status')} after {CASE_TIMEOUT_S:.0f} s", False
        time.sleep(0.2)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    if job["status"] != "failed":
        return f"job {job['status']}", first_line(json.dumps(job.get("result"))), False
    error = str(job.get("error") or "")
    leaks = "/uploads/" in error or "job-" in error
    python_error = re.match(r"^[A-Z]\w*(Error|Exception)\b", error) is not None
    return "refused", "job failed: " + first_line(error), bool(error) and not leaks and not python_error


def _uploads_left(workspace: Path) -> bool:
    folder = workspace / "uploads"
    return folder.exists() and any(folder.iterdir())


def file_upload_request(case: Case, path: Path) -> Request:
    return Request(case.name, upload(path, path.name), upload=True, quick=case.quick)
