"""LangChain's standard unit suite on GeneratorChatModel, plus invoke / stream / batch through it on the real
local model and on the OpenAI backend's fallback."""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_tests.unit_tests import ChatModelUnitTests

from eval.fakes.textgen import ScriptedGenerator
from local_models.textgen import ChatMessage, GenerationOptions
from local_models.textgen.langchain_chat import GeneratorChatModel, to_chat_messages
from local_models.textgen.local import LocalGenerator
from local_models.textgen.openai_backend import OpenAIGenerator
from tools.chat_model import SettingsChatModel


def parrot() -> ScriptedGenerator:
    """Deterministic and instant: repeats the last message. The unit suite checks construction and
    parameters, not the words, so it needs no real model."""

    def repeat(messages: Sequence[ChatMessage], options: GenerationOptions) -> str:
        return " ".join(messages[-1].content.split()[: options.max_tokens])

    return ScriptedGenerator(repeat, model="parrot-1")


class TestGeneratorChatModelUnit(ChatModelUnitTests):
    """On the settings-aware subclass: the standard suite also builds the model from environment variables."""

    @property
    def chat_model_class(self) -> type[GeneratorChatModel]:
        return SettingsChatModel

    @property
    def chat_model_params(self) -> dict:
        return {"generator": parrot()}

    @property
    def init_from_env_params(self) -> tuple[dict, dict, dict]:
        # With no generator given, the model uses the one the settings choose.
        env = {"MARKETING_AGENT_LLM": "openai", "OPENAI_API_KEY": "sk-env", "MARKETING_AGENT_OPENAI_MODEL": "gpt-env"}
        return env, {}, {"backend": "openai", "model_name": "gpt-env"}


def test_invoke_stream_and_batch_on_the_local_model(local_generator: LocalGenerator) -> None:
    chat = GeneratorChatModel(generator=local_generator, max_tokens=10, temperature=0)
    messages = [SystemMessage("You write short ad headlines."), HumanMessage("A headline for hiking boots.")]
    answer = chat.invoke(messages)
    assert isinstance(answer, AIMessage) and answer.content
    assert answer.response_metadata["backend"] == "local" and answer.response_metadata["warnings"] == []
    assert answer.usage_metadata is not None and 0 < answer.usage_metadata["output_tokens"] <= 10

    chunks = list(chat.stream(messages))
    assert all(isinstance(c, AIMessageChunk) for c in chunks)
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged += chunk
    assert merged.content == answer.content and merged.response_metadata["finish_reason"] in {"stop", "length"}
    assert merged.usage_metadata is not None and merged.usage_metadata["output_tokens"] > 0

    stop = str(answer.content).split()[1]
    cut = chat.invoke(messages, stop=[stop])
    assert cut.content == str(answer.content)[: str(answer.content).index(stop)]
    assert [m.content for m in chat.batch([messages, messages])] == [answer.content, answer.content]


def test_openai_fallback_warnings_reach_response_metadata(local_generator: LocalGenerator) -> None:
    # Port 9 (discard) on loopback refuses connections: the remote call fails at once and the local model answers.
    remote = OpenAIGenerator(
        api_key="sk-test", base_url="http://127.0.0.1:9/v1", timeout=2, max_retries=0, fallback=local_generator
    )
    chat = GeneratorChatModel(generator=remote, max_tokens=6, temperature=0)
    answer = chat.invoke("A headline for hiking boots.")
    assert answer.response_metadata["backend"] == "local"
    assert "could not be reached" in answer.response_metadata["warnings"][0]
    assert chat._get_ls_params()["ls_provider"] == "openai"


def test_messages_convert_to_plain_chat_turns() -> None:
    from langchain_core.messages import ToolMessage

    converted = to_chat_messages(
        [SystemMessage("s"), HumanMessage("h"), AIMessage("a"), ToolMessage("42", tool_call_id="t1")]
    )
    assert [(m.role, m.content) for m in converted] == [
        ("system", "s"),
        ("user", "h"),
        ("assistant", "a"),
        ("user", "Tool result:\n42"),
    ]
