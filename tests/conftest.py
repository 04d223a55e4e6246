"""Shared fixtures. Outbound network is blocked for every test (loopback stays open for real local servers);
tests use real chromadb, real model weights and real processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
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


@pytest.fixture(scope="session", autouse=True)
def session_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The user cache folder (core/cache.py) every test and the processes it starts share: a model cached there
    (the Chinese sentiment model, MiniLM's OpenVINO conversion) is built once per test session, and a developer's
    own cache is never touched. Set for the whole session, so the servers and Ray heads that module and session
    fixtures start (before any test's own settings apply) use it too."""
    folder = tmp_path_factory.mktemp("user-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MARKETING_AGENT_CACHE", str(folder))
        yield folder


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, session_cache: Path) -> None:
    """A developer's own MARKETING_AGENT_* / OPENAI_* variables never leak into a test."""
    for name in list(os.environ):
        if name.startswith(("MARKETING_AGENT_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MARKETING_AGENT_HOME", str(tmp_path / "default-workspace"))
    monkeypatch.setenv("MARKETING_AGENT_CACHE", str(session_cache))


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> DemoBuild:
    """A small demo store (800 reviews), built once per test session. Tests must not write to it."""
    folder = tmp_path_factory.mktemp("demo-workspace")
    return build_demo_workspace(folder, **SMALL_DEMO)


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
    """SmolLM2 converted from its GGUF once per session into a temporary workspace (~25 s) and loaded; every
    LocalGenerator on that model then shares it. Tests must not change its files."""
    from local_models.textgen.local import LocalGenerator

    generator = LocalGenerator(workspace=tmp_path_factory.mktemp("textgen-workspace"))
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


@pytest.hookimpl(trylast=True)  # after pytest's own reordering, which gathers the browser tests in one group
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules with browser tests last. pytest-playwright's sync API keeps an event loop running on the
    main thread for the rest of the session once its session-scoped `playwright` fixture starts, and every
    asyncio test after that (langchain's standard `ainvoke` tests) fails with "Runner.run() cannot be
    called from a running event loop". Whole modules move, not just their browser tests: a module split in two
    sets its module-scoped fixtures up twice (the budget surfaces' model fit, ~35 s). The sort is stable, so the
    order within each group is kept; a module that moves must hold no asyncio test."""
    first: dict[Path, int] = {}
    for i, item in enumerate(items):
        first.setdefault(item.path, i)
    browser = {item.path for item in items if "playwright" in getattr(item, "fixturenames", ())}
    items.sort(key=lambda item: (item.path in browser, first[item.path] if item.path in browser else 0))
