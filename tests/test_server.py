"""The REST API on a real server on 127.0.0.1: API keys, /v1/ask, typed tool routes, problem+json errors."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.api_keys import KeyStore
from agent.openai_server import OpenAIServer, serve_app
from agent.server import create_app


@pytest.fixture(scope="module")
def workspace(demo_copy: Path) -> Path:
    return demo_copy


@pytest.fixture(scope="module")
def key(workspace: Path) -> str:
    return KeyStore(workspace).create("crm-test")


@pytest.fixture(scope="module")
def server(workspace: Path, key: str) -> Iterator[OpenAIServer]:
    with serve_app(create_app(workspace)) as running:
        yield running


def call(
    server: OpenAIServer, method: str, path: str, body: Any = None, key: str | None = None
) -> tuple[int, Any, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{server.url}{path}", data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, json.loads(response.read()), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), error.headers.get("content-type", "")


def test_health_needs_no_key(server: OpenAIServer) -> None:
    status, body, _ = call(server, "GET", "/healthz")
    assert status == 200 and body["status"] == "ok"


def test_ask_and_a_follow_up_with_a_key(server: OpenAIServer, key: str) -> None:
    status, body, _ = call(server, "POST", "/v1/ask", {"message": "Forecast the Aurora dress for 8 weeks"}, key)
    assert status == 200 and body["tool_calls"][0]["name"] == "forecast_sales"
    session = body["session_id"]
    status, again, _ = call(server, "POST", "/v1/ask", {"message": "and for next quarter?", "session_id": session}, key)
    assert status == 200 and again["tool_calls"][0]["arguments"]["horizon"] == 13


def test_typed_tool_route(server: OpenAIServer, key: str) -> None:
    status, body, _ = call(server, "POST", "/v1/tools/forecast_sales", {"series_ids": ["1001"], "horizon": 4}, key)
    assert status == 200 and len(body["series"][0]["points"]) == 4
    schema = call(server, "GET", "/openapi.json")[1]
    assert "/v1/tools/search_reviews" in schema["paths"] and "SearchReviewsInput" in schema["components"]["schemas"]


@pytest.mark.parametrize(
    ("path", "body", "status", "words"),
    [
        ("/v1/ask", {"message": ""}, 422, "message"),
        ("/v1/tools/forecast_sales", {"horizon": 0}, 422, "horizon"),
        ("/v1/tools/forecast_sales", {"product": "no such product", "horizon": 4}, 422, "no single product"),
        ("/v1/tools/segment_customers", {"file": "/etc/passwd"}, 422, "can't be set through the API"),
    ],
)
def test_errors_are_problem_json_a_developer_can_act_on(
    server: OpenAIServer, key: str, path: str, body: dict, status: int, words: str
) -> None:
    got, problem, content_type = call(server, "POST", path, body, key)
    assert got == status and content_type.startswith("application/problem+json")
    assert problem["status"] == status and words in problem["detail"]


def test_requests_without_a_valid_key_are_refused(server: OpenAIServer, key: str) -> None:
    for given in (None, "ma_wrong", key + "x"):
        status, problem, content_type = call(server, "POST", "/v1/ask", {"message": "hi"}, given)
        assert status == 401 and content_type.startswith("application/problem+json") and "API key" in problem["detail"]


def test_serve_refuses_to_drop_keys_off_loopback(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "agent.cli", "serve", "--host", "0.0.0.0", "--no-keys", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert out.returncode == 2 and "loopback" in out.stderr and "Traceback" not in out.stderr


# ---- streaming, reviews, ingest jobs, idempotency, limits, the OpenAI mount -----------------------------------


def stream_events(server: OpenAIServer, body: dict[str, Any], key: str) -> list[tuple[str, Any]]:
    request = urllib.request.Request(f"{server.url}/v1/ask/stream", data=json.dumps(body).encode(), method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        text = response.read().decode()
    events = []
    for block in text.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events


def test_ask_stream_relays_tool_steps_then_the_answer(server: OpenAIServer, key: str) -> None:
    events = stream_events(server, {"message": "What do customers complain about for the Aurora dress?"}, key)
    kinds = [kind for kind, _ in events]
    assert kinds[:2] == ["call", "call"] and kinds[-1] == "done" and "answer" in kinds
    assert [events[0][1]["status"], events[1][1]["status"]] == ["running", "ok"]
    assert events[0][1]["name"] == "search_reviews"
    done = events[-1][1]
    assert "".join(data["text"] for kind, data in events if kind == "answer") == done["answer"]
    assert done["citations"] and done["tool_calls"][0]["result"]["hits"]


def test_a_cited_review_can_be_fetched(server: OpenAIServer, key: str) -> None:
    status, body, _ = call(
        server, "POST", "/v1/ask", {"message": "What do customers complain about for the Aurora dress?"}, key
    )
    cited = body["citations"][0]
    status, review, _ = call(server, "GET", f"/v1/reviews/{cited['review_id']}", key=key)
    assert status == 200 and review["review_id"] == cited["review_id"] and review["text"]
    status, missing, content_type = call(server, "GET", "/v1/reviews/no-such-review", key=key)
    assert (
        status == 404 and content_type.startswith("application/problem+json") and "no-such-review" in missing["detail"]
    )


def post(
    server: OpenAIServer, path: str, data: bytes, headers: dict[str, str], timeout: float = 120
) -> tuple[int, Any, dict[str, str]]:
    request = urllib.request.Request(f"{server.url}{path}", data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read()), dict(error.headers)


def test_ingest_rows_once_per_idempotency_key(server: OpenAIServer, key: str, workspace: Path) -> None:
    rows = {"rows": [{"review_id": "API-1", "product_id": "1001", "rating": 1, "text": "The zip broke on day two."}]}
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {key}", "Idempotency-Key": "ingest-1"}
    status, first, _ = post(server, "/v1/reviews", json.dumps(rows).encode(), headers)
    assert status == 200 and first["added"] == 1 and first["source"] == "request"
    status, again, replayed = post(server, "/v1/reviews", json.dumps(rows).encode(), headers)
    assert status == 200 and again == first and replayed.get("idempotent-replayed") == "true"
    other = {"rows": [{**rows["rows"][0], "rating": 2}]}
    status, conflict, _ = post(server, "/v1/reviews", json.dumps(other).encode(), headers)
    assert status == 422 and "different request" in conflict["detail"]
    status, review, _ = call(server, "GET", "/v1/reviews/API-1", key=key)
    assert status == 200 and review["rating"] == 1


def test_invalid_rows_store_nothing_and_say_which(server: OpenAIServer, key: str, workspace: Path) -> None:
    from tools.reviews import review_store

    before = review_store(workspace).count()
    rows = {
        "rows": [{"product_id": "1001", "rating": 1, "text": "fine"}, {"product_id": "1001", "rating": 9, "text": "x"}]
    }
    status, problem, _ = call(server, "POST", "/v1/reviews", rows, key)
    assert status == 422 and problem["problems"] == ["row 2, column 'rating': 9 is outside 1-5 or not a whole number"]
    assert '"skip_invalid": true' in problem["detail"] and review_store(workspace).count() == before


def multipart(name: str, content: bytes, *fields: tuple[str, str]) -> tuple[bytes, str]:
    """A multipart/form-data body: form `fields`, then `content` as the file `name`."""
    boundary = "marketing-agent-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"\r\n\r\n{value}\r\n'.encode()
        for field, value in fields
    ]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'
    parts.append(head.encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def wait_for_job(server: OpenAIServer, job_id: str, key: str, timeout: float = 180) -> dict[str, Any]:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, job, _ = call(server, "GET", f"/v1/jobs/{job_id}", key=key)
        assert status == 200
        if job["status"] not in ("queued", "running"):
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def test_an_uploaded_file_is_ingested_as_a_job(server: OpenAIServer, key: str, workspace: Path) -> None:
    lines = ["stars,product_id,body"] + [
        f"{1 + i % 5},1002,Upload review {i}: the seams held up fine." for i in range(40)
    ]
    content = "\n".join(lines).encode()
    body, content_type = multipart("../../crm export.csv", content, ("column", "rating=stars"), ("column", "text=body"))
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {key}", "Idempotency-Key": "upload-1"}
    status, job, response_headers = post(server, "/v1/reviews/upload", body, headers)
    assert status == 202 and response_headers["location"] == f"/v1/jobs/{job['id']}"
    status, replay, _ = post(server, "/v1/reviews/upload", body, headers)
    assert status == 202 and replay["id"] == job["id"]
    finished = wait_for_job(server, job["id"], key)
    assert finished["status"] == "succeeded", finished
    assert finished["progress"] == {"stage": "done", "done": 40, "total": 40}
    assert finished["result"]["added"] == 40 and finished["result"]["source"] == "crm export.csv"
    assert not list((workspace / "uploads").iterdir())  # the staged file is gone, and nothing left ../../
    other = KeyStore(workspace).create("another-crm")
    assert call(server, "GET", f"/v1/jobs/{job['id']}", key=other)[0] == 404


def test_uploads_of_other_types_are_refused(server: OpenAIServer, key: str) -> None:
    body, content_type = multipart("reviews.exe", b"MZ\x90\x00")
    status, problem, _ = post(
        server, "/v1/reviews/upload", body, {"Content-Type": content_type, "Authorization": f"Bearer {key}"}
    )
    assert status == 415 and "reviews.exe" in problem["detail"]


def test_oversized_bodies_are_refused_declared_or_chunked(server: OpenAIServer, key: str) -> None:
    import http.client
    from urllib.parse import urlparse

    big = json.dumps({"message": "a" * 1_100_000}).encode()
    status, problem, _ = post(
        server, "/v1/ask", big, {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}
    )
    assert status == 413 and "over 1 MB" in problem["detail"]
    address = urlparse(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    chunks = (big[i : i + 65536] for i in range(0, len(big), 65536))
    connection.request(
        "POST",
        "/v1/ask",
        body=chunks,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    assert response.status == 413 and json.loads(response.read())["status"] == 413
    connection.close()


@pytest.fixture(scope="module")
def limited(workspace: Path, local_generator: Any) -> Iterator[OpenAIServer]:
    """A second app on the same workspace: 3 requests a minute per key, and the local model loaded."""
    from agent.core import MarketingAgent

    agent = MarketingAgent.open(workspace, generator=local_generator)
    with serve_app(create_app(agent=agent, rate_limit_per_minute=3)) as running:
        yield running


def test_rate_limit_per_key_with_retry_after(limited: OpenAIServer, workspace: Path) -> None:
    first, second = KeyStore(workspace).create("rate-a"), KeyStore(workspace).create("rate-b")
    codes = [call(limited, "GET", "/v1/reviews/API-1", key=first)[0] for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    request = urllib.request.Request(f"{limited.url}/v1/reviews/API-1", headers={"Authorization": f"Bearer {first}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 429 and int(refused.value.headers["Retry-After"]) >= 1
    assert call(limited, "GET", "/v1/reviews/API-1", key=second)[0] == 200  # another key has its own budget


def test_the_local_model_is_served_as_an_openai_endpoint(limited: OpenAIServer, workspace: Path) -> None:
    from openai import AuthenticationError, OpenAI

    key = KeyStore(workspace).create("openai-client")
    client = OpenAI(base_url=f"{limited.url}/openai/v1", api_key=key, max_retries=0)
    model = client.models.list().data[0].id
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Say hello."}], max_tokens=8
    )
    assert reply.choices[0].message.content
    with pytest.raises(AuthenticationError):
        OpenAI(base_url=f"{limited.url}/openai/v1", api_key="ma_wrong", max_retries=0).models.list()


def test_concurrent_ingests_and_searches_leave_a_consistent_store(
    server: OpenAIServer, key: str, workspace: Path
) -> None:
    """Ingests from several clients at once, with searches between them: every request succeeds, each review is
    stored once, and the store and its filter mirror agree afterwards (one writer thread serialises the writes)."""
    from concurrent.futures import ThreadPoolExecutor

    from tools.reviews import review_store

    before = review_store(workspace).count()
    batches = [
        {
            "rows": [
                {"review_id": f"C{b}-{i}", "product_id": "1003", "rating": 1 + (i % 5), "text": f"Batch {b} note {i}."}
                for i in range(20)
            ]
        }
        for b in range(4)
    ]

    def ingest(body: dict[str, Any]) -> int:
        return call(server, "POST", "/v1/reviews", body, key)[0]

    def search(_: int) -> int:
        return call(
            server, "POST", "/v1/tools/search_reviews", {"query": "note", "product_ids": ["1003"], "k": 5}, key
        )[0]

    with ThreadPoolExecutor(max_workers=8) as pool:
        ingests = [pool.submit(ingest, body) for body in batches + batches]  # each batch twice: the repeat adds nothing
        searches = [pool.submit(search, n) for n in range(8)]
        assert [f.result() for f in ingests] == [200] * 8 and [f.result() for f in searches] == [200] * 8
    store = review_store(workspace)
    assert store.count() == before + 80
    assert len(store.get([f"C{b}-{i}" for b in range(4) for i in range(20)])) == 80
    status, body, _ = call(
        server, "POST", "/v1/tools/search_reviews", {"query": "Batch note", "product_ids": ["1003"], "k": 100}, key
    )
    assert status == 200 and sum(hit["review_id"].startswith("C") for hit in body["hits"]) == 80
