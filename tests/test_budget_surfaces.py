"""plan_budget everywhere the other tools are: the train-budget-model and plan-budget commands (JSON, a PNG, clear
errors), the answer in its three modes, what a router model may see, the typed REST route, and the card on the chat
page in a real browser. One real fit (small sampler, through the CLI) on PyMC-Marketing's documented example is
shared by the module.

The example's outcome column carries a header with markup in it (mapped with --column): a file's headers are
echoed in answers and on the card, and must never become markup there."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from typer.testing import CliRunner

from agent.cli import app
from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app
from tools.answer import Written
from tools.budget.present import BudgetPresenter, charts
from tools.budget.simulate import documented_example
from tools.budget.tool import PlanBudgetResult, plan_budget

CLI = [sys.executable, "-m", "agent.cli"]
HEADER = 'Net <img src=x onerror="document.title=1"> **revenue**'  # the outcome's column in the user's file
EXAMPLE = documented_example()


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("budget-files")
    EXAMPLE.frame.rename(columns={"sales": HEADER}).to_csv(folder / "weekly.csv", index=False)
    EXAMPLE.frame.drop(columns=["spend_x1", "spend_x2"]).to_csv(folder / "no-spend.csv", index=False)
    return folder


@pytest.fixture(scope="module")
def trained(files: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    """The workspace, the command's JSON and its stderr, after one real fit through the CLI."""
    workspace = tmp_path_factory.mktemp("budget-surfaces") / "ws"
    result = CliRunner().invoke(
        app,
        [
            "train-budget-model", str(files / "weekly.csv"), "--column", f"sales={HEADER}",
            "--draws", "150", "--tune", "150", "--seed", "0", "--workspace", str(workspace), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, (result.output, result.exception)
    return workspace, json.loads(result.stdout), result.stderr


@pytest.fixture(scope="module")
def workspace(trained: tuple[Path, dict[str, Any], str]) -> Path:
    return trained[0]


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed entry point, as a user runs it (errors are printed by its main, never as tracebacks)."""
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=300)


# ---- the CLI -----------------------------------------------------------------------------------------------


def test_training_reports_roas_with_intervals_diagnostics_and_progress(
    trained: tuple[Path, dict[str, Any], str],
) -> None:
    workspace, report, stderr = trained
    assert report["channels"] == ["x1", "x2"] and report["weeks"] == 179
    truth = EXAMPLE.roas()
    for effect in report["effects"]:
        assert effect["roas_p10"] <= effect["roas"] <= effect["roas_p90"]
        assert effect["roas"] == pytest.approx(truth[effect["channel"]], rel=0.5)  # a small sampler: roughly there
    assert {"divergences", "max_rhat", "min_ess", "converged"} <= set(report["diagnostics"])
    assert isinstance(report["warnings"], list)
    assert "Read 179 weeks, 2 channels (x1, x2)" in stderr  # what was read, before the wait
    assert "this may take a minute" in stderr
    assert (workspace / "models" / "budget" / "card.md").is_file()


def test_training_without_json_prints_the_roas_table_diagnostics_and_notes(
    trained: tuple[Path, dict[str, Any], str], capsys: pytest.CaptureFixture[str]
) -> None:
    from tools.budget.cli import _print_report
    from tools.budget.tool import BudgetReport, ChannelEffect

    _, report, _ = trained
    diagnostics = {**report["diagnostics"], "converged": False}
    effects = [ChannelEffect.model_validate(e) for e in report["effects"]]
    _print_report(
        BudgetReport(Path("models/budget"), 179, ["x1", "x2"], diagnostics, effects, ["[red]x2[/] varies little"])
    )
    out = capsys.readouterr().out
    assert "Trained on 179 weeks and 2 channels" in out and "Return on ad spend by channel" in out
    assert "x1" in out and "x2" in out and "not converged" in out and "max R-hat" in out
    assert "note: [red]x2[/] varies little" in out  # a note is printed as it is, never read as markup


def test_plan_budget_prints_json_a_table_and_a_png(workspace: Path, tmp_path: Path) -> None:
    shown = invoke("plan-budget", "--budget", "2", "--weeks", "4", "--workspace", str(workspace), "--json")
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.stdout)
    assert plan["mode"] == "plan" and plan["total_budget"] == 2.0
    assert sum(a["spend"] for a in plan["allocation"]) == pytest.approx(2.0, abs=0.02)
    assert plan["planned"]["outcome_p10"] <= plan["planned"]["outcome_p50"] <= plan["planned"]["outcome_p90"]
    assert plan["current"] is not None and plan["uplift_p50"] is not None
    table = invoke("plan-budget", "--budget", "2", "--workspace", str(workspace), "--plot", str(tmp_path / "p.png"))
    assert table.exit_code == 0, table.output
    assert "today's split" in table.stdout and "Return on ad spend by channel" in table.stdout
    png = (tmp_path / "p.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_bounds_fixed_channels_and_what_ifs_from_the_cli(workspace: Path) -> None:
    bounded = invoke(
        "plan-budget", "--budget", "2", "--min", "x2=1", "--max", "x1=0.9", "--workspace", str(workspace), "--json"
    )
    assert bounded.exit_code == 0, bounded.output
    spend = {a["channel"]: a["spend"] for a in json.loads(bounded.stdout)["allocation"]}
    assert spend["x2"] >= 1 - 1e-6 and spend["x1"] <= 0.9 + 1e-6
    held = invoke("plan-budget", "--budget", "2", "--fixed", "x2", "--workspace", str(workspace), "--json")
    assert held.exit_code == 0, held.output
    held_plan = json.loads(held.stdout)
    x2 = next(a for a in held_plan["allocation"] if a["channel"] == "x2")
    assert any("Held at today's level: x2" in w for w in held_plan["warnings"])
    assert x2["weekly_spend"] == pytest.approx(
        next(c for c in held_plan["channels"] if c["channel"] == "x2")["weekly_spend"], rel=0.02
    )
    what_if = invoke("plan-budget", "--change", "x1=-30%", "--workspace", str(workspace), "--json")
    assert what_if.exit_code == 0, what_if.output
    scenario = json.loads(what_if.stdout)
    x1 = next(a for a in scenario["allocation"] if a["channel"] == "x1")
    assert scenario["mode"] == "scenario" and x1["spend"] == pytest.approx(0.7 * x1["current_spend"], rel=0.02)
    assert scenario["uplift_p50"] < 0  # less spend, less outcome


def test_bad_input_is_a_clear_error_without_a_traceback(files: Path, workspace: Path, tmp_path: Path) -> None:
    ws = str(workspace)
    cases = [
        (("train-budget-model", str(tmp_path / "nowhere.csv"), "--workspace", str(tmp_path / "w")), "nowhere.csv"),
        (("train-budget-model", str(files / "no-spend.csv"), "--workspace", str(tmp_path / "w")), "spend_"),
        (("plan-budget", "--budget", "2", "--channel", "tv", "--workspace", ws), "no channel 'tv'"),
        (("plan-budget", "--budget", "2", "--min", "x1=5", "--workspace", ws), "more than the budget of 2"),
        (("plan-budget", "--budget", "2", "--min", "x1", "--workspace", ws), "use CHANNEL=AMOUNT"),
        (("plan-budget", "--change", "x1=lots", "--workspace", ws), "is not a change"),
        (("plan-budget", "--budget", "-5", "--workspace", ws), "total_budget"),
        (("plan-budget", "--budget", "2", "--workspace", str(tmp_path / "empty")), "train-budget-model"),
    ]  # fmt: skip
    for args, said in cases:
        out = run(*args)
        assert out.returncode != 0, args
        assert said in out.stderr, (args, out.stderr)
        assert "Traceback" not in out.stderr and "Traceback" not in out.stdout, args
    assert not (tmp_path / "w" / "models" / "budget").exists()  # nothing was trained from a bad file


# ---- the answer, the router model's view, the terminal view and the chart -----------------------------------


def answer(result: PlanBudgetResult) -> tuple[str, Written]:
    written = Written()
    return BudgetPresenter().answer(result, written), written


def test_the_plan_answer_gives_the_allocation_intervals_and_the_current_split(workspace: Path) -> None:
    result = plan_budget(total_budget=2.0, workspace=workspace)
    text, _ = answer(result)
    assert "Budget plan: 2 over 4 weeks" in text
    assert "**x1**" in text and "**x2**" in text and text.count("80% interval") >= 4
    assert "Today's split of the same total would bring" in text and "the plan adds" in text
    assert "models/budget/card.md" in text


def test_the_what_if_answer_compares_with_todays_level(workspace: Path) -> None:
    result = plan_budget(changes={"x1": "-30%"}, workspace=workspace)
    text, _ = answer(result)
    assert "What if: x1" in text and "(-30%)" in text
    assert "at today's level: a change of **-" in text and "80% interval" in text


def test_the_effects_answer_gives_roas_share_and_marginal_roas(workspace: Path) -> None:
    result = plan_budget(workspace=workspace)
    text, _ = answer(result)
    assert "Return on ad spend by channel" in text
    assert "ROAS" in text and "marginal ROAS" in text and "80% interval" in text
    assert "of the media-driven" in text and "Today's split: x1" in text
    one, _ = answer(plan_budget(channels=["x2"], workspace=workspace))
    assert "**x2**" in one and "**x1**" not in one and "Today's spend: " in one


def test_caveats_are_always_said(workspace: Path, tmp_path: Path) -> None:
    result = plan_budget(total_budget=40.0, workspace=workspace)  # ~10 a week: far above anything spent
    assert any("extrapolated" in w for w in result.warnings)
    text, written = answer(result)
    assert "**Caution:**" in text and "beyond anything in the data" in text
    assert set(result.warnings) <= set(written.warnings)
    notes = BudgetPresenter().terminal(result)
    from rich.console import Console

    console = Console(record=True, width=160)
    console.print(notes)
    shown = console.export_text()
    assert "beyond the data" in shown and "extrapolated" in shown
    saved = charts(result, tmp_path / "plots")
    assert len(saved) == 1 and saved[0].read_bytes().startswith(b"\x89PNG")


def test_a_files_header_never_becomes_markup_in_the_answer(workspace: Path) -> None:
    text, _ = answer(plan_budget(total_budget=2.0, workspace=workspace))
    assert "<img" not in text and "**revenue**" not in text and "Net (img src=x" in text


def test_the_router_model_sees_numbers_and_channels_only(workspace: Path) -> None:
    result = plan_budget(total_budget=2.0, workspace=workspace)
    view = BudgetPresenter().model_view(result)
    assert [a["channel"] for a in view["allocation"]] == ["x1", "x2"]
    assert view["uplift"]["p10"] <= view["uplift"]["p50"] <= view["uplift"]["p90"]
    assert "curves" not in view and "<img" not in json.dumps(view)
    assert len(json.dumps(view)) < 4000


# ---- the REST route and the chat page ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent(workspace: Path) -> MarketingAgent:
    return MarketingAgent.open(workspace)


def test_the_rest_route_is_typed(agent: MarketingAgent, workspace: Path) -> None:
    client = TestClient(create_app(workspace, keys=False, agent=agent))
    ok = client.post("/v1/tools/plan_budget", json={"total_budget": 2, "period_weeks": 4})
    assert ok.status_code == 200, ok.text
    assert [a["channel"] for a in ok.json()["allocation"]] == ["x1", "x2"]
    unknown = client.post("/v1/tools/plan_budget", json={"total_budget": 2, "channels": ["tv"]})
    assert unknown.status_code == 422 and "no channel 'tv'" in unknown.json()["detail"]
    infeasible = client.post("/v1/tools/plan_budget", json={"total_budget": 2, "min_spend": {"x1": 5}})
    assert infeasible.status_code == 422 and "more than the budget" in infeasible.json()["detail"]
    bad = client.post("/v1/tools/plan_budget", json={"total_budget": -1})
    assert bad.status_code == 422
    schema = client.get("/openapi.json").json()
    assert "/v1/tools/plan_budget" in schema["paths"]
    assert "plan_budget" in schema["components"]["schemas"]["ToolCall"]["properties"]["name"]["enum"]
    assert 'registerView("plan_budget"' in client.get("/tools.js").text


def test_the_chat_page_draws_the_plan(agent: MarketingAgent, workspace: Path, browser: Browser) -> None:
    with serve_app(create_app(workspace, keys=False, agent=agent)) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.get_by_label("Your question").fill("How should I split a $2 budget across channels next month?")
        page.get_by_label("Your question").press("Enter")
        card = page.locator("article.message.assistant section.card").first
        expect(card.locator(".card-title")).to_have_text("Budget plan", timeout=90_000)
        expect(page.locator(".step-name").first).to_have_text("Plan the budget")
        bars = card.locator("svg.budget-allocation-chart rect.bar")
        expect(bars).to_have_count(4)  # planned and current for two channels
        curves = card.locator("svg.budget-curve")
        expect(curves).to_have_count(2)
        for i in range(2):
            curve = curves.nth(i)
            assert curve.locator("path.band").count() == 1 and curve.locator("path.median").count() == 1
            assert curve.locator("line.planned").count() == 1 and curve.locator("line.current").count() == 1
            assert len(curve.locator("path.median").get_attribute("d") or "") > 100
        expect(card.locator("table").first.locator("thead th")).to_contain_text(
            ["Channel", "Spend", "Today's split", "Change"]
        )
        expect(card.locator(".budget-headline")).to_contain_text("80% interval")
        # the file's header is shown as text, never as markup
        expect(card.locator(".budget-headline")).to_contain_text('<img src=x onerror="document.title=1">')
        assert page.locator("article.message.assistant img").count() == 0
        assert page.title() != "1"
        page.close()
    assert not errors, errors
