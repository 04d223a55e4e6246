"""Review ingest over REST: `POST /v1/reviews` (JSON rows), `POST /v1/reviews/upload` (a CSV/JSONL file) and
`GET /v1/jobs/{id}`; the store's own data: `PUT /v1/catalogue` (the product catalogue as JSON rows) and
`PUT /v1/brand` (the brand profile as JSON), each checked whole and stored only when it has no problem; and the
batch jobs' `POST /v1/batch/{job}` (agent/batch_api.py), which share the job store.

Up to `SYNC_ROWS` JSON rows are stored before the response (200, the ingest report); more rows, and every
file, run as a job (202, `Location: /v1/jobs/{id}`) whose progress the client polls. Every write goes through
the server's one writer thread. An `Idempotency-Key` header makes a retried POST return the first response
(the same report, or the same job) instead of doing the work again.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Header, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from agent.jobs import IdempotencyConflict, IdempotencyStore, Job, JobStore, ReportProgress, StoredResponse, Writer
from agent.problems import problem, problem_responses
from core.errors import DataError
from core.tabular import parse_column_pairs
from core.workspace import Workspace
from tools.brand import BrandReport
from tools.catalogue import CatalogueReport
from tools.review_store import IngestReport

SYNC_ROWS = 1000
SKIP_INVALID = 'send "skip_invalid": true'  # the CLI's "--skip-invalid", as a REST client sets it
MAX_PROBLEMS = 50
UPLOAD_SUFFIXES = re.compile(r"\.(csv|tsv|txt|jsonl|ndjson|json)(\.gz)?$", re.IGNORECASE)
KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        pattern=KEY_PATTERN,
        description="Any unique string (e.g. a UUID) per logical request: a retry with the same key and body "
        "returns the first response instead of ingesting again. Kept 24 hours.",
    ),
]


class IngestRows(BaseModel):
    """Reviews as JSON rows: `review_id`, `product_id`, `rating` (1-5), `text`; optional `title`,
    `product_name`, `category`, `date`, `channel`. Rows without an id get one from a hash of their content."""

    rows: list[dict[str, Any]] = Field(min_length=1, description="The reviews, one object per review.")
    column_map: dict[str, str] | None = Field(
        None, description="Our field -> your field name, e.g. {'rating': 'stars', 'text': 'body'}."
    )
    skip_invalid: bool = Field(
        False, description="Store the valid rows and report the rest (default: any invalid row stores nothing)."
    )


class CatalogueRows(BaseModel):
    """The product catalogue as JSON rows: `product_id`, `name`; optional `category`, `subcategory`, `price`,
    `launch_date`, `description`. It replaces the workspace's catalogue."""

    rows: list[dict[str, Any]] = Field(min_length=1, description="The products, one object per product.")
    column_map: dict[str, str] | None = Field(
        None, description="Our field -> your field name, e.g. {'product_id': 'sku', 'name': 'title'}."
    )


class IngestResult(BaseModel):
    """What an ingest did."""

    source: str
    rows_read: int
    added: int
    updated: int
    unchanged: int
    skipped_invalid: int
    problems: list[str] = Field(description=f"Rows that could not be used (the first {MAX_PROBLEMS}).")
    warnings: list[str]
    notes: list[str]
    seconds: float

    @classmethod
    def of(cls, report: IngestReport) -> IngestResult:
        fields = {name: getattr(report, name) for name in cls.model_fields}
        return cls(**fields | {"problems": report.problems[:MAX_PROBLEMS], "seconds": round(report.seconds, 3)})


def ingest_router(
    workspace: Workspace,
    writer: Writer,
    jobs: JobStore,
    idempotency: IdempotencyStore,
    authorise: Callable[..., str],
) -> APIRouter:
    router = APIRouter(tags=["reviews"])
    uploads = workspace.root / "uploads"
    owner_of = Depends(authorise)

    def ingest(progress: ReportProgress, name: str, **source: Any) -> IngestResult:
        from tools.reviews import ingest_reviews

        def stored(done: int, total: int) -> None:
            progress("embedding and storing" if done < total else "updating the sentiment model", done, total)

        progress("reading and checking", 0, None)
        try:
            report = ingest_reviews(**source, workspace=workspace, progress=False, on_progress=stored)
        except DataError as exc:  # named by the caller's name for the data, never the staged file's server path
            raise DataError(name, exc.problems, hint=exc.hint.replace("pass --skip-invalid", SKIP_INVALID)) from None
        report.source = name
        return IngestResult.of(report)

    def start_job(owner: str, work: Callable[[ReportProgress], IngestResult]) -> JSONResponse:
        job = jobs.create("ingest_reviews", owner)
        jobs.run(job, writer, work)
        return JSONResponse(job.model_dump(mode="json"), status_code=202, headers={"Location": f"/v1/jobs/{job.id}"})

    @router.post(
        "/v1/reviews",
        response_model=IngestResult,
        status_code=200,
        responses={
            202: {"model": Job, "description": f"More than {SYNC_ROWS} rows: a job; poll its Location."},
            **problem_responses(409),
        },
        summary="Ingest reviews sent as JSON rows",
    )
    async def ingest_rows(body: IngestRows, idempotency_key: IdempotencyKey = None, owner: str = owner_of) -> Any:
        """Store reviews. Re-sending stored reviews is safe: unchanged rows are skipped, changed ones updated."""
        source = {"rows": body.rows, "column_map": body.column_map, "skip_invalid": body.skip_invalid}

        async def respond() -> JSONResponse:
            if len(body.rows) > SYNC_ROWS:
                return start_job(owner, lambda progress: ingest(progress, "request", **source))
            result = await asyncio.wrap_future(writer.submit(lambda: ingest(_no_progress, "request", **source)))
            return JSONResponse(result.model_dump(mode="json"))

        return await once(idempotency, owner, idempotency_key, "rows:" + body.model_dump_json(), respond)

    @router.post(
        "/v1/reviews/upload",
        status_code=202,
        response_model=Job,
        summary="Ingest a review file (CSV or JSONL, optionally .gz) as a job",
        responses=problem_responses(409, 415),
    )
    async def ingest_upload(
        file: Annotated[UploadFile, File(description="A .csv, .tsv, .jsonl or .json file, optionally gzipped.")],
        skip_invalid: Annotated[bool, Form()] = False,
        column: Annotated[
            list[str] | None, Form(description="Column mappings, each FIELD=HEADER, e.g. rating=stars.")
        ] = None,
        idempotency_key: IdempotencyKey = None,
        owner: str = owner_of,
    ) -> Any:
        """Runs as a job: the response is 202 with the job; poll `GET /v1/jobs/{id}` for progress and the report."""
        name = Path(file.filename or "").name
        match = UPLOAD_SUFFIXES.search(name)
        if match is None:
            return problem(
                415,
                "Unsupported file type",
                f"{name or 'The file'} is not .csv, .tsv, .jsonl or .json (optionally .gz).",
            )
        try:
            column_map = parse_column_pairs(column or [])
        except ValueError as exc:
            return problem(422, "Invalid request", f"column: {exc}")
        uploads.mkdir(parents=True, exist_ok=True)
        staged = uploads / f"upload-{uuid.uuid4().hex}{match.group(0).lower()}"
        digest = await asyncio.to_thread(_save, file, staged)

        async def respond() -> JSONResponse:
            target = staged.with_name(staged.name.replace("upload-", "job-", 1))
            staged.rename(target)

            def work(progress: ReportProgress) -> IngestResult:
                try:
                    return ingest(progress, name, path=target, column_map=column_map, skip_invalid=skip_invalid)
                finally:
                    target.unlink(missing_ok=True)

            return start_job(owner, work)

        try:
            return await once(
                idempotency,
                owner,
                idempotency_key,
                f"file:{digest}:{skip_invalid}:{sorted(column_map.items())}",
                respond,
            )
        finally:
            staged.unlink(missing_ok=True)  # a replayed or refused request leaves nothing behind

    @router.get(
        "/v1/jobs/{job_id}",
        response_model=Job,
        tags=["jobs"],
        summary="A job's status, progress and result",
        responses=problem_responses(404),
    )
    async def job(job_id: str, owner: str = owner_of) -> Any:
        found = jobs.get(job_id, owner)
        if found is None:
            return problem(404, "Not found", f"No job {job_id!r} was started with this API key.")
        return found

    router.include_router(store_router(workspace, writer, owner_of))
    # Batch jobs share the job store, on a thread of their own (never the writer's: ingest is not held up by them).
    router.include_router(batch_router(workspace, Writer(), jobs, idempotency, authorise))
    return router


def batch_router(*args: Any) -> APIRouter:
    """`POST /v1/batch/{job}` (agent/batch_api.py, imported here: it imports this module's helpers)."""
    from agent.batch_api import batch_router as build

    return build(*args)


def store_router(workspace: Workspace, writer: Writer, owner_of: Any) -> APIRouter:
    """`PUT /v1/catalogue` and `PUT /v1/brand`: the store's own data, each written by the one writer thread."""
    router = APIRouter(tags=["store"])

    @router.put(
        "/v1/catalogue",
        response_model=CatalogueReport,
        summary="Replace the product catalogue (JSON rows)",
        responses=problem_responses(422),
    )
    async def put_catalogue(body: CatalogueRows, owner: str = owner_of) -> Any:
        """Check every row (ids present and unique, names present, prices numbers of 0 or more) and make it the
        catalogue that requests, ad copy and forecasts name products from. Any problem: 422, nothing changes."""
        from tools.catalogue import ingest_catalogue

        def store() -> CatalogueReport:
            return ingest_catalogue(rows=body.rows, column_map=body.column_map, workspace=workspace)

        return await asyncio.wrap_future(writer.submit(store))

    @router.put(
        "/v1/brand",
        response_model=BrandReport,
        summary="Replace the brand profile (JSON)",
        responses=problem_responses(422),
    )
    async def put_brand(
        profile: Annotated[
            dict[str, Any],
            Body(
                description="The profile: name, voice, audience, tone_words, banned_words, banned_claims, "
                "required_disclaimers (channel or group -> texts), url_allowlist. Unknown keys are refused.",
                examples=[{"name": "Northwind", "voice": "warm and plain", "banned_words": ["cheap"]}],
            ),
        ],
        owner: str = owner_of,
    ) -> Any:
        """Check the profile and make it the one ad copy follows. Any problem: 422, nothing changes."""
        from tools.brand import set_brand_profile

        return await asyncio.wrap_future(writer.submit(lambda: set_brand_profile(profile, workspace=workspace)))

    return router


async def once(
    store: IdempotencyStore,
    owner: str,
    key: str | None,
    fingerprint: str,
    respond: Callable[[], Awaitable[JSONResponse]],
) -> JSONResponse:
    """`respond()`, or with an Idempotency-Key seen before, the response it gave then (422 if the key came with a
    different request, 409 while that request is still running). Server errors are not kept: a retry runs again."""
    if key is None:
        return await respond()
    try:
        stored = store.begin(owner, key, store.fingerprint(fingerprint.encode()))
    except IdempotencyConflict as exc:
        return problem(exc.status, "Idempotency-Key conflict", exc.detail)
    if stored is not None:
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return JSONResponse(stored.body, status_code=stored.status, headers=headers)
    try:
        response = await respond()
    except Exception:
        store.release(owner, key)
        raise
    if response.status_code >= 500:
        store.release(owner, key)
    else:
        headers = {"Location": response.headers["location"]} if "location" in response.headers else {}
        body = json.loads(bytes(response.body))
        store.finish(owner, key, StoredResponse(status=response.status_code, body=body, headers=headers))
    return response


def _no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def _save(file: UploadFile, target: Path) -> str:
    """Copy the upload to `target`; returns its SHA-256 (for idempotency)."""
    digest = hashlib.sha256()
    file.file.seek(0)
    with target.open("wb") as out:
        while chunk := file.file.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()
