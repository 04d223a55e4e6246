"""The `marketing-agent` command line. Every command takes --workspace; --json prints machine-readable
results on stdout while progress bars go to stderr."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from core.errors import MarketingAgentError, validation_message

if TYPE_CHECKING:
    from tools.forecast import ForecastSalesResult

app = typer.Typer(
    name="marketing-agent",
    help="Turn a store's reviews, sales, customers and brand rules into cited answers.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

WorkspaceOption = Annotated[
    Path | None,
    typer.Option("--workspace", "-w", help="Workspace folder (default: MARKETING_AGENT_HOME or ./workspace)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on stdout.")]


@app.command()
def demo(
    workspace: WorkspaceOption = None,
    seed: Annotated[int, typer.Option(help="Seed of the demo store generator.")] = 7,
    force: Annotated[bool, typer.Option("--force", help="Regenerate the demo files even if present.")] = False,
) -> None:
    """Build the demo store (catalogue, reviews, sales, customers, brand) in the workspace and ingest it."""
    from agent.demo.build import build_demo_workspace
    from agent.render import ingest_report

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


@app.command("ingest-reviews")
def ingest_reviews_command(
    file: Annotated[Path, typer.Argument(help="CSV or JSONL file of reviews (.gz works too).")],
    column: Annotated[
        list[str] | None,
        typer.Option("--column", "-c", help="Map a field to your header: --column text='Review Text'."),
    ] = None,
    skip_invalid: Annotated[
        bool, typer.Option("--skip-invalid", help="Store the valid rows and report the rest.")
    ] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a review file, then store it (idempotent: re-running adds nothing new)."""
    from dataclasses import asdict

    from agent.render import ingest_report
    from tools.reviews import ingest_reviews

    report = ingest_reviews(
        file, column_map=_column_map(column or []), skip_invalid=skip_invalid, workspace=workspace, progress=True
    )
    if as_json:
        console.print_json(data={**asdict(report), "written": report.written})
    else:
        ingest_report(report, console)


# ---- bring your own store: the catalogue and the brand profile --------------------------------------------------


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

    report = ingest_catalogue(file, column_map=_column_map(column or []), workspace=workspace)
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


@app.command("search-reviews")
def search_reviews_command(
    query: Annotated[str, typer.Argument(help="What to look for, in plain words.")],
    product: Annotated[list[str] | None, typer.Option("--product", "-p", help="Only this product id.")] = None,
    min_rating: Annotated[int | None, typer.Option(help="Lowest star rating.")] = None,
    max_rating: Annotated[int | None, typer.Option(help="Highest star rating.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    date_from: Annotated[str | None, typer.Option(help="Reviews on or after YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, typer.Option(help="Reviews on or before YYYY-MM-DD.")] = None,
    k: Annotated[int, typer.Option("-k", help="How many reviews.")] = 10,
    insight: Annotated[bool, typer.Option("--insight", help="Also summarise praised and criticised aspects.")] = False,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search reviews by meaning, with filters; every result carries its review id."""
    from agent.render import search_result
    from tools.reviews import search_reviews

    result = search_reviews(
        query=query,
        product_ids=product or None,
        min_rating=min_rating,
        max_rating=max_rating,
        category=category,
        date_from=_date(date_from, "--date-from"),
        date_to=_date(date_to, "--date-to"),
        k=k,
        insight=insight,
        workspace=workspace,
    )
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(search_result(result))


@app.command("review-insight")
def review_insight_command(
    product: Annotated[list[str] | None, typer.Option("--product", "-p", help="Product id (repeatable).")] = None,
    query: Annotated[str | None, typer.Option("--query", "-q", help="A topic instead of (or within) products.")] = None,
    category: Annotated[str | None, typer.Option(help="Only this category.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """What customers praise and complain about, by aspect, with counts and cited quotes."""
    from agent.render import insight as render_insight
    from tools.reviews import review_insight

    result = review_insight(product_ids=product or None, query=query, category=category, workspace=workspace)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(render_insight(result))


@app.command("train-forecaster")
def train_forecaster_command(
    file: Annotated[Path, typer.Argument(help="Long-format sales CSV: date, series_id, quantity, covariates.")],
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="Periods to forecast ahead.")] = 8,
    freq: Annotated[str | None, typer.Option(help="Pandas frequency, e.g. W-MON, MS, D (default: inferred).")] = None,
    covariates: Annotated[
        str | None, typer.Option(help="Comma-separated covariate columns (default: every numeric extra column).")
    ] = None,
    fill: Annotated[str, typer.Option(help="Gaps: refuse, zero, interpolate or ffill.")] = "refuse",
    column: Annotated[list[str] | None, typer.Option("--column", "-c", help="Map a field: --column date=Week.")] = None,
    minutes: Annotated[float, typer.Option(help="Training time budget in minutes.")] = 8.0,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Validate a sales file and train the workspace's forecaster from scratch (progress on stderr)."""
    from tools.forecast import train_forecaster
    from tools.sales_data import FILL_POLICIES

    if fill not in FILL_POLICIES:
        raise typer.BadParameter(f"{fill!r}: choose one of {', '.join(FILL_POLICIES)}", param_hint="--fill")
    names = [c.strip() for c in covariates.split(",") if c.strip()] if covariates else None
    report = train_forecaster(
        file,
        horizon=horizon,
        freq=freq,
        covariates=names,
        fill=fill,  # type: ignore[arg-type]
        column_map=_column_map(column or []),
        max_seconds=minutes * 60.0,
        seed=seed,
        workspace=workspace,
        progress=True,
    )
    summary = {
        "model": str(report.folder),
        "series": report.series,
        "freq": report.freq,
        "horizon": report.horizon,
        "covariates": report.covariates,
        "metrics": report.metrics,
        "warnings": report.warnings,
    }
    if as_json:
        console.print_json(data=summary)
        return
    console.print(
        f"Trained on {report.series:,} series ({report.freq}, horizon {report.horizon}, covariates: "
        f"{', '.join(report.covariates) or 'none'}) in {report.metrics['train_seconds']:.0f} s; "
        f"saved to {report.folder}"
    )
    for warning in report.warnings:
        console.print(f"  {escape(warning)}")


@app.command()
def forecast(
    series: Annotated[list[str] | None, typer.Option("--series", "-s", help="Series id (repeatable).")] = None,
    product: Annotated[str | None, typer.Option("--product", "-p", help="A product name or id.")] = None,
    horizon: Annotated[int, typer.Option("--horizon", "-H", help="Periods ahead.")] = 8,
    what_if: Annotated[
        list[str] | None, typer.Option("--what-if", help="Hold a covariate over the horizon: --what-if promo=1.")
    ] = None,
    csv: Annotated[Path | None, typer.Option("--csv", help="Write series_id,date,p10..p90 to this CSV.")] = None,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG chart (one series) here.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Forecast sales with intervals from the trained model; --json, --csv and --plot for scripts and reports."""
    from agent.render import forecast_result
    from tools.forecast import forecast_sales

    changes = {k: _number(v, "--what-if") for k, v in _column_map(what_if or [], option="--what-if").items()}
    result = forecast_sales(
        series_ids=series or None, product=product, horizon=horizon, what_if=changes or None, workspace=workspace
    )
    if csv is not None:
        _write_forecast_csv(result, csv)
    if plot is not None:
        if len(result.series) != 1:
            raise typer.BadParameter("--plot draws one series; ask for one --series or --product", param_hint="--plot")
        from agent.plots import plot_forecast_result

        plot_forecast_result(result.series[0], plot, workspace)
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(forecast_result(result))
        for path in (csv, plot):
            if path is not None:
                console.print(f"Wrote {path}")


@app.command("ad-copy")
def ad_copy(
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
    from agent.render import ad_copy_result
    from tools.ad_copy import CHANNEL_FIELDS, generate_ad_copy

    if channel not in CHANNEL_FIELDS:
        raise typer.BadParameter(f"{channel!r}: choose one of {', '.join(CHANNEL_FIELDS)}", param_hint="--channel")
    with errors.status("Writing copy"):
        result = generate_ad_copy(
            product=product,
            channel=channel,
            n_variants=variants,
            tone=tone,
            audience=audience,
            key_message=key_message,
            seed=seed,
            workspace=workspace,
        )
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(ad_copy_result(result))


def _number(text: str, option: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a number", param_hint=option) from None


def _write_forecast_csv(result: ForecastSalesResult, path: Path) -> None:
    import csv as csv_module

    path.parent.mkdir(parents=True, exist_ok=True)
    levels = list(result.series[0].points[0].quantiles) if result.series and result.series[0].points else []
    with path.open("w", newline="") as handle:
        writer = csv_module.writer(handle)
        writer.writerow(
            ["series_id", "date", "p10", "p50", "p90", *[q for q in levels if q not in {"p10", "p50", "p90"}]]
        )
        for series in result.series:
            for point in series.points:
                extra = [point.quantiles[q] for q in levels if q not in {"p10", "p50", "p90"}]
                writer.writerow([series.series_id, point.date.isoformat(), point.p10, point.p50, point.p90, *extra])


@app.command()
def segment(
    file: Annotated[
        Path | None,
        typer.Argument(help="Transactions CSV: customer_id, date, amount[, quantity, product_id, channel]."),
    ] = None,
    segments: Annotated[
        int | None, typer.Option("--segments", "-k", help="Number of segments (default: chosen).")
    ] = None,
    negative: Annotated[str, typer.Option(help="Negative amounts: error, returns or drop.")] = "error",
    column: Annotated[
        list[str] | None, typer.Option("--column", "-c", help="Map a field: --column amount=Revenue.")
    ] = None,
    filter_: Annotated[
        str | None, typer.Option("--filter", help="at_risk, best, new, lapsed or a segment name.")
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Look up one customer id.")] = None,
    minutes: Annotated[float, typer.Option(help="Training time budget in minutes.")] = 2.0,
    plot: Annotated[Path | None, typer.Option("--plot", help="Write a PNG of segment sizes and value here.")] = None,
    workspace: WorkspaceOption = None,
    as_json: JsonOption = False,
) -> None:
    """Segment customers from their transactions (training the customer model on FILE when given)."""
    from agent.render import segments_result
    from tools.segments import segment_customers, train_segmenter
    from tools.transactions_data import NEGATIVE_POLICIES

    if negative not in NEGATIVE_POLICIES:
        raise typer.BadParameter(f"{negative!r}: choose one of {', '.join(NEGATIVE_POLICIES)}", param_hint="--negative")
    trained: list[str] = []
    if file is not None:
        with errors.status("Training the customer model"):
            trained = train_segmenter(
                file,
                k=segments,
                negative=negative,  # type: ignore[arg-type]
                column_map=_column_map(column or []),
                max_seconds=minutes * 60.0,
                workspace=workspace,
            ).warnings
    result = segment_customers(k=segments, filter=filter_, customer_id=customer, workspace=workspace)
    result = result.model_copy(update={"warnings": trained + result.warnings})  # e.g. dates after today
    if plot is not None:
        from agent.plots import plot_segments

        plot_segments(
            [s.name for s in result.segments],
            [s.size for s in result.segments],
            [s.predicted_value for s in result.segments],
            path=plot,
        )
    if as_json:
        sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    else:
        console.print(segments_result(result))
        if plot is not None:
            console.print(f"Wrote {plot}")


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
    workspace: WorkspaceOption = None,
) -> None:
    """Serve the web chat page (/) and the REST API (/v1/..., OpenAPI at /docs) on the workspace."""
    import uvicorn

    from agent.server import create_app

    if no_keys and host not in {"127.0.0.1", "::1", "localhost"}:
        raise typer.BadParameter(f"--no-keys is for loopback development only, not {host!r}", param_hint="--no-keys")
    app_ = create_app(workspace, keys=not no_keys)
    url = f"http://{'[' + host + ']' if ':' in host else host}:{port}"
    errors.print(f"Chat page: {url}/   REST API docs: {url}/docs   (Ctrl+C stops)")
    if no_keys:
        errors.print("API keys are off (--no-keys): loopback development only.")
    uvicorn.run(app_, host=host, port=port, log_level="warning")


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
            help="Suite to run: reviews, forecast, segments, ad-copy, agent, serve, security or reliability."
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
            "faults, crash and input."
        ),
    ] = None,
) -> None:
    """Run an offline evaluation suite; prints a table and writes eval/reports/<suite>.json and .md."""
    from eval.runner import run_suite

    run_suite(suite, quick=quick, reports_dir=reports, scratch_parent=workspace, console=console, part=part)


def _column_map(pairs: list[str], option: str = "--column") -> dict[str, str]:
    from tools.review_data import parse_column_pairs

    try:
        return parse_column_pairs(pairs)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=option) from None


def _date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=option) from None


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
