"""The OpenAI-compatible endpoint serving the real local model, exercised through the real `openai` client, the
OpenAI backend, LangChain's ChatOpenAI and raw HTTP (response and error shapes, SSE framing)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

from agent.openai_server import OpenAIServer, parse_tool_call, serve_openai
from core.settings import Settings
from local_models.textgen import ChatMessage, GenerationOptions, MissingKeyError, ProviderError
from local_models.textgen.local import LocalGenerator
from local_models.textgen.openai_backend import OpenAIGenerator
from tools.models import chat_model

KEY = "sk-local-test"
HEADLINE = [
    ChatMessage("system", "You write short ad headlines."),
    ChatMessage("user", "Write a headline for waterproof hiking boots."),
]
GREEDY = GenerationOptions(max_tokens=16, temperature=0.0)


@pytest.fixture(scope="module")
def server(local_generator: LocalGenerator) -> Iterator[OpenAIServer]:
    with serve_openai(local_generator, api_key=KEY) as running:
        yield running


@pytest.fixture
def client(server: OpenAIServer) -> openai.OpenAI:
    return openai.OpenAI(api_key=KEY, base_url=server.base_url, timeout=60, max_retries=0)


def post(server: OpenAIServer, path: str, body: bytes | dict, key: str | None = KEY) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{server.base_url}{path}", data=data, method="POST")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_completion_has_openai_shape(client: openai.OpenAI, local_generator: LocalGenerator) -> None:
    completion = client.chat.completions.create(
        model=local_generator.model,
        messages=[{"role": "user", "content": "Write a headline for hiking boots."}],
        max_tokens=8,
        temperature=0,
    )
    assert completion.id.startswith("chatcmpl-") and completion.object == "chat.completion"
    assert completion.model == local_generator.model and completion.created > 0
    choice = completion.choices[0]
    assert choice.index == 0 and choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in {"stop", "length"}
    usage = completion.usage
    assert usage is not None and usage.completion_tokens <= 8
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens


def test_openai_backend_end_to_end_matches_the_local_model(
    server: OpenAIServer, local_generator: LocalGenerator
) -> None:
    remote = OpenAIGenerator(api_key=KEY, base_url=server.base_url, model=local_generator.model, timeout=60)
    generation = remote.generate(HEADLINE, GREEDY)
    assert generation.backend == "openai" and not generation.warnings
    assert generation.text == local_generator.generate(HEADLINE, GREEDY).text
    assert generation.prompt_tokens > 0 and generation.completion_tokens > 0

    samples = remote.generate(HEADLINE, GenerationOptions(max_tokens=8, n=3, seed=4))
    assert len(samples.texts) == 3 and len(samples.finish_reasons) == 3

    stream = remote.stream(HEADLINE, GREEDY)
    assert "".join(stream) == generation.text
    assert stream.finish_reason in {"stop", "length"} and stream.completion_tokens > 0

    ask = [ChatMessage("user", "Describe a product as JSON with the keys name and price.")]
    as_json = remote.generate(ask, GenerationOptions(max_tokens=48, temperature=0.0, json_output=True))
    assert isinstance(json.loads(as_json.text), dict)


def test_models_are_listed(client: openai.OpenAI, local_generator: LocalGenerator) -> None:
    assert [m.id for m in client.models.list()] == [local_generator.model]
    assert client.models.retrieve(local_generator.model).id == local_generator.model
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-nonexistent")


def test_wrong_key_is_a_provider_error_or_a_fallback(server: OpenAIServer, local_generator: LocalGenerator) -> None:
    wrong = OpenAIGenerator(api_key="sk-wrong", base_url=server.base_url, model=local_generator.model)
    with pytest.raises(ProviderError, match="401"):
        wrong.generate(HEADLINE, GREEDY)
    wrong.fallback = local_generator
    generation = wrong.generate(HEADLINE, GREEDY)
    assert generation.backend == "local" and "API key was rejected" in generation.warnings[0]
    status, body = post(server, "/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}, key=None)
    assert status == 401 and body["error"]["code"] == "invalid_api_key"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "user", "content": "hi"}], "n": 100}, "n"),
        ({"messages": [{"role": "wizard", "content": "hi"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": "hi"}], "temperature": -1}, "temperature"),
        (b"{broken", None),
    ],
)
def test_bad_requests_get_openai_style_400s(server: OpenAIServer, body: bytes | dict, param: str | None) -> None:
    status, answer = post(server, "/chat/completions", body)
    assert status == 400
    assert set(answer["error"]) == {"message", "type", "param", "code"}
    assert answer["error"]["type"] == "invalid_request_error"
    if param is not None:
        assert answer["error"]["param"] == param


def test_stream_is_server_sent_events_ending_in_done(server: OpenAIServer) -> None:
    body = {
        "messages": [{"role": "user", "content": "Write a headline for hiking boots."}],
        "max_tokens": 6,
        "temperature": 0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    status, text = post(server, "/chat/completions", body)
    assert status == 200
    events = [line.removeprefix("data: ") for line in text.split("\n\n") if line]
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["id"] == chunks[0]["id"] for c in chunks)
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] == 6


def test_stream_with_several_samples_sends_each_choice(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="any-name",
        messages=[{"role": "user", "content": "Write a headline for hiking boots."}],
        max_tokens=6,
        n=2,
        seed=1,
        stream=True,
    )
    texts: dict[int, str] = {}
    for chunk in stream:
        for choice in chunk.choices:
            texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
    assert sorted(texts) == [0, 1] and all(texts.values())


def test_langchain_chat_openai_talks_to_the_endpoint_offline(server: OpenAIServer, local_generator) -> None:
    settings = Settings(openai_api_key=KEY, openai_base_url=server.base_url, openai_model=local_generator.model)
    chat = chat_model(settings)
    assert chat.request_timeout == 30 and chat.max_retries == 1
    messages = [SystemMessage("You write short ad headlines."), HumanMessage("A headline for hiking boots.")]
    assert chat.get_num_tokens_from_messages(messages) > 5  # no tiktoken download (the network is blocked)
    answer = chat.bind(max_tokens=8, temperature=0).invoke(messages)
    assert isinstance(answer.content, str) and answer.content
    with pytest.raises(MissingKeyError):
        chat_model(Settings())


# ---- tool calling by JSON reply ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name", "arguments"),
    [
        ('{"tool": "forecast_sales", "arguments": {"horizon": 4}}', "forecast_sales", {"horizon": 4}),
        ('Sure! {"name": "search_reviews", "parameters": {"query": "fit"}} done', "search_reviews", {"query": "fit"}),
    ],
)
def test_a_json_reply_naming_a_listed_tool_is_a_tool_call(text: str, name: str, arguments: dict) -> None:
    call = parse_tool_call(text, {"forecast_sales", "search_reviews"})
    assert call is not None and call["type"] == "function" and call["id"].startswith("call_")
    assert call["function"]["name"] == name and json.loads(call["function"]["arguments"]) == arguments


@pytest.mark.parametrize(
    "text",
    [
        "plain words",
        '{"tool": "delete_everything", "arguments": {}}',
        '{"tool": "forecast_sales", "arguments": 3}',
        "{",
    ],
)
def test_other_replies_stay_text(text: str) -> None:
    assert parse_tool_call(text, {"forecast_sales"}) is None


def test_tools_reach_the_model_and_replies_keep_the_openai_shape(server: OpenAIServer, client: openai.OpenAI) -> None:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    from tools.registry import TOOLS

    tools = [convert_to_openai_tool(spec.input_model) | {} for spec in TOOLS.values()]
    for tool, name in zip(tools, TOOLS, strict=True):
        tool["function"]["name"] = name
    request: dict[str, Any] = {
        "model": "local",
        "messages": [{"role": "user", "content": "Forecast product 1001 for the next 4 weeks."}],
        "tools": tools,
        "max_tokens": 60,
        "temperature": 0,
    }
    completion = client.chat.completions.create(**request)
    choice = completion.choices[0]
    if choice.finish_reason == "tool_calls":  # a 135M model may or may not call one; the shape must hold
        assert choice.message.tool_calls and choice.message.tool_calls[0].function.name in TOOLS
    else:
        assert choice.finish_reason in {"stop", "length"} and choice.message.content
    stream = client.chat.completions.create(**request, stream=True)
    finishes = [c.choices[0].finish_reason for c in stream if c.choices and c.choices[0].finish_reason]
    assert finishes == [choice.finish_reason]  # greedy: the streamed reply is the same reply
