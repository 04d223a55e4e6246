"""The REST API as its own process (`marketing-agent serve`) on a free loopback port, waited on until healthy."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from core.errors import MarketingAgentError

HOST = "127.0.0.1"


NO_RATE_LIMIT = {"MARKETING_AGENT_RATE_LIMIT_PER_MINUTE": "0", "HF_HUB_OFFLINE": "1"}


class ServerStartError(MarketingAgentError):
    """The REST server under test did not come up (or did not stay up)."""


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
        """Resident memory of the server and its worker processes (Linux /proc; None elsewhere)."""
        sizes = [_rss_mb(pid) for pid in self.pids()]
        known = [size for size in sizes if size is not None]
        return sum(known) if known else None

    def cpu_seconds(self) -> float | None:
        """User + system CPU time of the server and its worker processes so far (Linux /proc; None elsewhere)."""
        times = [_cpu_seconds(pid) for pid in self.pids()]
        known = [t for t in times if t is not None]
        return sum(known) if known else None

    def worker_cpu_seconds(self) -> list[float]:
        """CPU seconds of each worker process (`serve --workers N`; not multiprocessing's resource tracker);
        empty for a single-process server."""
        workers = [pid for pid in _children(self.process.pid) if not _is_resource_tracker(pid)]
        return [t for t in (_cpu_seconds(pid) for pid in workers) if t is not None]

    def pids(self) -> list[int]:
        return [self.process.pid, *_children(self.process.pid)]

    def stop(self, grace: float = 15.0) -> int | None:
        if self.process.poll() is None:
            self.process.terminate()  # uvicorn shuts down gracefully on SIGTERM
            try:
                self.process.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # the server and any workers it started
                self.killed = True
                self.process.wait(grace)
        return self.process.returncode


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _cpu_seconds(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime (fields 14, 15)


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
        process = subprocess.Popen(
            command, stdout=out, stderr=err, env={**os.environ, **(env or {})}, start_new_session=True
        )
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
