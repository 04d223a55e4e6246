"""The review store: validate-then-write, idempotent, resumable, locked; the filter mirror agrees with chromadb."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock

from core.errors import DataError, WorkspaceError
from core.workspace import Workspace
from tools import review_store as store_module
from tools.review_index import ReviewFilters
from tools.review_store import ReviewStore
from tools.reviews import ingest_reviews, review_store


def rows(n: int, start: int = 0, product: str = "P1") -> list[dict[str, object]]:
    return [
        {"review_id": f"r{i}", "product_id": product, "rating": 1 + i % 5, "text": f"review number {i} about fit"}
        for i in range(start, start + n)
    ]


def test_an_invalid_file_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("review_id,product_id,rating,text\na,P,5,good\nb,P,9,bad rating\n")
    with pytest.raises(DataError, match="row 2, column 'rating'"):
        ingest_reviews(bad, workspace=tmp_path / "ws", progress=False)
    assert not (tmp_path / "ws" / "chroma").exists()


def test_skip_invalid_writes_the_valid_rows_and_reports_the_rest(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("review_id,product_id,rating,text\na,P,5,good\nb,P,9,bad rating\n")
    report = ingest_reviews(bad, workspace=tmp_path / "ws", skip_invalid=True, progress=False)
    assert (report.added, report.skipped_invalid) == (1, 1)
    assert report.problems == ["row 2, column 'rating': 9 is outside 1-5 or not a whole number"]
    assert review_store(tmp_path / "ws").count() == 1


def test_reingest_is_idempotent_and_detects_changed_content(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = ingest_reviews(rows=rows(30), workspace=ws, progress=False)
    again = ingest_reviews(rows=rows(30), workspace=ws, progress=False)
    assert (first.added, again.added, again.unchanged) == (30, 0, 30)
    changed = rows(30)
    changed[3]["text"] = "edited: the fit is now perfect"
    third = ingest_reviews(rows=changed, workspace=ws, progress=False)
    assert (third.added, third.updated, third.unchanged) == (0, 1, 29)
    store = review_store(ws)
    assert store.count() == 30
    assert store.get(["r3"])["r3"].text == "edited: the fit is now perfect"


def test_resuming_after_a_partial_ingest_writes_only_the_rest(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ingest_reviews(rows=rows(20), workspace=ws, progress=False)
    report = ingest_reviews(rows=rows(50), workspace=ws, progress=False)
    assert (report.added, report.unchanged) == (30, 20)


def test_kill_9_during_ingest_then_rerun_completes_without_duplicates(tmp_path: Path) -> None:
    """A real crash: the ingest process is SIGKILLed after its first committed batch."""
    data = tmp_path / "reviews.csv"
    lines = ["review_id,product_id,rating,text"]
    lines += [
        f"k{i},P{i % 7},{1 + i % 5},customer {i} says the size runs {'small' if i % 2 else 'large'}"
        for i in range(2500)
    ]
    data.write_text("\n".join(lines) + "\n")
    ws = tmp_path / "ws"
    cli = [sys.executable, "-m", "agent.cli", "ingest-reviews", str(data), "--workspace", str(ws)]
    process = subprocess.Popen(cli, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    generation = ws / "index" / "reviews.generation"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and process.poll() is None:
        if generation.exists() and generation.read_text().strip() not in ("", "0"):
            break
        time.sleep(0.05)
    if process.poll() is None:
        os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = ReviewStore(Workspace.open(ws)).count()
    assert 0 < partial <= 2500
    finished = subprocess.run([*cli, "--json"], capture_output=True, text=True, timeout=300, check=True)
    assert '"written"' in finished.stdout
    store = ReviewStore(Workspace.open(ws))
    assert store.count() == 2500
    assert len(store.index()) == 2500  # the mirror was rebuilt, not left stale


def test_a_second_writer_waits_then_gets_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = Workspace.open(tmp_path / "ws").ensure()
    monkeypatch.setattr(store_module, "LOCK_TIMEOUT_S", 0.2)
    with FileLock(ws.locks_dir / "reviews.lock"), pytest.raises(WorkspaceError, match="Another process is writing"):
        ingest_reviews(rows=rows(3), workspace=ws, progress=False)


def test_filtered_search_equals_brute_force_over_the_stored_vectors(demo_store) -> None:
    store = review_store(demo_store.workspace)
    collection = store.collection()
    everything = collection.get(include=["embeddings", "metadatas"])
    vectors = np.asarray(everything["embeddings"], dtype=np.float32)
    query = store.embedder.embed(["the sizing runs small"])[0]
    filters = ReviewFilters(product_ids=("1001", "1004"), min_rating=2, max_rating=4)
    keep = [
        i
        for i, m in enumerate(everything["metadatas"])
        if m["product_id"] in {"1001", "1004"} and 2 <= m["rating"] <= 4
    ]
    scores = vectors[keep] @ query
    expected = [everything["ids"][keep[i]] for i in np.argsort(-scores)[:5]]
    got = [review.review_id for review, _ in store.search("the sizing runs small", filters, 5)]
    assert got == expected


def test_a_reader_sees_writes_made_through_another_store_object(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    reader, writer = ReviewStore(ws), ReviewStore(ws)
    ingest_reviews(rows=rows(10), workspace=ws, progress=False)
    assert len(reader.index()) == 10
    from tools.review_data import validate_review_records

    writer.ingest(validate_review_records(rows(5, start=10, product="P2")), progress=False)
    hits = reader.search("review about fit", ReviewFilters(product_ids=("P2",)), 10)
    assert {review.product_id for review, _ in hits} == {"P2"}
    assert len(hits) == 5


def test_a_corrupt_mirror_snapshot_is_rebuilt(tmp_path: Path) -> None:
    ws = Workspace.open(tmp_path / "ws")
    ingest_reviews(rows=rows(12), workspace=ws, progress=False)
    (ws.index_dir / "reviews.npz").write_bytes(b"garbage")
    fresh = ReviewStore(ws)
    assert len(fresh.index()) == 12


def test_searching_an_empty_workspace_says_how_to_fill_it(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="ingest-reviews"):
        ReviewStore(Workspace.open(tmp_path / "empty")).search("anything", ReviewFilters(), 3)
