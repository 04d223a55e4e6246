"""Any `TextGenerator` served as an OpenAI-compatible endpoint: `POST /openai/v1/chat/completions` (plain,
streamed as server-sent events, n samples, JSON mode) and `GET /openai/v1/models`.

It lets OpenAI clients (the `openai` SDK, LangChain's ChatOpenAI, other tools) use the local model, and it is
how the OpenAI backend is tested end to end without the internet. Responses and errors keep OpenAI's shapes
so that those clients parse them unchanged. Routes live on an `APIRouter` so the REST server can mount them.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Literal

import uvicorn
from fastapi import APIRouter, Depends, FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from core.errors import MarketingAgentError, ModelUnavailableError
from local_models.textgen.base import (
    ChatMessage,
    Generation,
    GenerationOptions,
    ProviderError,
    TextGenerator,
    TextStream,
)

PREFIX = "/openai/v1"
MAX_SAMPLES = 16


class OpenAIError(Exception):
    """An error to answer in OpenAI's shape: {"error": {"message", "type", "param", "code"}}."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.kind, self.param, self.code = status, message, kind, param, code
        self.headers = dict(headers or {})
        if status == 401:
            self.headers["WWW-Authenticate"] = "Bearer"

    def response(self) -> JSONResponse:
        body = {"error": {"message": self.message, "type": self.kind, "param": self.param, "code": self.code}}
        return JSONResponse(body, status_code=self.status, headers=self.headers or None)


class _TextPart(BaseModel):
    type: Literal["text"]
    text: str


class RequestMessage(BaseModel):
    model_config = ConfigDict(extra="allow")  # name, tool_call_id, ... are accepted and ignored

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[_TextPart] | None = None


class ResponseFormat(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["text", "json_object", "json_schema"]


class FunctionSpec(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    description: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)


class ToolSpec(BaseModel):
    type: Literal["function"] = "function"
    function: FunctionSpec


class StreamOptions(BaseModel):
    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The Chat Completions fields this server honours; others (logprobs, user, ...) are ignored.

    Tools: the served model is a plain text model, so tool specs become an instruction to reply with one JSON
    object `{"tool": name, "arguments": {...}}`; a reply that parses as a call to a listed tool is returned as
    `tool_calls` (finish_reason "tool_calls"), anything else as text. Weak models call tools poorly: that is
    for an eval to measure, not for this server to hide."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None  # any name is accepted; answers always come from the served model
    messages: list[RequestMessage] = Field(min_length=1)
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    temperature: float | None = Field(None, ge=0.0, le=2.0)
    top_p: float | None = Field(None, gt=0.0, le=1.0)
    stop: str | list[str] | None = None
    seed: int | None = None
    n: int = Field(1, ge=1, le=MAX_SAMPLES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    response_format: ResponseFormat | None = None
    tools: list[ToolSpec] | None = Field(None, max_length=64)
    tool_choice: str | dict[str, Any] | None = None

    def active_tools(self) -> list[FunctionSpec]:
        if not self.tools or self.tool_choice == "none":
            return []
        return [t.function for t in self.tools]

    def chat_messages(self) -> list[ChatMessage]:
        return [_chat_message(m) for m in self.messages]

    def options(self) -> GenerationOptions:
        """Unset fields keep the generator's defaults (tuned for the local model) rather than OpenAI's."""
        defaults = GenerationOptions()
        stops = [self.stop] if isinstance(self.stop, str) else (self.stop or [])
        return GenerationOptions(
            max_tokens=self.max_completion_tokens or self.max_tokens or defaults.max_tokens,
            temperature=defaults.temperature if self.temperature is None else self.temperature,
            top_p=defaults.top_p if self.top_p is None else self.top_p,
            stop=tuple(s for s in stops if s),
            seed=self.seed,
            n=self.n,
            json_output=self.response_format is not None and self.response_format.type != "text",
        )


def _chat_message(message: RequestMessage) -> ChatMessage:
    content = message.content
    text = "".join(part.text for part in content) if isinstance(content, list) else (content or "")
    if message.role == "developer":
        return ChatMessage("system", text)
    if message.role == "tool":  # the backends are text-only: a tool result becomes a labelled user turn
        return ChatMessage("user", f"Tool result:\n{text}")
    calls = (message.model_extra or {}).get("tool_calls")
    if message.role == "assistant" and not text and isinstance(calls, list):  # what it called, as it would write it
        text = "\n".join(json.dumps(_written_call(c)) for c in calls if isinstance(c, dict))
    return ChatMessage(message.role, text)


class _OpenAIErrorRoute(APIRoute):
    """Answers validation and generation errors in OpenAI's error shape. A route class rather than app-level
    exception handlers, so the shape holds wherever the router is mounted."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return _validation_error(exc).response()
            except OpenAIError as exc:
                return exc.response()
            except MarketingAgentError as exc:
                return _generation_error(exc).response()

        return route_handler


def _validation_error(exc: RequestValidationError) -> OpenAIError:
    first: dict[str, Any] = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    param = ".".join(location) or None
    message = f"Invalid request: {first.get('msg', 'malformed body')}" + (f" ({param})" if param else "")
    return OpenAIError(400, message, param=param)


def _generation_error(exc: MarketingAgentError) -> OpenAIError:
    if isinstance(exc, ModelUnavailableError):
        return OpenAIError(503, str(exc), kind="server_error", code="model_unavailable")
    if isinstance(exc, ProviderError):
        return OpenAIError(400, str(exc), code="generation_failed")
    return OpenAIError(500, str(exc), kind="server_error")


def openai_router(
    generator: TextGenerator | Callable[[], TextGenerator],
    *,
    api_key: str | None = None,
    guard: Callable[[Request], None] | None = None,
) -> APIRouter:
    """The OpenAI-compatible routes for `generator` (or a function that returns it, called on first use, so an
    app can mount the routes without loading the model). With `api_key`, requests need `Authorization: Bearer
    <key>`; `guard(request)` replaces that check with the caller's own (it raises OpenAIError)."""
    router = APIRouter(prefix=PREFIX, route_class=_OpenAIErrorRoute, tags=["openai"])
    created = int(time.time())

    def current() -> TextGenerator:
        return generator if hasattr(generator, "generate") else generator()  # type: ignore[return-value]

    def check_key(request: Request) -> None:
        if guard is not None:
            guard(request)
            return
        if api_key is None:
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), api_key.encode()):
            raise OpenAIError(401, "Incorrect API key provided.", code="invalid_api_key")

    @router.get("/models", dependencies=[Depends(check_key)])
    async def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [_model_card(current(), created)]}

    @router.get("/models/{model}", dependencies=[Depends(check_key)])
    async def retrieve_model(model: str) -> dict[str, Any]:
        if model != current().model:
            raise OpenAIError(404, f"The model {model!r} does not exist.", param="model", code="model_not_found")
        return _model_card(current(), created)

    @router.post("/chat/completions", dependencies=[Depends(check_key)], response_model=None)
    async def chat_completions(body: ChatCompletionRequest) -> dict[str, Any] | StreamingResponse:
        messages, options = body.chat_messages(), body.options()
        tools = body.active_tools()
        if tools:
            messages = with_tool_instructions(messages, tools)
        elif body.stream:
            include_usage = body.stream_options is not None and body.stream_options.include_usage
            events = _completion_events(current(), messages, options, include_usage=include_usage)
            return StreamingResponse(events, media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        generation = await run_in_threadpool(current().generate, messages, options)
        completion = _completion_body(generation, _completion_id(), int(time.time()))
        if tools:
            _as_tool_calls(completion, {t.name for t in tools})
        if body.stream:  # tool replies are parsed whole, then sent as one chunk per choice
            return StreamingResponse(
                _completion_as_events(completion), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
            )
        return completion

    return router


def create_openai_app(generator: TextGenerator, *, api_key: str | None = None) -> FastAPI:
    """A FastAPI app serving only the OpenAI-compatible routes."""
    app = FastAPI(title="marketing-agent OpenAI-compatible endpoint", version="1")
    app.include_router(openai_router(generator, api_key=api_key))
    return app


def _model_card(generator: TextGenerator, created: int) -> dict[str, Any]:
    return {
        "id": generator.model,
        "object": "model",
        "created": created,
        "owned_by": f"marketing-agent-{generator.name}",
    }


def _completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def _completion_body(generation: Generation, completion_id: str, created: int) -> dict[str, Any]:
    choices = [
        {
            "index": index,
            "message": {"role": "assistant", "content": text, "refusal": None},
            "logprobs": None,
            "finish_reason": _finish_reason(generation, index),
        }
        for index, text in enumerate(generation.texts)
    ]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": generation.model,
        "system_fingerprint": None,
        "choices": choices,
        "usage": _usage(generation.prompt_tokens, generation.completion_tokens),
    }


TOOL_INSTRUCTION = (
    "You can use these tools:\n{tools}\nTo use a tool, reply with only one line of JSON: "
    '{{"tool": "<tool name>", "arguments": {{...}}}}. If no tool fits, reply in plain text.'
)


def with_tool_instructions(messages: list[ChatMessage], tools: list[FunctionSpec]) -> list[ChatMessage]:
    """The conversation with the tool list and the reply format added to (or as) the system message."""
    listing = "\n".join(f"- {t.name}({', '.join(_parameter_names(t))}): {_first_line(t.description)}" for t in tools)
    instruction = TOOL_INSTRUCTION.format(tools=listing)
    if messages and messages[0].role == "system":
        return [ChatMessage("system", f"{messages[0].content}\n\n{instruction}"), *messages[1:]]
    return [ChatMessage("system", instruction), *messages]


def parse_tool_call(text: str, names: set[str]) -> dict[str, Any] | None:
    """`{"tool": name, "arguments": {...}}` (or OpenAI's `name`/`parameters` spelling) in `text`, when it names
    a listed tool; None otherwise."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict):
        return None
    name = value.get("tool", value.get("name"))
    arguments = value.get("arguments", value.get("parameters", {}))
    if name not in names or not isinstance(arguments, dict):
        return None
    return {
        "id": f"call_{uuid.uuid4().hex[:24]}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }


def _as_tool_calls(completion: dict[str, Any], names: set[str]) -> None:
    for choice in completion["choices"]:
        call = parse_tool_call(choice["message"]["content"] or "", names)
        if call is not None:
            choice["message"] = {"role": "assistant", "content": None, "refusal": None, "tool_calls": [call]}
            choice["finish_reason"] = "tool_calls"


def _completion_as_events(completion: dict[str, Any]) -> Iterator[str]:
    chunk = _ChunkWriter(completion["id"], completion["created"], completion["model"])
    for choice in completion["choices"]:
        message = choice["message"]
        delta: dict[str, Any] = {"role": "assistant", "content": message["content"]}
        if "tool_calls" in message:
            delta["tool_calls"] = [{"index": 0, **message["tool_calls"][0]}]
        yield chunk.delta(choice["index"], delta)
        yield chunk.delta(choice["index"], {}, choice["finish_reason"])
    yield "data: [DONE]\n\n"


def _written_call(call: dict[str, Any]) -> dict[str, Any]:
    function = call.get("function") or {}
    try:
        arguments = json.loads(function.get("arguments") or "{}")
    except json.JSONDecodeError:
        arguments = {}
    return {"tool": function.get("name"), "arguments": arguments}


def _parameter_names(tool: FunctionSpec) -> list[str]:
    properties = tool.parameters.get("properties", {})
    return [str(k) for k in properties] if isinstance(properties, dict) else []


def _first_line(text: str) -> str:
    return text.strip().split("\n")[0][:200]


def _finish_reason(generation: Generation, index: int) -> str:
    return generation.finish_reasons[index] if index < len(generation.finish_reasons) else "stop"


def _usage(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def _completion_events(
    generator: TextGenerator, messages: list[ChatMessage], options: GenerationOptions, *, include_usage: bool
) -> Iterator[str]:
    """Server-sent events: a role chunk, content chunks, a finish chunk per choice, [usage,] then [DONE].

    A plain (sync) iterator: Starlette runs it in a worker thread, so generation never blocks the event loop.
    Headers are sent before generation starts, so a failure becomes an error event rather than a status."""
    chunk = _ChunkWriter(_completion_id(), int(time.time()), generator.model)
    try:
        if options.n == 1:
            yield from _streamed_choice(generator, messages, options, chunk, include_usage=include_usage)
        else:  # samples come from one batched call; each is sent whole, as its own choice
            yield from _generated_choices(generator.generate(messages, options), chunk, include_usage=include_usage)
    except MarketingAgentError as exc:
        error = _generation_error(exc)
        yield _event({"error": {"message": error.message, "type": error.kind, "param": None, "code": error.code}})
    yield "data: [DONE]\n\n"


def _streamed_choice(
    generator: TextGenerator,
    messages: list[ChatMessage],
    options: GenerationOptions,
    chunk: _ChunkWriter,
    *,
    include_usage: bool,
) -> Iterator[str]:
    pieces = generator.stream(messages, options)
    yield chunk.delta(0, {"role": "assistant", "content": ""})
    for piece in pieces:
        yield chunk.delta(0, {"content": piece})
    finish = (pieces.finish_reason if isinstance(pieces, TextStream) else None) or "stop"
    yield chunk.delta(0, {}, finish)
    if include_usage and isinstance(pieces, TextStream):
        yield chunk.usage(pieces.prompt_tokens, pieces.completion_tokens)


def _generated_choices(generation: Generation, chunk: _ChunkWriter, *, include_usage: bool) -> Iterator[str]:
    for index, text in enumerate(generation.texts):
        yield chunk.delta(index, {"role": "assistant", "content": ""})
        yield chunk.delta(index, {"content": text})
        yield chunk.delta(index, {}, _finish_reason(generation, index))
    if include_usage:
        yield chunk.usage(generation.prompt_tokens, generation.completion_tokens)


@dataclass(frozen=True)
class _ChunkWriter:
    """Formats `chat.completion.chunk` events that share one id, timestamp and model."""

    completion_id: str
    created: int
    model: str

    def delta(self, index: int, delta: dict[str, Any], finish_reason: str | None = None) -> str:
        choice = {"index": index, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
        return _event({**self._head(), "choices": [choice]})

    def usage(self, prompt_tokens: int, completion_tokens: int) -> str:
        return _event({**self._head(), "choices": [], "usage": _usage(prompt_tokens, completion_tokens)})

    def _head(self) -> dict[str, Any]:
        return {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": None,
        }


def _event(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


@dataclass
class OpenAIServer:
    """A running endpoint (uvicorn in a background thread). `base_url` is what OpenAI clients take."""

    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}{PREFIX}"

    def stop(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)

    def __enter__(self) -> OpenAIServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def serve_openai(
    generator: TextGenerator,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    api_key: str | None = None,
    startup_timeout: float = 15.0,
) -> OpenAIServer:
    """Start serving `generator` in a background thread and return once the port is bound (port 0: any free one)."""
    return serve_app(create_openai_app(generator, api_key=api_key), host, port, startup_timeout=startup_timeout)


def serve_app(app: Any, host: str = "127.0.0.1", port: int = 0, *, startup_timeout: float = 15.0) -> OpenAIServer:
    """Serve any ASGI app with uvicorn in a background thread; returns once the port is bound."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"server-{host}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise OSError(f"The server could not start on {host}:{port}.")
        time.sleep(0.01)
    bound_port = int(server.servers[0].sockets[0].getsockname()[1])
    return OpenAIServer(server=server, thread=thread, host=host, port=bound_port)
