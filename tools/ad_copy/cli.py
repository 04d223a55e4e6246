"""The ad-copy command."""

from __future__ import annotations

from typing import Annotated

import typer

from tools.commands import JsonOption, WorkspaceOption, choice, errors, show


def register(app: typer.Typer) -> None:
    app.command("ad-copy")(ad_copy_command)


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
    from tools.ad_copy.tool import CHANNEL_FIELDS, generate_ad_copy

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
