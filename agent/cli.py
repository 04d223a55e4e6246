"""The `marketing-agent` command line. Every command takes --workspace; --json prints machine-readable
results on stdout while progress bars go to stderr."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import RenderableType
from rich.markup import escape

from core.errors import MarketingAgentError, validation_message
from core.model_card import ModelCards, headline, render_card
from tools.batch.cli import register as register_batch
from tools.commands import JsonOption, WorkspaceOption, column_map, console, errors, print_json
from tools.registry import TOOLS

if TYPE_CHECKING:
    from agent.core import MarketingAgent

app = typer.Typer(
    name="marketing-agent",
    help="Turn a store's reviews, sales, customers and brand rules into cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo store generator.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Regenerate the demo files even if present.")] = False,
) -> None:
    """Build the demo store (catalogue, reviews, sales, customers, brand, media spend) in the workspace; ingest and
    train on it."""
    from agent.demo.build import build_demo_workspace
    from tools.reviews.present import ingest_report

    built = build_demo_workspace(workspace, seed=seed, force=force)
    console.print(f"Demo workspace: [bold]{built.workspace}[/] ({'generated' if built.generated else 'up to date'})")
    ingest_report(built.reviews, console)
    if built.forecaster is not None:
        console.print(
            f"Forecaster trained on {built.forecaster.series} weekly series in "
            f"{built.forecaster.metrics['train_seconds']:.0f} s (horizon {built.forecaster.horizon} weeks)"
        )
    if built.segmenter is not None:
        console.print(
            f"Customer model trained on {built.segmenter.customers:,} customers in "
            f"{built.segmenter.metrics['train_seconds']:.0f} s: {built.segmenter.segments} segments"
        )
    if built.recommender is not None:
        console.print(
            f"Recommender trained on {built.recommender.customers:,} customers and {built.recommender.products:,} "
            f"products in {built.recommender.metrics['train_seconds']:.0f} s"
        )
    if built.budget is not None:
        budget = built.budget
        roas = ", ".join(f"{e.channel} {e.roas:.1f}" for e in budget.effects)
        console.print(
            f"Budget model trained on {budget.weeks} weeks of spend on {', '.join(budget.channels)} in "
            f"{budget.diagnostics.get('fit_seconds', 0):.0f} s: ROAS {roas}"
        )
        for warning in budget.warnings:
            console.print(f"[yellow]{escape(warning)}[/]")
    _prepare_copywriter(built.workspace)


def _prepare_copywriter(workspace: Path) -> None:
    """Convert the local ad-copy model now (once, ~30 s), so the first ad request does not wait for it."""
    from tools.ad_copy.warm import prepare_copywriter

    with errors.status("Preparing the local ad-copy model (converted once per workspace, ~30 s)"):
        ready = prepare_copywriter(workspace)
    if ready.model:
        done = f"converted in {ready.seconds:.0f} s" if ready.converted else "ready"
        console.print(f"Local ad-copy model {ready.model}: {done}")


for _unit in TOOLS.values():  # each tool's own commands (ingest-reviews, forecast, segment, ad-copy, ...)
    if _unit.commands is not None:
        _unit.commands(app)
register_batch(app)  # `batch JOB`: the batch jobs (tools/batch), in-process or on Ray


@app.command("ingest-catalogue")
def ingest_catalogue_command(
    file: Annotated[
        Path, typer.Argument(help="CSV or JSONL: product_id, name[, category, subcategory, price, description].")
    ],
    column: Annotated[
        list[str] | None, typer.Option("--column", "-c", help="Map a field to your header: --column name=Title.")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a product catalogue and make it the workspace's (replacing the old one; a bad file changes nothing)."""
    from tools.catalogue import ingest_catalogue

    report = ingest_catalogue(file, column_map=column_map(column), workspace=workspace)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    before = "" if report.previous_products is None else f", replacing {report.previous_products:,}"
    status = "stored" if report.changed else "already up to date"
    console.print(
        f"Catalogue {status}: {report.products:,} products{before} "
        f"({', '.join(escape(c) for c in report.categories) or 'no categories'}) in {escape(report.path)}"
    )
    for warning in report.warnings:
        console.print(f"  {escape(warning)}")


@app.command("set-brand")
def set_brand_command(
    file: Annotated[Path, typer.Argument(help="The brand profile YAML: name, voice, audience, banned_words, ...")],
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check a brand profile and make it the workspace's (ad copy follows it; a bad file changes nothing)."""
    from tools.brand import set_brand

    report = set_brand(file, workspace=workspace)
    if as_json:
        sys.stdout.write(report.model_dump_json(indent=2) + "\n")
        return
    brand = report.profile
    status = "stored" if report.changed else "already up to date"
    console.print(
        f"Brand profile for {escape(brand.name)!r} {status} in {escape(report.path)}: "
        f"{len(brand.banned_words)} banned words, {len(brand.banned_claims)} banned claims, "
        f"disclaimers for {', '.join(k for k, v in brand.required_disclaimers.items() if v) or 'no channel'}"
    )


@app.command()
def ask(
    message: Annotated[str, typer.Argument(help="The request, in plain words.")],
    session: Annotated[
        str | None, typer.Option("--session", "-s", help="Session id: follow-ups reuse its context.")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer one request: the tools it used, the answer, citations (--json: the AgentResponse on stdout)."""
    from agent.chat import show_response
    from agent.core import MarketingAgent

    agent = MarketingAgent.open(workspace)
    if as_json:
        with errors.status("Working"):
            response = agent.ask(message, session)
        sys.stdout.write(response.model_dump_json(indent=2) + "\n")
        return
    with errors.status("Working"):
        response = agent.ask(message, session)
    show_response(response, console, plots_dir=agent.workspace.root / "plots")
    console.print(f"[dim]session: {response.session_id}[/]")


@app.command()
def chat(
    session: Annotated[str | None, typer.Option("--session", "-s", help="Continue this session.")] = None,
    workspace: WorkspaceOption = None,
) -> None:
    """Chat in the terminal: tool calls, answers, tables, citations; forecast charts saved as PNG files."""
    from agent.chat import run_chat
    from agent.core import MarketingAgent

    with errors.status("Loading the agent"):
        agent = MarketingAgent.open(workspace)
        agent.router.warm_up()
    run_chat(agent, console, session_id=session)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    no_keys: Annotated[
        bool, typer.Option("--no-keys", help="Development only: no API keys (allowed on a loopback host only).")
    ] = False,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes behind the one port. They share API keys, rate limits, jobs, sessions and "
            "idempotency keys (the workspace's sqlite files); above 1 the reviews must be on a Chroma server "
            "(MARKETING_AGENT_CHROMA_URL).",
        ),
    ] = 1,
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the web chat page (/) and the REST API (/v1/..., OpenAPI at /docs) on the workspace."""
    import uvicorn

    from agent.server import SERVE_KEYS_ENV, SERVE_WORKERS_ENV, create_app, worker_threads
    from core.settings import ENV_PREFIX, load_settings

    if no_keys and host not in {"127.0.0.1", "::1", "localhost"}:
        raise typer.BadParameter(f"--no-keys is for loopback development only, not {host!r}", param_hint="--no-keys")
    settings = load_settings(workspace)
    if workers > 1 and not settings.chroma_url:
        raise typer.BadParameter(
            "several workers need the reviews on a Chroma server: the embedded store is not safe across processes. "
            f"Start one (`chroma run --path DIR`) and set {ENV_PREFIX}CHROMA_URL, or serve with one worker.",
            param_hint="--workers",
        )
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    if workers == 1:
        app_ = create_app(workspace, keys=not no_keys, agent=_warm_agent(workspace))
    errors.print(f"Chat page: {url}/   REST API docs: {url}/docs   (Ctrl+C stops)")
    if no_keys:
        errors.print("API keys are off (--no-keys): loopback development only.")
    if workers == 1:
        uvicorn.run(app_, host=host, port=port, log_level="warning")
        return
    # Each worker process builds its own app from the environment (uvicorn imports the factory by name).
    root = Path(workspace) if workspace is not None else settings.home
    os.environ[f"{ENV_PREFIX}HOME"] = str(root.resolve())
    os.environ[SERVE_KEYS_ENV] = "0" if no_keys else "1"
    os.environ[SERVE_WORKERS_ENV] = str(workers)
    # each worker computes on its share of the cores (unless the settings name a count): N workers at torch's
    # default of every core would oversubscribe the machine whenever two of them run a model at once
    threads = settings.torch_threads or worker_threads(workers)
    os.environ[f"{ENV_PREFIX}TORCH_THREADS"] = str(threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))  # before torch starts in the worker: its thread pool too
    errors.print(f"{workers} worker processes on {settings.chroma_url} for reviews, {threads} CPU thread(s) each.")
    uvicorn.run(
        "agent.server:app_from_environment", factory=True, workers=workers, host=host, port=port, log_level="warning"
    )


def _warm_agent(workspace: Path | None) -> MarketingAgent:
    """The agent with its router and the ad-copy model loaded and run once, so that the first request on the page
    takes as long as the next (the model is converted first if the workspace has no copy yet)."""
    from agent.core import MarketingAgent
    from tools.ad_copy.warm import warm_copywriter

    started = time.perf_counter()
    with errors.status("Loading the models (the local ad-copy model is converted once per workspace, ~30 s)"):
        agent = MarketingAgent.open(workspace)
        agent.router.warm_up()
        ready = warm_copywriter(agent.workspace)
    copy = f" (ad copy: {ready.model}{', converted' if ready.converted else ''})" if ready.model else ""
    errors.print(f"Models ready in {time.perf_counter() - started:.1f} s{copy}.")
    return agent


@app.command("models")
def models_command(
    name: Annotated[
        str | None, typer.Argument(help="One model's card in full (forecaster, segmenter, recommender, ...).")
    ] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """The workspace's trained models and their cards: data, inputs, training budget, validation against a
    simple baseline, known limits. Checkpoints saved before cards existed say so."""
    from core.model_card import find_card, list_cards

    if name is None:
        cards = list_cards(workspace)
        if as_json:
            print_json(cards)
        else:
            console.print(_models_table(cards))
        return
    entry = find_card(name, workspace)
    if entry is None:
        known = ", ".join(e.name for e in list_cards(workspace).models) or "none yet"
        raise MarketingAgentError(f"no trained model called {name!r} in this workspace (models: {known})")
    if as_json:
        print_json(entry)
    elif entry.card is None:
        console.print(f"{escape(entry.name)}: {escape(entry.note)}")
    else:
        from rich.markdown import Markdown

        if entry.note:
            errors.print(f"[yellow]{escape(entry.note)}[/]")
        console.print(Markdown(render_card(entry.card)))


def _models_table(cards: ModelCards) -> RenderableType:
    from rich.table import Table

    if not cards.models:
        return "No trained models in this workspace yet (`marketing-agent demo` trains them all)."
    table = Table(title=f"Trained models in {escape(cards.workspace)}")
    for column in ("model", "saved", "validation (held out) vs baseline"):
        table.add_column(column)
    table.add_column("card", overflow="fold")  # a path: wrapped, never cut short
    for entry in cards.models:
        card = entry.card
        if card is None:
            table.add_row(escape(entry.name), escape(entry.saved_at[:10]), f"[yellow]{escape(entry.note)}[/]", "")
            continue
        where = escape(entry.card_path or "") + (f"\n[yellow]{escape(entry.note)}[/]" if entry.note else "")
        table.add_row(f"{escape(card.title)} [dim]({escape(entry.name)})[/]", escape(card.saved_at[:10]),
                      escape(headline(card)), where)  # fmt: skip
    return table


keys_app = typer.Typer(help="API keys for the REST server (stored hashed in the workspace).", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Argument(help="A name for the key, e.g. crm-prod.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Create a key; the key itself is printed once, only the hash is kept."""
    from agent.api_keys import KeyStore

    plain = KeyStore(workspace).create(name)
    errors.print(f"Key {escape(name)!r} created. Copy it now: it is not stored and cannot be shown again.")
    sys.stdout.write(plain + "\n")


@keys_app.command("list")
def keys_list(workspace: WorkspaceOption = None) -> None:
    """The keys by name, with their first characters and creation time (never the keys)."""
    from agent.api_keys import KeyStore

    records = KeyStore(workspace).records()
    if not records:
        console.print("No API keys. Create one with `marketing-agent keys create NAME`.")
    for record in records:
        console.print(f"{escape(record.name)}  {record.shown}…  created {record.created_at}")


@keys_app.command("revoke")
def keys_revoke(
    name: Annotated[str, typer.Argument(help="The key's name.")],
    workspace: WorkspaceOption = None,
) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from agent.api_keys import KeyStore

    if not KeyStore(workspace).revoke(name):
        raise MarketingAgentError(f"no key called {name!r}; `marketing-agent keys list` shows them")
    console.print(f"Key {escape(name)!r} revoked.")


@app.command("eval")
def eval_command(
    suite: Annotated[
        str,
        typer.Argument(
            help="Suite to run: reviews, reviews-server, forecast, segments, recommend, experiments, fairness, budget, "
            "ad-copy, agent, serve, security, reliability, scale or chinese."
        ),
    ] = "reviews",
    quick: Annotated[bool, typer.Option("--quick", help="A small, fast subset (used by the tests).")] = False,
    reports: Annotated[
        Path | None, typer.Option(help="Where to write <suite>.json/.md (default eval/reports).")
    ] = None,
    workspace: Annotated[
        Path | None,
        typer.Option("--workspace", "-w", help="Where suites build their scratch stores (default: a temp folder)."),
    ] = None,
    part: Annotated[
        str | None,
        typer.Option(
            help="Run one part alone, reported as <suite>-<part>: security has injection and pii; reliability has "
            "faults, crash and input; scale has batch; chinese has routing, language, sentiment and embeddings."
        ),
    ] = None,
) -> None:
    """Run an offline evaluation suite; prints a table and writes eval/reports/<suite>.json and .md."""
    from eval.runner import run_suite

    run_suite(suite, quick=quick, reports_dir=reports, scratch_parent=workspace, console=console, part=part)


def main() -> None:
    """Entry point: known failures print one clear message (no traceback) and exit non-zero."""
    try:
        app(standalone_mode=False)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        errors.print("Aborted.")
        sys.exit(130)
    except typer.TyperException as exc:  # usage errors: bad options or values
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            errors.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(int(getattr(exc, "exit_code", 2)))
    except ValidationError as exc:
        errors.print(f"[red]Invalid input:[/] {escape(validation_message(exc))}", highlight=False)
        sys.exit(2)
    except MarketingAgentError as exc:
        errors.print(f"[red]Error:[/] {escape(str(exc))}", highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
