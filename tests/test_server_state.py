"""State that several server processes share (`serve --workers N`): the rate limit and the jobs, each checked
with real sqlite files and real processes; the whole server with two workers is in test_serve_workers.py."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from agent.jobs import JobStore, connect_state
from agent.limits import RateLimiter


def test_a_shared_limit_is_one_limit_across_processes(tmp_path: Path) -> None:
    state = tmp_path / "server.sqlite"
    clock = [1_000.0]
    first, second = (RateLimiter(6, clock=lambda: clock[0], shared=state) for _ in range(2))
    waits = [limiter.take("key-a") for limiter in (first, second) * 4]  # eight requests, a burst of six allowed
    assert waits[:6] == [0.0] * 6 and all(w > 0 for w in waits[6:])
    assert first.take("key-b") == 0.0  # one bucket per key
    clock[0] += 10.0  # six a minute: one token back every 10 s
    assert second.take("key-a") == 0.0 and first.take("key-a") > 0


def test_a_limit_kept_per_process_gives_each_process_its_own_bucket() -> None:
    first, second = RateLimiter(2, clock=lambda: 0.0), RateLimiter(2, clock=lambda: 0.0)
    assert [first.take("k"), first.take("k"), second.take("k")] == [0.0, 0.0, 0.0]
    assert first.take("k") > 0


def test_concurrent_takes_from_many_threads_never_overspend(tmp_path: Path) -> None:
    limiter = RateLimiter(20, clock=lambda: 5_000.0, shared=tmp_path / "server.sqlite")
    granted: list[bool] = []

    def take() -> None:
        for _ in range(10):
            granted.append(limiter.take("k") == 0.0)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 20 and len(granted) == 40


def _set_runner(state: Path, job_id: str, runner: str) -> None:
    with connect_state(state) as db:
        db.execute("UPDATE jobs SET runner = ? WHERE id = ?", (runner, job_id))


def test_a_sibling_worker_starting_leaves_running_jobs_alone_and_a_dead_ones_jobs_read_interrupted(
    tmp_path: Path,
) -> None:
    state = tmp_path / "server.sqlite"
    store = JobStore(state)
    sibling = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = store.create("ingest_reviews", "owner")
        store.update(live.id, status="running")
        gone = store.create("ingest_reviews", "owner")
        store.update(gone.id, status="running")
        host = store.runner.rpartition(":")[0]
        _set_runner(state, live.id, f"{host}:{sibling.pid}")
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        _set_runner(state, gone.id, f"{host}:{dead.pid}")
        JobStore(state)  # another worker (or a restarted one) opens the same state
        live_job, gone_job = store.get(live.id, "owner"), store.get(gone.id, "owner")
        assert live_job is not None and live_job.status == "running"
        assert gone_job is not None and gone_job.status == "interrupted" and gone_job.error
    finally:
        sibling.kill()
        sibling.wait()
    JobStore(state)  # the sibling is gone now: its job is interrupted too
    live_job = store.get(live.id, "owner")
    assert live_job is not None and live_job.status == "interrupted"


def test_jobs_of_another_host_are_left_for_that_host(tmp_path: Path) -> None:
    state = tmp_path / "server.sqlite"
    store = JobStore(state)
    job = store.create("ingest_reviews", "owner")
    store.update(job.id, status="running")
    _set_runner(state, job.id, "some-other-host.internal:4242")
    JobStore(state)
    found = store.get(job.id, "owner")
    assert found is not None and found.status == "running"


def test_a_state_file_from_before_runners_is_upgraded_and_its_unfinished_jobs_interrupted(tmp_path: Path) -> None:
    state = tmp_path / "server.sqlite"
    with connect_state(state) as db:
        db.execute("CREATE TABLE jobs (id TEXT PRIMARY KEY, owner TEXT NOT NULL, body TEXT NOT NULL)")
        body = '{"id": "job_old", "kind": "ingest_reviews", "status": "running", "created_at": "2026-01-01T00:00:00Z"}'
        db.execute("INSERT INTO jobs VALUES ('job_old', 'owner', ?)", (body,))
    store = JobStore(state)
    old = store.get("job_old", "owner")
    assert old is not None and old.status == "interrupted"
    assert store.create("ingest_reviews", "owner").status == "queued"
