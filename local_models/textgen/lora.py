"""LoRA fine-tuning of the local text generator on CPU, and loading the result (peft).

A LoRA adapter is a few million extra weights beside the frozen base model (SmolLM2-135M: ~4.9M at rank 16 on
every projection, ~10 MB in fp16), small enough to ship inside the package. It fits one base model only: the
adapter folder's manifest records the base's shape and a fingerprint of its weights, and `apply_adapter` refuses
any other base. Loading merges the adapter into the base weights, so generation costs what it did before.

    examples = [TrainingExample(prompt_ids, answer_ids, group), ...]      # token ids, built by the caller
    result = train_lora(model, tokenizer, train, validation, LoraRecipe(), on_step=...)
    save_adapter(result.model, folder, extra={...})
    model = apply_adapter(base_model, folder)                             # merged, plain transformers model

Plain arguments only (no settings); the ad-copy recipe (data, prompts, split) lives in tools/ad_copy/finetune.py.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from core.atomic import replace_folder, write_text
from core.errors import ModelUnavailableError

ADAPTER_KIND = "lora-adapter"
MANIFEST = "manifest.json"
ADAPTER_WEIGHTS = "adapter_model.safetensors"
IGNORE = -100  # label of a token the loss skips (the prompt, padding)


@dataclass(frozen=True)
class LoraRecipe:
    """How the adapter is trained. Defaults are the shipped ad-copy adapter's."""

    rank: int = 16
    alpha: int = 32
    dropout: float = 0.05
    learning_rate: float = 3e-4
    epochs: int = 2
    batch_size: int = 8
    warmup_share: float = 0.1
    weight_decay: float = 0.0
    seed: int = 0
    targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainingExample:
    """One chat: the prompt's token ids (chat template applied, ending with the assistant's turn opening), the
    answer's ids (ending with the end-of-turn token) and the group it belongs to (for splitting)."""

    prompt_ids: list[int]
    answer_ids: list[int]
    group: str = ""


@dataclass
class TrainingResult:
    model: Any  # the peft model, adapter trainable; its weights are the best epoch's
    history: list[dict[str, float]] = field(default_factory=list)  # per epoch: train_loss, validation_loss
    base_validation_loss: float = math.nan
    best_epoch: int = 0
    seconds: float = 0.0


StepCallback = Callable[[int, int, float], None]  # (steps done, steps in all, last batch loss)


def train_lora(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    train: Sequence[TrainingExample],
    validation: Sequence[TrainingExample],
    recipe: LoraRecipe | None = None,
    on_step: StepCallback | None = None,
) -> TrainingResult:
    """Train a LoRA adapter on `train` (loss on answer tokens only); after each epoch, score `validation` (mean
    negative log-likelihood per answer token) and keep the best epoch's adapter. `model` must be fp32."""
    from peft import LoraConfig, get_peft_model

    recipe = recipe or LoraRecipe()
    if not train:
        raise ValueError("No training examples.")
    started = time.perf_counter()
    torch.manual_seed(recipe.seed)
    pad = pad_id(tokenizer)
    base_loss = answer_loss(model, validation, pad, recipe.batch_size) if validation else math.nan
    config = LoraConfig(
        r=recipe.rank,
        lora_alpha=recipe.alpha,
        lora_dropout=recipe.dropout,
        target_modules=list(recipe.targets),
        bias="none",
        task_type="CAUSAL_LM",
    )
    peft_model: Any = get_peft_model(model, config)
    trainable = [p for p in peft_model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=recipe.learning_rate, weight_decay=recipe.weight_decay)
    order = random.Random(recipe.seed)
    batches_per_epoch = math.ceil(len(train) / recipe.batch_size)
    total = batches_per_epoch * recipe.epochs
    warmup = max(1, int(total * recipe.warmup_share))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    result = TrainingResult(model=peft_model, base_validation_loss=base_loss)
    best_loss, best_state, done = math.inf, None, 0
    for epoch in range(1, recipe.epochs + 1):
        peft_model.train()
        shuffled = list(train)
        order.shuffle(shuffled)
        losses: list[float] = []
        for start in range(0, len(shuffled), recipe.batch_size):
            batch = _batch(shuffled[start : start + recipe.batch_size], pad)
            loss = peft_model(**batch).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(trainable, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(float(loss.detach()))
            done += 1
            if on_step is not None:
                on_step(done, total, losses[-1])
        peft_model.eval()
        val_loss = answer_loss(peft_model, validation, pad, recipe.batch_size) if validation else math.nan
        result.history.append({"epoch": epoch, "train_loss": sum(losses) / len(losses), "validation_loss": val_loss})
        if not validation or val_loss < best_loss:
            best_loss, result.best_epoch = val_loss, epoch
            best_state = {k: v.detach().clone() for k, v in peft_model.state_dict().items() if "lora_" in k}
    if best_state is not None:
        peft_model.load_state_dict(best_state, strict=False)
    peft_model.eval()
    result.seconds = time.perf_counter() - started
    return result


@torch.no_grad()
def answer_loss(model: Any, examples: Sequence[TrainingExample], pad: int, batch_size: int = 8) -> float:
    """Mean negative log-likelihood per answer token of `examples` under `model` (lower is better)."""
    was_training = model.training
    model.eval()
    total, tokens = 0.0, 0
    for start in range(0, len(examples), batch_size):
        batch = _batch(examples[start : start + batch_size], pad)
        logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
        shifted = logits[:, :-1].float()
        labels = batch["labels"][:, 1:]
        mask = labels != IGNORE
        nll = torch.nn.functional.cross_entropy(
            shifted.reshape(-1, shifted.shape[-1]), labels.clamp(min=0).reshape(-1), reduction="none"
        ).reshape(labels.shape)
        total += float(nll[mask].sum())
        tokens += int(mask.sum())
    if was_training:
        model.train()
    return total / max(1, tokens)


def _batch(examples: Sequence[TrainingExample], pad: int) -> dict[str, torch.Tensor]:
    """Right-padded (B, T) input ids, attention mask and labels (prompt and padding ignored)."""
    width = max(len(e.prompt_ids) + len(e.answer_ids) for e in examples)
    ids = torch.full((len(examples), width), pad, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    for row, e in enumerate(examples):
        seq = e.prompt_ids + e.answer_ids
        ids[row, : len(seq)] = torch.tensor(seq)
        mask[row, : len(seq)] = 1
        labels[row, len(e.prompt_ids) : len(seq)] = torch.tensor(e.answer_ids)
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}


def pad_id(tokenizer: PreTrainedTokenizerBase) -> int:
    """The token a batch is padded with: the tokenizer's padding token, else its end-of-text token."""
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    if pad is None:
        raise ValueError("The tokenizer has neither a padding nor an end-of-text token.")
    return int(pad)


# ----------------------------------------------------------------------------------------------------
# Saving and loading


def base_fingerprint(model: PreTrainedModel) -> dict[str, Any]:
    """What an adapter needs of its base: the architecture's shape and a hash of the input embeddings (the same
    weights give the same hash whether they were loaded in fp32 or bf16: they are rounded to bf16 first)."""
    config = model.config
    layer: Any = model.get_input_embeddings()
    embeddings = layer.weight.detach().to(torch.bfloat16).float()
    digest = hashlib.sha256(embeddings[:: max(1, embeddings.shape[0] // 64)].numpy().tobytes()).hexdigest()
    return {
        "model_type": getattr(config, "model_type", ""),
        "hidden_size": int(getattr(config, "hidden_size", 0)),
        "num_hidden_layers": int(getattr(config, "num_hidden_layers", 0)),
        "vocab_size": int(getattr(config, "vocab_size", 0)),
        "embeddings_sha256": digest[:16],
    }


def save_adapter(peft_model: Any, folder: Path, extra: dict[str, Any] | None = None) -> Path:
    """Write the adapter (fp16 weights, peft's config) and its manifest into `folder`, replacing it whole."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        peft_model.save_pretrained(staging, safe_serialization=True)
        (staging / "README.md").unlink(missing_ok=True)  # peft's blank model card: card.md is the real one
        _half_weights(staging / ADAPTER_WEIGHTS)
        manifest = {
            "kind": ADAPTER_KIND,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "base": base_fingerprint(peft_model.get_base_model()),
            **(extra or {}),
        }
        write_text(staging / MANIFEST, json.dumps(manifest, indent=2, default=_plain) + "\n")
        replace_folder(staging, folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return folder


def adapter_manifest(folder: Path) -> dict[str, Any]:
    """The adapter's manifest; ModelUnavailableError when the folder is not a complete adapter."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelUnavailableError(f"No readable LoRA adapter at {folder} ({exc}).") from exc
    if (
        not isinstance(manifest, dict)
        or manifest.get("kind") != ADAPTER_KIND
        or not (folder / ADAPTER_WEIGHTS).is_file()
    ):
        raise ModelUnavailableError(f"{folder} is not a complete LoRA adapter (manifest or weights missing).")
    return manifest


def fits_base(folder: Path, model: PreTrainedModel) -> bool:
    """Whether the adapter in `folder` was trained on this very base model."""
    return bool(adapter_manifest(folder).get("base") == base_fingerprint(model))


def apply_adapter(model: PreTrainedModel, folder: Path) -> PreTrainedModel:
    """`model` with the adapter in `folder` merged into its weights (a plain transformers model again).
    ModelUnavailableError when the adapter is damaged or was trained on another base model."""
    from peft import PeftModel

    manifest = adapter_manifest(folder)
    if manifest.get("base") != base_fingerprint(model):
        raise ModelUnavailableError(
            f"The LoRA adapter at {folder} was trained on another base model ({manifest.get('base')}); it fits only "
            "the model it was trained on. Use that model, or turn the adapter off."
        )
    dtype = next(model.parameters()).dtype
    try:
        base: Any = model
        merged = PeftModel.from_pretrained(base.float(), folder, is_trainable=False).merge_and_unload()
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelUnavailableError(f"Cannot load the LoRA adapter at {folder} ({exc}).") from exc
    return merged.to(dtype).eval()  # type: ignore[no-any-return]


def _half_weights(path: Path) -> None:
    """Store the adapter in fp16 (half the size in the package; merged in fp32 at load)."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(path)
    save_file({k: v.to(torch.float16).contiguous() for k, v in tensors.items()}, path, metadata={"format": "pt"})


def _plain(value: Any) -> Any:
    return asdict(value) if hasattr(value, "__dataclass_fields__") else str(value)
