"""The review store: chromadb (the store of record) plus the in-memory filter mirror.

Writes are validated first and then batched, idempotent (content-hash ids and content hashes in metadata),
resumable after a crash (committed batches are skipped on re-run) and serialised by a file lock, since
chromadb's embedded store is not process-safe.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Embeddable, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from core.atomic import write_text
from core.errors import WorkspaceError
from core.workspace import Workspace
from local_models.embeddings import MiniLMEmbedder, MiniLMEmbeddingFunction
from tools import models
from tools.review_data import ParsedReviews, ReviewRow
from tools.review_index import ReviewFilters, ReviewIndex, date_ordinal

COLLECTION = "reviews"
WRITE_BATCH = 512  # rows per chromadb write: one committed, resumable unit
READ_PAGE = 5000  # below chromadb's max batch size (5,461)
LOCK_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class StoredReview:
    """A review as stored: what search results and insight read."""

    review_id: str
    product_id: str
    rating: int
    text: str
    title: str
    product_name: str
    category: str
    date: str
    channel: str


Progress = Callable[[int, int], None]  # (done, total)


@dataclass
class IngestReport:
    """What an ingest did, for the CLI, the API and the eval."""

    source: str
    rows_read: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_invalid: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def written(self) -> int:
        return self.added + self.updated


_OPENING = threading.RLock()  # chromadb clients and collections are opened once, by one thread at a time


def _client(location: str) -> ClientAPI:
    with _OPENING:  # concurrent first opens race inside chromadb ("Could not connect to tenant default_tenant")
        return _open_client(location)


@functools.cache
def _open_client(location: str) -> ClientAPI:
    settings = ChromaSettings(anonymized_telemetry=False)
    if location.startswith(("http://", "https://")):
        url = urlparse(location)
        port = url.port or (443 if url.scheme == "https" else 8000)
        return chromadb.HttpClient(
            host=url.hostname or "localhost", port=port, ssl=url.scheme == "https", settings=settings
        )
    return chromadb.PersistentClient(path=location, settings=settings)


class ReviewStore:
    """Reviews of one workspace. Cheap to create; chromadb and the model load on first use."""

    def __init__(self, workspace: Workspace, embedder: MiniLMEmbedder | None = None) -> None:
        self.workspace = workspace
        self._embedder = embedder
        self._collection: Collection | None = None
        self._index: ReviewIndex | None = None
        self._index_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def embedder(self) -> MiniLMEmbedder:
        if self._embedder is None:
            self._embedder = models.embedder(self.workspace.settings)
        return self._embedder

    @property
    def exists(self) -> bool:
        return bool(self.workspace.settings.chroma_url) or (self.workspace.chroma_dir / "chroma.sqlite3").exists()

    def collection(self, *, create: bool = False) -> Collection:
        if self._collection is not None:
            return self._collection
        with _OPENING:
            return self._open_collection(create)

    def _open_collection(self, create: bool) -> Collection:
        if self._collection is None:
            if not create and not self.exists:
                raise WorkspaceError(
                    f"No reviews in workspace {self.workspace.root}. Ingest some with "
                    "`marketing-agent ingest-reviews FILE`, or build the demo with `marketing-agent demo`."
                )
            if create:
                self.workspace.ensure()
            settings = self.workspace.settings
            client = _client(settings.chroma_url or str(self.workspace.chroma_dir))
            # Passing our embedding function every time: a collection opened without it would fall back
            # to chromadb's default, which downloads a model.
            self._collection = client.get_or_create_collection(
                COLLECTION,
                embedding_function=cast(
                    "EmbeddingFunction[Embeddable]",
                    MiniLMEmbeddingFunction(
                        settings.embed_precision, settings.embed_backend, settings.embed_batch_size
                    ),
                ),
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._collection

    def count(self) -> int:
        return self.collection().count() if self.exists else 0

    @property
    def _generation_file(self) -> Path:
        """A counter bumped after every committed write batch; the mirror is valid for one value of it."""
        return self.workspace.index_dir / "reviews.generation"

    @property
    def _snapshot_file(self) -> Path:
        return self.workspace.index_dir / "reviews.npz"

    def _read_generation(self) -> int:
        try:
            return int(self._generation_file.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def _write_generation(self, generation: int) -> None:
        write_text(self._generation_file, str(generation))

    # -- writing ----------------------------------------------------------------------------------

    def writer_lock(self) -> FileLock:
        self.workspace.ensure()
        return FileLock(self.workspace.locks_dir / "reviews.lock", timeout=LOCK_TIMEOUT_S)

    def ingest(
        self,
        parsed: ParsedReviews,
        *,
        progress: bool = True,
        known_vectors: Mapping[str, np.ndarray] | None = None,
        on_progress: Progress | None = None,
    ) -> IngestReport:
        """Write `parsed.rows`; rows already stored with the same content are skipped. `known_vectors`
        (embedding text -> vector) skips embedding texts whose vector is already known. `on_progress(done,
        total)` is called after each committed batch (the REST API's ingest jobs report it)."""
        started = time.perf_counter()
        report = IngestReport(source=parsed.source, rows_read=parsed.total_rows, warnings=list(parsed.warnings))
        report.skipped_invalid = parsed.total_rows - len(parsed.rows) - parsed.duplicates
        report.problems = [str(p) for p in parsed.problems]
        try:
            with self.writer_lock():
                self._ingest_locked(parsed.rows, report, progress, known_vectors or {}, on_progress)
        except Timeout as exc:
            raise WorkspaceError(
                f"Another process is writing reviews to {self.workspace.root} (lock held > {LOCK_TIMEOUT_S:.0f} s); "
                "try again when it finishes."
            ) from exc
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_locked(
        self,
        rows: list[ReviewRow],
        report: IngestReport,
        progress: bool,
        known: Mapping[str, np.ndarray],
        on_progress: Progress | None,
    ) -> None:
        collection = self.collection(create=True)
        stored = self._stored_hashes(collection, [r.review_id for r in rows])
        todo = [r for r in rows if stored.get(r.review_id) != r.content_hash]
        report.unchanged = len(rows) - len(todo)
        report.updated = sum(1 for r in todo if r.review_id in stored)
        report.added = len(todo) - report.updated
        if not todo:
            return
        generation = self._read_generation()
        index = self._current_index(collection)
        # No snapshot while writing: a crash between a batch's commit and the generation bump after it would
        # otherwise leave the old snapshot looking current, missing that batch for good. Saved again at the end.
        self._snapshot_file.unlink(missing_ok=True)
        todo.sort(key=lambda r: len(r.embedding_text))  # batches of similar length pad less
        written: list[np.ndarray] = []
        done = 0
        with tqdm(total=len(todo), desc="Ingesting reviews", unit="review", disable=not progress) as bar:
            for batch in _chunks(todo, WRITE_BATCH):
                vectors = self._vectors([r.embedding_text for r in batch], known)
                collection.upsert(
                    ids=[r.review_id for r in batch],
                    embeddings=vectors,
                    documents=[r.text for r in batch],
                    metadatas=[_metadata(r) for r in batch],
                )
                generation += 1
                self._write_generation(generation)  # a crash from here on leaves a stale mirror: rebuilt on open
                written.append(vectors)
                bar.update(len(batch))
                done += len(batch)
                if on_progress is not None:  # (bar.n stays 0 when the bar is disabled)
                    on_progress(done, len(todo))
        # One merge at the end: merging per batch would copy the whole mirror once per batch.
        added = ReviewIndex.from_records(
            generation, [r.review_id for r in todo], np.concatenate(written), [_metadata(r) for r in todo]
        )
        index = index.upsert(added)
        index.save(self._snapshot_file)
        with self._index_lock:
            self._index = index

    def _vectors(self, texts: list[str], known: Mapping[str, np.ndarray]) -> np.ndarray:
        missing = [t for t in texts if t not in known]
        if not missing:
            return np.stack([known[t] for t in texts])
        fresh = dict(zip(missing, self.embedder.embed(missing), strict=True))
        return np.stack([known[t] if t in known else fresh[t] for t in texts])

    def _stored_hashes(self, collection: Collection, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(ids), READ_PAGE):
            got = collection.get(ids=chunk, include=["metadatas"])
            for review_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                found[review_id] = str((meta or {}).get("content_hash", ""))
        return found

    # -- reading ----------------------------------------------------------------------------------

    def index(self) -> ReviewIndex:
        """The filter mirror, reloaded when another writer has changed the store since it was read."""
        generation = self._read_generation()
        with self._index_lock:
            if self._index is None or self._index.generation != generation:
                self._index = self._current_index(self.collection())
            return self._index

    def _current_index(self, collection: Collection) -> ReviewIndex:
        generation = self._read_generation()
        snapshot = ReviewIndex.load(self._snapshot_file)
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        return self._rebuild_index(collection, generation)

    def _rebuild_index(self, collection: Collection, generation: int) -> ReviewIndex:
        ids: list[str] = []
        vectors: list[np.ndarray] = []
        metadatas: list[dict[str, Any]] = []
        total = collection.count()
        for offset in range(0, total, READ_PAGE):
            page = collection.get(limit=READ_PAGE, offset=offset, include=["embeddings", "metadatas"])
            ids += page["ids"]
            vectors.append(np.asarray(page["embeddings"], dtype=np.float32).reshape(-1, 384))
            metadatas += [dict(m or {}) for m in page["metadatas"] or []]
        if not ids:
            return ReviewIndex.empty(generation)
        index = ReviewIndex.from_records(generation, ids, np.concatenate(vectors), metadatas)
        if self.workspace.index_dir.exists():
            index.save(self._snapshot_file)
        return index

    def search(self, query: str, filters: ReviewFilters, k: int) -> list[tuple[StoredReview, float]]:
        """Top-k reviews by cosine similarity to `query` among those passing `filters`."""
        vector = self.embedder.embed([query])[0]
        if filters.active:
            ranked = self.index().search(vector, filters, k)
        else:
            ranked = self._hnsw_search(vector, k)
        reviews = self.get([review_id for review_id, _ in ranked])
        return [(reviews[rid], score) for rid, score in ranked if rid in reviews]

    def _hnsw_search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        collection = self.collection()
        n = min(k, collection.count())
        if n == 0:
            return []
        got = collection.query(query_embeddings=[vector], n_results=n, include=["distances"])
        distances = (got["distances"] or [[]])[0]
        return [(rid, 1.0 - float(d)) for rid, d in zip(got["ids"][0], distances, strict=True)]

    def get(self, ids: Sequence[str]) -> dict[str, StoredReview]:
        """Stored reviews by id (missing ids are left out)."""
        if not ids:
            return {}
        found: dict[str, StoredReview] = {}
        for chunk in _chunks(list(ids), READ_PAGE):
            got = self.collection().get(ids=chunk, include=["metadatas", "documents"])
            for rid, meta, doc in zip(got["ids"], got["metadatas"] or [], got["documents"] or [], strict=True):
                found[rid] = _stored_review(rid, dict(meta or {}), doc or "")
        return found

    def all_reviews(self) -> list[StoredReview]:
        """Every stored review, read in pages (for retraining models on the whole store)."""
        collection = self.collection()
        reviews: list[StoredReview] = []
        for offset in range(0, collection.count(), READ_PAGE):
            page = collection.get(limit=READ_PAGE, offset=offset, include=["metadatas", "documents"])
            for rid, meta, doc in zip(page["ids"], page["metadatas"] or [], page["documents"] or [], strict=True):
                reviews.append(_stored_review(rid, dict(meta or {}), doc or ""))
        return reviews

    def reviews_for(self, filters: ReviewFilters) -> list[StoredReview]:
        """Every review passing `filters` (no ranking), e.g. all reviews of a product for insight."""
        index = self.index()
        ids = [str(i) for i in index.ids[index.mask(filters)]]
        found = self.get(ids)
        return [found[i] for i in ids if i in found]


def _metadata(row: ReviewRow) -> dict[str, Any]:
    return {
        "product_id": row.product_id,
        "rating": row.rating,
        "title": row.title,
        "product_name": row.product_name,
        "category": row.category,
        "date": row.date,
        "date_ord": date_ordinal(row.date),
        "channel": row.channel,
        "content_hash": row.content_hash,
    }


def _stored_review(review_id: str, meta: dict[str, Any], text: str) -> StoredReview:
    return StoredReview(
        review_id=review_id,
        product_id=str(meta.get("product_id", "")),
        rating=int(meta.get("rating", 0)),
        text=text,
        title=str(meta.get("title", "")),
        product_name=str(meta.get("product_name", "")),
        category=str(meta.get("category", "")),
        date=str(meta.get("date", "")),
        channel=str(meta.get("channel", "")),
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
