"""`ScriptedChatModel`: the one stand-in LangChain chat model with tool calling, for tests and eval suites.

LangChain's own fake chat models have no `bind_tools`, so the agent's LLM router cannot use them. This one
accepts any tools (`bind_tools` returns the model itself) and answers each turn with the next scripted
`AIMessage` (tool calls and usage included), or with what a function of the turn returns, for models that
misbehave the same way forever (call tools in a loop, fan out, think slowly, burn tokens). It counts its turns
and the tokens its replies report, and keeps every prompt it was sent.

    model = ScriptedChatModel(replies=[tool_reply("forecast_sales", {"horizon": 4}), AIMessage("Done.")])
    model = ScriptedChatModel(respond=lambda turn, messages: tool_reply("forecast_sales", {}, turn))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from local_models.textgen.base import ProviderError

# The reply to turn `turn` (1 for the first call) given the messages the model was sent.
Respond = Callable[[int, list[BaseMessage]], AIMessage]


class ScriptExhaustedError(ProviderError):
    """The scripted chat model was called once more than it has replies: the agent treats it as a provider
    failure (and falls back), a test sees how many calls were made."""


class ScriptedChatModel(BaseChatModel):
    """Replies from `replies` (consumed in order) or, when given, from `respond(turn, messages)`."""

    replies: list[AIMessage] = Field(default_factory=list)
    respond: Respond | None = Field(default=None, exclude=True)
    turns: int = 0  # model calls so far
    tokens_used: int = 0  # the total_tokens of every reply's usage_metadata
    prompts: list[list[str]] = Field(default_factory=list)  # each call's message contents, in order

    @property
    def _llm_type(self) -> str:
        return "scripted-chat"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChatModel:
        return self

    @property
    def prompt_texts(self) -> list[str]:
        """Each prompt as one text (its messages a line apart)."""
        return ["\n".join(contents) for contents in self.prompts]

    @property
    def prompt_chars(self) -> list[int]:
        """Each prompt's size in characters (the messages' contents)."""
        return [sum(len(content) for content in contents) for contents in self.prompts]

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        # (stop, run_manager and any call options are accepted and ignored: the script decides)
        self.turns += 1
        self.prompts.append([str(message.content) for message in messages])
        reply = self._next_reply(messages)
        if reply.usage_metadata:
            self.tokens_used += reply.usage_metadata["total_tokens"]
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def _next_reply(self, messages: list[BaseMessage]) -> AIMessage:
        if self.respond is not None:
            return self.respond(self.turns, messages)
        if not self.replies:
            raise ScriptExhaustedError(f"the scripted chat model has no reply left for call {self.turns}")
        return self.replies.pop(0)


def tool_reply(name: str, arguments: dict[str, Any], call: int = 0, usage: UsageMetadata | None = None) -> AIMessage:
    """A model turn asking for one tool call, with id `call_<call>` (and `usage` as its usage_metadata)."""
    return tool_calls_reply([(name, arguments)], [f"call_{call}"], usage)


def tool_calls_reply(
    calls: Sequence[tuple[str, dict[str, Any]]], ids: Sequence[str], usage: UsageMetadata | None = None
) -> AIMessage:
    """A model turn asking for several tool calls at once, with the given call ids."""
    requested = [{"name": name, "args": dict(args), "id": id_} for (name, args), id_ in zip(calls, ids, strict=True)]
    return AIMessage(content="", tool_calls=requested, usage_metadata=usage)
