"""The load: a seeded mix of search and forecast requests, closed-loop clients that send it, and the summary of
what came back (rates, percentiles, errors by kind)."""

from __future__ import annotations

import asyncio
import csv
import itertools
import random
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from core.errors import MarketingAgentError
from eval.metrics import percentile_ms

ROUTES = ("search_reviews", "forecast_sales")
REQUEST_TIMEOUT_S = 30.0  # the project's request budget; a slower answer counts as an error


SEARCH_PHRASES = (
    "runs small",
    "true to size",
    "battery life",
    "comfortable all day",
    "arrived late",
    "worth the price",
    "stitching came apart",
    "lovely scent",
    "easy to use",
    "stopped working after a month",
    "sound quality",
    "too greasy",
    "bought it as a gift",
    "had to return it",
)
HORIZONS = (4, 8, 12, 13)  # the demo forecaster is trained for 13 weeks ahead


# ---- the request mix ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadRequest:
    route: str  # a tool name: POST /v1/tools/<route>
    body: dict[str, Any]

    @property
    def path(self) -> str:
        return f"/v1/tools/{self.route}"


def request_mix(
    products: Sequence[tuple[str, str]], n: int = 400, *, searches_per_forecast: int = 3, seed: int = 7
) -> list[LoadRequest]:
    """`n` requests, `searches_per_forecast` searches then one forecast, over (product_id, name) pairs."""
    if not products:
        raise MarketingAgentError("the load needs a product catalogue; the workspace has none (data/catalogue.csv)")
    rng = random.Random(seed)
    every = searches_per_forecast + 1
    return [
        _forecast_request(rng, products) if i % every == searches_per_forecast else _search_request(rng, products)
        for i in range(n)
    ]


def _search_request(rng: random.Random, products: Sequence[tuple[str, str]]) -> LoadRequest:
    """Four shapes: a plain query, a query naming a product, one filtered to a product, one to low ratings."""
    product_id, name = rng.choice(products)
    phrase = rng.choice(SEARCH_PHRASES)
    shapes: list[dict[str, Any]] = [
        {"query": phrase, "k": 10},
        {"query": f"{name} {phrase}", "k": 10},
        {"query": phrase, "product_ids": [product_id], "k": 10},
        {"query": phrase, "min_rating": 1, "max_rating": 2, "k": 20},
    ]
    return LoadRequest("search_reviews", rng.choice(shapes))


def _forecast_request(rng: random.Random, products: Sequence[tuple[str, str]]) -> LoadRequest:
    product_id, name = rng.choice(products)
    horizon = rng.choice(HORIZONS)
    target: dict[str, Any] = {"product": name} if rng.random() < 0.5 else {"series_ids": [product_id]}
    return LoadRequest("forecast_sales", {**target, "horizon": horizon})


def catalogue_products(workspace: Path) -> list[tuple[str, str]]:
    """(product_id, name) from the workspace's demo catalogue."""
    from core.workspace import Workspace

    path = Workspace.open(workspace).data_dir / "catalogue.csv"
    if not path.exists():
        raise MarketingAgentError(f"{path} is missing: the serve suite needs a demo workspace")
    with path.open(newline="") as handle:
        return [(row["product_id"], row["name"]) for row in csv.DictReader(handle)]


# ---- requests, samples and their summary --------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    route: str
    status: int | None  # None when no answer came back
    seconds: float
    error: str | None = None  # None for a 2xx answer; else its kind ("HTTP 500", "timeout", ...)
    detail: str = ""  # the start of the error body or message


@dataclass
class LoadRun:
    clients: int
    seconds: float  # from the first request sent to the last answer received
    samples: list[Sample] = field(default_factory=list)


def classify(status: int | None, exc: BaseException | None = None) -> str | None:
    """None for a 2xx answer; otherwise a short kind to count errors by."""
    if exc is not None:
        if isinstance(exc, httpx.TimeoutException):
            return "timeout"
        if isinstance(exc, httpx.ConnectError):
            return "connect error"
        return type(exc).__name__
    if status is not None and 200 <= status < 300:
        return None
    return f"HTTP {status}"


async def send(client: httpx.AsyncClient, request: LoadRequest) -> Sample:
    started = time.perf_counter()
    try:
        response = await client.post(request.path, json=request.body)
    except Exception as exc:  # a failed request is a measured error, never the end of the run
        return Sample(request.route, None, time.perf_counter() - started, classify(None, exc), str(exc)[:200])
    took = time.perf_counter() - started
    error = classify(response.status_code)
    return Sample(request.route, response.status_code, took, error, response.text[:200] if error else "")


async def drive(
    base_url: str,
    mix: Sequence[LoadRequest],
    *,
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT_S,
) -> LoadRun:
    """`clients` concurrent loops, each sending the mix's next request as soon as its last one is answered,
    until `seconds` have passed (requests in flight then are finished and counted)."""
    upcoming = itertools.cycle(mix)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    run = LoadRun(clients=clients, seconds=0.0)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def client_loop() -> None:
            while time.perf_counter() < deadline:
                run.samples.append(await send(client, next(upcoming)))

        await asyncio.gather(*(client_loop() for _ in range(clients)))
        run.seconds = time.perf_counter() - started
    return run


@dataclass(frozen=True)
class RouteSummary:
    route: str
    requests: int
    errors: int
    ok_per_second: float
    p50_ms: float | None  # latency percentiles over the answered (2xx) requests
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None

    def row(self) -> list[str | int | float | None]:
        return list(astuple(self))


SUMMARY_COLUMNS = ["route", "requests", "errors", "ok req/s", "p50 ms", "p95 ms", "p99 ms", "max ms"]


def summarise(run: LoadRun) -> dict[str, RouteSummary]:
    """One summary per route seen, plus "all"."""
    routes = sorted({s.route for s in run.samples})
    summaries = {r: route_summary(r, [s for s in run.samples if s.route == r], run.seconds) for r in routes}
    summaries["all"] = route_summary("all", run.samples, run.seconds)
    return summaries


def route_summary(route: str, samples: Sequence[Sample], seconds: float) -> RouteSummary:
    ok = [s.seconds for s in samples if s.error is None]

    def pct(q: float) -> float | None:
        return percentile_ms(ok, q) if ok else None

    return RouteSummary(
        route=route,
        requests=len(samples),
        errors=len(samples) - len(ok),
        ok_per_second=len(ok) / seconds if seconds > 0 else 0.0,
        p50_ms=pct(50),
        p95_ms=pct(95),
        p99_ms=pct(99),
        max_ms=max(ok) * 1000 if ok else None,
    )


def errors_by_kind(samples: Sequence[Sample]) -> list[tuple[str, str, int, str]]:
    """(route, kind, count, first detail seen), most frequent first."""
    counts = Counter((s.route, s.error) for s in samples if s.error is not None)
    first: dict[tuple[str, str], str] = {}
    for s in samples:
        if s.error is not None:
            first.setdefault((s.route, s.error), s.detail)
    return [(route, kind, n, first[(route, kind)]) for (route, kind), n in counts.most_common() if kind is not None]


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator
