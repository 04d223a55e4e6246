"""The four batch jobs: what each reads from the workspace (on the driver) and computes per chunk (on a worker).

A job's plan lists its items (series, customers, reviews) in output order and hands each chunk of them to
`compute_chunk`, which calls the same tool functions the single requests use (`forecast_series_batch`,
`recommend_products`, `score_customers`, the MiniLM embedder), so a chunk's rows are the same wherever it runs.
Models load through the tools' per-process caches: once per worker process, not once per chunk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core.errors import DataError, DataProblem, ModelNotTrainedError
from core.workspace import Workspace

JOBS = ("forecast", "recommend", "score-customers", "embed-reviews")
CHUNK_SIZES = {"forecast": 200, "recommend": 500, "score-customers": 1000, "embed-reviews": 512}
MAX_CHUNK = {"recommend": 1000}  # recommend_products takes at most 1,000 customers a call
EMBEDDING_DIM = 384


@dataclass(frozen=True)
class BatchOptions:
    """What a job may be told; each job reads the fields it needs."""

    horizon: int | None = None  # forecast: periods ahead (default: the trained horizon)
    k: int = 10  # recommend: products per customer
    exclude_purchased: bool = False  # recommend: only products new to each customer
    input: Path | None = None  # score-customers: transactions; embed-reviews: reviews (defaults: the workspace's)
    column_map: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkContext:
    """What every chunk's task gets besides its items (small and picklable: it travels to every worker)."""

    job: str
    workspace: Path  # read by the workers: the same path on every node (see docs/scale.md)
    options: BatchOptions
    as_of: str = ""  # score-customers: scores are made as of this day
    embedder: tuple[str, str, int] = ("auto", "auto", 32)  # embed-reviews: precision, backend, batch size


@dataclass
class Plan:
    """A job's items and how to cut them into chunks."""

    context: ChunkContext
    keys: list[str]  # one per item, in output order
    payload: Callable[[int, int], Any]  # items [start, stop) -> what that chunk's task gets
    fingerprint: str  # the model, the input and the options: parts written under another plan are never reused
    formats: tuple[str, ...] = (".parquet", ".csv", ".jsonl")
    warnings: list[str] = field(default_factory=list)


def plan_job(job: str, ws: Workspace, options: BatchOptions) -> Plan:
    """Read what `job` needs from the workspace and list its items; a clear error when something is missing."""
    planners: dict[str, Callable[[Workspace, BatchOptions], Plan]] = {
        "forecast": _plan_forecast,
        "recommend": _plan_recommend,
        "score-customers": _plan_scores,
        "embed-reviews": _plan_embeddings,
    }
    check_ready(job, ws, options)
    return planners[job](ws, options)


def compute_chunk(context: ChunkContext, payload: Any) -> pa.Table:
    """One chunk's rows (runs on a Ray worker, or in this process)."""
    computers: dict[str, Callable[[ChunkContext, Any], pa.Table]] = {
        "forecast": _forecast_chunk,
        "recommend": _recommend_chunk,
        "score-customers": _scores_chunk,
        "embed-reviews": _embeddings_chunk,
    }
    return computers[context.job](context, payload)


# ---- fingerprints -----------------------------------------------------------------------------------------------


def _digest(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()[:32]


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


# job -> the model folder it reads, and the command that trains it
MODELS = {
    "forecast": ("forecaster", "Train one with `marketing-agent train-forecaster sales.csv`."),
    "recommend": ("recommender", "Train one with `marketing-agent train-recommender transactions.csv`."),
    "score-customers": ("segmenter", "Train one with `marketing-agent segment transactions.csv`."),
}
# job -> the input file it reads by default (in the workspace's data/ folder)
INPUTS = {"score-customers": ("transactions.csv", "transactions"), "embed-reviews": ("reviews.csv", "review")}


def check_ready(job: str, ws: Workspace, options: BatchOptions) -> None:
    """The quick checks before a job is accepted: a known job, its model trained, its input file there."""
    if job not in JOBS:
        raise DataError("job", [DataProblem(f"unknown batch job {job!r}; choose one of {', '.join(JOBS)}")])
    if job in MODELS:
        _model_stamp(ws, job)
    if job in INPUTS:
        _input_file(ws, job, options)


def _model_stamp(ws: Workspace, job: str) -> bytes:
    """The model's manifest (it changes with every retraining); a missing model is a ModelNotTrainedError."""
    name, train_hint = MODELS[job]
    manifest = ws.models_dir / name / "manifest.json"
    try:
        return manifest.read_bytes()
    except OSError:
        raise ModelNotTrainedError(f"No {name} is trained in {ws.root}. {train_hint}") from None


def _input_file(ws: Workspace, job: str, options: BatchOptions) -> Path:
    default, what = INPUTS[job]
    path = Path(options.input) if options.input is not None else ws.data_dir / default
    if not path.is_file():
        raise DataError(path, [DataProblem(f"no {what} file here")], "Name one with --input FILE.")
    return path


def _optional_bytes(path: Path) -> bytes:
    return path.read_bytes() if path.exists() else b""


def _slices(keys: Sequence[str]) -> Callable[[int, int], list[str]]:
    return lambda start, stop: list(keys[start:stop])


# ---- forecast ----------------------------------------------------------------------------------------------------


def _plan_forecast(ws: Workspace, options: BatchOptions) -> Plan:
    from tools.catalogue import catalogue_path
    from tools.forecast.tool import trained_series

    stamp = _model_stamp(ws, "forecast")
    keys = trained_series(ws)
    fingerprint = _digest("forecast", stamp, _optional_bytes(catalogue_path(ws)), str(options.horizon))
    return Plan(ChunkContext("forecast", ws.root, options), keys, _slices(keys), fingerprint)


def _forecast_chunk(context: ChunkContext, series_ids: list[str]) -> pa.Table:
    from tools.forecast.tool import forecast_series_batch

    forecasts = forecast_series_batch(series_ids, horizon=context.options.horizon, workspace=context.workspace)
    rows = [(f.series_id, f.product_name, p.date, p.p10, p.p50, p.p90) for f in forecasts for p in f.points]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 6
    return pa.table(
        {
            "series_id": pa.array(columns[0], pa.string()),
            "product_name": pa.array(columns[1], pa.string()),
            "date": pa.array(columns[2], pa.date32()),
            "p10": pa.array(columns[3], pa.float64()),
            "p50": pa.array(columns[4], pa.float64()),
            "p90": pa.array(columns[5], pa.float64()),
        }
    )


# ---- recommend ---------------------------------------------------------------------------------------------------


def _plan_recommend(ws: Workspace, options: BatchOptions) -> Plan:
    from tools.catalogue import catalogue_path
    from tools.recommend.tool import known_customer_ids

    stamp = _model_stamp(ws, "recommend")
    keys = sorted(known_customer_ids(ws))
    fingerprint = _digest(
        "recommend", stamp, _optional_bytes(catalogue_path(ws)), str(options.k), str(options.exclude_purchased)
    )
    return Plan(ChunkContext("recommend", ws.root, options), keys, _slices(keys), fingerprint)


def _recommend_chunk(context: ChunkContext, customer_ids: list[str]) -> pa.Table:
    from tools.recommend.tool import recommend_products

    result = recommend_products(
        customer_ids=customer_ids,
        k=context.options.k,
        exclude_purchased=context.options.exclude_purchased,
        workspace=context.workspace,
    )
    rows = [
        (c.customer_id, rank, i.product_id, i.product_name, i.score, i.repeat, "; ".join(i.reasons))
        for c in result.customers
        for rank, i in enumerate(c.items, start=1)
    ]
    columns: list[Sequence[Any]] = list(zip(*rows, strict=True)) if rows else [()] * 7
    return pa.table(
        {
            "customer_id": pa.array(columns[0], pa.string()),
            "rank": pa.array(columns[1], pa.int32()),
            "product_id": pa.array(columns[2], pa.string()),
            "product_name": pa.array(columns[3], pa.string()),
            "score": pa.array(columns[4], pa.float64()),
            "repeat": pa.array(columns[5], pa.bool_()),
            "reason": pa.array(columns[6], pa.string()),
        }
    )


# ---- score-customers ---------------------------------------------------------------------------------------------


def _plan_scores(ws: Workspace, options: BatchOptions) -> Plan:
    from tools.segments.tool import scoring_events
    from tools.transactions_data import read_transactions_file

    stamp = _model_stamp(ws, "score-customers")
    path = _input_file(ws, "score-customers", options)
    events, as_of = scoring_events(read_transactions_file(path, column_map=options.column_map))
    events = events.sort_values(["customer_id", "date"], kind="stable").reset_index(drop=True)
    unique, first = np.unique(events["customer_id"].astype(str).to_numpy(), return_index=True)
    keys = [str(c) for c in unique]
    starts = np.append(first, len(events))  # (customers + 1,) each customer's first event row, then the end

    def payload(start: int, stop: int) -> pd.DataFrame:
        return events.iloc[int(starts[start]) : int(starts[stop])].reset_index(drop=True)

    fingerprint = _digest("score-customers", stamp, _file_digest(path), str(sorted(options.column_map.items())))
    context = ChunkContext("score-customers", ws.root, options, as_of=as_of.date().isoformat())
    return Plan(context, keys, payload, fingerprint)


def _scores_chunk(context: ChunkContext, events: pd.DataFrame) -> pa.Table:
    from tools.segments.tool import score_customers

    scores = score_customers(events, as_of=pd.Timestamp(context.as_of), workspace=context.workspace)
    return pa.Table.from_pandas(scores, preserve_index=False)


# ---- embed-reviews -----------------------------------------------------------------------------------------------


def _plan_embeddings(ws: Workspace, options: BatchOptions) -> Plan:
    from local_models.embeddings import resolve_backend
    from tools.review_data import read_review_file

    path = _input_file(ws, "embed-reviews", options)
    parsed = read_review_file(path, column_map=options.column_map)
    warnings = list(parsed.warnings)
    if parsed.problems:
        warnings.append(f"{len(parsed.problems):,} rows with problems were left out; the first: {parsed.problems[0]}")
    keys = [r.review_id for r in parsed.rows]
    texts = [r.embedding_text for r in parsed.rows]
    settings = ws.settings
    backend, precision = resolve_backend(settings.embed_precision, settings.embed_backend)  # the same on every node
    embedder = (precision, backend, settings.embed_batch_size)
    fingerprint = _digest("embed-reviews", _file_digest(path), str(embedder), str(sorted(options.column_map.items())))
    context = ChunkContext("embed-reviews", ws.root, options, embedder=embedder)
    plan = Plan(context, keys, _pairs(keys, texts), fingerprint, formats=(".parquet", ".jsonl"), warnings=warnings)
    return plan


def _pairs(keys: list[str], texts: list[str]) -> Callable[[int, int], tuple[list[str], list[str]]]:
    return lambda start, stop: (keys[start:stop], texts[start:stop])


def _embeddings_chunk(context: ChunkContext, payload: tuple[list[str], list[str]]) -> pa.Table:
    from local_models.embeddings import get_embedder

    ids, texts = payload
    precision, backend, batch_size = context.embedder
    vectors = get_embedder(precision, backend, batch_size).embed(texts)  # type: ignore[arg-type]  # (N, 384)
    flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1), pa.float32())
    return pa.table(
        {
            "review_id": pa.array(ids, pa.string()),
            "vector": pa.FixedSizeListArray.from_arrays(flat, EMBEDDING_DIM),
        }
    )
