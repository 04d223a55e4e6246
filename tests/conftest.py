"""Shared fixtures. Outbound network is blocked for every test (loopback stays open for real local servers);
tests use real chromadb, real model weights and real processes."""

from __future__ import annotations

import os
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from filelock import FileLock
from pytest_socket import _remove_restrictions, socket_allow_hosts

from agent.demo.build import DemoBuild, build_demo_workspace

if TYPE_CHECKING:
    from local_models.textgen.local import LocalGenerator

LOOPBACK = ["127.0.0.1", "::1", "localhost"]
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(autouse=True)
def _block_network() -> Iterator[None]:
    # Connections anywhere but loopback raise SocketBlockedError; unix sockets stay usable.
    socket_allow_hosts(LOOPBACK, allow_unix_socket=True)
    yield
    _remove_restrictions()


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A developer's own MARKETING_AGENT_* / OPENAI_* variables never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("MARKETING_AGENT_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MARKETING_AGENT_HOME", str(tmp_path / "default-workspace"))


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder that every pytest-xdist worker of this run shares (`make test` runs two), or the session's own
    temporary folder in a run without workers. Build into it under `FileLock(f"{folder}.lock")`."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """A small demo store (800 reviews), built once per test run: the first worker to ask builds it, the others
    wait and read what it built (the build's reports are kept beside it). Tests must not write to it."""
    folder = _shared(tmp_path_factory, "demo-workspace")
    built = folder.with_name("demo-build.pickle")  # our own file, written just now by this run
    with FileLock(f"{folder}.lock"):
        if built.exists():
            return pickle.loads(built.read_bytes())
        build = build_demo_workspace(folder, **SMALL_DEMO)
        built.write_bytes(pickle.dumps(build))
        return build


# The small demo store's size and training budgets (a rebuild with the same settings does no work).
SMALL_DEMO: dict[str, Any] = {
    "n_reviews": 800,
    "n_customers": 200,
    "progress": False,
    "forecaster_seconds": 20,
    "segmenter_seconds": 15,
    "recommender_seconds": 10,
    "budget_draws": 200,  # the marketing-mix model's sampler: the least that converges cleanly (~25 s on 2 cores)
    "budget_tune": 200,
}


@pytest.fixture(scope="session")
def small_demo() -> dict[str, Any]:
    """The keyword arguments `demo_store` was built with."""
    return dict(SMALL_DEMO)


@pytest.fixture(scope="module")
def demo_copy(demo_store: DemoBuild, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private, writable copy of the demo store per test module (the agent writes memory, audit and keys)."""
    import shutil

    folder = tmp_path_factory.mktemp("demo-copy") / "ws"
    shutil.copytree(demo_store.workspace, folder)
    return folder


@pytest.fixture(scope="session")
def local_generator(tmp_path_factory: pytest.TempPathFactory) -> LocalGenerator:
    """SmolLM2 converted from its GGUF once per test run into a temporary workspace (~25 s) and loaded in each
    worker; every LocalGenerator on that model then shares it. Tests must not change its files."""
    from local_models.textgen.local import LocalGenerator

    folder = _shared(tmp_path_factory, "textgen-workspace")
    with FileLock(f"{folder}.lock"):  # one worker converts; the others load its copy
        generator = LocalGenerator(workspace=folder)
        generator.load()
    return generator


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, never a browser downloaded by `playwright install`."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"{CHROMIUM} is missing: the web page tests need Debian's chromium. Install it with "
            "`apt-get update && apt-get install -y chromium` (or `make browser`, as root).",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the browser tests last. pytest-playwright's sync API keeps an event loop running on the main
    thread for the rest of the session once its session-scoped `playwright` fixture starts, and every
    asyncio test after that (langchain's standard `ainvoke` tests) fails with "Runner.run() cannot be
    called from a running event loop". The sort is stable, so the order within each group is kept.

    Under pytest-xdist (`make test` runs two workers with `--dist loadgroup`) each test file is one unit of work,
    so a module's fixtures (a Ray head, a Chroma server, a trained model) are built once, and the browser tests
    are one unit of their own, last in the queue: the worker that runs them runs nothing after them."""
    items.sort(key=lambda item: "playwright" in getattr(item, "fixturenames", ()))
    for item in items:
        browser = "playwright" in getattr(item, "fixturenames", ())
        item.add_marker(pytest.mark.xdist_group("browser" if browser else item.path.name))
