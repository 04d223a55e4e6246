"""The one interface every text generation backend implements: chat messages in, text (or JSON) out.

Callers (the ad-copy tool, the agent) depend on `TextGenerator` only; which backend answers is a setting
(`MARKETING_AGENT_LLM=local|openai`). Backends live in their own modules: `local.py` (any Hugging Face causal
LM, SmolLM2-135M by default) and `openai_backend.py` (the `openai` client, falling back to local on faults).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, TypeVar, runtime_checkable

from core.errors import MarketingAgentError

T = TypeVar("T")

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True)
class GenerationOptions:
    max_tokens: int = 128
    temperature: float = 0.7  # 0 = greedy
    top_p: float = 0.95
    stop: tuple[str, ...] = ()  # generation ends before the first of these strings
    seed: int | None = None  # same seed + same input = same output (local backend; best effort remotely)
    n: int = 1  # independent samples (candidates) for the same prompt
    json_output: bool = False  # ask for one JSON object (remote: response_format; local: parsed leniently)


@dataclass
class Generation:
    """What came back: one text per requested sample, and anything the caller must tell the user."""

    texts: list[str]
    backend: str  # "local" or "openai"
    model: str
    finish_reasons: list[str] = field(default_factory=list)  # "stop" or "length" per text
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # e.g. "OpenAI timed out; answered by the local model"
    # Per text: the model's mean log-probability per token of it (natural log, under the model's own unwarped
    # distribution), where the backend reports it (the local one does); empty otherwise.
    mean_logprobs: list[float] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.texts[0] if self.texts else ""


class TextStream(Iterator[str]):
    """What `stream()` returns: the text pieces of one sample, plus what a `Generation` would say about them.

    `finish_reason`, `warnings` (e.g. "OpenAI stream broke; answered by the local model") and the token counts
    are complete once the pieces are exhausted. `produce` receives the stream itself so that it can fill them in.
    """

    def __init__(self, produce: Callable[[TextStream], Iterator[str]]) -> None:
        self.finish_reason: str | None = None
        self.warnings: list[str] = []
        self.prompt_tokens = 0  # 0 where the backend does not report them
        self.completion_tokens = 0
        self._pieces = produce(self)

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        return next(self._pieces)

    def close(self) -> None:
        """Stop early; a backend generating in the background is told to stop too."""
        close = getattr(self._pieces, "close", None)
        if close is not None:
            close()


@runtime_checkable
class TextGenerator(Protocol):
    """Chat-style generation. Implementations are thread-safe and load their model lazily, once."""

    @property
    def name(self) -> str:
        """Backend name: "local" or "openai"."""
        ...

    @property
    def model(self) -> str:
        """The model identifier answers come from."""
        ...

    def generate(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Generation: ...

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Iterator[str]:
        """Text pieces of one sample as they are produced (n is ignored)."""
        ...


class ProviderError(MarketingAgentError):
    """A text generation backend failed (after its retry), e.g. the OpenAI endpoint timed out or answered 500."""


class MissingKeyError(ProviderError):
    """The OpenAI backend is selected but no API key is set; the message says how to set one."""


def bounded(call: Callable[[], T], seconds: float, timeout: ProviderError) -> T:
    """`call()` in a worker thread, given up on after `seconds` by raising `timeout`: a request that hangs or
    trickles cannot be interrupted from here, so the thread is left to finish (or time out) on its own."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="provider-request", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise timeout
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
