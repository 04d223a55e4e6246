"""Reliability (issue 8): a fast, representative subset of the eval suites in eval/suites/reliability/.

Provider faults end in a fallback with a warning (never an exception or a hang), a kill during ingest loses no
acknowledged write and the store resumes whole, a crash mid-save leaves a loadable checkpoint, bad input is refused
clearly with the workspace unchanged, and runaway requests stop within their budgets. Timings live in the eval
reports; the only time checks here are generous budget checks.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from eval.fakes.openai_server import ScriptedOpenAIServer
from eval.suites.reliability.crash.ingest import inspect_store, rated_reviews, sentiment_reviews, targeted_crash
from eval.suites.reliability.crash.processes import INGEST_WORKER, python_command, run_and_kill, write_reviews
from eval.suites.reliability.faults.consumption import llm_spend, looping_model, tool_cases
from eval.suites.reliability.faults.provider import (
    AGENT_REQUESTS,
    agent_attempt,
    fault_agent,
    generate_attempt,
    stream_attempt,
)
from eval.suites.reliability.faults.setup import SIZES, Setup, instant_local
from eval.suites.reliability.faults.watchdog import watched
from eval.suites.reliability.input.cases import Case, file_cases
from eval.suites.reliability.input.processes import cli_case, python_case
from eval.suites.reliability.input.rest import ESCAPE_TARGET, UPLOAD_LIMIT_MB, request_cases, rest_case, rest_server
from local_models.checkpoint import load_checkpoint, save_checkpoint
from local_models.textgen.openai_backend import OpenAIGenerator

FAST_FAULTS = ("rate_limit", "server_error", "malformed_json", "truncated_stream", "connection_reset")


@pytest.fixture(scope="module")
def fault_server() -> Iterator[ScriptedOpenAIServer]:
    with ScriptedOpenAIServer(model="fault-test") as server:
        yield server


@pytest.fixture(scope="module")
def setup(demo_copy: Path) -> Setup:
    """The demo copy, an instant stand-in for the local model, and a 20 s request budget."""
    return Setup(demo_copy, instant_local(), SIZES.quick)


def generator(server: ScriptedOpenAIServer, kind: str, timeout: float = 2.0) -> OpenAIGenerator:
    url = server.fault_url(kind)
    return OpenAIGenerator(api_key="sk-test", base_url=url, model="fault", timeout=timeout, fallback=instant_local())


# ---- provider faults -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", FAST_FAULTS)
def test_the_text_generator_falls_back_with_a_warning(fault_server: ScriptedOpenAIServer, kind: str) -> None:
    remote = generator(fault_server, kind)
    for attempt in (generate_attempt(remote), stream_attempt(remote)):
        assert attempt.outcome == "fallback", attempt
        assert attempt.message.startswith("OpenAI (fault) failed: ")


@pytest.mark.parametrize("kind", FAST_FAULTS)
def test_the_agent_answers_offline_when_the_llm_fails(
    fault_server: ScriptedOpenAIServer, setup: Setup, kind: str
) -> None:
    agent = fault_agent(setup, fault_server.fault_url(kind), timeout=2.0)
    attempt = watched(lambda: agent_attempt(agent, AGENT_REQUESTS[0]), setup.sizes.budget_s)
    assert attempt.outcome == "fallback" and "answered offline" in attempt.message, attempt


def test_waiting_and_trickling_providers_are_given_up_on_within_budget(
    fault_server: ScriptedOpenAIServer, setup: Setup
) -> None:
    remote = generator(fault_server, "long_retry_after", timeout=1.0)
    waited = watched(lambda: generate_attempt(remote), budget=10)
    assert waited.outcome == "fallback" and "asked to wait 100 s" in waited.message
    # a read timeout of 2 s against a byte every DRIP_INTERVAL_S (1 s): only the call's overall budget can end it
    trickled = watched(lambda: stream_attempt(generator(fault_server, "slow_drip", 2.0)), budget=12)
    assert trickled.outcome == "fallback" and "did not finish within" in trickled.message
    short = dataclasses.replace(setup, sizes=dataclasses.replace(setup.sizes, budget_s=8.0))
    agent = fault_agent(short, fault_server.fault_url("slow_drip"), timeout=2.0)
    answered = watched(lambda: agent_attempt(agent, AGENT_REQUESTS[0]), budget=8.0)
    assert answered.outcome == "fallback" and answered.seconds <= 8.0 + 2.0, answered


# ---- crash safety ----------------------------------------------------------------------------------------------


def test_a_kill_during_ingest_loses_no_acknowledged_write_and_the_rerun_completes(tmp_path: Path) -> None:
    from tools.reviews import ingest_reviews

    reviews = write_reviews(tmp_path / "reviews.csv", 600)  # two batches: 512 + 88
    workspace = tmp_path / "ws"
    run = run_and_kill(python_command(INGEST_WORKER, reviews, workspace), 300, after_lines=1)
    assert run.killed and run.acks and run.acks[0][1].startswith("ACK 512 ")
    state = inspect_store(workspace, tmp_path)
    assert state.opens and state.count >= 512 and state.unique_ids == state.count and state.mirror_agrees
    report = ingest_reviews(reviews, workspace=workspace, progress=False)
    assert report.added == 600 - state.count
    final = inspect_store(workspace, tmp_path)
    assert (final.count, final.unique_ids, final.mirror_agrees) == (600, 600, True)


def test_a_kill_before_the_sentiment_retrain_is_made_good_by_the_rerun(tmp_path: Path) -> None:
    from tools.reviews import ingest_reviews

    reviews = write_reviews(tmp_path / "reviews.csv", 120)  # one batch, then the retrain
    workspace = tmp_path / "ws"
    run = run_and_kill(python_command(INGEST_WORKER, reviews, workspace), 300, after_lines=1)
    assert run.killed and run.acks[0][1].startswith("ACK 120 ")
    report = ingest_reviews(reviews, workspace=workspace, progress=False)
    assert report.added == 0 and any("sentiment model trained" in note for note in report.notes), report.notes
    assert sentiment_reviews(workspace) == rated_reviews(reviews)
    again = ingest_reviews(reviews, workspace=workspace, progress=False)  # nothing new and nothing owed: no retrain
    assert not any("sentiment" in note for note in again.notes), again.notes


def test_a_crash_right_after_a_committed_batch_leaves_no_stale_mirror(tmp_path: Path) -> None:
    reviews = write_reviews(tmp_path / "reviews.csv", 700)
    result = targeted_crash(tmp_path, reviews, _Quiet())
    assert result["crashed"]
    assert result["after_crash"].mirror_agrees and result["after_resume"].mirror_agrees
    assert result["after_resume"].count == 700


def test_a_save_killed_between_its_renames_leaves_the_old_checkpoint(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    save_checkpoint(folder, kind="thing", format_version=1, manifest={"version": 1}, arrays={"w": np.zeros(3)})
    dead = _dead_pid()
    folder.rename(folder.with_name(f".model.old-{dead}"))  # the first rename happened, the second never did
    (tmp_path / f".model.tmp-{dead}").mkdir()  # and a half-written new one
    assert load_checkpoint(folder, kind="thing", format_versions=[1]).manifest["version"] == 1
    save_checkpoint(folder, kind="thing", format_version=1, manifest={"version": 2}, arrays={"w": np.ones(3)})
    assert load_checkpoint(folder, kind="thing", format_versions=[1]).manifest["version"] == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # what the crash left is cleaned up


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


class _Quiet:
    """A console whose status spinner does nothing (for suite functions called from tests)."""

    def status(self, *args: Any, **kwargs: Any) -> Any:
        import contextlib

        return contextlib.nullcontext()


# ---- bad input -------------------------------------------------------------------------------------------------

BAD_FILES = (
    "wrong columns (no text column)",
    "latin-1 encoded",
    "a 50 MB single line (JSONL)",
    "zip bomb: 2 GB of rows (.csv.gz)",
    "duplicated ids, different content",
    "symlink loop",
)


@pytest.fixture(scope="module")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Case, Path]]:
    folder = tmp_path_factory.mktemp("bad-input")
    return {c.name + c.kind: (c, c.write(folder)) for c in file_cases() if c.name in BAD_FILES or c.quick}


@pytest.mark.parametrize("name", BAD_FILES)
def test_bad_review_files_are_refused_by_the_python_tools(
    cases: dict[str, tuple[Case, Path]], demo_copy: Path, name: str
) -> None:
    case, path = cases[name + "reviews"]
    outcome = python_case(dataclasses.replace(case, isolate=False), path, demo_copy)
    assert outcome.passed, outcome


def test_a_zip_bomb_is_refused_by_the_cli_in_bounded_memory(
    cases: dict[str, tuple[Case, Path]], demo_copy: Path
) -> None:
    case, path = cases["zip bomb: a 1 GB line (.csv.gz)sales"]
    outcome = cli_case(case, path, demo_copy)
    assert outcome.passed and "zip bomb" in outcome.message, outcome
    assert outcome.peak_mb is not None and outcome.peak_mb < 1500


def test_the_cli_warns_about_transactions_dated_after_today(tmp_path: Path) -> None:
    case = next(c for c in file_cases() if c.kind == "transactions" and c.name == "dates in the future")
    outcome = cli_case(case, case.write(tmp_path), tmp_path / "ws")
    assert outcome.passed and outcome.outcome == "accepted (warned)", outcome


REST_CASES = (
    "upload named ../../../../tmp/escape.csv (bad rows)",
    "deeply nested JSON body (rows)",
    "Infinity in a what-if",
    f"upload over the limit ({UPLOAD_LIMIT_MB + 1} MB)",
)


def test_bad_requests_get_problem_json_4xx_and_change_nothing(demo_copy: Path) -> None:
    requests = [r for r in request_cases() if r.name in REST_CASES]
    assert len(requests) == len(REST_CASES)
    with rest_server(demo_copy) as url, httpx.Client(base_url=url, timeout=60) as client:
        outcomes = [rest_case(client, request, demo_copy) for request in requests]
    for outcome in outcomes:
        assert outcome.passed, outcome
    by_case = {o.case: o for o in outcomes}
    assert "finite" in by_case["Infinity in a what-if"].message
    assert "reliability-escape.csv" in by_case[REST_CASES[0]].message  # named as uploaded, no server path
    assert not ESCAPE_TARGET.exists()


# ---- excessive consumption -------------------------------------------------------------------------------------


def test_a_model_that_calls_tools_forever_stops_at_the_call_budget(setup: Setup) -> None:
    for case, model in (("loop", looping_model()), ("fan-out", looping_model(40))):
        spend = llm_spend(setup, case, model, "forecast it again and again")
        assert spend.within and spend.calls == 8 and model.turns <= 10, spend


def test_a_huge_message_never_reaches_the_model(setup: Setup) -> None:
    model = looping_model(answer_every=2)
    spend = llm_spend(setup, "huge", model, "forecast " * 11_112)
    assert spend.within and model.turns == 0 and "characters" in spend.message, spend


def test_huge_arguments_are_refused_by_the_tools(setup: Setup) -> None:
    spends = tool_cases(setup)
    assert spends and all(s.within for s in spends), [s.row() for s in spends if not s.within]
