"""`ScriptedOpenAIServer`: the one stand-in OpenAI-compatible HTTP endpoint for tests and eval suites.

It listens on a free port on 127.0.0.1 and answers `POST .../chat/completions` in two ways:
- under `base_url` (`/v1`), each request gets the next step of its script, then 500s once the script is spent.
  A step is an `Action` (`answer(...)`, `reply(...)`, `hang()`, `cut_stream(...)`, or any function of the
  `Exchange`) or the name of a fault kind;
- under `fault_url(kind)` (`/<kind>/v1`), every request gets fault `kind`, one of `FAULTS`: the ways a
  provider fails that the reliability suite injects (429 with a short or a long Retry-After, 500, no answer,
  a body trickled a byte at a time, malformed JSON, a stream cut mid-chunk, empty choices, an HTML page, a
  connection reset) and a healthy control, `ok`.

Answers stream as server-sent events when the request asks for `stream`. Every request body is kept
(`bodies`) and counted per kind (`requests`). It is built on http.server rather than uvicorn because a reset
or a cut mid-chunk needs the raw socket. `release` (set by `close()`) ends every waiting or dripping answer.

The app's real endpoint for a local model is `agent/openai_server.py`; this one is for scripts and faults.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import struct
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from unittest import mock

HOST = "127.0.0.1"
DRIP_INTERVAL_S = 1.0  # the slow drip sends a byte this often: always under a read timeout
LONG_RETRY_AFTER_S = 100  # the openai client honours Retry-After up to 120 s
HANG_S = 600.0  # the longest a hanging answer waits for `release`
SCRIPT = "script"  # the kind counted in `requests` for scripted answers
HEALTHY_TEXT = "Dry feet, all day."  # what the `ok` control (and the faults that break a body) answer
COMPLETION_ID = "chatcmpl-fake1"


@dataclass
class Exchange:
    """One request, as an action sees it: the parsed body, and ways to answer on the raw connection."""

    handler: BaseHTTPRequestHandler
    body: dict[str, Any]
    server: ScriptedOpenAIServer

    @property
    def stream(self) -> bool:
        """Whether the client asked for server-sent events."""
        return bool(self.body.get("stream"))

    def send(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, content_type: str = "application/json"
    ) -> None:
        """A whole response with its Content-Length; a client that has gone away is not an error here."""
        self.start(status, {"Content-Length": str(len(body)), **(headers or {})}, content_type)
        with contextlib.suppress(OSError):
            self.handler.wfile.write(body)

    def start(self, status: int, headers: dict[str, str], content_type: str = "application/json") -> None:
        """The status line and headers only: the action writes the body itself."""
        self.handler.send_response(status)
        self.handler.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.handler.send_header(name, value)
        self.handler.end_headers()

    def write(self, data: bytes) -> None:
        with contextlib.suppress(OSError):
            self.handler.wfile.write(data)
            self.handler.wfile.flush()

    def reset(self) -> None:
        """Close with RST rather than FIN (SO_LINGER 0), as a crashed proxy or a dropped route would."""
        connection: socket.socket = self.handler.connection
        with contextlib.suppress(OSError):
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            connection.close()
        self.handler.close_connection = True

    def completion(self, texts: list[str], finish: str = "stop") -> dict[str, Any]:
        """A chat.completion body with one choice per text, and usage of 5 prompt and 3 tokens per text."""
        return {
            "id": COMPLETION_ID,
            "object": "chat.completion",
            "created": 1,
            "model": self.server.model,
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                for i, text in enumerate(texts)
            ],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3 * len(texts), "total_tokens": 5 + 3 * len(texts)},
        }

    def event(self, content: str | None, finish: str | None = None, index: int = 0, choices: bool = True) -> bytes:
        """One server-sent chat.completion.chunk event (`content=None`: an empty delta)."""
        delta = {"role": "assistant", "content": content} if content is not None else {}
        chunk = {
            "id": COMPLETION_ID,
            "object": "chat.completion.chunk",
            "created": 1,
            "model": self.server.model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}] if choices else [],
        }
        return f"data: {json.dumps(chunk)}\n\n".encode()


Action = Callable[[Exchange], None]


# ---- scripted answers ---------------------------------------------------------------------------------------


def answer(*texts: str) -> Action:
    """A well-formed completion with one choice per text; streamed a word at a time when asked to stream."""

    def act(exchange: Exchange) -> None:
        if not exchange.stream:
            exchange.send(200, json.dumps(exchange.completion(list(texts))).encode())
            return
        events = b""
        for index, text in enumerate(texts):
            events += b"".join(exchange.event(piece, index=index) for piece in _words(text))
            events += exchange.event(None, "stop", index=index)
        exchange.send(200, events + b"data: [DONE]\n\n", content_type="text/event-stream")

    return act


def reply(status: int, body: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> Action:
    """Exactly this status, body (a dict is sent as JSON) and headers, streaming asked for or not."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda exchange: exchange.send(status, data, headers)


def hang(seconds: float = HANG_S) -> Action:
    """No answer at all until the server is closed (or `seconds` pass); then the connection closes."""

    def act(exchange: Exchange) -> None:
        exchange.server.release.wait(seconds)
        exchange.handler.close_connection = True

    return act


def cut_stream(texts: list[str]) -> Action:
    """A 200 event stream that sends each text as a complete chunk, then closes: no finish_reason, no [DONE]."""

    def act(exchange: Exchange) -> None:
        exchange.start(200, {"Transfer-Encoding": "chunked"}, "text/event-stream")
        for text in texts:
            event = exchange.event(text)
            exchange.handler.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
        exchange.handler.wfile.flush()
        exchange.handler.close_connection = True

    return act


def _words(text: str) -> list[str]:
    pieces = text.split(" ")
    return [piece + " " for piece in pieces[:-1]] + [pieces[-1]]


# ---- the fault kinds ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    what: str  # what the endpoint does, for reports
    act: Action


def _rate_limit(exchange: Exchange) -> None:
    body = b'{"error": {"message": "Rate limit reached", "type": "requests"}}'
    exchange.send(429, body, {"Retry-After": "1"})


def _long_retry_after(exchange: Exchange) -> None:
    body = b'{"error": {"message": "Rate limit reached", "type": "tokens"}}'
    exchange.send(429, body, {"Retry-After": str(LONG_RETRY_AFTER_S)})


def _slow_drip(exchange: Exchange) -> None:
    body = json.dumps(exchange.completion([HEALTHY_TEXT])).encode()
    exchange.start(200, {"Content-Length": str(len(body))})
    for byte in body:
        if exchange.server.release.wait(DRIP_INTERVAL_S):
            break
        exchange.write(bytes([byte]))
    exchange.handler.close_connection = True


def _malformed_json(exchange: Exchange) -> None:
    body = json.dumps(exchange.completion([HEALTHY_TEXT]))
    exchange.send(200, body[: body.index('"model"') + 2].encode())  # cut inside the string "model"


def _truncated_stream(exchange: Exchange) -> None:
    if not exchange.stream:  # a body shorter than its Content-Length, then the connection closes
        body = json.dumps(exchange.completion([HEALTHY_TEXT])).encode()
        exchange.start(200, {"Content-Length": str(len(body))})
        exchange.write(body[: len(body) // 2])
        exchange.reset()
        return
    exchange.start(200, {"Transfer-Encoding": "chunked"}, "text/event-stream")
    cut = exchange.event("Dry ")[:40]  # an event cut inside its JSON, in a chunk that never completes
    for data in (exchange.event(""), cut):
        exchange.handler.wfile.write(f"{len(data) + 20:x}\r\n".encode() + data)
    exchange.handler.wfile.flush()
    exchange.reset()


def _empty_choices(exchange: Exchange) -> None:
    if exchange.stream:
        events = exchange.event(None, choices=False) + b"data: [DONE]\n\n"
        exchange.send(200, events, content_type="text/event-stream")
        return
    exchange.send(200, json.dumps({**exchange.completion([""]), "choices": []}).encode())


def _wrong_content_type(exchange: Exchange) -> None:
    page = b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
    exchange.send(200, page, content_type="text/html")


SERVER_ERROR = b'{"error": {"message": "The server had an error", "type": "server_error"}}'

FAULTS: dict[str, Fault] = {
    "ok": Fault("a well-formed completion (control)", answer(HEALTHY_TEXT)),
    "rate_limit": Fault("429 with Retry-After: 1", _rate_limit),
    "long_retry_after": Fault(f"429 with Retry-After: {LONG_RETRY_AFTER_S}", _long_retry_after),
    "server_error": Fault("500 with an OpenAI error body", reply(500, SERVER_ERROR)),
    "timeout": Fault("no answer at all (sleeps past the client timeout)", hang()),
    "slow_drip": Fault(
        f"a 200 whose body arrives one byte every {DRIP_INTERVAL_S:g} s (under the read timeout)", _slow_drip
    ),
    "malformed_json": Fault("200, application/json, a body cut inside a string", _malformed_json),
    "truncated_stream": Fault(
        "SSE cut mid-chunk (non-stream: fewer bytes than Content-Length), then closed", _truncated_stream
    ),
    "empty_choices": Fault("200 with choices: []", _empty_choices),
    "wrong_content_type": Fault("200, text/html, an HTML error page", _wrong_content_type),
    "connection_reset": Fault("the request is read, then the socket reset (RST)", Exchange.reset),
}


# ---- the server ---------------------------------------------------------------------------------------------


class ScriptedOpenAIServer:
    """An OpenAI-compatible endpoint on a free loopback port; see the module docstring. Use it as a context
    manager, or call `close()`."""

    def __init__(self, *script: Action | str, model: str = "scripted-model") -> None:
        self.model = model  # the model its answers name
        self.script: list[Action] = [self._step(step) for step in script]
        self.bodies: list[dict[str, Any]] = []  # every request body, in arrival order
        self.requests: Counter[str] = Counter()  # requests per fault kind ("script" for scripted ones)
        self.release = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                server._answer(self)

            def log_message(self, *args: Any) -> None:
                return None

        self._httpd = ThreadingHTTPServer((HOST, 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        self.origin = f"http://{HOST}:{self._httpd.server_address[1]}"
        self.base_url = f"{self.origin}/v1"  # where the script answers (an OpenAI client's `base_url`)

    def fault_url(self, kind: str) -> str:
        """Where every request gets fault `kind` (one of `FAULTS`)."""
        if kind not in FAULTS:
            raise ValueError(f"no fault kind {kind!r}; choose from {', '.join(FAULTS)}")
        return f"{self.origin}/{kind}/v1"

    def add(self, *script: Action | str) -> None:
        """More steps at the end of the script."""
        with self._lock:
            self.script += [self._step(step) for step in script]

    def close(self) -> None:
        self.release.set()
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedOpenAIServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @staticmethod
    def _step(step: Action | str) -> Action:
        if isinstance(step, str):
            if step not in FAULTS:
                raise ValueError(f"no fault kind {step!r}; choose from {', '.join(FAULTS)}")
            return FAULTS[step].act
        return step

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {}
        kind = handler.path.strip("/").split("/", 1)[0]
        exchange = Exchange(handler, body if isinstance(body, dict) else {}, self)
        with self._lock:
            self.bodies.append(exchange.body)
            self.requests[SCRIPT if kind == "v1" else kind] += 1
            if kind == "v1":
                action = self.script.pop(0) if self.script else _script_spent
            else:
                action = FAULTS[kind].act if kind in FAULTS else _no_such_fault
        action(exchange)


def openai_env(base_url: str, api_key: str, model: str | None = None) -> contextlib.AbstractContextManager[Any]:
    """The settings' OpenAI variables (OPENAI_BASE_URL, OPENAI_API_KEY and, given `model`,
    MARKETING_AGENT_OPENAI_MODEL) pointed at an endpoint (this fake or any other) while in use, then restored."""
    values = {"OPENAI_BASE_URL": base_url, "OPENAI_API_KEY": api_key}
    if model is not None:
        values["MARKETING_AGENT_OPENAI_MODEL"] = model
    return mock.patch.dict(os.environ, values)


def _script_spent(exchange: Exchange) -> None:
    exchange.send(500, b'{"error": {"message": "the script has no answer left", "type": "server_error"}}')


def _no_such_fault(exchange: Exchange) -> None:
    exchange.send(404, b'{"error": {"message": "no such fault"}}')
