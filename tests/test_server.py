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
