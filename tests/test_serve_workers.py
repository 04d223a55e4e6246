"""Several server processes on one workspace and a real Chroma server, all started on 127.0.0.1 on free ports and
stopped after: the processes share API keys, one rate limit per key, jobs, idempotency keys and sessions; and
`serve --workers 2` runs two of them behind one port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
import torch

from agent.api_keys import KeyStore
from agent.server import SERVE_WORKERS_ENV, app_from_environment, worker_threads
from core.workspace import Workspace
from eval.servers import chroma_server, free_port

RATE_LIMIT = 120  # a minute, per key
THREADS_ENV = "MARKETING_AGENT_TORCH_THREADS"
START_TIMEOUT_S = 180.0


@dataclass(frozen=True)
class Served:
    """Two server processes on one workspace, as `serve --workers 2` runs them, each on its own port so that a
    test can choose which one answers (behind one port the kernel picks, and an idle server keeps winning)."""

    urls: tuple[str, str]
    workspace: Path
    logs: tuple[Path, Path]

    def url(self, worker: int) -> str:
        return self.urls[worker % 2]


def request(
    url: str, method: str, path: str, body: Any = None, key: str | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any, dict[str, str]]:
    data = None if body is None else json.dumps(body).encode()
    sent = urllib.request.Request(f"{url}{path}", data=data, method=method)
    sent.add_header("Content-Type", "application/json")
    if key:
        sent.add_header("Authorization", f"Bearer {key}")
    for name, value in (headers or {}).items():
        sent.add_header(name, value)
    try:
        with urllib.request.urlopen(sent, timeout=120) as response:
            return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null"), dict(error.headers)


@contextmanager
def running(command: list[str], env: dict[str, str], url: str, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_up(url, process, log)
        yield process
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # uvicorn's supervisor stops its workers
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if request(url, "GET", "/healthz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the server did not answer in {START_TIMEOUT_S:.0f} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def chroma(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma")) as url:
        yield url


def server_env(chroma: str, workspace: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MARKETING_AGENT_CHROMA_URL": chroma,
        "MARKETING_AGENT_HOME": str(workspace),
        "MARKETING_AGENT_RATE_LIMIT_PER_MINUTE": str(RATE_LIMIT),
    }


@pytest.fixture(scope="module")
def served(demo_copy: Path, chroma: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("workers")
    threads = str(worker_threads(2))  # what `serve --workers 2` sets for each
    env = {**server_env(chroma, demo_copy), SERVE_WORKERS_ENV: "2", "MARKETING_AGENT_TORCH_THREADS": threads}
    env.setdefault("OMP_NUM_THREADS", threads)
    ports = (free_port(), free_port())
    urls = (f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}")
    logs = (folder / "worker-0.log", folder / "worker-1.log")
    worker = (
        "import sys, uvicorn; uvicorn.run('agent.server:app_from_environment', factory=True, port=int(sys.argv[1]))"
    )
    with ExitStack() as stack:
        for port, url, log in zip(ports, urls, logs, strict=True):
            stack.enter_context(running([sys.executable, "-c", worker, str(port)], env, url, log))
        yield Served(urls, demo_copy, logs)


def new_key(served: Served, name: str) -> str:
    return KeyStore(served.workspace).create(name)  # written to the workspace while the servers run


def test_a_key_made_after_the_workers_started_works_on_both(served: Served) -> None:
    key = new_key(served, "late-key")
    pids = {request(served.url(w), "GET", "/healthz")[1]["process"] for w in (0, 1)}
    assert len(pids) == 2
    statuses = [request(served.url(w), "GET", "/v1/jobs/job_none", key=key)[0] for w in range(6)]
    assert statuses == [404] * 6  # authorised by both (401 would mean one did not know the key)
    KeyStore(served.workspace).revoke("late-key")
    assert [request(served.url(w), "GET", "/v1/jobs/job_none", key=key)[0] for w in (0, 1)] == [401, 401]


def test_the_rate_limit_is_one_limit_per_key_across_the_workers(served: Served) -> None:
    key = new_key(served, "burst")
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:  # requests alternate between the two processes
        statuses = list(pool.map(lambda w: request(served.url(w), "GET", "/v1/jobs/job_none", key=key)[0], range(180)))
    refilled = (time.monotonic() - started) * RATE_LIMIT / 60.0
    granted = statuses.count(404)
    # Two limits of 120 (one per process) would grant all 180; one shared limit grants 120 plus the refill.
    assert set(statuses) <= {404, 429}
    assert RATE_LIMIT <= granted <= RATE_LIMIT + refilled + 1, (granted, refilled)


def test_idempotency_keys_and_reviews_are_shared_across_the_workers(served: Served) -> None:
    key = new_key(served, "rows")
    rows = [
        {"review_id": f"W-{i}", "product_id": "1001", "rating": 1 + i % 5, "text": f"Worker review {i}: seams held."}
        for i in range(30)
    ]
    headers = {"Idempotency-Key": "workers-ingest-1"}
    status, first, _ = request(served.url(0), "POST", "/v1/reviews", {"rows": rows}, key, headers)
    assert status == 200 and first["added"] == 30
    replays = [request(served.url(w), "POST", "/v1/reviews", {"rows": rows}, key, headers) for w in (1, 0, 1)]
    assert all(s == 200 and body == first and h.get("idempotent-replayed") == "true" for s, body, h in replays)
    for worker in (0, 1):  # stored on the Chroma server: both processes read them
        found = [request(served.url(worker), "GET", f"/v1/reviews/W-{i}", key=key)[0] for i in range(30)]
        assert found == [200] * 30


def test_a_job_started_on_one_worker_is_followed_on_the_other(served: Served) -> None:
    key = new_key(served, "jobs")
    content = "product_id,rating,text\n" + "".join(
        f"1002,{1 + i % 5},Job review {i}: warm and soft.\n" for i in range(60)
    )
    body, content_type = multipart("reviews.csv", content.encode())
    sent = urllib.request.Request(f"{served.url(0)}/v1/reviews/upload", data=body, method="POST")
    sent.add_header("Content-Type", content_type)
    sent.add_header("Authorization", f"Bearer {key}")
    with urllib.request.urlopen(sent, timeout=120) as response:
        assert response.status == 202
        job_id = json.loads(response.read())["id"]
    deadline, polls = time.monotonic() + 180, 0
    while True:
        status, job, _ = request(served.url(1), "GET", f"/v1/jobs/{job_id}", key=key)  # the other process
        polls += 1
        assert status == 200, job
        if job["status"] not in ("queued", "running") or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert job["status"] == "succeeded" and job["result"]["added"] == 60, job
    other = new_key(served, "someone-else")
    assert request(served.url(1), "GET", f"/v1/jobs/{job_id}", key=other)[0] == 404  # owners only, on both


def test_a_conversation_continues_whichever_worker_answers(served: Served) -> None:
    key = new_key(served, "chat")
    message = {"message": "Forecast the Aurora dress for 8 weeks"}
    status, first, _ = request(served.url(0), "POST", "/v1/ask", message, key)
    assert status == 200 and first["tool_calls"][0]["name"] == "forecast_sales"
    session = first["session_id"]
    follow_ups = (("and for next quarter?", 13), ("and for 6 weeks?", 6), ("what about 10 weeks", 10))
    for worker, (words, weeks) in enumerate(follow_ups, start=1):
        status, body, _ = request(served.url(worker), "POST", "/v1/ask", {"message": words, "session_id": session}, key)
        assert status == 200 and body["tool_calls"][0]["arguments"]["horizon"] == weeks, body["tool_calls"]
        assert body["tool_calls"][0]["arguments"]["series_ids"] == ["1001"]


def multipart(name: str, content: bytes) -> tuple[bytes, str]:
    boundary = "marketing-agent-workers-boundary"
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n\r\n'
    return head.encode() + content + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_serve_with_two_workers_runs_two_processes_on_one_port_and_stops_them(
    demo_copy: Path, chroma: str, tmp_path: Path
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "agent.cli", "serve", "--workers", "2", "--port", str(port), "-w", str(demo_copy)]
    env = {k: v for k, v in server_env(chroma, demo_copy).items() if k not in {"OMP_NUM_THREADS", THREADS_ENV}}
    with running(command, env, url, tmp_path / "serve.log") as supervisor:
        children = _children(supervisor.pid)
        assert len(children) >= 2, children  # two workers (and maybe a resource tracker)
        status, health, _ = request(url, "GET", "/healthz")
        assert status == 200 and health["process"] in children
        # each worker computes on its share of the cores, not on every core as torch would by default
        share = str(worker_threads(2))
        answering = psutil.Process(health["process"]).environ()
        assert answering.get(THREADS_ENV) == share and answering.get("OMP_NUM_THREADS") == share, answering
    # stopped with the supervisor: a worker reparented when the supervisor exits may take a moment to finish
    deadline = time.monotonic() + 30
    while any(_exists(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_exists(pid) for pid in children)


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_several_workers_without_a_chroma_server_are_refused_plainly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "MARKETING_AGENT_CHROMA_URL"}
    result = subprocess.run(
        [sys.executable, "-m", "agent.cli", "serve", "--workers", "2", "-w", str(tmp_path / "ws")],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "Chroma server" in result.stderr and "Traceback" not in result.stderr


def test_each_worker_gets_an_equal_share_of_the_cores() -> None:
    assert worker_threads(2, cpus=2) == 1
    assert worker_threads(3, cpus=16) == 5
    assert worker_threads(4, cpus=2) == 1  # never none
    assert worker_threads(1, cpus=8) == 8


def test_a_worker_app_computes_with_the_threads_the_settings_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = torch.get_num_threads()
    wanted = 1 if before > 1 else 2
    monkeypatch.setenv("MARKETING_AGENT_HOME", str(Workspace.open(tmp_path / "ws").ensure().root))
    monkeypatch.setenv("MARKETING_AGENT_SERVE_KEYS", "0")
    monkeypatch.setenv(THREADS_ENV, str(wanted))
    try:
        app_from_environment()
        assert torch.get_num_threads() == wanted
    finally:
        torch.set_num_threads(before)
