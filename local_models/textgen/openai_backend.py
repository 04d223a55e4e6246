"""Text generation through the OpenAI API, or any OpenAI-compatible endpoint, with the local model as fallback.

Budgets follow the project's rules: an explicit timeout (30 s, never the SDK's 600 s), at most one retry, and
then the fallback answers with a warning that says what failed. Anything that is not a well-formed chat
completion (an HTTP error, a timeout, a body that is not JSON, no choices, a stream cut short) counts as a fault.

The whole call, retry included, also has a wall-clock budget (`max_seconds`: 45 s with the defaults, so that
the local fallback still fits in the agent's 60 s request budget). The client's own timeout bounds each read,
not the whole answer: an endpoint trickling a byte a second, or asking to wait 100 s before retrying (the
`openai` client would honour up to 120 s), would otherwise hold a call for minutes. So retries are made here,
not by the client: Retry-After is honoured only when it fits the budget, and every request runs in a worker
thread that is abandoned when the budget runs out.
"""

from __future__ import annotations

import email.utils
import functools
import importlib
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

import openai
from openai.types.chat import ChatCompletion

from local_models.textgen.base import (
    ChatMessage,
    Generation,
    GenerationOptions,
    MissingKeyError,
    ProviderError,
    TextGenerator,
    TextStream,
    bounded,
)
from local_models.textgen.output import first_stop, keep_json_objects, pieces_before_stop, with_json_instruction

DEFAULT_MODEL = "gpt-4o-mini"
MAX_API_STOPS = 4  # the API's limit; any further stop strings are applied here
PROVIDER_BUDGET_S = 45.0  # most a call may take, retry included (the local fallback must fit in 60 s)
RETRY_SLACK_S = 2.0  # room for the wait between the first try and the retry
MIN_ATTEMPT_S = 0.5  # a retry with less time than this left is not worth starting
RETRYABLE_STATUS = frozenset({408, 409, 429})  # and every 5xx, as the openai client does
T = TypeVar("T")
MISSING_KEY_MESSAGE = (
    "OPENAI_API_KEY is not set: export OPENAI_API_KEY=sk-... "
    "(or set MARKETING_AGENT_LLM=local to stay offline with the local model)."
)


class MalformedResponseError(ProviderError):
    """The endpoint answered, but not with a usable chat completion."""


class ProviderTimeoutError(ProviderError):
    """The call's wall-clock budget ran out (the endpoint hung, trickled its answer, or asked to wait too long)."""


class RemoteCallError(ProviderError):
    """A remote call failed for good (after its retry, if any); the message says what failed."""


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The HTTP library's own errors (httpx2 under openai 3, httpx before), which reach us unwrapped when a
    connection breaks while a stream is being read."""
    errors: list[type[BaseException]] = []
    for name in ("httpx2", "httpx"):
        try:
            errors.append(importlib.import_module(name).HTTPError)
        except ImportError:
            continue
    return tuple(errors)


# What a remote call may raise that means "the provider failed" rather than "our code is wrong": the client's
# own errors, a body that is not JSON (ValueError), a malformed completion, a spent budget, broken connections,
# and a call that failed for good after its retry.
REMOTE_FAULTS: tuple[type[BaseException], ...] = (
    openai.OpenAIError,
    ValueError,
    MalformedResponseError,
    ProviderTimeoutError,
    RemoteCallError,
    OSError,
    *_transport_errors(),
)


def default_budget(timeout: float, retries: int) -> float:
    """The wall-clock budget of one call: the first try always gets its full timeout; the retry gets what is left
    of `PROVIDER_BUDGET_S`."""
    return max(timeout, min(timeout * (retries + 1) + RETRY_SLACK_S, PROVIDER_BUDGET_S))


class OpenAIGenerator:
    """`TextGenerator` on the Chat Completions API. Pass `client=` to use a ready `openai.OpenAI` (tests,
    proxies); otherwise `api_key` is needed (the settings resolve it from OPENAI_API_KEY), and its absence is an
    error now.
    `max_seconds` bounds a whole call, retry included (default: `default_budget(timeout, max_retries)`)."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        timeout: float = 30.0,
        max_retries: int = 1,
        max_seconds: float | None = None,
        client: openai.OpenAI | None = None,
        fallback: TextGenerator | None = None,
    ) -> None:
        if client is None:
            if not api_key:
                raise MissingKeyError(MISSING_KEY_MESSAGE)
            client = openai.OpenAI(api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries)
        self.client = client
        self.fallback = fallback
        self._model = model
        self._retries = int(getattr(client, "max_retries", max_retries))
        self._timeout = _seconds(getattr(client, "timeout", timeout), timeout)
        self.max_seconds = max_seconds or default_budget(self._timeout, self._retries)

    @property
    def name(self) -> str:
        return "openai"

    @property
    def model(self) -> str:
        return self._model

    def generate(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Generation:
        """`options.n` samples, asked for in one request (topped up with more if the server returns fewer)."""
        options = options or GenerationOptions()
        started = time.perf_counter()
        try:
            generation = self._remote_generation(messages, options)
        except REMOTE_FAULTS as exc:
            return self._fallback_generation(messages, options, _fault_of(exc), exc)
        generation.seconds = round(time.perf_counter() - started, 3)
        return generation

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> TextStream:
        """Pieces of one sample. A fault before the first piece hands the whole answer to the fallback; after it,
        the text already shown cannot be taken back, so the stream raises `ProviderError` instead."""
        options = options or GenerationOptions()
        return TextStream(lambda stream: self._stream_pieces(stream, list(messages), options))

    def _remote_generation(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Generation:
        generation = Generation(texts=[], backend=self.name, model=self.model)
        end = time.monotonic() + self.max_seconds
        for _ in range(options.n):  # one request normally; a server that ignores `n` gets one per sample
            request = self._request(messages, options, options.n - len(generation.texts))
            completion = self._with_retries(_create(request), end)
            _add_completion(generation, completion, options)
            if len(generation.texts) >= options.n:
                break
        del generation.texts[options.n :], generation.finish_reasons[options.n :]
        if options.json_output:
            keep_json_objects(generation, "OpenAI")
        return generation

    def _with_retries(self, call: Callable[[Any], T], end: float) -> T:
        """`call(client)` with at most `self._retries` retries, all before `end` (a monotonic time). A final
        failure is raised as `RemoteCallError`, saying what failed and how many retries were made."""
        retries = 0
        while True:
            left = end - time.monotonic()
            try:
                if left <= 0:
                    raise ProviderTimeoutError(f"no answer within the call's {self.max_seconds:g} s budget")
                client = _attempt_client(self.client, min(self._timeout, left))
                return bounded(
                    functools.partial(call, client),
                    left,
                    ProviderTimeoutError(f"no complete answer within the call's {self.max_seconds:g} s budget"),
                )
            except REMOTE_FAULTS as exc:
                wait = _retry_wait(exc)
                if wait is None or retries >= self._retries:
                    raise RemoteCallError(describe_fault(exc, retries)) from exc
                left = end - time.monotonic()
                if wait + MIN_ATTEMPT_S > left:
                    raise RemoteCallError(_no_time_to_retry(exc, wait, left)) from exc
            time.sleep(wait)
            retries += 1

    def _request(self, messages: Sequence[ChatMessage], options: GenerationOptions, n: int) -> dict[str, Any]:
        chat = with_json_instruction(messages) if options.json_output else list(messages)
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in chat],
            "max_completion_tokens": options.max_tokens,
            "temperature": options.temperature,
            "top_p": options.top_p,
        }
        if n > 1:
            request["n"] = n
        if options.stop:
            request["stop"] = list(options.stop[:MAX_API_STOPS])
        if options.seed is not None:
            request["seed"] = options.seed
        if options.json_output:
            request["response_format"] = {"type": "json_object"}
        return request

    def _fallback_generation(
        self, messages: Sequence[ChatMessage], options: GenerationOptions, fault: str, exc: BaseException
    ) -> Generation:
        if self.fallback is None:
            raise ProviderError(f"The OpenAI request ({self.model}) failed: {fault}.") from exc
        generation = self.fallback.generate(messages, options)
        generation.warnings.insert(0, self._fallback_warning(fault))
        return generation

    def _fallback_warning(self, fault: str) -> str:
        assert self.fallback is not None
        return f"OpenAI ({self.model}) failed: {fault}; answered by the local model ({self.fallback.model})."

    def _stream_pieces(
        self, stream: TextStream, messages: list[ChatMessage], options: GenerationOptions
    ) -> Iterator[str]:
        shown = False
        try:
            for piece in pieces_before_stop(self._remote_pieces(stream, messages, options), options.stop, stream):
                shown = True
                yield piece
            return
        except REMOTE_FAULTS as exc:
            fault, error = _fault_of(exc), exc
        if shown or self.fallback is None:
            cut = " after part of the answer was sent" if shown else ""
            raise ProviderError(f"The OpenAI stream ({self.model}) failed{cut}: {fault}.") from error
        local = self.fallback.stream(messages, options)
        yield from local
        stream.finish_reason = getattr(local, "finish_reason", None)
        stream.warnings = [self._fallback_warning(fault), *getattr(local, "warnings", [])]

    def _remote_pieces(
        self, stream: TextStream, messages: list[ChatMessage], options: GenerationOptions
    ) -> Iterator[str]:
        request = {**self._request(messages, options, 1), "stream": True, "stream_options": {"include_usage": True}}
        end = time.monotonic() + self.max_seconds
        finish: str | None = None
        chunks = self._with_retries(_create(request), end)
        for chunk in _read_until(chunks, end, self.max_seconds):
            for choice in getattr(chunk, "choices", None) or []:  # the usage chunk has no choices
                content = getattr(getattr(choice, "delta", None), "content", None)
                if content:
                    yield content
                finish = getattr(choice, "finish_reason", None) or finish
            usage = getattr(chunk, "usage", None)
            stream.prompt_tokens = int(getattr(usage, "prompt_tokens", 0) or stream.prompt_tokens)
            stream.completion_tokens = int(getattr(usage, "completion_tokens", 0) or stream.completion_tokens)
        if finish is None:
            raise MalformedResponseError("the stream ended without a finish_reason (cut short)")
        stream.finish_reason = stream.finish_reason or finish


def _fault_of(exc: BaseException) -> str:
    return str(exc) if isinstance(exc, RemoteCallError) else describe_fault(exc, 0)


def _create(request: dict[str, Any]) -> Callable[[Any], Any]:
    """A chat completion request, to be sent with whichever client a try gets."""

    def create(client: Any) -> Any:
        return client.chat.completions.create(**request)

    return create


def _seconds(value: Any, default: float) -> float:
    """A client's timeout as seconds (a float, or an httpx Timeout's read timeout)."""
    if isinstance(value, int | float):
        return float(value)
    read = getattr(value, "read", None)
    return float(read) if isinstance(read, int | float) else default


def _attempt_client(client: Any, timeout: float) -> Any:
    """The client for one try: no retries of its own (they are made here) and the time left as its timeout."""
    with_options = getattr(client, "with_options", None)
    return with_options(max_retries=0, timeout=timeout) if callable(with_options) else client


def _read_until(chunks: Any, end: float, budget: float) -> Iterator[Any]:
    """The stream's chunks, read by a worker thread, until `end` (a monotonic time): an endpoint that keeps the
    stream open without finishing it (keep-alive comments, a trickle) is given up on then."""
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def read() -> None:
        try:
            with chunks:
                for chunk in chunks:
                    pieces.put(("chunk", chunk))
                    if stop.is_set():
                        return
            pieces.put(("end", None))
        except BaseException as exc:  # handed to the reading side
            pieces.put(("error", exc))

    threading.Thread(target=read, name="openai-stream", daemon=True).start()
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise ProviderTimeoutError(f"the stream did not finish within the call's {budget:g} s budget") from None
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _retry_wait(exc: BaseException) -> float | None:
    """Seconds to wait before retrying after `exc`, or None when retrying would not help."""
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code not in RETRYABLE_STATUS and exc.status_code < 500:
            return None
        asked = _retry_after(exc.response.headers)
        return asked if asked is not None else _backoff()
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return _backoff()
    return None


def _retry_after(headers: Any) -> float | None:
    """The wait a Retry-After (or retry-after-ms) header asks for, in seconds."""
    try:
        if headers.get("retry-after-ms"):
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if not value:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
    except (TypeError, ValueError, OverflowError):
        return None


def _backoff() -> float:
    return 0.5 * (1 - 0.25 * random.random())  # the openai client's first backoff, with its jitter


def _no_time_to_retry(exc: BaseException, wait: float, left: float) -> str:
    asked = f"asked to wait {wait:.0f} s before retrying" if wait >= 1 else "needed a retry"
    return f"{describe_fault(exc, 0)}; it {asked}, more than the {max(0.0, left):.0f} s left of the call's budget"


def describe_fault(exc: BaseException, retries: int = 1) -> str:
    """A short, user-facing account of what went wrong with the provider (`retries`: how many were made on
    timeouts, 429s and 5xx)."""
    retried = f" (after {retries} {'retry' if retries == 1 else 'retries'})" if retries else ""
    if isinstance(exc, RemoteCallError | ProviderTimeoutError):
        return _describe_ours(exc, retried)
    if isinstance(exc, openai.APIStatusError):
        return _describe_status(exc, retried)
    if isinstance(exc, openai.APIConnectionError):  # timeouts included
        return _describe_connection(exc, retried)
    if isinstance(exc, MalformedResponseError):
        return f"the endpoint sent a malformed response: {exc}"
    if isinstance(exc, ValueError):
        return f"the endpoint sent a malformed response (not JSON: {_short(str(exc))})"
    return f"{type(exc).__name__}: {_short(str(exc))}"


def _describe_ours(exc: RemoteCallError | ProviderTimeoutError, retried: str) -> str:
    if isinstance(exc, RemoteCallError):  # already described
        return str(exc)
    return f"the endpoint did not answer in time: {exc}{retried}"


def _describe_connection(exc: openai.APIConnectionError, retried: str) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return f"the request timed out{retried}"
    return f"the endpoint could not be reached ({_short(str(exc.__cause__ or exc))})"


def _describe_status(exc: openai.APIStatusError, retried: str) -> str:
    if exc.status_code == 401:
        return "the API key was rejected (HTTP 401); check OPENAI_API_KEY"
    retried = retried if exc.status_code == 429 or exc.status_code >= 500 else ""
    return f"the endpoint answered HTTP {exc.status_code}{retried}: {_short(exc.message)}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _add_completion(generation: Generation, completion: object, options: GenerationOptions) -> None:
    """Append one response's choices to `generation`, checking its shape (the client does not validate)."""
    if not isinstance(completion, ChatCompletion):
        raise MalformedResponseError(f"expected a chat completion, got {type(completion).__name__}")
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list) or not choices:
        raise MalformedResponseError("the response has no choices")
    for choice in choices:
        content = getattr(getattr(choice, "message", None), "content", None)
        if not isinstance(content, str):
            raise MalformedResponseError("a choice has no message text")
        cut = first_stop(content, options.stop)
        generation.texts.append(content if cut is None else content[:cut])
        reason = getattr(choice, "finish_reason", None)
        generation.finish_reasons.append("stop" if cut is not None else str(reason or "stop"))
    usage = getattr(completion, "usage", None)
    generation.prompt_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
    generation.completion_tokens += int(getattr(usage, "completion_tokens", 0) or 0)
