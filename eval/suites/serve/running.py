"""The run: a cold burst, single-client baselines, the loaded run, health after load and after stop; the tables."""

from __future__ import annotations

import asyncio
import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from eval.demo import DemoSize, demo_workspace
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.servers import free_port
from eval.suites.serve.load import (
    HORIZONS,
    REQUEST_TIMEOUT_S,
    ROUTES,
    SUMMARY_COLUMNS,
    LoadRequest,
    LoadRun,
    RouteSummary,
    Sample,
    catalogue_products,
    drive,
    errors_by_kind,
    ratio,
    request_mix,
    send,
    summarise,
)
from eval.suites.serve.process import HOST, NO_RATE_LIMIT, ServerProcess, running_server, serve_command
from eval.suites.serve.workers import two_workers

COLD_BURST = 8  # concurrent first requests, before any warm-up
EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b.*")  # a traceback's last line


@dataclass(frozen=True)
class Sizes:
    clients: int
    load_seconds: float
    baseline_seconds: float
    warm_up_requests: int
    demo: DemoSize


SIZES = ByMode(
    quick=Sizes(
        clients=8, load_seconds=10.0, baseline_seconds=5.0, warm_up_requests=8, demo=DemoSize(800, 200, 20, 15, 15)
    ),
    full=Sizes(
        clients=32, load_seconds=60.0, baseline_seconds=10.0, warm_up_requests=16, demo=DemoSize(5000, 3000, 30, 15, 15)
    ),
)


def run_suite(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from agent.api_keys import KeyStore

    sizes = SIZES.pick(quick)
    workspace = demo_workspace(scratch / "demo", console, sizes.demo)
    key = KeyStore(workspace).create("load")
    mix = request_mix(catalogue_products(workspace))
    port = free_port()
    base_url = f"http://{HOST}:{port}"
    console.print(f"Starting marketing-agent serve on {base_url}")
    headers = {"Authorization": f"Bearer {key}"}
    with running_server(serve_command(workspace, port), base_url, scratch / "logs", env=NO_RATE_LIMIT) as server:
        one = measure(report, server, mix, sizes, headers, console)
    after_stop(report, server, workspace, console)
    _notes(report, sizes)
    two_workers(report, workspace, mix, sizes, headers, one, scratch, console, measure)


def measure(
    report: SuiteReport,
    server: ServerProcess,
    mix: Sequence[LoadRequest],
    sizes: Sizes,
    headers: dict[str, str],
    console: Console,
) -> LoadRun:
    """Cold burst, warm-up, baseline, load and the health check after it, on a freshly started server; returns
    the load."""
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
    return load


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
    cores, demo = os.cpu_count(), sizes.demo
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
        f"Demo workspace: {demo.reviews} reviews, {demo.customers} customers; models trained for only "
        f"{demo.forecaster_seconds:.0f} s / {demo.segmenter_seconds:.0f} s (their size, and so serving cost, "
        "does not depend on the training budget).",
    ]
