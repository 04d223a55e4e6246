"""Text generation through the OpenAI API, or any OpenAI-compatible endpoint, with the local model as fallback.

Budgets follow the project's rules: an explicit timeout (30 s, never the SDK's 600 s), at most one retry (the
`openai` client honours Retry-After on 429), and then the fallback answers with a warning that says what
failed. Anything that is not a well-formed chat completion (an HTTP error, a timeout, a body that is not
JSON, no choices, a stream cut short) counts as a fault.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Iterator, Sequence
from typing import Any

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
)
from local_models.textgen.output import first_stop, keep_json_objects, pieces_before_stop, with_json_instruction

DEFAULT_MODEL = "gpt-4o-mini"
MAX_API_STOPS = 4  # the API's limit; any further stop strings are applied here
MISSING_KEY_MESSAGE = (
    "OPENAI_API_KEY is not set: export OPENAI_API_KEY=sk-... "
    "(or set MARKETING_AGENT_LLM=local to stay offline with the local model)."
)


class MalformedResponseError(ProviderError):
    """The endpoint answered, but not with a usable chat completion."""


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
# own errors, a body that is not JSON (ValueError), a malformed completion, and broken connections.
REMOTE_FAULTS: tuple[type[BaseException], ...] = (
    openai.OpenAIError,
    ValueError,
    MalformedResponseError,
    OSError,
    *_transport_errors(),
)


class OpenAIGenerator:
    """`TextGenerator` on the Chat Completions API. Pass `client=` to use a ready `openai.OpenAI` (tests,
    proxies); otherwise the key comes from `api_key`, then OPENAI_API_KEY, and its absence is an error now."""

    def __init__(
        self,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        model: str = DEFAULT_MODEL,
        timeout: float = 30.0,
        max_retries: int = 1,
        client: openai.OpenAI | None = None,
        fallback: TextGenerator | None = None,
    ) -> None:
        if client is None:
            key = api_key or os.environ.get("OPENAI_API_KEY")
            if not key:
                raise MissingKeyError(MISSING_KEY_MESSAGE)
            client = openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, max_retries=max_retries)
        self.client = client
        self.fallback = fallback
        self._model = model
        self._retries = int(getattr(client, "max_retries", max_retries))

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
            return self._fallback_generation(messages, options, describe_fault(exc, self._retries), exc)
        generation.seconds = round(time.perf_counter() - started, 3)
        return generation

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> TextStream:
        """Pieces of one sample. A fault before the first piece hands the whole answer to the fallback; after it,
        the text already shown cannot be taken back, so the stream raises `ProviderError` instead."""
        options = options or GenerationOptions()
        return TextStream(lambda stream: self._stream_pieces(stream, list(messages), options))

    def _remote_generation(self, messages: Sequence[ChatMessage], options: GenerationOptions) -> Generation:
        generation = Generation(texts=[], backend=self.name, model=self.model)
        for _ in range(options.n):  # one request normally; a server that ignores `n` gets one per sample
            remaining = options.n - len(generation.texts)
            completion = self.client.chat.completions.create(**self._request(messages, options, remaining))
            _add_completion(generation, completion, options)
            if len(generation.texts) >= options.n:
                break
        del generation.texts[options.n :], generation.finish_reasons[options.n :]
        if options.json_output:
            keep_json_objects(generation, "OpenAI")
        return generation

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
            fault, error = describe_fault(exc, self._retries), exc
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
        finish: str | None = None
        with self.client.chat.completions.create(**request) as chunks:
            for chunk in chunks:
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


def describe_fault(exc: BaseException, retries: int = 1) -> str:
    """A short, user-facing account of what went wrong with the provider (`retries`: how many the client made
    on timeouts, 429s and 5xx)."""
    retried = f" (after {retries} {'retry' if retries == 1 else 'retries'})" if retries else ""
    if isinstance(exc, openai.APIStatusError):
        return _describe_status(exc, retried)
    if isinstance(exc, openai.APITimeoutError):
        return f"the request timed out{retried}"
    if isinstance(exc, openai.APIConnectionError):
        return f"the endpoint could not be reached ({_short(str(exc.__cause__ or exc))})"
    if isinstance(exc, MalformedResponseError):
        return f"the endpoint sent a malformed response: {exc}"
    if isinstance(exc, ValueError):
        return f"the endpoint sent a malformed response (not JSON: {_short(str(exc))})"
    return f"{type(exc).__name__}: {_short(str(exc))}"


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
