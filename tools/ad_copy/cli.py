"""The ad-copy command."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tools.commands import JsonOption, WorkspaceOption, choice, errors, show


def register(app: typer.Typer) -> None:
    app.command("ad-copy")(ad_copy_command)
    app.command("train-copywriter")(train_copywriter_command)


def ad_copy_command(
    product: Annotated[str, typer.Option("--product", "-p", help="Product id or name from the catalogue.")],
    channel: Annotated[str, typer.Option("--channel", "-c", help="google_search, meta_feed, email or sms.")] = (
        "google_search"
    ),
    variants: Annotated[int, typer.Option("--variants", "-n", help="How many variants.")] = 3,
    tone: Annotated[str | None, typer.Option(help="e.g. warm, playful (default: the brand's).")] = None,
    audience: Annotated[str | None, typer.Option(help="Who it is for, e.g. a segment name.")] = None,
    key_message: Annotated[str | None, typer.Option("--key-message", help="What it must get across.")] = None,
    seed: Annotated[int | None, typer.Option(help="Fix the sampling seed.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write ad copy grounded in reviews and the catalogue, checked against channel limits and brand rules."""
    from tools.ad_copy.present import AdCopyPresenter
    from tools.ad_copy.text import CHANNEL_FIELDS
    from tools.ad_copy.tool import generate_ad_copy

    choice(channel, list(CHANNEL_FIELDS), "--channel")
    with errors.status("Writing copy"):
        result = generate_ad_copy(
            product=product,
            channel=channel,  # type: ignore[arg-type]
            n_variants=variants,
            tone=tone,
            audience=audience,
            key_message=key_message,
            seed=seed,
            workspace=workspace,
        )
    show(result, AdCopyPresenter(), as_json)


def train_copywriter_command(
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the adapter (default: the packaged one it replaces).")
    ] = None,
    epochs: Annotated[int, typer.Option(min=1, max=20, help="Passes over the training fields.")] = 2,
    rank: Annotated[int, typer.Option(min=1, max=256, help="LoRA rank.")] = 16,
    learning_rate: Annotated[float, typer.Option("--learning-rate", min=1e-6, max=1e-2)] = 3e-4,
    seed: Annotated[int, typer.Option(help="Seeds the split, the order and the adapter's start.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune the local copywriter (LoRA on SmolLM2-135M) on the hand-written ad-copy set (~20-30 min on 2
    cores), keeping the epoch with the lowest loss on 12 held-out products; writes the adapter and its card."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from local_models.textgen.lora import LoraRecipe
    from tools.ad_copy.finetune import train_copywriter

    recipe = LoraRecipe(rank=rank, alpha=2 * rank, learning_rate=learning_rate, epochs=epochs, seed=seed)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=errors, transient=True) as progress:
        task = progress.add_task("Loading the base model", total=None)

        def step(done: int, total: int, loss: float) -> None:
            progress.update(task, completed=done, total=total, description=f"Training (loss {loss:.3f})")

        summary = train_copywriter(out, recipe=recipe, on_step=step)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
        return
    losses = summary["validation_loss"]
    typer.echo(
        f"Adapter written ({summary['seconds']:.0f} s, kept epoch {summary['best_epoch']}). Held-out loss per token: "
        f"{losses['tuned_without']:.3f} tuned, {losses['untuned_with_worked_examples']:.3f} untuned with worked "
        f"examples, {losses['untuned_without']:.3f} untuned without."
    )
