"""Real servers on loopback for tests and evals: start one on a free port, wait until it answers, stop it after.

    with chroma_server(tmp_path / "chroma") as url:      # "http://127.0.0.1:<port>"
        os.environ["MARKETING_AGENT_CHROMA_URL"] = url

The server is the `chroma` CLI shipped with chromadb (`chroma run --path DIR --host 127.0.0.1 --port N`), run as a
child process with its output in `<path>.log`. Nothing here listens anywhere but 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0
HEARTBEAT = "/api/v2/heartbeat"


class ServerStartError(RuntimeError):
    """A server did not answer in time, or exited while starting; the message ends with its log's tail."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


def chroma_command() -> list[str]:
    """The `chroma` CLI of this interpreter's environment (the one chromadb installed beside it)."""
    beside = Path(sys.executable).with_name("chroma")
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if found is None:
        raise ServerStartError("the `chroma` command is not installed (it comes with the chromadb package)")
    return [found]


@contextmanager
def chroma_server(path: Path, *, timeout: float = START_TIMEOUT_S) -> Iterator[str]:
    """A Chroma server storing its data in `path`, on a free loopback port; yields its URL and stops it on exit
    (terminate, then kill after STOP_TIMEOUT_S). Raises ServerStartError, with the log's tail, when it does not
    answer its heartbeat within `timeout` seconds."""
    path.mkdir(parents=True, exist_ok=True)
    log = path.with_name(f"{path.name}.log")
    port = free_port()
    command = [*chroma_command(), "run", "--path", str(path), "--host", LOOPBACK, "--port", str(port)]
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_up(process, url, log, timeout)
        yield url
    finally:
        _stop(process)


def _wait_until_up(process: subprocess.Popen[bytes], url: str, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"chroma run exited with code {process.returncode} while starting\n{_tail(log)}")
        if _answers(url):
            return
        time.sleep(0.1)
    raise ServerStartError(f"chroma run did not answer at {url} within {timeout:.0f} s\n{_tail(log)}")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url + HEARTBEAT, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(log: Path, lines: int = 20) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"(no log at {log})"
    return f"last lines of {log}:\n" + "\n".join(text.splitlines()[-lines:])
