"""Errors as `application/problem+json` (RFC 9457): type, title, status, detail, plus any extra members."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM = "application/problem+json"


class FieldProblem(BaseModel):
    field: str = Field(description="The input at fault, dotted (e.g. body.horizon, query.k); empty for the body.")
    problem: str


class Problem(BaseModel):
    """An error (RFC 9457). `errors` lists bad fields; `problems` lists bad rows of ingested data."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    problems: list[str] | None = None


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for error `codes` (`problem_json_openapi` then files them under problem+json)."""
    return {code: {"model": Problem, "description": DESCRIPTIONS[code]} for code in codes}


def problem_json_openapi(app: FastAPI) -> None:
    """Make the app's OpenAPI document say what it sends: every 4xx/5xx body is application/problem+json."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            for operation in (op for path in schema.get("paths", {}).values() for op in path.values()):
                for code, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if code[0] in "45" and "application/json" in content:
                        content[PROBLEM] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


DESCRIPTIONS = {
    401: "No valid API key.",
    404: "Not found.",
    409: "A request with the same Idempotency-Key is still running.",
    413: "The body is over the size limit.",
    415: "The file type is not supported.",
    422: "Invalid input: the detail says what to change.",
    429: "Over the per-key rate limit; wait Retry-After seconds.",
}


class ApiProblem(Exception):
    """Raise to answer with a problem; `headers` (e.g. Retry-After) go with it."""

    def __init__(self, status: int, title: str, detail: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.headers = status, title, detail, headers or {}


def problem(status: int, title: str, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)
