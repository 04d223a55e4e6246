"""The serve suite (`marketing-agent eval serve`): a bounded load test of the REST API on 127.0.0.1.

1. A demo workspace is built under the scratch folder, an API key is created, and `marketing-agent serve` is
   started as a separate process (one uvicorn worker, as a user would run it) with the per-key rate limit off
   (`MARKETING_AGENT_RATE_LIMIT_PER_MINUTE=0`) and `HF_HUB_OFFLINE=1`. It is always stopped at the end.
2. A cold burst: the first requests arrive at once, before anything is loaded (a CRM's workers reconnecting
   after a restart). Then warm-up requests, one at a time (the first search loads MiniLM and opens chromadb,
   the first forecast loads the forecaster), and a baseline in the same run: one client, sequential (measured
   again after the load: the faster of the two is the reference, their ratio shows any slowdown the load left).
3. The load: many concurrent clients (httpx AsyncClient over one connection pool) for a fixed time, three
   review searches to one forecast, with varied queries, filters and products from the demo catalogue. Every
   request is recorded (route, status, latency); an error is any non-2xx answer or a failed request.
4. After the load: /healthz, one search and one forecast still answer with results, tracebacks in the server's
   log are counted, and once the server has stopped the workspace opens and answers a search in this process.

The client shares the machine's cores with the server, so absolute rates say little across machines; the
ratios against the single-client baseline measured in the same run are the comparable figures.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import os
import random
import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import astuple, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from core.errors import MarketingAgentError
from eval.demo import demo_workspace
from eval.metrics import percentile_ms
from eval.report import SuiteReport, Table

HOST = "127.0.0.1"
ROUTES = ("search_reviews", "forecast_sales")
REQUEST_TIMEOUT_S = 30.0  # the project's request budget; a slower answer counts as an error
NO_RATE_LIMIT = {"MARKETING_AGENT_RATE_LIMIT_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1"}
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
COLD_BURST = 8  # concurrent first requests, before any warm-up
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")  # a traceback's last line


class ServerStartError(MarketingAgentError):
    """The REST server under test did not come up (or did not stay up)."""


@dataclass(frozen=True)
class Sizes:
    clients: int
    load_seconds: float
    baseline_seconds: float
    warm_up_requests: int
    demo_reviews: int
    demo_customers: int
    forecaster_seconds: float
    segmenter_seconds: float

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(
                clients=8,
                load_seconds=10.0,
                baseline_seconds=5.0,
                warm_up_requests=8,
                demo_reviews=800,
                demo_customers=200,
                forecaster_seconds=20,
                segmenter_seconds=15,
            )
        return cls(
            clients=32,
            load_seconds=60.0,
            baseline_seconds=10.0,
            warm_up_requests=16,
            demo_reviews=5000,
            demo_customers=3000,
            forecaster_seconds=30,
            segmenter_seconds=15,
        )


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


# ---- the server process -------------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    stderr_path: Path
    killed: bool = False  # it did not stop within the grace period after SIGTERM

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def stderr_tail(self, lines: int = 30) -> str:
        return "\n".join(self.stderr().splitlines()[-lines:])

    def rss_mb(self) -> float | None:
        """Resident memory (Linux /proc; None elsewhere)."""
        try:
            for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server so far (Linux /proc; None elsewhere)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)

    def stop(self, grace: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.killed = True
                self.process.wait(grace)
        return self.process.returncode


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def serve_command(workspace: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "agent.cli",
        "serve",
        "--workspace",
        str(workspace),
        "--host",
        HOST,
        "--port",
        str(port),
    ]


@contextmanager
def running_server(
    command: list[str], base_url: str, logs: Path, *, env: dict[str, str] | None = None, startup_timeout: float = 180.0
) -> Iterator[ServerProcess]:
    """Start `command`, wait until `base_url`/healthz answers 200, and always stop it on the way out."""
    logs.mkdir(parents=True, exist_ok=True)
    stderr_path = logs / "server.stderr"
    with (logs / "server.stdout").open("wb") as out, stderr_path.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, env={**os.environ, **(env or {})})
    server = ServerProcess(process, base_url, stderr_path)
    try:
        wait_until_healthy(server, startup_timeout)
        yield server
    finally:
        server.stop()


def wait_until_healthy(server: ServerProcess, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise ServerStartError(
                f"the server exited with code {server.process.returncode} before answering /healthz "
                f"({server.base_url}); the end of its stderr:\n{server.stderr_tail()}"
            )
        try:
            answered = httpx.get(f"{server.base_url}/healthz", timeout=2.0).status_code == 200
            if answered and server.process.poll() is None:  # not another server on the same port
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise ServerStartError(
        f"the server did not answer {server.base_url}/healthz within {timeout:.0f} s; the end of its stderr:\n"
        f"{server.stderr_tail()}"
    )


# ---- the suite ----------------------------------------------------------------------------------------------


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from agent.api_keys import KeyStore

    sizes = Sizes.for_mode(quick)
    workspace = demo_workspace(
        scratch / "demo",
        console,
        reviews=sizes.demo_reviews,
        customers=sizes.demo_customers,
        forecaster_seconds=sizes.forecaster_seconds,
        segmenter_seconds=sizes.segmenter_seconds,
    )
    key = KeyStore(workspace).create("load")
    mix = request_mix(catalogue_products(workspace))
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    console.print(f"Starting marketing-agent serve on {base_url}")
    with running_server(serve_command(workspace, port), base_url, scratch / "logs", env=NO_RATE_LIMIT) as server:
        measure(report, server, mix, sizes, {"Authorization": f"Bearer {key}"}, console)
    after_stop(report, server, workspace, console)
    _notes(report, sizes)


def measure(
    report: SuiteReport,
    server: ServerProcess,
    mix: Sequence[LoadRequest],
    sizes: Sizes,
    headers: dict[str, str],
    console: Console,
) -> None:
    """Cold burst, warm-up, baseline, load and the health check after it, on a freshly started server."""
    with console.status(f"Cold burst: {COLD_BURST} concurrent first requests"):
        burst = asyncio.run(cold_burst(server.base_url, mix, COLD_BURST, headers))
    _cold_burst_table(report, burst)
    with console.status("Warm-up"):
        warm = asyncio.run(warm_up(server.base_url, mix, sizes.warm_up_requests, headers))
    failed = [s for s in warm if s.error]
    if failed:  # measured anyway: the load's error table then shows what is wrong
        report.notes.append(
            f"{len(failed)} of {len(warm)} warm-up requests failed, first: {failed[0].route} {failed[0].error} "
            f"{failed[0].detail}"
        )
    warm_state = snapshot(server)
    baseline = single_client(server.base_url, mix, sizes.baseline_seconds, headers, console, "before")
    before = snapshot(server)
    with console.status(f"Load: {sizes.clients} clients for {sizes.load_seconds:.0f} s"):
        load = asyncio.run(
            drive(server.base_url, mix, clients=sizes.clients, seconds=sizes.load_seconds, headers=headers)
        )
    after = snapshot(server)
    baseline_after = single_client(server.base_url, mix, sizes.baseline_seconds, headers, console, "after")
    drift = _load_tables(report, (baseline, baseline_after), load)
    _health_after_load(report, server, mix, headers, (warm_state, before, after), drift)


def single_client(
    base_url: str, mix: Sequence[LoadRequest], seconds: float, headers: dict[str, str], console: Console, when: str
) -> LoadRun:
    with console.status(f"Baseline {when} the load: 1 client for {seconds:.0f} s"):
        return asyncio.run(drive(base_url, mix, clients=1, seconds=seconds, headers=headers))


@dataclass(frozen=True)
class Snapshot:
    """The server's counters, and this process's CPU time, at one moment."""

    at: float  # time.perf_counter()
    server_cpu: float | None
    client_cpu: float
    rss_mb: float | None
    tracebacks: int  # in the server's stderr so far


def snapshot(server: ServerProcess) -> Snapshot:
    return Snapshot(
        at=time.perf_counter(),
        server_cpu=server.cpu_seconds(),
        client_cpu=time.process_time(),
        rss_mb=server.rss_mb(),
        tracebacks=server.stderr().count("Traceback (most recent call last)"),
    )


def exception_lines(log: str, limit: int = 5) -> list[str]:
    """The distinct `SomeError: message` lines of the tracebacks in a log, in order of first appearance."""
    found = dict.fromkeys(line.strip() for line in log.splitlines() if EXCEPTION_LINE.match(line))
    return list(found)[:limit]


async def cold_burst(base_url: str, mix: Sequence[LoadRequest], n: int, headers: dict[str, str]) -> list[Sample]:
    """The first `n` requests of the mix sent at once to a server that has loaded nothing yet (a CRM's workers
    reconnecting after a restart)."""
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120.0, limits=limits) as client:
        return list(await asyncio.gather(*(send(client, request) for request in mix[:n])))


def _cold_burst_table(report: SuiteReport, burst: Sequence[Sample]) -> None:
    kinds = errors_by_kind(burst)
    ok = Counter(s.route for s in burst if s.error is None)
    report.tables.append(
        Table(
            title=f"Cold burst: {len(burst)} concurrent first requests to the freshly started server",
            columns=["route", "kind", "count", "first detail"],
            rows=[[route, "ok", n, ""] for route, n in sorted(ok.items())] + [list(k) for k in kinds],
            note="Before any warm-up: the models and the review store open under concurrent first requests.",
        )
    )
    report.target("errors in the cold burst", float(sum(k[2] for k in kinds)), at_most=0)


async def warm_up(base_url: str, mix: Sequence[LoadRequest], extra: int, headers: dict[str, str]) -> list[Sample]:
    """The mix's first request of each route, then `extra` more, one at a time: loads the models before anything
    is timed."""
    firsts = [next(r for r in mix if r.route == route) for route in ROUTES]
    others = list(mix[:extra])
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=120.0) as client:
        return [await send(client, request) for request in [*firsts, *others]]


def _load_tables(report: SuiteReport, baselines: tuple[LoadRun, LoadRun], load: LoadRun) -> float | None:
    """The baselines, the load, its ratios to the faster baseline and its errors; returns the single-client
    throughput after the load over before it."""
    before, after = (summarise(b) for b in baselines)
    for when, run, summaries in (("before", baselines[0], before), ("after", baselines[1], after)):
        report.tables.append(
            Table(
                title=f"Baseline {when} the load: 1 client, sequential, {run.seconds:.1f} s",
                columns=SUMMARY_COLUMNS,
                rows=[s.row() for s in summaries.values()],
            )
        )
    loaded = summarise(load)
    report.tables.append(
        Table(
            title=f"Load: {load.clients} concurrent clients, {load.seconds:.1f} s",
            columns=SUMMARY_COLUMNS,
            rows=[s.row() for s in loaded.values()],
            note="Latency percentiles over the answered (2xx) requests; errors are counted apart.",
        )
    )
    faster = "before" if before["all"].ok_per_second >= after["all"].ok_per_second else "after"
    report.tables.append(_ratio_table(before if faster == "before" else after, loaded, load.clients, faster))
    kinds = errors_by_kind(load.samples)
    report.tables.append(
        Table(
            title="Errors under load, by kind",
            columns=["route", "kind", "count", "first detail"],
            rows=[list(k) for k in kinds] or [["all", "none", 0, ""]],
        )
    )
    errors = loaded["all"].errors
    report.target("errors under load (non-2xx or failed requests)", float(errors), at_most=0)
    report.target("error rate under load", errors / max(1, loaded["all"].requests), at_most=0)
    return ratio(after["all"].ok_per_second, before["all"].ok_per_second)


def _ratio_table(base: dict[str, RouteSummary], loaded: dict[str, RouteSummary], clients: int, which: str) -> Table:
    rows: list[list[str | int | float | None]] = []
    for route in ["all", *ROUTES]:
        b, lo = base.get(route), loaded.get(route)
        if b is None or lo is None:
            continue
        rows.append(
            [
                route,
                ratio(lo.ok_per_second, b.ok_per_second),
                ratio(lo.p50_ms, b.p50_ms),
                ratio(lo.p95_ms, b.p95_ms),
            ]
        )
    return Table(
        title=f"Load ({clients} clients) over the single-client baseline ({which} the load, the faster one)",
        columns=["route", "throughput ratio", "p50 ratio", "p95 ratio"],
        rows=rows,
        note="Ratios measured in the same run: the comparable figures on a noisy, shared machine. Other work on "
        "the machine only slows a baseline down, so the faster of the two is the truer one.",
    )


def _health_after_load(
    report: SuiteReport,
    server: ServerProcess,
    mix: Sequence[LoadRequest],
    headers: dict[str, str],
    states: tuple[Snapshot, Snapshot, Snapshot],
    drift: float | None,
) -> None:
    warm, before, after = states
    health = httpx.get(f"{server.base_url}/healthz", timeout=10.0)
    bodies_ok = answers_with_results(server.base_url, mix, headers)
    running = server.process.poll() is None
    wall = after.at - before.at
    server_cpu = None if after.server_cpu is None or before.server_cpu is None else after.server_cpu - before.server_cpu
    cores = os.cpu_count() or 1
    rows: list[list[str | int | float | None]] = [
        ["GET /healthz status", health.status_code],
        ["a search (with hits) and a forecast (with series) answered", "yes" if bodies_ok else "no"],
        ["server still running", "yes" if running else "no"],
        ["tracebacks in the server's stderr: cold burst and warm-up", warm.tracebacks],
        ["tracebacks in the server's stderr: baseline and load", after.tracebacks - warm.tracebacks],
        ["server RSS MB after warm-up", warm.rss_mb],
        ["server RSS MB after the load", after.rss_mb],
        ["single-client throughput after the load / before", drift],
        ["server CPU during the load (cores busy)", None if server_cpu is None else server_cpu / wall],
        ["load generator CPU during the load (cores busy)", (after.client_cpu - before.client_cpu) / wall],
        ["cores on the machine (shared by both)", cores],
    ]
    report.tables.append(Table(title="After the load", columns=["check", "value"], rows=rows))
    report.target(
        "server healthy after the load (1 = yes)",
        float(health.status_code == 200 and bodies_ok and running),
        at_least=1,
    )
    errors = exception_lines(server.stderr())
    if errors:
        report.notes.append("Exceptions in the server's log: " + "; ".join(f"`{e[:200]}`" for e in errors))


def answers_with_results(base_url: str, mix: Sequence[LoadRequest], headers: dict[str, str]) -> bool:
    """The first search of the mix returns hits and its first forecast returns series."""
    results = {"search_reviews": "hits", "forecast_sales": "series"}
    for route, key in results.items():
        request = next(r for r in mix if r.route == route)
        response = httpx.post(f"{base_url}{request.path}", json=request.body, headers=headers, timeout=60.0)
        if response.status_code != 200 or not response.json().get(key):
            return False
    return True


def after_stop(report: SuiteReport, server: ServerProcess, workspace: Path, console: Console) -> None:
    """The server's exit code, and the workspace opening and answering in this process once it has stopped."""
    from agent.core import MarketingAgent
    from tools import search_reviews

    with console.status("Reopening the workspace"):
        agent = MarketingAgent.open(workspace)
        hits = len(search_reviews(query="runs small", k=5, workspace=agent.workspace).hits)
    report.tables.append(
        Table(
            title="After the server stopped",
            columns=["check", "value"],
            rows=[
                [
                    "server exit code after SIGTERM (uvicorn re-raises it after a graceful shutdown: -15)",
                    server.process.returncode,
                ],
                ["server had to be killed (no exit within 15 s of SIGTERM)", "yes" if server.killed else "no"],
                ["workspace reopens: search hits", hits],
            ],
        )
    )
    report.target("workspace reopens and answers after the load (hits)", float(hits), at_least=1)


def _notes(report: SuiteReport, sizes: Sizes) -> None:
    cores = os.cpu_count()
    report.notes += [
        f"Server: `marketing-agent serve` as a separate process (one uvicorn worker) on {HOST}, with "
        "MARKETING_AGENT_RATE_LIMIT_PER_MINUTE=0 (the per-key rate limit off for the load) and HF_HUB_OFFLINE=1; "
        "requests carry an API key (Authorization: Bearer).",
        f"Machine: {cores} cores, shared by the server and the load generator (httpx AsyncClient, one connection "
        "pool, in the eval process), so the load generator's own CPU time is taken from the server's; see "
        "'After the load' for both.",
        f"Mix: 3 review searches (plain, naming a product, filtered to a product, filtered to 1-2 stars) to 1 "
        f"forecast (by name or id, horizon {'/'.join(map(str, HORIZONS))} weeks), over the demo catalogue; every "
        f"client sends its next request as soon as the last is answered (closed loop); request timeout "
        f"{REQUEST_TIMEOUT_S:.0f} s.",
        f"Demo workspace: {sizes.demo_reviews} reviews, {sizes.demo_customers} customers; models trained for only "
        f"{sizes.forecaster_seconds:.0f} s / {sizes.segmenter_seconds:.0f} s (their size, and so serving cost, "
        "does not depend on the training budget).",
    ]
