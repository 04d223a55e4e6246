"""What the flows talk to instead of a remote LLM: a scripted model that leaks on purpose, served on loopback by
the app's OpenAI-compatible endpoint with every request body recorded; and log and stderr capture."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from collections.abc import Sequence
from typing import Any

from eval.pii_cases import Seeded
from local_models.textgen.base import ChatMessage, GenerationOptions

REMOTE_KEY = "sk-pii-suite"  # what the flows' OpenAI clients send to the recording endpoint
REMOTE_MODEL = "gpt-pii"
TOOL_PROMPT_MARKER = "You can use these tools"  # agent/openai_server.py's tool instruction


class LeakyReplies:
    """The replies of a model playing an LLM (for `ScriptedGenerator`): with tools it calls one (picked from the
    request's words), after a tool result it answers in a line; asked for ad copy it writes candidates, some of
    them echoing seeded personal data, so the ad-copy checks are tested against a model that leaks."""

    def __init__(self, records: list[Seeded]) -> None:
        self.records = records
        self.pii_offered = 0
        self._turn = 0

    def __call__(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> list[str]:
        system = messages[0].content if messages and messages[0].role == "system" else ""
        last = messages[-1].content if messages else ""
        if TOOL_PROMPT_MARKER in system:
            return ["Here is what the tools found." if last.startswith("Tool result:") else self._tool_call(last)]
        return [self._copy() for _ in range(options.n)]

    def _tool_call(self, request: str) -> str:
        lower = request.lower()
        product = re.search(r"\b1\d{3}\b", request)
        if "customer" in lower and ("risk" in lower or "look up" in lower):
            call: dict[str, Any] = {"tool": "segment_customers", "arguments": {"filter": "at_risk"}}
        elif "ad copy" in lower and product:
            call = {"tool": "generate_ad_copy", "arguments": {"product": product.group(0), "channel": "google_search"}}
        else:
            arguments: dict[str, Any] = {"query": request[:200], "k": 5, "insight": True}
            if product:
                arguments["product_ids"] = [product.group(0)]
            call = {"tool": "search_reviews", "arguments": arguments}
        return json.dumps(call)

    def _copy(self) -> str:
        self._turn += 1
        record = self.records[self._turn % len(self.records)]
        echoes = (f"Call {record.phone}", f"Email {record.email}", f"Pay {record.card}", f"Visit {record.address}")
        if self._turn % 2:
            self.pii_offered += 1
            return echoes[(self._turn // 2) % len(echoes)]
        return ("Soft linen for warm days", "Made to last, loved daily", "Comfort you can wear")[self._turn % 3]


class _BodyRecorder:
    """ASGI middleware keeping every request body (what an OpenAI client sent to the 'remote' endpoint)."""

    def __init__(self, app: Any, bodies: list[str]) -> None:
        self.app, self.bodies = app, bodies

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []

        async def recording() -> Any:
            message = await receive()
            if message["type"] == "http.request":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    self.bodies.append(b"".join(chunks).decode("utf-8", "replace"))
            return message

        await self.app(scope, recording, send)


class Recorder:
    """The scripted model served as an OpenAI-compatible endpoint on 127.0.0.1, recording every request body."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.bodies: list[str] = []
        self._server: Any = None

    @property
    def base_url(self) -> str:
        return str(self._server.base_url)

    def __enter__(self) -> Recorder:
        from agent.openai_server import create_openai_app, serve_app

        self._server = serve_app(_BodyRecorder(create_openai_app(self.model), self.bodies))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


class Capture:
    """Every log record at INFO and above (any logger) and everything written to stderr, while it is open."""

    def __init__(self) -> None:
        self.handler = _Lines()
        self.stderr = io.StringIO()
        self._stack = contextlib.ExitStack()
        self._level = logging.WARNING

    def __enter__(self) -> Capture:
        root = logging.getLogger()
        self._level = root.level
        root.setLevel(min(root.level or logging.WARNING, logging.INFO))
        root.addHandler(self.handler)
        self._stack.enter_context(contextlib.redirect_stderr(self.stderr))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        root = logging.getLogger()
        root.removeHandler(self.handler)
        root.setLevel(self._level)

    def text(self) -> str:
        return "\n".join(self.handler.lines) + "\n" + self.stderr.getvalue()
