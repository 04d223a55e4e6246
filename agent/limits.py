"""Request limits for the REST API: a per-key rate limit (token bucket) and a request body size cap."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException

from agent.jobs import connect_state

DRAIN_BYTES = 64_000_000
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class RateLimiter:
    """`per_minute` requests a minute per identity, in bursts of up to a minute's worth; 0 turns it off.

    With `shared` (a sqlite file), the buckets live in that file, so several server processes (`serve --workers
    N`) share one limit per key instead of giving each key N times its limit; the clock is then wall time, which
    every process agrees on."""

    def __init__(
        self, per_minute: int, *, clock: Callable[[], float] | None = None, shared: Path | None = None
    ) -> None:
        self.per_minute = per_minute
        self.shared = shared
        self._clock = clock or (time.time if shared is not None else time.monotonic)
        self._buckets: dict[str, tuple[float, float]] = {}  # identity -> (tokens, when)
        self._lock = threading.Lock()
        if shared is not None:
            with connect_state(shared) as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS rate_buckets (identity TEXT PRIMARY KEY, tokens REAL NOT NULL, "
                    "at REAL NOT NULL)"
                )

    def take(self, identity: str) -> float:
        """0 when the request may go ahead, else the seconds to wait before the next one will."""
        if self.per_minute <= 0:
            return 0.0
        if self.shared is not None:
            return self._take_shared(identity)
        now = self._clock()
        with self._lock:
            tokens, when = self._buckets.get(identity, (float(self.per_minute), now))
            tokens, wait = self._spend(tokens, now - when)
            self._buckets[identity] = (tokens, now)
            return wait

    def _spend(self, tokens: float, elapsed: float) -> tuple[float, float]:
        """(tokens left, seconds to wait): the bucket refilled for `elapsed` seconds, then one token taken."""
        rate = self.per_minute / 60.0
        tokens = min(float(self.per_minute), tokens + max(elapsed, 0.0) * rate)
        if tokens >= 1.0:
            return tokens - 1.0, 0.0
        return tokens, (1.0 - tokens) / rate

    def _take_shared(self, identity: str) -> float:
        assert self.shared is not None
        with connect_state(self.shared) as db:
            db.execute("BEGIN IMMEDIATE")  # one process at a time reads and writes a bucket
            try:
                now = self._clock()  # read inside the transaction, or a late writer would move the bucket back
                row = db.execute("SELECT tokens, at FROM rate_buckets WHERE identity = ?", (identity,)).fetchone()
                tokens, when = row if row is not None else (float(self.per_minute), now)
                now = max(now, float(when))  # clocks of several processes (or hosts) never refill a bucket twice
                tokens, wait = self._spend(float(tokens), now - float(when))
                db.execute("INSERT OR REPLACE INTO rate_buckets VALUES (?, ?, ?)", (identity, tokens, now))
            finally:
                db.execute("COMMIT")
        return wait


class BodyTooLarge(HTTPException):
    """Raised while the body is read (an HTTPException, so FastAPI's body parsing passes it through)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, too_large_detail(limit))


def too_large_detail(limit: int) -> str:
    return (
        f"The request body is over {_size(limit)}. Split the data into smaller requests, or raise "
        "MARKETING_AGENT_MAX_UPLOAD_MB / MARKETING_AGENT_MAX_REQUEST_MB on the server."
    )


class BodyLimit:
    """ASGI middleware: a body larger than `limit(path)` bytes is refused with 413 problem+json, whether it
    declares its length or streams it in chunks; nothing past the limit is read."""

    def __init__(self, app: Any, limit: Callable[[str], int]) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _drain(receive)
            await _too_large(send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if message.get("more_body", False):
                        await _drain(receive)
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


async def _drain(receive: Receive) -> None:
    """Read and drop the rest of the body (up to DRAIN_BYTES), so the client, still sending, reads our 413
    instead of a broken pipe. Past that the connection is closed on it."""
    drained = 0
    while drained <= DRAIN_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            return
        drained += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _too_large(send: Send, limit: int) -> None:
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Request too large",
            "status": 413,
            "detail": too_large_detail(limit),
        }
    ).encode()
    headers = [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _size(limit: int) -> str:
    mb = limit / 1_000_000
    return f"{mb:g} MB" if mb >= 1 else f"{math.ceil(limit / 1000)} kB"
