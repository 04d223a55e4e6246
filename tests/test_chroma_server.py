"""The review store on a real Chroma server (`chroma run`, started once for this module on a free loopback port and
stopped after): ingest, search, filters, idempotent re-ingest, crash-resume, four concurrent writer processes, one
collection per workspace unless a name is shared on purpose, mirrors kept current across hosts, and clear errors
for a wrong or unreachable MARKETING_AGENT_CHROMA_URL."""

from __future__ import annotations

import csv
import http.server
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from subprocess import PIPE
from typing import Any

import chromadb
import numpy as np
import pytest
from pydantic import ValidationError

from core.errors import WorkspaceError
from core.workspace import Workspace
from eval.servers import chroma_server, free_port
from eval.suites.reliability.crash.ingest import inspect_live_store
from eval.suites.reliability.crash.processes import INGEST_WORKER, python_command, run_and_kill, write_reviews
from tools.review_index import ReviewFilters
from tools.review_store import ReviewStore
from tools.reviews import ingest_reviews, review_store, search_reviews

URL_VARIABLE = "MARKETING_AGENT_CHROMA_URL"
COLLECTION_VARIABLE = "MARKETING_AGENT_CHROMA_COLLECTION"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with chroma_server(tmp_path_factory.mktemp("chroma-server") / "data") as url:
        yield url


@pytest.fixture
def server(chroma_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """This test's workspaces (and the processes it starts) use the module's server."""
    monkeypatch.setenv(URL_VARIABLE, chroma_url)
    return chroma_url


@pytest.fixture(scope="module")
def reviews_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_reviews(tmp_path_factory.mktemp("reviews") / "reviews.csv", 600)  # two write batches: 512 + 88


def client(url: str) -> chromadb.api.ClientAPI:
    port = int(url.rsplit(":", 1)[1])
    return chromadb.HttpClient(host="127.0.0.1", port=port)


def records(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def rows(n: int, start: int = 0, product: str = "P1") -> list[dict[str, object]]:
    return [
        {"review_id": f"r{i}", "product_id": product, "rating": 1 + i % 5, "text": f"review number {i} about the fit"}
        for i in range(start, start + n)
    ]


# ---- one workspace on the server ------------------------------------------------------------------------------


def test_ingest_search_filters_and_reingest_on_the_server(server: str, reviews_file: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = ingest_reviews(reviews_file, workspace=ws, progress=False)
    assert first.added == 600
    assert not (ws / "chroma" / "chroma.sqlite3").exists()  # nothing embedded: the reviews are on the server
    store = review_store(ws)
    assert store.count() == 600
    hits = search_reviews(query="the zipper broke", k=5, workspace=ws).hits
    assert len(hits) == 5 and any("zipper" in h.snippet.lower() for h in hits)
    again = ingest_reviews(reviews_file, workspace=ws, progress=False)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 600)


@pytest.mark.parametrize(
    "filters",
    [
        {"product_ids": ["P007", "P013"]},
        {"min_rating": 4},
        {"max_rating": 2},
        {"date_from": date(2025, 3, 1), "date_to": date(2025, 5, 31)},
        {"product_ids": ["P001", "P002", "P003"], "min_rating": 2, "max_rating": 4, "date_from": date(2025, 2, 1)},
    ],
)
def test_filtered_search_equals_brute_force_over_the_server_s_vectors(
    server: str, reviews_file: Path, tmp_path_factory: pytest.TempPathFactory, filters: dict[str, Any]
) -> None:
    ws = tmp_path_factory.getbasetemp() / "filters-ws"  # one store for every case
    ingest_reviews(reviews_file, workspace=ws, progress=False)
    store = review_store(ws)
    everything = store.collection().get(include=["embeddings", "metadatas"])
    vectors = np.asarray(everything["embeddings"], dtype=np.float32)
    query = store.embedder.embed(["the stitching came apart"])[0]
    keep = [i for i, meta in enumerate(everything["metadatas"] or []) if _passes(meta, filters)]
    expected = [everything["ids"][keep[i]] for i in np.argsort(-(vectors[keep] @ query))[:8]]
    got = [h.review_id for h in search_reviews(query="the stitching came apart", k=8, workspace=ws, **filters).hits]
    assert keep and got == expected


def _passes(meta: Any, filters: dict[str, Any]) -> bool:
    day = date.fromisoformat(str(meta["date"]))
    return (
        ("product_ids" not in filters or meta["product_id"] in filters["product_ids"])
        and meta["rating"] >= filters.get("min_rating", 1)
        and meta["rating"] <= filters.get("max_rating", 5)
        and day >= filters.get("date_from", date.min)
        and day <= filters.get("date_to", date.max)
    )


def test_a_kill_during_ingest_loses_nothing_and_the_rerun_completes(
    server: str, reviews_file: Path, tmp_path: Path
) -> None:
    ws = tmp_path / "ws"
    run = run_and_kill(python_command(INGEST_WORKER, reviews_file, ws), 300, after_lines=1)
    assert run.killed and run.acks[0][1].startswith("ACK 512 "), run.stderr
    state = inspect_live_store(ws)
    assert state.opens and 512 <= state.count < 600 and state.unique_ids == state.count and state.mirror_agrees
    report = ingest_reviews(reviews_file, workspace=ws, progress=False)
    assert report.added == 600 - state.count
    final = inspect_live_store(ws)
    assert (final.count, final.unique_ids, final.mirror_agrees) == (600, 600, True), final
    assert _stored_ids(ws) == {r["review_id"] for r in records(reviews_file)}


def test_searching_a_workspace_with_nothing_on_the_server_says_how_to_fill_it(server: str, tmp_path: Path) -> None:
    before = len(client(server).list_collections())
    with pytest.raises(WorkspaceError, match="ingest-reviews"):
        search_reviews(query="anything", workspace=tmp_path / "empty")
    assert len(client(server).list_collections()) == before  # a reader creates nothing on the server


# ---- several workspaces (hosts) on one server -----------------------------------------------------------------


def test_two_workspaces_on_one_server_keep_their_reviews_apart(server: str, reviews_file: Path, tmp_path: Path) -> None:
    ingest_reviews(reviews_file, workspace=tmp_path / "a", progress=False)
    ingest_reviews(rows=rows(20, product="B"), workspace=tmp_path / "b", progress=False)
    assert (review_store(tmp_path / "a").count(), review_store(tmp_path / "b").count()) == (600, 20)
    hits = search_reviews(query="the fit", k=50, workspace=tmp_path / "b").hits
    assert {h.product_id for h in hits} == {"B"}


def test_workspaces_sharing_a_collection_see_each_other_s_writes(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(COLLECTION_VARIABLE, "shared-sees-writes")
    ingest_reviews(rows=rows(10, product="P1"), workspace=tmp_path / "a", progress=False)
    reader = ReviewStore(Workspace.open(tmp_path / "b"))
    assert len(reader.index()) == 10  # its filter mirror is loaded now
    ingest_reviews(rows=rows(5, start=10, product="P2"), workspace=tmp_path / "a", progress=False)
    hits = reader.search("review about the fit", ReviewFilters(product_ids=("P2",)), 10)
    assert len(hits) == 5 and {review.product_id for review, _ in hits} == {"P2"}
    assert len(reader.reviews_for(ReviewFilters(min_rating=1))) == 15


def test_a_writer_s_mirror_keeps_what_another_host_wrote_during_its_ingest(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Host A's ingest commits a batch, then host B writes, then A finishes: A's mirror must hold B's reviews."""
    from tools.review_data import validate_review_records

    monkeypatch.setenv(COLLECTION_VARIABLE, "shared-interleaved")
    ingest_reviews(rows=rows(3, product="seed"), workspace=tmp_path / "a", progress=False)
    store_a = ReviewStore(Workspace.open(tmp_path / "a"))
    collection = store_a.collection()
    real_upsert = collection.upsert

    def upsert_then_b_writes(**kwargs: Any) -> None:
        real_upsert(**kwargs)
        if len(kwargs["ids"]) == 512:  # after A's first batch: B's write lands between A's batches
            ingest_reviews(rows=rows(7, start=5000, product="from-b"), workspace=tmp_path / "b", progress=False)

    collection.upsert = upsert_then_b_writes  # type: ignore[method-assign]
    store_a.ingest(validate_review_records(rows(600, start=100, product="from-a")), progress=False)
    found = store_a.reviews_for(ReviewFilters(product_ids=("from-b",)))
    assert len(found) == 7
    assert len(store_a.index()) == 3 + 600 + 7


class _Crash(BaseException):
    """Stands in for the process dying right after chromadb committed a batch (nothing may handle it)."""


def test_a_crash_between_a_batch_and_its_generation_bump_is_made_good_by_the_rerun(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch is on the server but no mirror can know; the rerun finds nothing to write, yet readers elsewhere
    must see the batch afterwards."""
    from tools.review_data import validate_review_records

    monkeypatch.setenv(COLLECTION_VARIABLE, "shared-crash-bump")
    ingest_reviews(rows=rows(4, product="before"), workspace=tmp_path / "a", progress=False)
    reader = ReviewStore(Workspace.open(tmp_path / "b"))
    assert len(reader.index()) == 4
    crashing = ReviewStore(Workspace.open(tmp_path / "a"))
    collection = crashing.collection()
    real_upsert = collection.upsert

    def upsert_then_die(**kwargs: Any) -> None:
        real_upsert(**kwargs)
        raise _Crash

    collection.upsert = upsert_then_die  # type: ignore[method-assign]
    with pytest.raises(_Crash):
        crashing.ingest(validate_review_records(rows(6, start=10, product="landed")), progress=False)
    rerun = ingest_reviews(rows=rows(6, start=10, product="landed"), workspace=tmp_path / "a", progress=False)
    assert (rerun.added, rerun.unchanged) == (0, 6)
    assert len(reader.reviews_for(ReviewFilters(product_ids=("landed",)))) == 6


def test_four_concurrent_writer_processes_lose_and_duplicate_nothing(
    server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four processes (four workspaces, as on four hosts) ingest overlapping files into one shared collection."""
    monkeypatch.setenv(COLLECTION_VARIABLE, "shared-four-writers")
    pool = records(write_reviews(tmp_path / "pool.csv", 800, seed=7))
    files = [_write_records(tmp_path / f"part{i}.csv", pool[i * 160 : i * 160 + 320]) for i in range(4)]
    workspaces = [tmp_path / f"host{i}" for i in range(4)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    writers = [
        subprocess.Popen(python_command(INGEST_WORKER, f, ws), stdout=PIPE, stderr=PIPE, text=True, env=env)
        for f, ws in zip(files, workspaces, strict=True)
    ]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert all(w.returncode == 0 for w in writers), [err[-2000:] for _, err in outputs]
    expected = {r["review_id"]: r["text"] for r in pool[: 3 * 160 + 320]}  # 800 reviews, each in one or two files
    stored = review_store(workspaces[0]).get(sorted(expected))
    assert {rid: r.text for rid, r in stored.items()} == expected
    for ws in workspaces:
        state = inspect_live_store(ws)
        assert (state.count, state.unique_ids, state.mirror_agrees) == (800, 800, True), (ws.name, state)


def _write_records(path: Path, chosen: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(chosen[0]))
        writer.writeheader()
        writer.writerows(chosen)
    return path


def _stored_ids(ws: Path) -> set[str]:
    collection = review_store(ws).collection()
    return set(collection.get(include=[])["ids"])


# ---- a wrong or unreachable URL -------------------------------------------------------------------------------


def test_an_unreachable_server_is_one_clear_error_naming_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv(URL_VARIABLE, url)
    with pytest.raises(WorkspaceError) as caught:
        ingest_reviews(rows=rows(3), workspace=tmp_path / "ws", progress=False)
    message = str(caught.value)
    assert url in message and "\n" not in message and URL_VARIABLE in message
    cli = [sys.executable, "-m", "agent.cli", "ingest-reviews", str(_write_records(tmp_path / "r.csv", rows(3))),
           "--workspace", str(tmp_path / "ws")]  # fmt: skip
    done = subprocess.run(cli, check=False, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert url in " ".join(done.stderr.split()), done.stderr


def test_a_url_that_is_not_a_chroma_server_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{site.server_address[1]}"
    monkeypatch.setenv(URL_VARIABLE, url)
    try:
        with pytest.raises(WorkspaceError) as caught:
            ingest_reviews(rows=rows(3), workspace=tmp_path / "ws", progress=False)
    finally:
        site.shutdown()
        site.server_close()
    assert url in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("bad", ["localhost:8000", "ftp://127.0.0.1:8000", "http://", "http://127.0.0.1:99999"])
def test_a_malformed_chroma_url_is_refused_by_name(bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(URL_VARIABLE, bad)
    with pytest.raises(ValidationError, match="chroma_url") as caught:
        ingest_reviews(rows=rows(3), workspace=tmp_path / "ws", progress=False)
    assert bad in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no folder named after the URL, no workspace


def test_a_malformed_collection_name_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(COLLECTION_VARIABLE, "no spaces/or slashes")
    with pytest.raises(ValidationError, match="chroma_collection"):
        Workspace.open(tmp_path / "ws")


def test_a_server_that_dies_mid_session_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with chroma_server(tmp_path / "data") as url:
        monkeypatch.setenv(URL_VARIABLE, url)
        ingest_reviews(rows=rows(3), workspace=tmp_path / "ws", progress=False)
        assert search_reviews(query="great", k=2, workspace=tmp_path / "ws").hits  # the store is open and working
    for ask in (
        lambda: search_reviews(query="great", k=2, workspace=tmp_path / "ws"),
        lambda: search_reviews(query="great", product_ids=["P1"], k=2, workspace=tmp_path / "ws"),
        lambda: ingest_reviews(rows=rows(2, start=10), workspace=tmp_path / "ws", progress=False),
    ):
        with pytest.raises(WorkspaceError) as caught:
            ask()
        message = str(caught.value)
        assert url in message and "\n" not in message and URL_VARIABLE in message
