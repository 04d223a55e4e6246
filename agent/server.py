"""The REST API for CRM automation and the web chat page (FastAPI).

    app = create_app("workspace")                 # API keys required (marketing-agent keys create NAME)
    app = create_app("workspace", keys=False)     # loopback development only: no keys

Routes: `/` (the chat page), `/healthz`, `/v1/ask` and `/v1/ask/stream`, one typed `/v1/tools/{name}` per tool,
`/v1/reviews` (ingest; large ones as jobs under `/v1/jobs/{id}`), `/v1/reviews/{id}`, the trained models' cards at
`/v1/models` and `/v1/models/{name}`, and the local model as an
OpenAI-compatible endpoint under `/openai/v1`. Errors are `application/problem+json` (RFC 9457). Requests run
concurrently; every workspace write goes through one writer thread.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import math
import os
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi import Path as Path_
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from agent.api_keys import KeyStore
from agent.core import MarketingAgent
from agent.ingest_api import ingest_router
from agent.jobs import IdempotencyStore, JobStore, Writer
from agent.limits import BodyLimit, RateLimiter
from agent.openai_server import OpenAIError, openai_router
from agent.problems import ApiProblem, problem, problem_json_openapi, problem_responses
from agent.types import AgentResponse, ToolCall
from core.errors import DataError, MarketingAgentError
from core.model_card import ModelCardEntry, ModelCards, find_card, list_cards
from core.settings import load_settings
from local_models.textgen.base import TextGenerator
from tools.models import text_generator
from tools.registry import TOOLS
from tools.review_store import StoredReview
from tools.unit import ToolUnit

log = logging.getLogger(__name__)
WEB = Path(__file__).parent / "web"
API_DOC = (
    "Cited answers from a store's own reviews, sales and customers. Authenticate with "
    "`Authorization: Bearer <key>` (keys: `marketing-agent keys create NAME`). Errors are problem+json."
)


class AskRequest(BaseModel):
    message: str = Field(min_length=1, max_length=4000, description="The request, in plain words.")
    session_id: str | None = Field(None, max_length=128, description="Reuse to keep a conversation's context.")


class Health(BaseModel):
    status: str
    workspace: str
    process: int = Field(description="The id of the server process that answered (one of several with --workers).")


SERVE_KEYS_ENV = "MARKETING_AGENT_SERVE_KEYS"  # set by `serve --workers N` for its worker processes
SERVE_WORKERS_ENV = "MARKETING_AGENT_SERVE_WORKERS"


def app_from_environment() -> FastAPI:
    """The app each process of `serve --workers N` builds: the workspace from MARKETING_AGENT_HOME, API keys on
    unless the serve command turned them off, and state shared with the sibling processes. Its models compute with
    the torch threads the settings name (`serve` sets a share of the cores per worker, see `worker_threads`)."""
    workers = int(os.environ.get(SERVE_WORKERS_ENV, "1"))
    app = create_app(None, keys=os.environ.get(SERVE_KEYS_ENV, "1") != "0", processes=workers)
    threads = load_settings().torch_threads
    if threads:
        import torch

        torch.set_num_threads(threads)
    return app


def worker_threads(workers: int, cpus: int | None = None) -> int:
    """Torch threads for each of `workers` server processes: an equal share of the cores, at least one. Each
    process left at torch's default (every core) makes N x cores threads that spin against each other: two workers
    generating at once on 2 cores took 2.8x as long with 2 threads each as with 1 on an otherwise idle machine, and
    6-7x with other work on it (`python -m eval.threads`)."""
    return max(1, (cpus if cpus is not None else os.cpu_count() or 1) // max(1, workers))


def create_app(
    workspace: str | Path | None = None,
    *,
    keys: bool = True,
    agent: MarketingAgent | None = None,
    rate_limit_per_minute: int | None = None,
    processes: int = 1,
) -> FastAPI:
    """The app for `workspace`. `keys=False` turns API keys off (only for loopback development). The rate limit
    and body size limits come from the settings (MARKETING_AGENT_RATE_LIMIT_PER_MINUTE, ..._MAX_REQUEST_MB,
    ..._MAX_UPLOAD_MB) unless given here. `processes` > 1: one of several processes serving the workspace, so
    the rate limit is kept in the workspace's state file, shared by all of them (jobs, sessions, keys and
    idempotency keys always are)."""
    shared = agent or MarketingAgent.open(workspace)
    settings = shared.settings
    store = KeyStore(shared.workspace)
    state = shared.workspace.root / "server.sqlite"
    limiter = RateLimiter(
        settings.rate_limit_per_minute if rate_limit_per_minute is None else rate_limit_per_minute,
        shared=state if processes > 1 else None,
    )
    writer = Writer()
    jobs, idempotency = JobStore(state), IdempotencyStore(state)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        writer.shutdown()  # let a running ingest finish its batch: the store stays consistent

    app = FastAPI(
        title="marketing-agent",
        version="1",
        description=API_DOC,
        lifespan=lifespan,
        responses=problem_responses(401, 413, 422, 429),
    )
    problem_json_openapi(app)
    upload_limit, request_limit = int(settings.max_upload_mb * 1e6), int(settings.max_request_mb * 1e6)
    app.add_middleware(BodyLimit, limit=lambda path: upload_limit if path.startswith("/v1/reviews") else request_limit)

    identify = Gate(store if keys else None, limiter)
    authorise = Depends(identify)

    _problem_handlers(app)
    app.mount("/static", StaticFiles(directory=WEB), name="static")

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        """The web chat page for marketers (plain HTML, CSS and JavaScript shipped in the package; no CDN)."""
        return FileResponse(WEB / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok", workspace=str(shared.workspace.root), process=os.getpid())

    @app.post("/v1/ask", response_model=AgentResponse, dependencies=[authorise])
    async def ask(body: AskRequest) -> AgentResponse:
        return await run_in_threadpool(shared.ask, body.message, body.session_id)

    @app.post(
        "/v1/ask/stream",
        dependencies=[authorise],
        response_class=StreamingResponse,
        responses={200: {"content": {"text/event-stream": {}}, "description": STREAM_DOC}},
        summary="Ask, with progress as server-sent events",
        description=STREAM_DOC,
    )
    async def ask_stream(body: AskRequest) -> StreamingResponse:
        return StreamingResponse(
            _ask_events(shared, body),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

    @app.get(
        "/v1/reviews/{review_id}",
        response_model=StoredReview,
        dependencies=[authorise],
        responses=problem_responses(404),
    )
    async def review(review_id: str = Path_(max_length=200)) -> StoredReview:
        """One stored review: what a citation's review id points to."""
        from tools.reviews import review_store

        found = await run_in_threadpool(lambda: review_store(shared.workspace).get([review_id]))
        if review_id not in found:
            raise ApiProblem(404, "Not found", f"No review with id {review_id!r} is stored in this workspace.")
        return found[review_id]

    @app.get("/v1/models", response_model=ModelCards, dependencies=[authorise])
    async def models() -> ModelCards:
        """The workspace's trained models with their cards (data, inputs, training budget, validation against a
        simple baseline, known limits); a checkpoint saved before cards existed has status `no_card`."""
        return await run_in_threadpool(list_cards, shared.workspace)

    @app.get(
        "/v1/models/{name}",
        response_model=ModelCardEntry,
        dependencies=[authorise],
        responses=problem_responses(404),
    )
    async def model_card(name: str = Path_(max_length=100, pattern=r"^[A-Za-z0-9_.-]+$")) -> ModelCardEntry:
        """One trained model's card, by name (forecaster, segmenter, recommender, sentiment, ...)."""
        entry = await run_in_threadpool(find_card, name, shared.workspace)
        if entry is None:
            raise ApiProblem(404, "Not found", f"No trained model called {name!r} in this workspace; GET /v1/models.")
        return entry

    app.include_router(ingest_router(shared.workspace, writer, jobs, idempotency, identify))

    def guard_openai(request: Request) -> None:  # the same keys and rate limit, answered in OpenAI's error shape
        try:
            identify(request)
        except ApiProblem as exc:
            kind = "rate_limit_exceeded" if exc.status == 429 else "invalid_api_key"
            raise OpenAIError(exc.status, exc.detail, code=kind, headers=exc.headers) from None

    @functools.cache
    def local_model() -> TextGenerator:  # the untuned local model (no ad-copy adapter), even when OpenAI writes
        return text_generator(settings.model_copy(update={"llm": "local"}), shared.workspace.root)

    # OpenAI's own API reference documents these routes (and their error shape): kept out of our schema
    app.include_router(openai_router(local_model, guard=guard_openai), include_in_schema=False)

    @app.get("/tools.js", include_in_schema=False)
    async def tool_scripts() -> Response:
        """Each tool's card for the chat page (its unit's web script), with the tools' titles."""
        return Response(tool_scripts_js(), media_type="text/javascript", headers={"Cache-Control": "no-cache"})

    for unit in TOOLS.values():
        app.add_api_route(
            f"/v1/tools/{unit.name}",
            _tool_endpoint(unit, shared),
            methods=["POST"],
            response_model=unit.result_model,
            dependencies=[authorise],
            summary=unit.description.split("\n")[0][:120],
            description=unit.description,
            name=unit.name,
        )
    return app


def tool_scripts_js() -> str:
    """The registered tools' titles and web scripts, as one script the chat page loads after its own."""
    titles = {unit.name: unit.title for unit in TOOLS.values()}
    parts = [f"MarketingAgentPage.defineTitles({json.dumps(titles)});"]
    for unit in TOOLS.values():
        if unit.web_script is not None:
            parts.append(f"// {unit.name}\n" + unit.web_script.read_text(encoding="utf-8"))
    return "\n\n".join(parts) + "\n"


class Gate:
    """Who is calling (the API key's name; with keys off, the client's address), and whether they are within
    their rate limit. Raises 401 or 429 problems."""

    def __init__(self, keys: KeyStore | None, limiter: RateLimiter) -> None:
        self.keys, self.limiter = keys, limiter

    def __call__(self, request: Request) -> str:
        if self.keys is not None:
            scheme, _, given = request.headers.get("authorization", "").partition(" ")
            plain = given.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key", "")
            record = self.keys.verify(plain)
            if record is None:
                raise ApiProblem(401, "Unauthorized", "Send a valid API key: Authorization: Bearer <key>.")
            identity = record.name
        else:
            identity = request.client.host if request.client else "local"
        wait = self.limiter.take(identity)
        if wait > 0:
            seconds = str(max(1, math.ceil(wait)))
            detail = f"Over {self.limiter.per_minute} requests a minute for this key; retry in {seconds} s."
            raise ApiProblem(429, "Too many requests", detail, {"Retry-After": seconds})
        return identity


def _problem_handlers(app: FastAPI) -> None:
    """Every error answered as problem+json; unexpected ones logged, never shown as a traceback."""

    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ()) if p != "body"), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field'] or 'body'}: {e['problem']}" for e in errors)
        return problem(422, "Invalid request", detail, errors=errors)

    @app.exception_handler(MarketingAgentError)
    async def _failed(_: Request, exc: MarketingAgentError) -> JSONResponse:
        extra: dict[str, Any] = {"problems": [str(p) for p in exc.problems[:50]]} if isinstance(exc, DataError) else {}
        detail = str(exc).replace("pass --skip-invalid", 'send "skip_invalid": true')  # the CLI's wording, for REST
        return problem(422, "The request could not be carried out", detail, None, **extra)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        title = HTTPStatus(exc.status_code).phrase if exc.status_code in HTTPStatus._value2member_map_ else "Error"
        return problem(exc.status_code, title, str(exc.detail), dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return problem(500, "Internal error", "The server failed on this request; the error is in its log.")


STREAM_DOC = (
    "Server-sent events, in order: `call` for each tool call as it starts (status `running`) and ends "
    "(`ok`, `error` or `skipped`; data: index, name, arguments, status, error), `answer` with the answer's "
    "text in pieces (data: text), then `done` with the whole AgentResponse. A failure ends the stream with "
    "`error` (a problem+json body)."
)
ANSWER_PIECE = re.compile(r"\S+\s*|\s+")


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _ask_events(agent: MarketingAgent, body: AskRequest) -> AsyncIterator[str]:
    """Run `ask` in a worker thread and relay its tool calls as they start and end, then the answer."""
    loop = asyncio.get_running_loop()
    steps: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    def on_call(call: ToolCall, index: int) -> None:
        status = "running" if call.status == "planned" else call.status
        step: dict[str, Any] = {"index": index, "name": call.name, "arguments": call.arguments, "status": status}
        if call.status in ("error", "skipped") and call.result:
            step["error"] = call.result.get("error")
        loop.call_soon_threadsafe(steps.put_nowait, step)

    task = asyncio.ensure_future(run_in_threadpool(agent.ask, body.message, body.session_id, on_call=on_call))
    while not task.done() or not steps.empty():
        waiter = asyncio.ensure_future(steps.get())
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if waiter.done():
            yield sse("call", jsonable_encoder(waiter.result()))
        else:
            waiter.cancel()
    try:
        response: AgentResponse = task.result()
    except Exception as exc:  # ask() turns bad requests into answers; anything else is ours
        detail = str(exc) if isinstance(exc, MarketingAgentError) else "The agent failed; see the server log."
        yield sse("error", {"type": "about:blank", "title": "The request failed", "status": 500, "detail": detail})
        return
    for piece in _pieces(response.answer):
        yield sse("answer", {"text": piece})
    yield sse("done", response.model_dump(mode="json"))


def _pieces(text: str, size: int = 48) -> Iterator[str]:
    """The answer in pieces of about `size` characters, split between words (so the page can show it grow)."""
    piece = ""
    for word in ANSWER_PIECE.findall(text):
        piece += word
        if len(piece) >= size:
            yield piece
            piece = ""
    if piece:
        yield piece


def _tool_endpoint(unit: ToolUnit, agent: MarketingAgent) -> Any:
    """A POST handler whose body is the tool's input model, so the OpenAPI schema shows each tool's models."""

    async def endpoint(body: BaseModel) -> Any:
        arguments = body.model_dump(exclude_unset=True)
        refused = unit.operator_only & set(arguments)
        if refused:
            raise ApiProblem(422, "Invalid request", f"{', '.join(sorted(refused))} can't be set through the API")

        def run() -> Any:
            generator = agent.generator() if unit.needs_generator else None
            return unit.run(arguments, workspace=agent.workspace, generator=generator)

        return await run_in_threadpool(run)

    parameter = inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=unit.input_model)
    endpoint.__signature__ = inspect.Signature([parameter], return_annotation=unit.result_model)  # type: ignore[attr-defined]
    endpoint.__name__ = unit.name
    return endpoint
