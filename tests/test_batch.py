"""Batch jobs (`marketing-agent batch JOB`, `POST /v1/batch/{job}`) on a real Ray head started on loopback with two
worker CPUs: every job's output equals the single-process path's, a killed worker or a killed driver costs no
finished chunk and repeats none, and mistakes are one clear line."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tools.batch.jobs import JOBS
from tools.batch.run import run_batch

RAY = Path(sys.executable).with_name("ray")
CLI = [sys.executable, "-m", "agent.cli"]
CHUNKS = {"forecast": 8, "recommend": 40, "score-customers": 40, "embed-reviews": 100}  # items per chunk: >= 4 chunks
RAY_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # node address 127.0.0.1: every Ray server listens on loopback only
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_AUTH_MODE": "token",  # the head and its drivers share a token (never written to ~/.ray)
    "RAY_AUTH_TOKEN": secrets.token_hex(32),
    "HF_HUB_OFFLINE": "1",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ray_processes(temp: str) -> list[psutil.Process]:
    """Processes of the head started under `temp` (every Ray process names its session folder)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(temp in part for part in process.info["cmdline"] or []):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(scope="module")
def head() -> Iterator[str]:
    """`ray start --head` on 127.0.0.1 with two CPUs (--block: stopping it stops its processes), and this test
    process connected to it as a driver; everything stopped after the module."""
    temp = tempfile.mkdtemp(prefix="ray-", dir="/tmp")  # short: Ray's socket paths must fit 107 characters
    port = free_port()
    saved = {name: os.environ.get(name) for name in RAY_ENV}
    os.environ.update(RAY_ENV)
    command = [
        str(RAY), "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port),
        "--num-cpus", "2", "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp,
        "--ray-client-server-port", str(free_port()),
    ]  # fmt: skip
    log = open(Path(temp) / "head.log", "w")  # noqa: SIM115 (closed in teardown)
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_for_port(port, process)
        import ray

        ray.init(address=f"127.0.0.1:{port}", _node_ip_address="127.0.0.1", log_to_driver=False)
        yield f"127.0.0.1:{port}"
    finally:
        import ray

        ray.shutdown()
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
        left = ray_processes(temp)
        for stray in left:
            stray.kill()
        log.close()
        shutil.rmtree(temp, ignore_errors=True)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        assert left == [], f"Ray processes outlived the head: {left}"


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, "ray start --head exited"
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the Ray head did not open its port")


@pytest.fixture(scope="module")
def single(demo_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    """Every job's output from the single-process path (in this process, chunk after chunk)."""
    folder = tmp_path_factory.mktemp("single")
    outputs = {}
    for job in JOBS:
        report = run_batch(job, workspace=demo_copy, out=folder / f"{job}.parquet", chunk_size=CHUNKS[job], ray="")
        assert report.engine == "in-process" and report.chunks >= 4
        outputs[job] = pq.read_table(report.output)
    return outputs


def top10(vectors: np.ndarray) -> np.ndarray:
    scores = vectors @ vectors.T  # (N, N) cosine: the vectors are unit length
    np.fill_diagonal(scores, -np.inf)
    return np.argsort(-scores, axis=1, kind="stable")[:, :10]


def assert_same(job: str, got: pa.Table, want: pa.Table) -> None:
    """Equal tables; embeddings by their neighbours: the top-10 overlap of every review >= 0.999 on average."""
    if job != "embed-reviews":
        assert got.equals(want), f"{job}: Ray's output differs from the single-process path's"
        return
    assert got.column("review_id").to_pylist() == want.column("review_id").to_pylist()
    a, b = (np.asarray(t.column("vector").to_pylist(), dtype=np.float32) for t in (got, want))
    overlap = np.mean([len(set(x) & set(y)) / 10 for x, y in zip(top10(a), top10(b), strict=True)])
    assert overlap >= 0.999, overlap


@pytest.mark.parametrize("job", JOBS)
def test_each_job_on_ray_equals_the_single_process_path(
    job: str, head: str, single: dict[str, pa.Table], demo_copy: Path, tmp_path: Path
) -> None:
    report = run_batch(
        job, workspace=demo_copy, out=tmp_path / f"{job}.parquet", chunk_size=CHUNKS[job], ray=head, workers=2
    )
    assert report.engine.startswith("ray") and report.chunks_run == list(range(report.chunks))
    assert_same(job, pq.read_table(report.output), single[job])
    assert not (tmp_path / f".{job}.parquet.parts").exists()  # parts are dropped once the output is whole


def test_batch_rows_are_the_tools_answers(single: dict[str, pa.Table], demo_copy: Path) -> None:
    """The same functions as the single requests: forecast_sales' points, recommend_products' picks, and the
    expected spend the customer model stored for every customer when it was trained on the same transactions."""
    from tools.forecast import forecast_sales
    from tools.recommend.tool import recommend_products
    from tools.segments.tool import expected_spend

    forecasts = single["forecast"].to_pandas()
    first = forecasts["series_id"].iloc[0]
    tool = forecast_sales(series_ids=[first], horizon=13, workspace=demo_copy).series[0].points
    rows = forecasts[forecasts["series_id"] == first]
    assert np.allclose(rows["p50"], [p.p50 for p in tool], atol=0.011)
    picks = single["recommend"].to_pandas()
    customer = picks["customer_id"].iloc[0]
    answer = recommend_products(customer_ids=[customer], k=10, workspace=demo_copy).customers[0].items
    assert picks[picks["customer_id"] == customer]["product_id"].tolist() == [i.product_id for i in answer]
    scores = single["score-customers"].to_pandas().set_index("customer_id")["expected_spend"]
    stored = expected_spend(demo_copy)
    assert np.allclose(scores.reindex(stored.index), stored, rtol=1e-4, atol=1e-3)


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*CLI, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **RAY_ENV, **(env or {})},
    )


def finish(process: subprocess.Popen[str], timeout: float = 240) -> dict[str, Any]:
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0 and out.strip(), err[-3000:]
    return dict(json.loads(out))


def test_a_killed_worker_is_retried_and_no_chunk_is_written_twice(
    head: str, single: dict[str, pa.Table], demo_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "vectors.parquet"
    args = ["embed-reviews", "--ray", head, "--workers", "2", "--chunk-size", "40", "--out", str(out), "--json"]
    process = cli("batch", *args, "--workspace", str(demo_copy))
    killed = _kill_a_busy_worker(process)
    report = finish(process)
    assert killed, "no Ray worker was caught running a chunk"
    assert report["chunks_run"] == list(range(report["chunks"])) and report["chunks_resumed"] == 0
    assert_same("embed-reviews", pq.read_table(out), single["embed-reviews"])


def _kill_a_busy_worker(driver: subprocess.Popen[str]) -> bool:
    """SIGKILL the first Ray worker seen running a chunk (its process title is `ray::compute_chunk`)."""
    deadline = time.monotonic() + 120
    while driver.poll() is None and time.monotonic() < deadline:
        for process in psutil.process_iter(["cmdline"]):
            try:
                if (process.info["cmdline"] or [""])[0].startswith("ray::compute_chunk"):
                    process.kill()
                    return True
            except (psutil.NoSuchProcess, psutil.AccessDenied, IndexError):
                continue
        time.sleep(0.05)
    return False


def test_a_killed_driver_resumes_without_redoing_finished_chunks(
    head: str, single: dict[str, pa.Table], demo_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "vectors.parquet"
    parts = tmp_path / ".vectors.parquet.parts"
    args = ["batch", "embed-reviews", "--ray", head, "--chunk-size", "40", "--out", str(out), "--json"]
    first = cli(*args, "--workspace", str(demo_copy))
    deadline = time.monotonic() + 120
    while first.poll() is None and time.monotonic() < deadline and not list(parts.glob("part-*.parquet")):
        time.sleep(0.02)
    first.kill()
    first.communicate()
    kept = sorted(int(p.stem.removeprefix("part-")) for p in parts.glob("part-*.parquet"))
    assert kept and not out.exists()
    report = finish(cli(*args, "--workspace", str(demo_copy)))
    assert len(kept) < report["chunks"]
    assert report["chunks_resumed"] == len(kept)
    assert sorted(report["chunks_run"] + kept) == list(range(report["chunks"]))  # each chunk written exactly once
    assert_same("embed-reviews", pq.read_table(out), single["embed-reviews"])


def test_rest_batch_job_reports_progress_and_its_output(
    head: str, single: dict[str, pa.Table], demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fastapi.testclient import TestClient

    from agent.api_keys import KeyStore
    from agent.server import create_app

    monkeypatch.setenv("MARKETING_AGENT_RAY_ADDRESS", head)
    key, other = KeyStore(demo_copy).create("batch-crm"), KeyStore(demo_copy).create("batch-other")
    with TestClient(create_app(demo_copy)) as client:
        auth = {"Authorization": f"Bearer {key}"}
        started = client.post(
            "/v1/batch/score-customers", json={"chunk_size": 40, "out": "scores.parquet"}, headers=auth
        )
        assert started.status_code == 202, started.text
        location = started.headers["location"]
        job = _wait(client, location, auth)
        assert job["status"] == "succeeded", job
        assert job["progress"]["done"] == job["progress"]["total"] == job["result"]["items"]
        assert job["result"]["engine"].startswith("ray")
        assert Path(job["result"]["output"]) == demo_copy / "batch" / "scores.parquet"
        assert_same("score-customers", pq.read_table(job["result"]["output"]), single["score-customers"])
        assert client.get(location, headers={"Authorization": f"Bearer {other}"}).status_code == 404
        assert client.post("/v1/batch/forecast").status_code == 401
        unknown = client.post("/v1/batch/nope", headers=auth)
        assert unknown.status_code == 422 and "forecast" in unknown.text
        outside = client.post("/v1/batch/embed-reviews", json={"input": "../../etc/passwd"}, headers=auth)
        assert outside.status_code == 422


def _wait(client: Any, location: str, headers: dict[str, str]) -> dict[str, Any]:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        job = dict(client.get(location, headers=headers).json())
        if job["status"] in ("succeeded", "failed", "interrupted"):
            return job
        time.sleep(0.2)
    raise AssertionError("the batch job did not finish")


def test_rest_refuses_a_job_whose_model_is_missing(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from agent.server import create_app
    from core.workspace import Workspace

    empty = Workspace.open(tmp_path / "empty").ensure().root  # a workspace with nothing trained yet
    with TestClient(create_app(empty, keys=False)) as client:
        answer = client.post("/v1/batch/recommend")
    assert answer.status_code == 422 and "train-recommender" in answer.json()["detail"]


def test_mistakes_are_one_clear_line(tmp_path: Path, demo_copy: Path) -> None:
    closed = free_port()
    cases = {
        "unknown job": (["batch", "translate", "-w", str(demo_copy)], "choose one of forecast"),
        "missing model": (["batch", "forecast", "-w", str(tmp_path / "empty")], "train-forecaster"),
        "unreachable Ray": (
            ["batch", "forecast", "-w", str(demo_copy), "-o", str(tmp_path / "a.csv"), "--ray", f"127.0.0.1:{closed}"],
            f"Cannot reach a Ray cluster at 127.0.0.1:{closed}",
        ),
        "bad address": (
            ["batch", "forecast", "-w", str(demo_copy), "-o", str(tmp_path / "b.csv"), "--ray", "nowhere"],
            "is not a Ray address",
        ),
        "csv of vectors": (["batch", "embed-reviews", "-w", str(demo_copy), "-o", str(tmp_path / "v.csv")], ".csv"),
    }
    running = {name: cli(*args) for name, (args, _) in cases.items()}
    for name, process in running.items():
        _, err = process.communicate(timeout=120)
        assert process.returncode in (1, 2), (name, err)
        assert "Traceback" not in err and cases[name][1] in " ".join(err.split()), (name, err)
