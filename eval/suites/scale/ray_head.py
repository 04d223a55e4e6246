"""A Ray head on 127.0.0.1 for a suite: `ray start --head --block` with its own temporary folder and token, stopped
(with every process it started) on the way out."""

from __future__ import annotations

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
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def ray_environment() -> dict[str, str]:
    """What the head and every driver that joins it share: loopback addresses, no usage statistics, one token."""
    return {
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",  # keeps the node address 127.0.0.1 (Ray swaps it otherwise)
        "RAY_USAGE_STATS_ENABLED": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(32),
    }


@contextmanager
def ray_head(cpus: int, env: dict[str, str]) -> Iterator[str]:
    """Start the head; yields its address (HOST:PORT)."""
    temp = tempfile.mkdtemp(prefix="ray-")  # short: Ray's socket paths must fit 107 characters
    port = free_port()
    ray = str(Path(sys.executable).with_name("ray"))
    command = [
        ray, "start", "--head", "--block", "--node-ip-address", "127.0.0.1", "--port", str(port), "--num-cpus",
        str(cpus), "--include-dashboard", "false", "--disable-usage-stats", "--temp-dir", temp,
        "--ray-client-server-port", str(free_port()),
    ]  # fmt: skip
    with (Path(temp) / "head.log").open("wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}, start_new_session=True
        )
        try:
            _wait(port, process)
            yield f"127.0.0.1:{port}"
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
    shutil.rmtree(temp, ignore_errors=True)


def _wait(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("ray start --head exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the Ray head did not open its port")
