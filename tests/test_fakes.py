"""The shared stand-ins in eval/fakes: what other tests and the eval suites rely on them to do (all on loopback,
no model weights)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import httpx
import openai
import pytest
from langchain_core.messages import AIMessage, HumanMessage

from eval.fakes.chat_model import ScriptedChatModel, ScriptExhaustedError, tool_calls_reply, tool_reply
from eval.fakes.openai_server import FAULTS, ScriptedOpenAIServer, answer, openai_env, reply
from eval.fakes.textgen import ScriptedGenerator, prompt_text
from local_models.textgen import ChatMessage, GenerationOptions, ProviderError, TextGenerator

ASK = [ChatMessage("system", "You write headlines."), ChatMessage("user", "Boots, please.")]


# ---- the OpenAI-compatible server --------------------------------------------------------------------------


def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=base_url, max_retries=0, timeout=5)


def test_the_script_answers_in_order_plain_and_streamed_then_500s() -> None:
    with ScriptedOpenAIServer(answer("Dry feet, all day."), answer("Warm", "Light"), model="gpt-test") as server:
        remote = client(server.base_url)
        first = remote.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "hi"}])
        assert first.choices[0].message.content == "Dry feet, all day." and first.model == "gpt-test"
        assert first.usage is not None and (first.usage.prompt_tokens, first.usage.completion_tokens) == (5, 3)
        chunks = remote.chat.completions.create(
            model="gpt-test", messages=[{"role": "user", "content": "more"}], n=2, stream=True
        )
        texts = ["", ""]
        for chunk in chunks:
            for choice in chunk.choices:
                texts[choice.index] += choice.delta.content or ""
        assert texts == ["Warm", "Light"]
        with pytest.raises(openai.InternalServerError):
            remote.chat.completions.create(model="gpt-test", messages=[{"role": "user", "content": "again"}])
    assert [b["messages"][0]["content"] for b in server.bodies] == ["hi", "more", "again"]
    assert server.requests["script"] == 3


def test_every_fault_kind_has_its_own_url_and_counts_its_requests() -> None:
    with ScriptedOpenAIServer() as server:
        ok = client(server.fault_url("ok")).chat.completions.create(model="m", messages=[])
        assert ok.choices[0].message.content == "Dry feet, all day."
        limited = httpx.post(server.fault_url("rate_limit") + "/chat/completions", json={}, timeout=5)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        html = httpx.post(server.fault_url("wrong_content_type") + "/chat/completions", json={}, timeout=5)
        assert html.headers["Content-Type"] == "text/html" and "502 Bad Gateway" in html.text
        broken = httpx.post(server.fault_url("malformed_json") + "/chat/completions", json={}, timeout=5)
        with pytest.raises(json.JSONDecodeError, match="Unterminated string"):
            json.loads(broken.text)
        with pytest.raises(httpx.TransportError):
            httpx.post(server.fault_url("connection_reset") + "/chat/completions", json={}, timeout=5)
        with pytest.raises(ValueError, match="no fault kind 'teapot'"):
            server.fault_url("teapot")
    assert (server.requests["ok"], server.requests["rate_limit"], server.requests["connection_reset"]) == (1, 1, 1)
    assert "timeout" in FAULTS and "slow_drip" in FAULTS  # the kinds that wait for `release`


def test_a_script_may_name_fault_kinds_and_raw_replies() -> None:
    with ScriptedOpenAIServer("server_error", reply(418, {"error": {"message": "teapot"}})) as server:
        first = httpx.post(server.base_url + "/chat/completions", json={}, timeout=5)
        second = httpx.post(server.base_url + "/chat/completions", json={}, timeout=5)
    assert (first.status_code, second.status_code) == (500, 418) and second.json()["error"]["message"] == "teapot"
    with pytest.raises(ValueError, match="no fault kind"):
        ScriptedOpenAIServer("nonsense")


def test_openai_env_points_the_settings_and_restores_them(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import load_settings

    monkeypatch.setenv("OPENAI_API_KEY", "sk-before")
    with openai_env("http://127.0.0.1:9/v1", "sk-during", model="gpt-during"):
        settings = load_settings()
        assert settings.openai_base_url == "http://127.0.0.1:9/v1" and settings.openai_model == "gpt-during"
    assert load_settings().openai_base_url is None and load_settings().openai_model != "gpt-during"


# ---- the chat model ----------------------------------------------------------------------------------------


def test_the_chat_model_replies_from_its_script_and_counts_what_it_was_sent() -> None:
    usage = {"input_tokens": 70, "output_tokens": 30, "total_tokens": 100}
    model = ScriptedChatModel(replies=[tool_reply("forecast_sales", {"horizon": 4}, usage=usage), AIMessage("Done.")])
    bound = model.bind_tools([])
    assert bound is model
    first = bound.invoke([HumanMessage("forecast the dress")])
    assert first.tool_calls == [{"name": "forecast_sales", "args": {"horizon": 4}, "id": "call_0", "type": "tool_call"}]
    assert bound.invoke("thanks").content == "Done."
    assert (model.turns, model.tokens_used) == (2, 100)
    assert model.prompt_texts == ["forecast the dress", "thanks"] and model.prompt_chars == [18, 6]
    with pytest.raises(ScriptExhaustedError, match="no reply left for call 3") as spent:
        model.invoke("more")
    assert isinstance(spent.value, ProviderError)  # the agent falls back on provider errors


def test_the_chat_model_can_answer_from_a_function_of_the_turn() -> None:
    def respond(turn: int, messages: Sequence[object]) -> AIMessage:
        calls = [("segment_customers", {}), ("forecast_sales", {"horizon": turn})]
        return tool_calls_reply(calls, [f"c{turn}-0", f"c{turn}-1"])

    model = ScriptedChatModel(respond=respond)
    replies = [model.invoke("go") for _ in range(3)]
    assert [r.tool_calls[1]["args"]["horizon"] for r in replies] == [1, 2, 3]
    assert replies[2].tool_calls[0]["id"] == "c3-0"


# ---- the text generator ------------------------------------------------------------------------------------


def test_a_scripted_generator_is_a_text_generator_that_records_its_prompts() -> None:
    generator = ScriptedGenerator("Breathable linen for warm days.", model="instant")
    assert isinstance(generator, TextGenerator) and (generator.name, generator.model) == ("local", "instant")
    generation = generator.generate(ASK, GenerationOptions(n=3))
    assert generation.texts == ["Breathable linen for warm days."] * 3 and generation.finish_reasons == ["stop"] * 3
    stream = generator.stream(ASK)
    assert list(stream) == ["Breathable ", "linen ", "for ", "warm ", "days."] and stream.finish_reason == "stop"
    prompts = generator.take_prompts()
    assert len(prompts) == 2 and prompt_text(prompts[0]) == "You write headlines.\nBoots, please."
    assert generator.take_prompts() == []


def test_a_reply_function_may_give_each_sample() -> None:
    def samples(messages: Sequence[ChatMessage], options: GenerationOptions) -> list[str]:
        return [f"{messages[-1].content} #{i}" for i in range(options.n)]

    generator = ScriptedGenerator(samples, name="scripted", model="numbered")
    generation = generator.generate(ASK, GenerationOptions(n=2))
    assert generation.texts == ["Boots, please. #0", "Boots, please. #1"] and generation.backend == "scripted"


def test_recording_passes_prompts_on_and_memo_answers_repeats_from_memory() -> None:
    calls: list[int] = []

    def counted(messages: Sequence[ChatMessage], options: GenerationOptions) -> str:
        calls.append(len(calls) + 1)
        return f"answer {calls[-1]}"

    inner = ScriptedGenerator(counted, name="openai", model="counting")
    spy = ScriptedGenerator.recording(inner)
    assert (spy.name, spy.model) == ("openai", "counting")
    assert spy.generate(ASK).text == "answer 1" and spy.generate(ASK).backend == "openai"
    stream = spy.stream(ASK)
    assert list(stream) == ["answer ", "3"] and stream.finish_reason == "stop" and len(calls) == 3
    assert len(spy.take_prompts()) == 3 and len(inner.take_prompts()) == 3

    memo = ScriptedGenerator.recording(inner, memo=True)
    assert memo.generate(ASK).text == memo.generate(ASK).text == "answer 4"
    assert memo.generate(ASK, GenerationOptions(seed=1)).text == "answer 5"  # other options: asked again
    assert len(memo.take_prompts()) == 3  # every prompt is recorded, answered from memory or not
