"""Batch jobs over REST: `POST /v1/batch/{job}` starts one (202, `Location: /v1/jobs/{id}`); the job reports its
progress (items done of all) and, when it succeeds, the batch report with the output file's path.

Jobs run one at a time on their own thread (never on the writer thread, so review ingest is not held up), in the
server process or on Ray when the workspace's settings name a cluster (MARKETING_AGENT_RAY_ADDRESS). Outputs go to
the workspace's `batch/` folder and inputs come from its `data/` folder, by file name only: a client never names a
path on the server. Re-sending a request after an interruption resumes it (finished chunks are kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from agent.ingest_api import IdempotencyKey, once
from agent.jobs import IdempotencyStore, Job, JobStore, ReportProgress, Writer
from agent.problems import problem_responses
from core.workspace import Workspace
from tools.batch.jobs import BatchOptions, check_ready
from tools.batch.run import BatchReport, run_batch

BatchJob = Literal["forecast", "recommend", "score-customers", "embed-reviews"]
FILE_NAME = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$"


class BatchRequest(BaseModel):
    """What to run the job with; every field is optional."""

    model_config = ConfigDict(extra="forbid")

    out: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}\.(parquet|csv|jsonl)$",
        description="The result's file name in the workspace's batch/ folder (default: JOB.parquet).",
    )
    input: str | None = Field(
        None,
        pattern=FILE_NAME,
        description="score-customers: a transactions file, embed-reviews: a review file, in the workspace's data/ "
        "folder (default: transactions.csv, reviews.csv).",
    )
    column_map: dict[str, str] | None = Field(None, description="Our field -> your column name in the input file.")
    horizon: int | None = Field(None, ge=1, le=520, description="forecast: periods ahead (default: trained).")
    k: int = Field(10, ge=1, le=100, description="recommend: products per customer.")
    exclude_purchased: bool = Field(False, description="recommend: only products new to each customer.")
    chunk_size: int | None = Field(None, ge=1, le=100_000, description="Items per chunk (one task, one part file).")


def batch_router(
    workspace: Workspace,
    runner: Writer,
    jobs: JobStore,
    idempotency: IdempotencyStore,
    authorise: Callable[..., str],
) -> APIRouter:
    router = APIRouter(tags=["batch"])
    owner_of = Depends(authorise)

    @router.post(
        "/v1/batch/{job}",
        status_code=202,
        response_model=Job,
        summary="Run a batch job over the whole workspace (as a job)",
        responses=problem_responses(409, 422),
    )
    async def start(
        job: BatchJob,
        body: Annotated[BatchRequest | None, Body()] = None,
        idempotency_key: IdempotencyKey = None,
        owner: str = owner_of,
    ) -> Any:
        """forecast (every series), recommend (every customer), score-customers (every customer in the
        transactions) or embed-reviews (every review in the file). Answers 202 with the job at once (a missing model
        or input is a 422 before that); poll `GET /v1/jobs/{id}`: its result names the output file."""
        request = body or BatchRequest()
        options = BatchOptions(
            horizon=request.horizon,
            k=request.k,
            exclude_purchased=request.exclude_purchased,
            input=workspace.data_dir / request.input if request.input else None,
            column_map=dict(request.column_map or {}),
        )
        out = workspace.root / "batch" / (request.out or f"{job}.parquet")
        await run_in_threadpool(check_ready, job, workspace, options)

        def work(progress: ReportProgress) -> BatchReport:
            progress("planning", 0, None)
            return run_batch(
                job, workspace=workspace, options=options, out=out, chunk_size=request.chunk_size, progress=False,
                on_progress=lambda done, total: progress("running chunks", done, total),
            )  # fmt: skip

        async def respond() -> JSONResponse:
            created = jobs.create(f"batch_{job}", owner)
            jobs.run(created, runner, work)
            return JSONResponse(
                created.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/jobs/{created.id}"}
            )

        return await once(idempotency, owner, idempotency_key, f"batch:{job}:{request.model_dump_json()}", respond)

    return router
