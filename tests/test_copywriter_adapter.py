"""The ad-copy adapter (issue 21): LoRA training, saving and loading (local_models/textgen/lora.py), the recipe's
data and split (tools/ad_copy/finetune.py), the shipped adapter and its card, and which generator writes ad copy."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import torch

from core.errors import ModelUnavailableError
from local_models.textgen.base import ChatMessage, Generation, GenerationOptions
from local_models.textgen.local import LocalGenerator, load_model_folder
from local_models.textgen.lora import (
    ADAPTER_WEIGHTS,
    MANIFEST,
    LoraRecipe,
    answer_loss,
    apply_adapter,
    fits_base,
    save_adapter,
    train_lora,
)
from tools.ad_copy import finetune


@pytest.fixture(scope="module")
def trained(local_generator: LocalGenerator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A tiny adapter: three steps on two fields of the real set, saved; with the losses around it."""
    model, tokenizer = load_model_folder(local_generator.source.folder, "fp32")  # a private copy to train
    rows = [r for r in finetune.load_rows() if finetune.product_of(r) == "pet-harness"][:3]
    examples = finetune.training_examples(tokenizer, rows)
    pad = int(tokenizer.pad_token_id)
    before = answer_loss(model, examples[:2], pad)
    result = train_lora(
        model, tokenizer, examples[:2], examples[2:], LoraRecipe(epochs=3, batch_size=2, learning_rate=3e-3)
    )
    after = answer_loss(result.model, examples[:2], pad)
    folder = save_adapter(result.model, tmp_path_factory.mktemp("adapter") / "ad_copy", extra={"task": "ad_copy"})
    return {"folder": folder, "examples": examples, "pad": pad, "before": before, "after": after, "result": result}


def test_training_lowers_the_loss_and_the_saved_adapter_loads_merged(
    trained: dict[str, Any], local_generator: LocalGenerator
) -> None:
    assert trained["after"] < trained["before"] - 0.1  # it learnt the two fields
    assert len(trained["result"].history) == 3 and 1 <= trained["result"].best_epoch <= 3
    folder: Path = trained["folder"]
    assert (folder / ADAPTER_WEIGHTS).is_file() and not (folder / "README.md").exists()
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["kind"] == "lora-adapter" and manifest["task"] == "ad_copy"
    fresh, _ = load_model_folder(local_generator.source.folder, "fp32")
    assert fits_base(folder, fresh)
    merged = apply_adapter(fresh, folder)
    assert type(merged).__name__ == type(fresh).__name__  # a plain transformers model, not a peft wrapper
    reloaded = answer_loss(merged, trained["examples"][:2], trained["pad"])
    assert abs(reloaded - trained["after"]) < 0.05  # fp16 storage rounds the adapter a little, no more


def test_an_adapter_for_another_base_or_a_damaged_one_is_refused(
    trained: dict[str, Any], local_generator: LocalGenerator, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    shutil.copytree(trained["folder"], other)
    manifest = json.loads((other / MANIFEST).read_text())
    manifest["base"]["embeddings_sha256"] = "0" * 16
    (other / MANIFEST).write_text(json.dumps(manifest))
    model, _ = load_model_folder(local_generator.source.folder, "fp32")
    with pytest.raises(ModelUnavailableError, match="another base model"):
        apply_adapter(model, other)
    (other / ADAPTER_WEIGHTS).unlink()
    with pytest.raises(ModelUnavailableError, match="not a complete LoRA adapter"):
        apply_adapter(model, other)
    (other / MANIFEST).write_text("{not json")
    with pytest.raises(ModelUnavailableError, match="No readable LoRA adapter"):
        apply_adapter(model, other)


def test_the_split_keeps_each_product_whole_and_holds_one_per_type() -> None:
    rows = finetune.load_rows()
    train, held = finetune.split_by_product(rows)
    assert len(train) + len(held) == len(rows) == 527
    assert not {finetune.product_of(r) for r in train} & {finetune.product_of(r) for r in held}
    types = {r["product_type"] for r in rows}
    assert len({finetune.product_of(r) for r in held}) == len(types) == 12


def test_a_broken_line_in_the_set_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "set.jsonl"
    bad.write_text('{"id": "a-h1", "kind": "headline"}\n')
    with pytest.raises(ValueError, match="line 1: missing data, brand, text, product_type"):
        finetune.load_rows(bad)


def test_the_shipped_adapter_fits_the_packaged_model_and_beat_its_baseline(local_generator: LocalGenerator) -> None:
    folder = finetune.adapter_folder()
    card = json.loads((folder / "card.json").read_text())
    metric = card["validation"]["metrics"][0]
    assert metric["value"] < metric["baseline_value"]  # held-out loss below the untuned model's with examples
    tuned = LocalGenerator(workspace=local_generator.source.folder.parents[1], adapter=folder)
    assert tuned.tuned_for == "ad_copy" and tuned.model.endswith("+ad_copy-lora")
    assert tuned.load().model is not local_generator.load().model  # the untuned model stays as it was
    options = GenerationOptions(max_tokens=12, temperature=0.0, stop=("\n",))
    messages = finetune.prompt_messages(finetune.load_rows()[0])
    assert tuned.generate(messages, options).texts[0].strip()


def test_ad_copy_uses_the_adapter_only_when_turned_on_for_the_default_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import load_settings
    from tools.models import copywriter, text_generator

    settings = load_settings(tmp_path)
    default = copywriter(settings, tmp_path)
    assert isinstance(default, LocalGenerator) and default.adapter is None  # off by default (the blind rating)
    tuned = copywriter(settings.model_copy(update={"copywriter_adapter": True}), tmp_path)
    assert isinstance(tuned, LocalGenerator) and tuned.adapter == finetune.adapter_folder()
    plain = text_generator(settings.model_copy(update={"copywriter_adapter": True}), tmp_path)
    assert isinstance(plain, LocalGenerator) and plain.adapter is None  # chat and the served endpoint stay untuned
    (tmp_path / "x.gguf").write_bytes(b"")  # another local model (never loaded here)
    other = settings.model_copy(update={"copywriter_adapter": True, "local_model": str(tmp_path / "x.gguf")})
    assert getattr(copywriter(other, tmp_path), "adapter", "x") is None  # the adapter fits SmolLM2 only
    monkeypatch.setenv("MARKETING_AGENT_COPYWRITER_ADAPTER", "true")
    assert getattr(copywriter(load_settings(tmp_path), tmp_path), "adapter", None) == finetune.adapter_folder()


class _Recorder:
    """Records the prompts the copywriter sends; writes nothing usable, so every field falls back to templates."""

    name = "recorder"
    model = "recorder"

    def __init__(self, tuned_for: str | None) -> None:
        self.tuned_for = tuned_for
        self.prompts: list[list[ChatMessage]] = []

    def generate(self, messages: Any, options: GenerationOptions | None = None) -> Generation:
        self.prompts.append(list(messages))
        return Generation(texts=[""], backend=self.name, model=self.model)


@pytest.mark.parametrize(("tuned_for", "examples_shown"), [("ad_copy", False), (None, True)])
def test_the_tuned_model_gets_prompts_without_worked_examples(
    demo_copy: Path, tuned_for: str | None, examples_shown: bool
) -> None:
    from tools.ad_copy.tool import generate_ad_copy

    recorder = _Recorder(tuned_for)
    result = generate_ad_copy(product="Aurora", channel="sms", workspace=demo_copy, generator=recorder, seed=1)
    assert recorder.prompts and result.variants
    shown = ["Juniper" in m.content for prompt in recorder.prompts for m in prompt]
    assert any(shown) is examples_shown
    assert all(prompt[0].role == "system" and prompt[-1].role == "user" for prompt in recorder.prompts)


def test_int8_precision_quantises_the_linear_layers_and_still_writes(local_generator: LocalGenerator) -> None:
    quantised = LocalGenerator(workspace=local_generator.source.folder.parents[1], precision="int8")
    model = quantised.load().model
    assert model is not local_generator.load().model
    from torch.ao.nn.quantized.dynamic import Linear as Int8Linear

    linears = [m for m in model.modules() if isinstance(m, (torch.nn.Linear, Int8Linear))]
    assert linears and all(isinstance(m, Int8Linear) for m in linears)
    options = GenerationOptions(max_tokens=12, temperature=0.0, stop=("\n",))
    assert quantised.generate(finetune.prompt_messages(finetune.load_rows()[0]), options).texts[0].strip()


def test_the_tuned_copywriter_writes_aurora_google_ads_that_pass(
    demo_copy: Path, local_generator: LocalGenerator
) -> None:
    """The issue's request on the demo: three Google search ads for the Aurora dress, by the shipped copywriter."""
    from tools.ad_copy.tool import generate_ad_copy

    tuned = LocalGenerator(workspace=local_generator.source.folder.parents[1], adapter=finetune.adapter_folder())
    result = generate_ad_copy(product="Aurora", channel="google_search", workspace=demo_copy, generator=tuned, seed=0)
    assert len(result.variants) == 3 and result.model == tuned.model
    assert all(v.compliance.passed for v in result.variants)
    assert any(s == "model" for v in result.variants for s in v.sources.values())


@pytest.mark.parametrize(
    ("arguments", "wrong"), [(["--epochs", "0"], "--epochs"), (["--learning-rate", "5"], "--learning-rate")]
)
def test_train_copywriter_refuses_a_bad_recipe_before_loading_anything(arguments: list[str], wrong: str) -> None:
    from typer.testing import CliRunner

    from agent.cli import app

    result = CliRunner().invoke(app, ["train-copywriter", *arguments])
    assert result.exit_code == 2 and wrong in result.output
