"""Running a job's chunks on Ray: a local Ray started for the job (`local`), or a cluster by address (`HOST:PORT`).

Each chunk is a Ray task (one CPU); a task whose worker dies is retried by Ray (`max_retries`), and the rows
come back to the driver, which writes the part files. At most `workers` tasks run at once (default: every CPU of
the cluster). A local Ray binds to 127.0.0.1 only, with the dashboard and usage statistics off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import socket
import sys
import tempfile
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from core.errors import MarketingAgentError
from tools.batch.jobs import ChunkContext, compute_chunk

LOCAL = "local"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
MAX_RETRIES = 3  # a chunk whose worker process dies is run again, up to this many times
CONNECT_TIMEOUT_S = 5.0


def parse_address(address: str) -> tuple[str, int]:
    """`HOST:PORT` -> (host, port); anything else is a clear error."""
    host, _, port = address.strip().rpartition(":")
    host = host.strip("[]")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise MarketingAgentError(
            f"{address!r} is not a Ray address: use HOST:PORT (the head's GCS port, e.g. 127.0.0.1:6379), or "
            f"'{LOCAL}' for a Ray started for this job"
        )
    return host, int(port)


def check_address(address: str) -> None:
    """`local`, or a well-formed HOST:PORT that accepts connections: else one clear line."""
    if address != LOCAL:
        host, port = parse_address(address)
        _check_reachable(address, host, port)


def _check_reachable(address: str, host: str, port: int) -> None:
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            return
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise MarketingAgentError(
            f"Cannot reach a Ray cluster at {address} ({reason}). Start one with `ray start --head --port {port}`, "
            "or fix --ray / MARKETING_AGENT_RAY_ADDRESS; without either, batch jobs run in this process."
        ) from None


def _quiet_environment(loopback: bool) -> None:
    """Before Ray is imported: no usage statistics, and on loopback a node address of 127.0.0.1 (Ray otherwise
    swaps 127.0.0.1 for the machine's own address, and its servers would listen there)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if loopback:
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")


def _prepare_environment(address: str) -> None:
    """Before Ray is imported (it reads these once)."""
    _quiet_environment(loopback=address == LOCAL or parse_address(address)[0] in LOOPBACK)
    if address == LOCAL:
        _job_token()


def _job_token() -> None:
    """A local Ray for one job gets a token of its own (Ray's token authentication, on by default, would otherwise
    write one to ~/.ray/auth_token: nothing of ours is written outside the workspace). A token or mode set by the
    user is kept."""
    if "RAY_AUTH_MODE" not in os.environ and "RAY_AUTH_TOKEN" not in os.environ:
        os.environ["RAY_AUTH_MODE"] = "token"
        os.environ["RAY_AUTH_TOKEN"] = secrets.token_hex(32)


def connect(address: str, workers: int | None, temp_dir: str | None = None) -> str:
    """Start a local Ray or join a cluster; returns the engine's description for the report."""
    _prepare_environment(address)
    import ray

    quiet: dict[str, Any] = {"log_to_driver": False, "logging_level": logging.ERROR, "namespace": "marketing-agent"}
    if address == LOCAL:
        cpus = workers or os.cpu_count() or 1
        where = {"_temp_dir": temp_dir} if temp_dir else {}
        _init(ray, "start a local Ray", num_cpus=cpus, include_dashboard=False, _node_ip_address="127.0.0.1", **quiet,
              **where)  # fmt: skip
        return f"ray (local, {cpus} worker{'s' if cpus != 1 else ''})"
    host, port = parse_address(address)
    _check_reachable(address, host, port)
    extra: dict[str, Any] = {"_node_ip_address": "127.0.0.1"} if host in LOOPBACK else {}
    _init(ray, f"join the Ray cluster at {address}", address=f"{host}:{port}", **quiet, **extra)
    cpus = _cluster_cpus(ray)
    used = min(workers, cpus) if workers else cpus
    return f"ray ({address}, {used} of {cpus} CPUs)"


def _init(ray: Any, doing: str, **options: Any) -> None:
    """`ray.init`, its failures as one line (e.g. a cluster that wants a token we do not have)."""
    try:
        ray.init(**options)
    except Exception as exc:
        ray.shutdown()
        text = str(exc).strip()
        first = text.splitlines()[-1] if text else type(exc).__name__
        hint = " Set RAY_AUTH_TOKEN to the cluster's token." if "auth" in text.lower() else ""
        raise MarketingAgentError(f"Could not {doing}: {first[:400]}{hint}") from None


def run_chunks(
    address: str,
    workers: int | None,
    context: ChunkContext,
    payload: Callable[[int], Any],
    todo: list[int],
    done: Callable[[int, pa.Table], None],
) -> str:
    """Run chunks `todo` as Ray tasks, calling `done(index, rows)` on the driver as each finishes (in any order). A
    process already connected to Ray (a notebook, a service that keeps its connection) keeps its connection."""
    _prepare_environment(address)
    import ray

    owned = not ray.is_initialized()
    # A local Ray keeps its sessions and logs in a folder of its own, removed when the job ends.
    temp = tempfile.mkdtemp(prefix="ray-") if owned and address == LOCAL else None
    # Ray's driver prints cluster events (a worker died, ...) to stdout, which belongs to --json: send them to stderr.
    with contextlib.redirect_stdout(sys.stderr):
        return _run_tasks(ray, address, workers, owned, temp, context, payload, todo, done)


def _run_tasks(
    ray: Any,
    address: str,
    workers: int | None,
    owned: bool,
    temp: str | None,
    context: ChunkContext,
    payload: Callable[[int], Any],
    todo: list[int],
    done: Callable[[int, pa.Table], None],
) -> str:
    try:
        engine = (
            connect(address, workers, temp) if owned else f"ray (this process's connection, {_cluster_cpus(ray)} CPUs)"
        )
        limit = workers or _cluster_cpus(ray)
        task = ray.remote(num_cpus=1, max_retries=MAX_RETRIES)(compute_chunk)
        shared = ray.put(context)
        queue = iter(todo)
        running: dict[Any, int] = {}
        for index in queue:
            running[task.remote(shared, payload(index))] = index
            if len(running) >= limit:
                break
        while running:
            ready, _ = ray.wait(list(running), num_returns=1)
            index = running.pop(ready[0])
            done(index, _result(ray, ready[0], index))
            following = next(queue, None)
            if following is not None:
                running[task.remote(shared, payload(following))] = following
        return engine
    finally:
        if owned:
            ray.shutdown()
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def _cluster_cpus(ray: Any) -> int:
    return int(ray.cluster_resources().get("CPU", 1))


def _result(ray: Any, ref: Any, index: int) -> pa.Table:
    """A chunk's rows; a failure on the worker becomes the error it raised (ours) or one plain line (anything else)."""
    try:
        table: pa.Table = ray.get(ref)
        return table
    except ray.exceptions.RayTaskError as exc:
        cause = getattr(exc, "cause", None)
        if isinstance(cause, MarketingAgentError):
            raise cause from None
        if isinstance(cause, ModuleNotFoundError):
            raise MarketingAgentError(
                f"A Ray worker cannot import {cause.name!r}: install marketing-agent (and its dependencies) on every "
                "node of the cluster."
            ) from None
        raise MarketingAgentError(f"Chunk {index} failed on a Ray worker: {type(cause).__name__}: {cause}") from None
    except ray.exceptions.RayError as exc:  # the worker died more often than Ray retries, or the node was lost
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise MarketingAgentError(
            f"Chunk {index} was lost on the Ray cluster after {MAX_RETRIES} retries ({first}). Finished chunks are "
            "kept: run the job again to resume."
        ) from None
