"""The local model's converted copy is a cache of its GGUF: written once and whole, reused by later loads,
rebuilt when the GGUF changes or the copy is damaged; and `demo` and `serve` get it ready before the first
ad request (issue 21). Conversion is counted, never timed (timings belong in eval/).

A real SmolLM2 conversion takes ~30 s, so most tests convert a tiny random Llama instead: a fake GGUF file
whose reader (`_load_gguf`) is replaced by one that builds that model and counts its calls. The cache logic
around the reader (identity, lock, temporary folder, rename, manifest) is the real one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import local_models.textgen.local as local
from core.workspace import Workspace
from local_models.textgen.local import MANIFEST, LocalGenerator, ModelSource, resolve_source, shared_model


def tiny_model() -> tuple[Any, Any]:
    """A one-layer Llama and a byte-level tokenizer: the shape of a causal LM, small enough to convert in ms."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {"<pad>": 0, "<eos>": 1} | {c: i + 2 for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    backend = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, eos_token="<eos>", pad_token="<pad>")
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=256,
        eos_token_id=1,
        pad_token_id=0,
    )
    return LlamaForCausalLM(config).eval(), tokenizer


@pytest.fixture
def conversions(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every GGUF read (dequantisation) from now on, in order."""
    reads: list[Path] = []

    def read(gguf: Path) -> tuple[Any, Any]:
        reads.append(gguf)
        return tiny_model()

    monkeypatch.setattr(local, "_load_gguf", read)
    return reads


@pytest.fixture
def gguf(tmp_path: Path) -> Path:
    path = tmp_path / "weights" / "tiny-model.gguf"
    path.parent.mkdir()
    path.write_bytes(b"GGUF" + bytes(range(256)) * 64)
    return path


def source_for(gguf: Path, workspace: Path) -> ModelSource:
    source = resolve_source(gguf, workspace)
    assert source.gguf == gguf and source.folder == workspace / "models" / "tiny-model"
    return source


def manifest(folder: Path) -> dict[str, Any]:
    return json.loads((folder / MANIFEST).read_text())  # type: ignore[no-any-return]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.parent.iterdir() if p.name.startswith(f".{folder.name}.") and p.is_dir())


def test_the_conversion_is_written_whole_with_the_gguf_identity(gguf: Path, tmp_path: Path, conversions) -> None:
    source = source_for(gguf, tmp_path / "ws")
    assert source.needs_conversion
    (source.folder.parent).mkdir(parents=True)
    (source.folder.parent / f".{source.folder.name}.tmp-killed").mkdir()  # what a killed conversion leaves
    assert LocalGenerator(gguf, workspace=tmp_path / "ws").prepare() is True
    assert conversions == [gguf]
    assert {"config.json", "model.safetensors", "tokenizer.json", MANIFEST} <= {p.name for p in source.folder.iterdir()}
    recorded = manifest(source.folder)["source"]
    assert recorded["file"] == gguf.name and recorded["bytes"] == gguf.stat().st_size
    assert recorded["mtime_ns"] == gguf.stat().st_mtime_ns and len(recorded["sha256"]) == 64
    assert leftovers(source.folder) == []  # neither our temporary folder nor the killed one's


def test_a_second_load_reuses_the_copy(gguf: Path, tmp_path: Path, conversions) -> None:
    generator = LocalGenerator(gguf, workspace=tmp_path / "ws")
    assert generator.prepare() is True
    written = (generator.source.folder / "model.safetensors").stat().st_mtime_ns
    again = LocalGenerator(gguf, workspace=tmp_path / "ws")  # another process would see the same
    assert not again.source.needs_conversion
    assert again.prepare() is False
    loaded = again.load()  # from the folder: no dequantisation
    assert conversions == [gguf]
    assert loaded.model.config.num_hidden_layers == 1
    assert (generator.source.folder / "model.safetensors").stat().st_mtime_ns == written


def test_a_reinstalled_identical_gguf_keeps_the_copy(gguf: Path, tmp_path: Path, conversions) -> None:
    source = source_for(gguf, tmp_path / "ws")
    local.ensure_converted(source)
    stat = gguf.stat()
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # same bytes, new time
    assert not source.needs_conversion  # the SHA-256 matches
    assert manifest(source.folder)["source"]["mtime_ns"] == gguf.stat().st_mtime_ns  # no hashing next time
    assert local.ensure_converted(source) is False
    assert conversions == [gguf]


@pytest.mark.parametrize("change", ["same size, other bytes", "other size"])
def test_a_changed_gguf_is_converted_again(gguf: Path, tmp_path: Path, conversions, change: str) -> None:
    source = source_for(gguf, tmp_path / "ws")
    local.ensure_converted(source)
    data = bytearray(gguf.read_bytes())
    if change == "other size":
        data += b"\0" * 16
    else:
        data[100] ^= 0xFF
    stat = gguf.stat()
    gguf.write_bytes(bytes(data))
    os.utime(gguf, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))  # a new file always has a new time
    assert source.needs_conversion
    assert local.ensure_converted(source) is True
    assert conversions == [gguf, gguf]
    assert manifest(source.folder)["source"]["sha256"] == local._sha256(gguf)
    assert not source.needs_conversion


def test_a_conversion_that_fails_half_way_leaves_the_old_copy_whole(
    gguf: Path, tmp_path: Path, conversions, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = source_for(gguf, tmp_path / "ws")
    local.ensure_converted(source)
    before = manifest(source.folder)
    gguf.write_bytes(gguf.read_bytes() + b"new")

    def killed(built: Path, folder: Path) -> None:
        raise KeyboardInterrupt  # stands for the process dying after writing, before the rename

    monkeypatch.setattr(local, "replace_folder", killed)
    with pytest.raises(KeyboardInterrupt):
        local.ensure_converted(source)
    assert manifest(source.folder) == before  # the old copy, untouched and loadable
    assert local.load_model_folder(source.folder)[0].config.num_hidden_layers == 1
    assert leftovers(source.folder) == []


def test_a_damaged_copy_is_converted_again_on_load(gguf: Path, tmp_path: Path, conversions) -> None:
    source = source_for(gguf, tmp_path / "damaged-ws")
    local.ensure_converted(source)
    (source.folder / "config.json").write_text("{ not json")
    loaded = shared_model(source)
    assert conversions == [gguf, gguf]
    assert loaded.model.config.num_hidden_layers == 1


# ---- demo and serve get the model ready --------------------------------------------------------------------


def test_prepare_converts_once_and_warm_loads_and_runs_the_model(
    gguf: Path, tmp_path: Path, conversions, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tools.ad_copy.warm
    from tools.ad_copy.warm import prepare_copywriter, warm_copywriter

    sentiment: list[str] = []  # the Chinese sentiment model review insight needs: cached by prepare, loaded by warm
    monkeypatch.setattr(tools.ad_copy.warm, "trained_model", lambda: sentiment.append("ready"))
    monkeypatch.setenv("MARKETING_AGENT_LOCAL_MODEL", str(gguf))
    first = prepare_copywriter(tmp_path / "ws")
    assert (first.model, first.converted, first.loaded) == ("tiny-model", True, False)
    assert prepare_copywriter(tmp_path / "ws").converted is False
    warm = warm_copywriter(tmp_path / "ws")
    assert (warm.converted, warm.loaded) == (False, True)
    assert conversions == [gguf]
    assert (
        (tmp_path / "ws" / "models" / "tiny-model").resolve(),
        None,
        "auto",
    ) in local._models  # in this process's memory
    assert sentiment == ["ready"] * 3


def test_warm_with_openai_only_converts_the_local_fallback(
    gguf: Path, tmp_path: Path, conversions, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.ad_copy.warm import warm_copywriter

    monkeypatch.setenv("MARKETING_AGENT_LOCAL_MODEL", str(gguf))
    monkeypatch.setenv("MARKETING_AGENT_LLM", "openai")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    ready = warm_copywriter(tmp_path / "openai-ws")
    assert (ready.converted, ready.loaded) == (True, False)
    assert ((tmp_path / "openai-ws" / "models" / "tiny-model").resolve(), None, "auto") not in local._models


def test_demo_prepares_the_copywriter_after_building_the_store(demo_store, monkeypatch: pytest.MonkeyPatch) -> None:
    import agent.demo.build
    import tools.ad_copy.warm
    from agent.cli import app
    from tools.ad_copy.warm import CopywriterReady

    events: list[str] = []

    def build(*args: Any, **kwargs: Any) -> Any:
        events.append("build")
        return demo_store

    def prepare(workspace: Path) -> CopywriterReady:
        events.append(f"prepare {workspace}")
        return CopywriterReady("smollm2-135m-instruct", True, False, 31.0)

    monkeypatch.setattr(agent.demo.build, "build_demo_workspace", build)
    monkeypatch.setattr(tools.ad_copy.warm, "prepare_copywriter", prepare)
    result = CliRunner().invoke(app, ["demo", "--workspace", str(demo_store.workspace)])
    assert result.exit_code == 0, result.output
    assert events == ["build", f"prepare {demo_store.workspace}"]
    assert "Local ad-copy model smollm2-135m-instruct: converted in 31 s" in result.output


def test_serve_warms_the_models_before_it_says_it_is_ready(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    import tools.ad_copy.warm
    from agent.cli import app
    from tools.ad_copy.warm import CopywriterReady

    events: list[str] = []

    def warm(workspace: Any) -> CopywriterReady:
        events.append("warm")
        return CopywriterReady("smollm2-135m-instruct", False, True, 1.0)

    def run(app_: Any, **kwargs: Any) -> None:
        events.append("serving")

    monkeypatch.setattr(tools.ad_copy.warm, "warm_copywriter", warm)
    monkeypatch.setattr(uvicorn, "run", run)
    Workspace.open(tmp_path / "ws").ensure()
    result = CliRunner().invoke(app, ["serve", "--no-keys", "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert events == ["warm", "serving"]
    output = result.output
    assert output.index("Models ready") < output.index("Chat page:")
    assert "ad copy: smollm2-135m-instruct" in output
