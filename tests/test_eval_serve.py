"""The serve suite's pieces: latency summaries, the request mix, error classification, the server start-up
error, and short live runs against a stub app and the real REST app on 127.0.0.1 (counts only, no timings)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.responses import JSONResponse

from agent.openai_server import OpenAIServer, serve_app
from eval.suites.serve.load import (
    LoadRun,
    Sample,
    catalogue_products,
    classify,
    drive,
    errors_by_kind,
    ratio,
    request_mix,
    summarise,
)
from eval.suites.serve.process import ServerStartError, running_server
from eval.suites.serve.running import exception_lines, warm_up

PRODUCTS = [("1001", "Aurora Linen Midi Dress"), ("1002", "Harbor Organic Crew Tee"), ("1017", "Nimbus Headphones")]


def test_summary_counts_rates_and_percentiles() -> None:
    ok = [Sample("search_reviews", 200, s / 1000) for s in range(1, 101)]
    failed = [Sample("search_reviews", 500, 5.0, "HTTP 500", "boom"), Sample("forecast_sales", None, 30.0, "timeout")]
    forecasts = [Sample("forecast_sales", 200, 0.2) for _ in range(10)]
    summaries = summarise(LoadRun(clients=4, seconds=10.0, samples=ok + failed + forecasts))

    assert set(summaries) == {"search_reviews", "forecast_sales", "all"}
    search, everything = summaries["search_reviews"], summaries["all"]
    assert (search.requests, search.errors, search.ok_per_second) == (101, 1, 10.0)
    expected = np.percentile(np.arange(1, 101, dtype=float), [50, 95, 99])
    assert [search.p50_ms, search.p95_ms, search.p99_ms] == pytest.approx(list(expected))
    assert search.max_ms == pytest.approx(100.0)  # the failed 5 s request is not in the latencies
    assert (everything.requests, everything.errors, everything.ok_per_second) == (112, 2, 11.0)
    assert summaries["forecast_sales"].p50_ms == pytest.approx(200.0)


def test_a_route_with_only_errors_has_no_latencies() -> None:
    summaries = summarise(LoadRun(1, 2.0, [Sample("forecast_sales", 503, 0.1, "HTTP 503")]))
    only = summaries["forecast_sales"]
    assert (only.requests, only.errors, only.ok_per_second, only.p50_ms, only.max_ms) == (1, 1, 0.0, None, None)
    assert ratio(None, 3.0) is None and ratio(2.0, 0.0) is None and ratio(3.0, 2.0) == 1.5


def test_request_mix_is_three_searches_to_one_forecast_and_valid_tool_input() -> None:
    from tools.forecast import ForecastSalesInput
    from tools.reviews import SearchReviewsInput

    mix = request_mix(PRODUCTS, 400)
    routes = [r.route for r in mix]
    assert routes.count("search_reviews") == 300 and routes.count("forecast_sales") == 100
    assert routes[:4] == ["search_reviews"] * 3 + ["forecast_sales"]
    for request in mix:
        model = SearchReviewsInput if request.route == "search_reviews" else ForecastSalesInput
        model.model_validate(request.body)  # a renamed field would turn the load into 422s
        assert request.path == f"/v1/tools/{request.route}"
    searches = {str(r.body) for r in mix if r.route == "search_reviews"}
    assert len(searches) > 50  # varied, not one query repeated
    assert any("product_ids" in r.body for r in mix) and any("min_rating" in r.body for r in mix)
    assert any("product" in r.body for r in mix) and any("series_ids" in r.body for r in mix)
    assert request_mix(PRODUCTS, 40) == request_mix(PRODUCTS, 40)  # seeded


def test_request_mix_needs_products() -> None:
    from core.errors import MarketingAgentError

    with pytest.raises(MarketingAgentError, match="catalogue"):
        request_mix([])


def test_error_classification() -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v1/tools/search_reviews")
    assert classify(200) is None and classify(204) is None
    assert classify(429) == "HTTP 429" and classify(500) == "HTTP 500" and classify(302) == "HTTP 302"
    assert classify(None, httpx.ReadTimeout("slow", request=request)) == "timeout"
    assert classify(None, httpx.ConnectError("refused", request=request)) == "connect error"
    assert classify(None, httpx.RemoteProtocolError("closed", request=request)) == "RemoteProtocolError"
    assert classify(None, RuntimeError("x")) == "RuntimeError"

    samples = [
        Sample("forecast_sales", 500, 0.1, "HTTP 500", "first"),
        Sample("forecast_sales", 500, 0.1, "HTTP 500", "second"),
        Sample("search_reviews", None, 30.0, "timeout", "slow"),
        Sample("search_reviews", 200, 0.1),
    ]
    assert errors_by_kind(samples) == [
        ("forecast_sales", "HTTP 500", 2, "first"),
        ("search_reviews", "timeout", 1, "slow"),
    ]


def test_exception_lines_from_a_server_log() -> None:
    log = "\n".join(
        [
            "ERROR:    Exception in ASGI application",
            "Traceback (most recent call last):",
            '  File "x.py", line 1, in f',
            "    raise KeyError(path)",
            "KeyError: '/ws/chroma'",
            "During handling of the above exception, another exception occurred:",
            "chromadb.errors.InternalError: no tenant",
            "KeyError: '/ws/chroma'",
        ]
    )
    assert exception_lines(log) == ["KeyError: '/ws/chroma'", "chromadb.errors.InternalError: no tenant"]


def test_a_server_that_exits_is_a_clear_error_with_its_stderr(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "import sys; sys.stderr.write('address already in use\\n'); sys.exit(3)"]
    with (
        pytest.raises(ServerStartError, match=r"(?s)exited with code 3.*address already in use"),
        running_server(command, "http://127.0.0.1:9", tmp_path / "logs", startup_timeout=30),
    ):
        pytest.fail("the server must not be reported as started")


@pytest.fixture
def stub_server() -> Iterator[OpenAIServer]:
    """Searches answer 200, forecasts 503: the load driver must count both and keep going."""
    app = FastAPI()

    @app.post("/v1/tools/search_reviews")
    async def search() -> dict[str, list[str]]:
        return {"hits": []}

    @app.post("/v1/tools/forecast_sales")
    async def forecast() -> JSONResponse:
        return JSONResponse({"detail": "busy"}, status_code=503)

    with serve_app(app) as running:
        yield running


def test_drive_records_every_request_against_a_stub(stub_server: OpenAIServer) -> None:
    run = asyncio.run(drive(stub_server.url, request_mix(PRODUCTS, 8), clients=3, seconds=0.5))
    assert run.clients == 3 and run.seconds > 0
    routes = {s.route for s in run.samples}
    assert routes == {"search_reviews", "forecast_sales"}
    assert all(s.error is None for s in run.samples if s.route == "search_reviews")
    assert all(s.error == "HTTP 503" and "busy" in s.detail for s in run.samples if s.route == "forecast_sales")
    (kind,) = errors_by_kind(run.samples)
    assert kind[:2] == ("forecast_sales", "HTTP 503")


def test_a_tiny_live_run_against_the_rest_app(demo_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.server import create_app

    monkeypatch.setenv("MARKETING_AGENT_RATE_LIMIT_PER_MINUTE", "0")
    mix = request_mix(catalogue_products(demo_copy), 40)
    with serve_app(create_app(demo_copy, keys=False)) as server:
        # One request per route first, as the suite does: concurrent first searches can fail while chromadb opens.
        warm = asyncio.run(warm_up(server.url, mix, 0, {}))
        run = asyncio.run(drive(server.url, mix, clients=2, seconds=2.0))
    assert [s.route for s in warm if s.error is None] == ["search_reviews", "forecast_sales"]
    assert run.samples, "no request completed"
    assert [s for s in run.samples if s.error] == []
    summaries = summarise(run)
    assert summaries["all"].requests == len(run.samples) and summaries["all"].errors == 0
