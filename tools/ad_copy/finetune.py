"""The ad-copy adapter's recipe (issue 21): LoRA on SmolLM2-135M-Instruct, on the hand-written fine-tuning set.

    marketing-agent train-copywriter                 # ~20-30 min on 2 CPU cores; writes the packaged adapter
    marketing-agent train-copywriter --out /tmp/ad   # anywhere else

Data: local_models/textgen/finetune/ad_copy_examples.jsonl (527 fields for 52 invented products in 12 product types
the demo does not sell; its README says how it was written). Each line becomes the chat the tool renders for that
field (`render_messages`, without the worked examples: the tuned model learns the task from the data, and its
prompts are half as long) and the hand-written answer. One product per product type is held out (12 products);
each epoch is scored on them and the best epoch's adapter is kept. The card beside the adapter gives the
held-out loss of the tuned model against the untuned model with the prompts it had before (worked examples).
"""

from __future__ import annotations

import hashlib
import json
import random
import tempfile
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from core.model_card import Benchmark, DataFacts, Metric, TrainingFacts, Validation, card_for, measured, write_card

TASK = "ad_copy"


def examples_path() -> Path:
    return Path(str(resources.files("local_models.textgen").joinpath("finetune", "ad_copy_examples.jsonl")))


def adapter_folder() -> Path:
    """Where the shipped ad-copy adapter lives (inside the package)."""
    return Path(str(resources.files("local_models.textgen").joinpath("adapters", TASK)))


def load_rows(path: Path | None = None) -> list[dict[str, Any]]:
    """The fine-tuning set's lines; ValueError naming the line for one that is not a complete example."""
    path = path or examples_path()
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ValueError(f"{path.name} line {number}: not JSON ({exc})") from exc
        missing = [key for key in ("id", "kind", "data", "brand", "text", "product_type") if key not in row]
        if missing:
            raise ValueError(f"{path.name} line {number}: missing {', '.join(missing)}")
        rows.append(row)
    return rows


def product_of(row: dict[str, Any]) -> str:
    """A line's product: its id without the field code (`pet-harness-h1` -> `pet-harness`)."""
    return str(row["id"]).rsplit("-", 1)[0]


def split_by_product(
    rows: Sequence[dict[str, Any]], seed: int = 0
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(train, validation): one product per product type goes to validation, all of its lines together."""
    by_type: dict[str, set[str]] = {}
    for row in rows:
        by_type.setdefault(str(row["product_type"]), set()).add(product_of(row))
    chooser = random.Random(seed)
    held = {chooser.choice(sorted(products)) for _, products in sorted(by_type.items())}
    return [r for r in rows if product_of(r) not in held], [r for r in rows if product_of(r) in held]


def prompt_messages(row: dict[str, Any], *, worked_examples: bool = False) -> list[Any]:
    """The chat the tool renders for this line's field."""
    from tools.ad_copy.text import render_messages
    from tools.brand import BrandProfile

    brand = BrandProfile(name=row["brand"].get("name", ""), voice=row["brand"].get("voice", ""))
    return render_messages(str(row["kind"]), dict(row["data"]), brand, worked_examples=worked_examples)


def training_examples(tokenizer: Any, rows: Sequence[dict[str, Any]], *, worked_examples: bool = False) -> list[Any]:
    """Token ids of each line's prompt (as `LocalGenerator` encodes it) and answer (ending with end-of-turn)."""
    from local_models.textgen.lora import TrainingExample

    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    if not isinstance(end, int) or end == tokenizer.unk_token_id:
        end = tokenizer.eos_token_id
    examples = []
    for row in rows:
        chat = [{"role": m.role, "content": m.content} for m in prompt_messages(row, worked_examples=worked_examples)]
        prompt = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_dict=True)["input_ids"]
        answer = tokenizer(str(row["text"]), add_special_tokens=False)["input_ids"] + [int(end)]
        examples.append(TrainingExample(list(prompt), list(answer), product_of(row)))
    return examples


def train_copywriter(
    out: Path | None = None,
    *,
    recipe: Any = None,
    data: Path | None = None,
    scratch: Path | None = None,
    on_step: Any = None,
) -> dict[str, Any]:
    """Train the adapter and write it, its manifest and its card into `out` (default: the packaged folder).
    `scratch` is where the base model is converted from its GGUF file (a temporary folder by default)."""
    from local_models.textgen.local import ensure_converted, load_model_folder, resolve_source
    from local_models.textgen.lora import LoraRecipe, answer_loss, pad_id, save_adapter, train_lora

    recipe = recipe or LoraRecipe()
    out = out or adapter_folder()
    data = data or examples_path()
    rows = load_rows(data)
    train_rows, val_rows = split_by_product(rows, recipe.seed)
    with tempfile.TemporaryDirectory(prefix="copywriter-base-") as tmp:
        source = resolve_source(None, scratch or Path(tmp))
        ensure_converted(source)
        model, tokenizer = load_model_folder(source.folder, "fp32")
    pad = pad_id(tokenizer)
    train = training_examples(tokenizer, train_rows)
    validation = training_examples(tokenizer, val_rows)
    before_few_shot = answer_loss(model, training_examples(tokenizer, val_rows, worked_examples=True), pad)
    result = train_lora(model, tokenizer, train, validation, recipe, on_step=on_step)
    after = min(h["validation_loss"] for h in result.history)
    fingerprint = hashlib.sha256(data.read_bytes()).hexdigest()[:16]
    summary = {
        "task": TASK,
        "base_model": source.name,
        "recipe": recipe,
        "data": {"file": data.name, "sha256": fingerprint, "fields": len(rows), "train_fields": len(train_rows)},
        "validation_products": sorted({product_of(r) for r in val_rows}),
        "history": result.history,
        "best_epoch": result.best_epoch,
        "validation_loss": {
            "untuned_with_worked_examples": before_few_shot,
            "untuned_without": result.base_validation_loss,
            "tuned_without": after,
        },
        "seconds": round(result.seconds, 1),
        "prompt": "render_messages(kind, data, brand, worked_examples=False)",
    }
    save_adapter(result.model, out, extra=summary)
    write_card(out, _card(out, summary, recipe, len(rows), len(val_rows)))
    return summary


def _card(out: Path, summary: dict[str, Any], recipe: Any, fields: int, held: int) -> Any:
    losses = summary["validation_loss"]
    return card_for(
        out,
        out.parent,
        title="Ad-copy adapter (LoRA on SmolLM2-135M-Instruct)",
        summary=(
            "Teaches the local text model to write one ad-copy field (Google headline or description, Meta primary "
            "text or headline, email subject, preview or body, SMS) from a product's catalogue facts and review "
            "praise, within the field's length, in the brand's voice. Merged into the model at load time."
        ),
        used_by=["generate_ad_copy"],
        data=DataFacts(
            fingerprint=summary["data"]["sha256"],
            source="local_models/textgen/finetune/ad_copy_examples.jsonl (hand-written; see its README)",
            rows=fields,
            rows_label="hand-written ad-copy fields",
            products=52,
        ),
        inputs=[
            "The tool's prompt for one field: the brand's name and voice, the product's name, category, catalogue "
            "description, up to three praised aspects with short quotes, the focus, tone, audience and key message, "
            "and the field's instruction with its character limit. No worked examples."
        ],
        never_inputs=["Customers' personal data: the prompt holds catalogue text and short review quotes only."],
        training=TrainingFacts(
            budget_seconds=None,
            seconds=float(summary["seconds"]),
            seed=recipe.seed,
            stopped=(
                f"{recipe.epochs} epochs of LoRA (rank {recipe.rank}, alpha {recipe.alpha}, learning rate "
                f"{recipe.learning_rate}, batch {recipe.batch_size}, every projection); kept epoch "
                f"{summary['best_epoch']}, the lowest held-out loss"
            ),
        ),
        validation=Validation(
            split=f"{held} fields of 12 products (one per product type) never trained on",
            metrics=[
                Metric(
                    name="answer NLL per token",
                    description=(
                        "Mean negative log-likelihood of the hand-written copy's tokens given the tool's prompt "
                        "(lower: the model would write more like the copywriter)."
                    ),
                    value=measured(losses["tuned_without"]),
                    higher_is_better=False,
                    baseline="the untuned model with the prompt it had before (two worked examples per field)",
                    baseline_value=measured(losses["untuned_with_worked_examples"]),
                )
            ],
            note=f"The untuned model without worked examples scores {losses['untuned_without']:.3f}.",
        ),
        limits=[
            "English only: the Chinese path still needs the OpenAI-compatible backend.",
            "One writer wrote the whole set in one sitting, so the copy has one house style.",
            "The products, brands and quotes are invented, and cleaner than real reviews.",
            "It fits SmolLM2-135M-Instruct as converted from the packaged GGUF only; other models run untuned.",
            "The tool's hard rules and sense check still judge every field it writes; fields they reject fall "
            "back to the grounded templates.",
        ],
        benchmarks=[
            Benchmark(
                what="Ad copy on the demo and a real-review catalogue: rules, model-written share, speed, before/after",
                result="see the report",
                command="marketing-agent eval ad-copy",
                report="eval/reports/ad-copy.md",
            )
        ],
    )
