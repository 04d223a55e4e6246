"""The REST API for CRM automation (FastAPI): `/v1/ask`, one typed route per tool under `/v1/tools/`, `/healthz`.

    app = create_app("workspace")                 # API keys required (marketing-agent keys create NAME)
    app = create_app("workspace", keys=False)     # loopback development only: no keys

Errors are `application/problem+json` (RFC 9457): type, title, status, detail, and for bad input the fields
at fault. Work runs in the thread pool; the agent is shared and thread-safe. Still to come (issue 7): review
ingest jobs, rate limits, idempotency keys, the web page and the mounted OpenAI-compatible endpoint.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from agent.api_keys import KeyStore
from agent.core import MarketingAgent
from agent.executor import NOT_THROUGH_THE_AGENT
from agent.types import AgentResponse
from local_models.errors import MarketingAgentError
from tools.registry import TOOLS, ToolSpec

PROBLEM = "application/problem+json"


class AskRequest(BaseModel):
    message: str = Field(min_length=1, max_length=4000, description="The request, in plain words.")
    session_id: str | None = Field(None, max_length=128, description="Reuse to keep a conversation's context.")


class Health(BaseModel):
    status: str
    workspace: str


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail


def problem(status: int, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def create_app(
    workspace: str | Path | None = None, *, keys: bool = True, agent: MarketingAgent | None = None
) -> FastAPI:
    """The app for `workspace`. `keys=False` turns API keys off (only for loopback development)."""
    shared = agent or MarketingAgent.open(workspace)
    store = KeyStore(shared.workspace)
    app = FastAPI(title="marketing-agent", version="1", description="Cited answers from a store's own data.")

    def authorise(request: Request) -> None:
        if not keys:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        plain = given.strip() if scheme.lower() == "bearer" else request.headers.get("x-api-key", "")
        if store.verify(plain) is None:
            raise ApiProblem(401, "Unauthorized", "Send a valid API key: Authorization: Bearer <key>.")

    @app.exception_handler(ApiProblem)
    async def _api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail)

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
        return problem(422, "The request could not be carried out", str(exc))

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(exc.status_code, str(exc.detail), str(exc.detail))

    @app.get("/healthz", response_model=Health)
    async def healthz() -> Health:
        return Health(status="ok", workspace=str(shared.workspace.root))

    @app.post("/v1/ask", response_model=AgentResponse, dependencies=[Depends(authorise)])
    async def ask(body: AskRequest) -> AgentResponse:
        return await run_in_threadpool(shared.ask, body.message, body.session_id)

    for spec in TOOLS.values():
        app.add_api_route(
            f"/v1/tools/{spec.name}",
            _tool_endpoint(spec, shared),
            methods=["POST"],
            response_model=spec.result_model,
            dependencies=[Depends(authorise)],
            summary=spec.description.split("\n")[0][:120],
            description=spec.description,
            name=spec.name,
        )
    return app


def _tool_endpoint(spec: ToolSpec, agent: MarketingAgent) -> Any:
    """A POST handler whose body is the tool's input model, so the OpenAPI schema shows each tool's models."""

    async def endpoint(body: BaseModel) -> Any:
        arguments = body.model_dump(exclude_unset=True)
        refused = NOT_THROUGH_THE_AGENT.get(spec.name, frozenset()) & set(arguments)
        if refused:
            raise ApiProblem(422, "Invalid request", f"{', '.join(sorted(refused))} can't be set through the API")

        def run() -> Any:
            extra = {"generator": agent.generator()} if spec.name == "generate_ad_copy" else {}
            return spec.function(workspace=agent.workspace, **arguments, **extra)

        return await run_in_threadpool(run)

    parameter = inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=spec.input_model)
    endpoint.__signature__ = inspect.Signature([parameter], return_annotation=spec.result_model)  # type: ignore[attr-defined]
    endpoint.__name__ = spec.name
    return endpoint
