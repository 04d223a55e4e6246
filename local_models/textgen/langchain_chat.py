"""Both text generation backends as LangChain chat models.

`GeneratorChatModel` wraps any `TextGenerator` (local or OpenAI, fallback and warnings included) for chains
that only need text. Tool calling needs a model trained for it, so the agent uses `openai_chat_model()`:
a `ChatOpenAI` with the project's budgets (30 s timeout, one retry) that never downloads tiktoken files.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_openai import ChatOpenAI
from pydantic import Field

from local_models.textgen.base import ChatMessage, Generation, GenerationOptions, MissingKeyError, TextGenerator
from local_models.textgen.openai_backend import MISSING_KEY_MESSAGE

OPENAI_TIMEOUT = 30.0
OPENAI_MAX_RETRIES = 1
_WORD_PIECES = re.compile(r"\w{1,4}|[^\w\s]")  # ~4 characters per token, as in OpenAI's tokenizers


class GeneratorChatModel(BaseChatModel):
    """A LangChain chat model answering through a `TextGenerator` (local or OpenAI; `tools.models` builds one
    from settings).

    Text only: no tool calling. Generation warnings (e.g. "OpenAI timed out; answered by the local model")
    are in each message's `response_metadata["warnings"]`.
    """

    generator: TextGenerator = Field(exclude=True)
    max_tokens: int = Field(128, ge=1)
    temperature: float = Field(0.7, ge=0.0)
    top_p: float = Field(0.95, gt=0.0, le=1.0)
    stop: list[str] | None = None
    seed: int | None = None
    n: int = Field(1, ge=1, description="Samples per call, returned as separate generations.")
    json_output: bool = False
    streaming: bool = False

    @property
    def backend(self) -> str:
        return self.generator.name

    @property
    def model_name(self) -> str:
        return self.generator.model

    @property
    def _llm_type(self) -> str:
        return "marketing-agent-generator"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model_name": self.model_name,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "top_p": self.top_p,
            "stop": self.stop,
            "seed": self.seed,
            "n": self.n,
            "json_output": self.json_output,
        }

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        model = kwargs.get("model")
        return LangSmithParams(
            ls_provider=self.backend,
            ls_model_name=model if isinstance(model, str) else self.model_name,
            ls_model_type="chat",
            ls_temperature=kwargs.get("temperature", self.temperature),
            ls_max_tokens=kwargs.get("max_tokens", self.max_tokens),
            ls_stop=stop or self.stop,
        )

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        generation = self.generator.generate(to_chat_messages(messages), self._options(stop, kwargs))
        return ChatResult(
            generations=[_chat_generation(generation, index) for index in range(len(generation.texts))],
            llm_output={
                "model_name": generation.model,
                "backend": generation.backend,
                "token_usage": _usage(generation),
                "warnings": list(generation.warnings),
            },
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        pieces = self.generator.stream(to_chat_messages(messages), self._options(stop, kwargs))
        for piece in pieces:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager is not None:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        # A TextStream knows how it ended only once exhausted: say so in a last, empty chunk.
        finish = getattr(pieces, "finish_reason", None) or "stop"
        metadata = {
            "model_name": self.model_name,
            "backend": self.backend,
            "finish_reason": finish,
            "warnings": list(getattr(pieces, "warnings", [])),
        }
        prompt_tokens = int(getattr(pieces, "prompt_tokens", 0))
        completion_tokens = int(getattr(pieces, "completion_tokens", 0))
        usage = UsageMetadata(
            input_tokens=prompt_tokens, output_tokens=completion_tokens, total_tokens=prompt_tokens + completion_tokens
        )
        last = AIMessageChunk(content="", response_metadata=metadata, usage_metadata=usage, chunk_position="last")
        yield ChatGenerationChunk(message=last, generation_info={"finish_reason": finish})

    def _options(self, stop: list[str] | None, overrides: dict[str, Any]) -> GenerationOptions:
        stops = [*(self.stop or []), *(stop or [])]
        return GenerationOptions(
            max_tokens=int(overrides.get("max_tokens", self.max_tokens)),
            temperature=float(overrides.get("temperature", self.temperature)),
            top_p=float(overrides.get("top_p", self.top_p)),
            stop=tuple(dict.fromkeys(stops)),
            seed=overrides.get("seed", self.seed),
            n=int(overrides.get("n", self.n)),
            json_output=bool(overrides.get("json_output", self.json_output)),
        )


def to_chat_messages(messages: Sequence[BaseMessage]) -> list[ChatMessage]:
    """LangChain messages -> ours. Tool results become user turns, labelled, since the backends are text-only."""
    converted: list[ChatMessage] = []
    for message in messages:
        if message.type == "system":
            converted.append(ChatMessage("system", message.text))
        elif message.type in ("ai", "AIMessageChunk"):
            converted.append(ChatMessage("assistant", message.text))
        elif message.type == "tool":
            converted.append(ChatMessage("user", f"Tool result:\n{message.text}"))
        else:  # human, and generic chat messages
            converted.append(ChatMessage("user", message.text))
    return converted


def _chat_generation(generation: Generation, index: int) -> ChatGeneration:
    finish = generation.finish_reasons[index] if index < len(generation.finish_reasons) else "stop"
    metadata = {
        "model_name": generation.model,
        "backend": generation.backend,
        "finish_reason": finish,
        "warnings": list(generation.warnings),
        "seconds": generation.seconds,
    }
    message = AIMessage(
        content=generation.texts[index],
        response_metadata=metadata,
        usage_metadata=_usage_metadata(generation) if index == 0 else None,  # usage is per call, not per sample
    )
    return ChatGeneration(message=message, generation_info={"finish_reason": finish})


def _usage(generation: Generation) -> dict[str, int]:
    return {
        "prompt_tokens": generation.prompt_tokens,
        "completion_tokens": generation.completion_tokens,
        "total_tokens": generation.prompt_tokens + generation.completion_tokens,
    }


def _usage_metadata(generation: Generation) -> UsageMetadata:
    return UsageMetadata(
        input_tokens=generation.prompt_tokens,
        output_tokens=generation.completion_tokens,
        total_tokens=generation.prompt_tokens + generation.completion_tokens,
    )


def approximate_token_ids(text: str) -> list[int]:
    """Stand-in token ids (~4 characters each) for counting: exact counts would need tiktoken's encoding
    files, which download on first use."""
    return [zlib.crc32(piece.encode("utf-8")) & 0xFFFF for piece in _WORD_PIECES.findall(text)]


class ChatOpenAIOffline(ChatOpenAI):
    """`ChatOpenAI` whose token counts never touch tiktoken (its message counter ignores custom_get_token_ids)."""

    def get_num_tokens_from_messages(
        self,
        messages: Sequence[BaseMessage],
        tools: Sequence[Any] | None = None,
        *,
        allow_fetching_images: bool = True,
    ) -> int:
        return sum(3 + self.get_num_tokens(message.text) for message in messages) + 3


def openai_chat_model(
    *,
    api_key: str | None,
    base_url: str | None,
    model: str,
    timeout: float = OPENAI_TIMEOUT,
    max_retries: int = OPENAI_MAX_RETRIES,
    max_completion_tokens: int | None = None,
    temperature: float | None = None,
) -> ChatOpenAI:
    """The LangChain model the agent uses for tool calling. `timeout` (per request, seconds) and `max_retries`
    keep the project's budgets unless a caller (an eval, a test) needs them shorter; None leaves the server's
    default length and temperature. A missing key is an error that says how to set it."""
    if not api_key:
        raise MissingKeyError(MISSING_KEY_MESSAGE)
    # Left unset rather than passed as None: ChatOpenAI picks a model's own default only for a missing temperature
    sampling = {"max_completion_tokens": max_completion_tokens, "temperature": temperature}
    return ChatOpenAIOffline(
        model=model,
        api_key=api_key,
        base_url=base_url,
        timeout=timeout,
        max_retries=max_retries,
        custom_get_token_ids=approximate_token_ids,
        **{name: value for name, value in sampling.items() if value is not None},
    )
