"""`run_batch`: plan a job, run its chunks (in this process, or on Ray), write the parts and then the output.

    run_batch("forecast", workspace="ws")                          # in this process, chunk after chunk
    run_batch("forecast", workspace="ws", ray="local", workers=2)  # a local Ray started for the job
    run_batch("forecast", workspace="ws", ray="10.0.0.5:6379")     # a Ray cluster by address

`ray=None` reads MARKETING_AGENT_RAY_ADDRESS; `ray=""` forces this process. Both paths run the same chunks through
the same functions, so the output is the same file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from pydantic import BaseModel, Field
from tqdm.auto import tqdm

from core.errors import DataError, DataProblem
from core.workspace import Workspace
from tools.batch.jobs import CHUNK_SIZES, MAX_CHUNK, BatchOptions, Plan, compute_chunk, plan_job
from tools.batch.parts import PartStore

Progress = Callable[[int, int], None]  # (items done, items in all)


class BatchReport(BaseModel):
    """What a batch job did."""

    job: str
    output: str = Field(description="The file written.")
    engine: str = Field(description="in-process, or ray (where, and how many workers).")
    items: int = Field(description="Series, customers or reviews in the job.")
    rows: int = Field(description="Rows in the output.")
    chunks: int
    chunks_run: list[int] = Field(description="Chunks computed by this run.")
    chunks_resumed: int = Field(description="Chunks finished by an earlier, interrupted run and not redone.")
    seconds: float = Field(description="From planning to the output written (Ray's start-up included).")
    items_per_second: float
    warnings: list[str] = Field(default_factory=list)


def default_output(job: str, ws: Workspace) -> Path:
    return ws.root / "batch" / f"{job}.parquet"


def run_batch(
    job: str,
    *,
    workspace: str | Path | Workspace | None = None,
    options: BatchOptions | None = None,
    out: Path | None = None,
    chunk_size: int | None = None,
    ray: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    on_progress: Progress | None = None,
) -> BatchReport:
    """Run batch job `job` (forecast, recommend, score-customers, embed-reviews) over everything the workspace holds
    and write one result file; finished chunks of an interrupted run of the same plan are kept and skipped."""
    started = time.perf_counter()
    ws = Workspace.open(workspace)
    address = ws.settings.ray_address if ray is None else ray
    if address:  # a wrong or unreachable address fails now, before any input is read
        from tools.batch.on_ray import check_address

        check_address(address)
    plan = plan_job(job, ws, options or BatchOptions())
    target = Path(out) if out is not None else default_output(job, ws)
    size = _chunk_size(job, chunk_size)
    _check_output(target, plan)
    if not plan.keys:
        raise DataError("input", [DataProblem(f"nothing to {job}: no items found")])
    chunks = (len(plan.keys) + size - 1) // size
    bounds = [(i * size, min((i + 1) * size, len(plan.keys))) for i in range(chunks)]
    with PartStore(target).locked() as parts:
        finished = parts.resume({"job": job, "fingerprint": plan.fingerprint, "chunk_size": size, "keys": plan.keys})
        todo = [i for i in range(chunks) if i not in finished]
        ran: list[int] = []
        already = sum(b - a for i, (a, b) in enumerate(bounds) if i in finished)
        with tqdm(total=len(plan.keys), initial=already, desc=f"batch {job}", unit="item", disable=not progress) as bar:
            count = [already]  # (a disabled bar keeps bar.n at 0)

            def done(index: int, table: pa.Table) -> None:
                parts.write(index, table)
                ran.append(index)
                count[0] += bounds[index][1] - bounds[index][0]
                bar.update(bounds[index][1] - bounds[index][0])
                if on_progress is not None:
                    on_progress(count[0], len(plan.keys))

            if on_progress is not None:
                on_progress(already, len(plan.keys))
            engine = _run(plan, bounds, todo, done, address, workers)
        rows = parts.assemble(chunks)
    seconds = time.perf_counter() - started
    return BatchReport(
        job=job, output=str(target), engine=engine, items=len(plan.keys), rows=rows, chunks=chunks,
        chunks_run=sorted(ran), chunks_resumed=len(finished), seconds=round(seconds, 3),
        items_per_second=round(len(plan.keys) / seconds, 2) if seconds > 0 else 0.0, warnings=plan.warnings,
    )  # fmt: skip


def _run(
    plan: Plan,
    bounds: list[tuple[int, int]],
    todo: list[int],
    done: Callable[[int, pa.Table], None],
    address: str | None,
    workers: int | None,
) -> str:
    def payload(index: int) -> object:
        return plan.payload(*bounds[index])

    if not address:
        for index in todo:
            done(index, compute_chunk(plan.context, payload(index)))
        return "in-process"
    from tools.batch.on_ray import run_chunks

    return run_chunks(address, workers, plan.context, payload, todo, done)


def _chunk_size(job: str, chunk_size: int | None) -> int:
    size = chunk_size or CHUNK_SIZES.get(job, 500)
    most = MAX_CHUNK.get(job)
    if size < 1 or (most is not None and size > most):
        limit = f" and at most {most:,}" if most else ""
        raise DataError("--chunk-size", [DataProblem(f"chunk size must be at least 1{limit} for {job}, got {size}")])
    return size


def _check_output(target: Path, plan: Plan) -> None:
    if target.suffix.lower() not in plan.formats:
        raise DataError(
            str(target),
            [DataProblem(f"{plan.context.job} writes {', '.join(plan.formats)} files, not {target.suffix or 'none'}")],
        )
