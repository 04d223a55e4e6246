"""Model cards (issue 18): every trained model writes a card beside its checkpoint, and the CLI, the REST API, the
chat page and the answers show it.

One small store is generated and every model trained on it for real, with budgets of seconds: the sentiment model
(review ingest), the forecaster, the customer model and the recommender. Old checkpoints (tests/golden's, saved
before cards existed) are listed without failing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from agent.api_keys import KeyStore
from agent.core import MarketingAgent
from agent.demo.generator import generate_demo_data
from agent.openai_server import OpenAIServer, serve_app
from agent.server import create_app
from core.model_card import (
    CARD_JSON,
    CARD_MD,
    NO_CARD,
    NO_CUSTOMER_ATTRIBUTES,
    DataFacts,
    Metric,
    ModelCard,
    TrainingFacts,
    Validation,
    card_for,
    find_card,
    list_cards,
    render_card,
    write_card,
)
from core.workspace import Workspace
from local_models.checkpoint import save_checkpoint
from tools.answer import Written
from tools.forecast import forecast_sales, train_forecaster
from tools.forecast.present import ForecastPresenter
from tools.recommend import recommend_products, train_recommender
from tools.recommend.present import RecommendPresenter
from tools.review_analysis import load_sentiment
from tools.reviews import ingest_reviews
from tools.reviews.card import DEMO_ASPECTS, REAL_REVIEWS
from tools.segments import segment_customers, train_segmenter
from tools.segments.present import SegmentsPresenter

CLI = [sys.executable, "-m", "agent.cli"]
GOLDEN = Path(__file__).parent / "golden"
REPORTS = Path(__file__).parent.parent / "eval" / "reports"
MODELS = {"forecaster", "recommender", "segmenter", "sentiment"}
SECONDS = 4.0  # each model's training budget here
# the comparison each card must make on its own held-out data
BASELINES = {
    "forecaster": ("scaled pinball loss", "seasonal naive"),
    "recommender": ("recall@20", "popularity"),
    "segmenter": ("purchases MAE", "past rate"),
    "sentiment": ("macro-F1", "VADER lexicon"),
}
ATTRIBUTE_WORDS = re.compile(r"\b(age|gender|income|region|household)\b", re.IGNORECASE)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small generated store with all four models trained on it (about 20 s on 2 cores)."""
    root = tmp_path_factory.mktemp("cards") / "ws"
    files = generate_demo_data(root / "data", n_reviews=300, n_customers=120, seed=3, progress=False)
    ingest_reviews(files.reviews, workspace=root, progress=False)  # trains the sentiment model
    train_forecaster(files.sales, horizon=8, max_seconds=SECONDS, workspace=root, progress=False)
    train_segmenter(files.transactions, max_seconds=SECONDS, workspace=root)
    train_recommender(files.transactions, max_seconds=SECONDS, workspace=root)
    return root


@pytest.fixture(scope="module")
def old_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Checkpoints saved before cards existed (the golden ones), plus the converted text generator's folder,
    which is not a trained model and never listed."""
    root = tmp_path_factory.mktemp("old-cards") / "ws"
    for name in ("forecaster", "segmenter", "sentiment"):
        shutil.copytree(GOLDEN / name / "checkpoint", root / "models" / name)
    converted = root / "models" / "smollm2-135m-instruct"
    converted.mkdir(parents=True)
    (converted / "manifest.json").write_text(json.dumps({"kind": "hf-causal-lm", "source": {}}))
    return root


def manifest(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    wide = {**os.environ, "COLUMNS": "200"}  # the terminal table on one line per model
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=120, env=wide)


# ---- cards written by real training runs -------------------------------------------------------------------------


def test_every_trained_model_writes_a_card_beside_its_checkpoint(workspace: Path) -> None:
    cards = list_cards(workspace)
    assert {e.name for e in cards.models} == MODELS
    for entry in cards.models:
        folder = workspace / "models" / entry.name
        assert entry.status == "card" and entry.note == "" and entry.card is not None, entry
        assert (folder / CARD_JSON).is_file() and (folder / CARD_MD).is_file()
        assert entry.card_path == f"models/{entry.name}/{CARD_MD}" and entry.checkpoint == f"models/{entry.name}"
        card, saved = entry.card, manifest(folder)
        # the card describes this very checkpoint: same save, same data
        assert card.saved_at == saved["saved_at"] and card.kind == saved["kind"]
        assert card.data.fingerprint == saved["data_fingerprint"]
        assert (folder / CARD_MD).read_text(encoding="utf-8") == render_card(card)
        assert ModelCard.model_validate_json((folder / CARD_JSON).read_text(encoding="utf-8")) == card
        assert not list(folder.glob(".*.tmp")), "an atomic write left a temporary file behind"


def test_each_card_compares_its_validation_figures_with_a_simple_baseline(workspace: Path) -> None:
    for entry in list_cards(workspace).models:
        assert entry.card is not None
        validation = entry.card.validation
        assert validation.split and validation.metrics
        for metric in validation.metrics:
            assert metric.value is not None and np.isfinite(metric.value), (entry.name, metric)
            assert metric.baseline and metric.baseline_value is not None, (entry.name, metric)
            assert isinstance(metric.beats_baseline, bool) and metric.description
        name, baseline = BASELINES[entry.name]
        assert any(m.name == name and m.baseline == baseline for m in validation.metrics), validation
    # the figures come from the trainers' own held-out data and are kept in the manifests too
    assert {"validation_scaled_pinball_seasonal_naive", "validation_scaled_mae"} <= set(
        manifest(workspace / "models" / "forecaster")["metrics"]
    )
    assert "validation_recall_at_20_popularity" in manifest(workspace / "models" / "recommender")["metrics"]
    assert "validation_purchases_mae_past_rate" in manifest(workspace / "models" / "segmenter")["metrics"]
    assert "validation_macro_f1_vader" in manifest(workspace / "models" / "sentiment")["metrics"]


def test_cards_say_what_each_model_learnt_from_and_how_long_it_trained(workspace: Path) -> None:
    for entry in list_cards(workspace).models:
        card = entry.card
        assert card is not None
        assert card.title and card.summary and card.used_by and card.inputs and card.limits
        assert all(line.rstrip().endswith(".") for line in card.limits), card.limits
        data = card.data
        assert data.period_start is not None and data.period_end is not None
        assert data.period_start < data.period_end and data.rows and data.rows > 0
        assert card.training.seconds > 0
        assert card.training.budget_seconds == (None if entry.name == "sentiment" else SECONDS)
    forecaster = find_card("forecaster", workspace)
    segmenter = find_card("segmenter", workspace)
    recommender = find_card("recommender", workspace)
    assert forecaster and forecaster.card and forecaster.card.data.series == 40
    assert str(workspace / "data" / "sales.csv") == forecaster.card.data.source
    assert segmenter and segmenter.card and segmenter.card.data.customers == 120
    assert recommender and recommender.card and recommender.card.data.products


def test_customer_attributes_are_never_inputs(workspace: Path) -> None:
    for entry in list_cards(workspace).models:
        assert entry.card is not None
        assert not [i for i in entry.card.inputs if ATTRIBUTE_WORDS.search(i)], entry.card.inputs
        assert entry.card.never_inputs
    for name in ("segmenter", "recommender"):  # the models that read customers' data
        found = find_card(name, workspace)
        assert found and found.card and NO_CUSTOMER_ATTRIBUTES in found.card.never_inputs


def test_the_sentiment_cards_eval_figures_match_the_report() -> None:
    """The sentiment card cites `marketing-agent eval reviews`: its numbers must be the report's."""
    report = json.loads((REPORTS / "reviews.json").read_text(encoding="utf-8"))
    tables = {t["title"].split(" (")[0]: t for t in report["tables"]}
    real = tables["Sentiment on held-out real reviews"]
    assert (
        f"({REAL_REVIEWS['reviews']:,} rated" in real["title"]
        and f"on {REAL_REVIEWS['trained_on']:,} " in (real["title"])
    ), "update tools/reviews/card.py REAL_REVIEWS from eval/reports/reviews.json"
    rows = {row[0].split(" ")[0].rstrip(":"): row for row in real["rows"]}
    assert round(rows["ours"][3], 3) == REAL_REVIEWS["macro_f1"]
    assert round(rows["VADER"][3], 3) == REAL_REVIEWS["macro_f1_vader"]
    aspects = {row[0]: row for row in tables["Aspect-mention polarity on the demo store's ground truth"]["rows"]}
    assert aspects["ours"][1] == DEMO_ASPECTS["mentions"]
    assert round(aspects["ours"][2], 3) == DEMO_ASPECTS["accuracy"]
    assert round(aspects["VADER"][2], 3) == DEMO_ASPECTS["accuracy_vader"]


# ---- old checkpoints and damaged cards ---------------------------------------------------------------------------


def test_an_old_checkpoint_without_a_card_is_listed_not_failed(old_workspace: Path) -> None:
    cards = list_cards(old_workspace)
    assert {e.name for e in cards.models} == {"forecaster", "segmenter", "sentiment"}  # not the text generator
    for entry in cards.models:
        assert entry.status == "no_card" and entry.note == NO_CARD and entry.card is None
        assert entry.kind == entry.name and entry.saved_at
    done = cli("models", "--workspace", str(old_workspace))
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(NO_CARD) == 3
    one = cli("models", "forecaster", "--workspace", str(old_workspace))
    assert one.returncode == 0 and NO_CARD in one.stdout


def test_stale_and_unreadable_cards_are_reported_not_trusted(workspace: Path, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(GOLDEN / "forecaster" / "checkpoint", root / "models" / "forecaster")
    shutil.copytree(GOLDEN / "segmenter" / "checkpoint", root / "models" / "segmenter")
    # a card from another checkpoint (another save, other data) beside this one
    shutil.copy(workspace / "models" / "forecaster" / CARD_JSON, root / "models" / "forecaster" / CARD_JSON)
    (root / "models" / "segmenter" / CARD_JSON).write_text("{not json", encoding="utf-8")
    entries = {e.name: e for e in list_cards(root).models}
    assert entries["forecaster"].status == "stale_card" and "retrain" in entries["forecaster"].note
    assert entries["segmenter"].status == "unreadable_card" and entries["segmenter"].card is None
    done = cli("models", "--json", "--workspace", str(root))
    assert done.returncode == 0, done.stderr
    assert {m["status"] for m in json.loads(done.stdout)["models"]} == {"stale_card", "unreadable_card"}


# ---- the CLI --------------------------------------------------------------------------------------------------


def test_the_models_command_lists_a_card_per_trained_model(workspace: Path) -> None:
    done = cli("models", "--json", "--workspace", str(workspace))
    assert done.returncode == 0, done.stderr
    listed = json.loads(done.stdout)
    assert listed["workspace"] == str(workspace.resolve())
    assert {m["name"]: m["status"] for m in listed["models"]} == dict.fromkeys(MODELS, "card")
    for model in listed["models"]:
        assert model["card"]["validation"]["metrics"][0]["baseline_value"] is not None
    table = cli("models", "--workspace", str(workspace))
    assert table.returncode == 0, table.stderr
    for name in MODELS:
        assert f"models/{name}/card.md" in table.stdout
    for title in ("Sales forecaster", "Customer model", "Product recommender", "Review sentiment"):
        assert title in table.stdout


def test_the_models_command_shows_one_card_or_says_which_exist(workspace: Path) -> None:
    done = cli("models", "recommender", "--workspace", str(workspace))
    assert done.returncode == 0, done.stderr
    for heading in ("Product recommender", "Data", "Inputs", "Training", "Validation", "Known limits"):
        assert heading in done.stdout
    as_json = cli("models", "segmenter", "--json", "--workspace", str(workspace))
    assert json.loads(as_json.stdout)["card"]["title"] == "Customer model"
    missing = cli("models", "budget", "--workspace", str(workspace))
    assert missing.returncode == 1
    assert "no trained model called 'budget'" in missing.stderr and "forecaster" in missing.stderr


# ---- the REST API ----------------------------------------------------------------------------------------------


def test_the_rest_routes_serve_the_cards_behind_a_key(workspace: Path) -> None:
    key = KeyStore(workspace).create("cards-test")
    client = TestClient(create_app(workspace))
    assert client.get("/v1/models").status_code == 401
    auth = {"Authorization": f"Bearer {key}"}
    listed = client.get("/v1/models", headers=auth)
    assert listed.status_code == 200
    assert {m["name"] for m in listed.json()["models"]} == MODELS
    one = client.get("/v1/models/forecaster", headers=auth)
    assert one.status_code == 200 and one.json()["card"]["validation"]["metrics"][0]["baseline"] == "seasonal naive"
    assert one.json()["card"]["validation"]["metrics"][0]["beats_baseline"] in (True, False)
    missing = client.get("/v1/models/budget", headers=auth)
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    assert "No trained model called 'budget'" in missing.json()["detail"]
    assert client.get("/v1/models/..%2Fsecrets", headers=auth).status_code in (404, 422)
    paths = client.get("/openapi.json").json()["paths"]
    assert paths["/v1/models"]["get"]["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ModelCards"
    }
    assert "404" in paths["/v1/models/{name}"]["get"]["responses"]


def test_the_rest_api_lists_old_checkpoints_too(old_workspace: Path) -> None:
    client = TestClient(create_app(old_workspace, keys=False))
    listed = client.get("/v1/models").json()["models"]
    assert {(m["name"], m["status"], m["note"]) for m in listed} == {
        (name, "no_card", NO_CARD) for name in ("forecaster", "segmenter", "sentiment")
    }


# ---- answers name their card ------------------------------------------------------------------------------------


def test_tool_results_and_answers_name_the_card_of_the_model_behind_them(workspace: Path) -> None:
    forecast = forecast_sales(series_ids=["1002"], horizon=4, workspace=workspace)
    assert forecast.model["card"] == "models/forecaster/card.md"
    assert "Model card: `models/forecaster/card.md` (validation: scaled pinball loss" in ForecastPresenter().answer(
        forecast, Written()
    )
    segments = segment_customers(workspace=workspace)
    assert segments.model["card"] == "models/segmenter/card.md"
    assert "Model card: `models/segmenter/card.md`" in SegmentsPresenter().answer(segments, Written())
    picks = recommend_products(segment="best", k=3, workspace=workspace)
    assert picks.model["card"] == "models/recommender/card.md"
    assert "Model card: `models/recommender/card.md` (validation: recall@20" in RecommendPresenter().answer(
        picks, Written()
    )
    _, sentiment = load_sentiment(Workspace.open(workspace))
    assert sentiment.endswith("model card: models/sentiment/card.md")


def test_an_agent_answer_ends_with_its_model_card(workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(workspace, copy)  # the agent writes sessions and an audit log
    response = MarketingAgent.open(copy).ask("Forecast sales of the Harbor tee for the next 4 weeks")
    assert [c.name for c in response.tool_calls] == ["forecast_sales"]
    assert "Model card: `models/forecaster/card.md`" in response.answer


def test_an_answer_from_a_checkpoint_without_a_card_says_nothing_about_one(workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(workspace, copy)
    for name in ("forecaster", "sentiment"):  # as saved before cards existed
        (copy / "models" / name / CARD_JSON).unlink()
        (copy / "models" / name / CARD_MD).unlink()
    forecast = forecast_sales(series_ids=["1002"], horizon=4, workspace=copy)
    assert "card" not in forecast.model
    assert "Model card" not in ForecastPresenter().answer(forecast, Written())
    _, sentiment = load_sentiment(Workspace.open(copy))
    assert "model card" not in sentiment
    assert find_card("forecaster", copy) is not None
    assert {e.name: e.status for e in list_cards(copy).models}["forecaster"] == "no_card"


# ---- a future model (the budget model) adds its card in a few lines ---------------------------------------------


def test_a_new_model_adds_its_card_in_a_few_lines(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    folder = root / "models" / "budget"
    save_checkpoint(
        folder, kind="budget", format_version=1, manifest={"data_fingerprint": "abc123"}, arrays={"w": np.ones(2)}
    )
    card = card_for(
        folder,
        root,
        title="Budget model",
        summary="A marketing-mix model of sales from weekly channel spend.",
        used_by=["plan_budget"],
        data=DataFacts(fingerprint="abc123", source="spend.csv", rows=179, rows_label="weeks"),
        inputs=["Weekly spend per channel", "Controls: price, promotions"],
        training=TrainingFacts(budget_seconds=60, seconds=25.0, seed=0),
        validation=Validation(
            split="the last 13 weeks",
            metrics=[
                Metric(
                    name="MAPE",
                    description="mean absolute percentage error of weekly sales",
                    value=0.08,
                    higher_is_better=False,
                    baseline="last year's sales",
                    baseline_value=0.15,
                )
            ],
        ),
        limits=["Channel effects are averages over the data's period."],
    )
    write_card(folder, card)
    entry = find_card("budget", root)
    assert entry is not None and entry.status == "card" and entry.card is not None
    assert entry.card.kind == "budget" and entry.card.saved_at == manifest(folder)["saved_at"]
    assert entry.card.validation.metrics[0].beats_baseline is True
    assert "| MAPE (lower is better) | 0.080 | last year's sales | 0.150 | yes |" in render_card(entry.card)


# ---- the chat page ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_server(workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenAIServer]:
    """The trained store plus a card whose text is markup that would run if the page used innerHTML."""
    root = tmp_path_factory.mktemp("cards-page") / "ws"
    shutil.copytree(workspace, root)
    folder = root / "models" / "hostile"
    save_checkpoint(folder, kind="hostile", format_version=1, manifest={}, arrays={"w": np.ones(1)})
    hostile = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'
    write_card(
        folder,
        card_for(
            folder,
            root,
            title=f"Hostile {hostile}",
            summary=hostile,
            data=DataFacts(fingerprint="x", source=hostile),
            inputs=[hostile],
            training=TrainingFacts(budget_seconds=None, seconds=1.0),
            validation=Validation(split=hostile),
            limits=[hostile],
        ),
    )
    with serve_app(create_app(root, keys=False)) as running:
        yield running


def test_the_chat_page_shows_the_model_cards_as_text(browser: Browser, page_server: OpenAIServer) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(page_server.url)
        page.get_by_role("button", name="Models").click()
        dialog = page.locator("#models-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.locator("section.model-card")).to_have_count(len(MODELS) + 1)
        forecaster = dialog.locator('section[data-model="forecaster"]')
        expect(forecaster.locator("h3")).to_contain_text("Sales forecaster")
        expect(forecaster.locator("table")).to_contain_text("seasonal naive")
        expect(forecaster).to_contain_text("models/forecaster/card.md")
        expect(dialog.locator('section[data-model="sentiment"]')).to_contain_text("VADER lexicon")
        hostile = dialog.locator('section[data-model="hostile"]')
        expect(hostile.locator("h3")).to_contain_text('<img src=x onerror="window.__pwned=1">')
        assert hostile.locator("img, script").count() == 0
        assert page.evaluate("() => window.__pwned") is None
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        page.set_viewport_size({"width": 390, "height": 844})
        widths = page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert widths[0] <= widths[1], f"the page scrolls sideways on a phone: {widths}"
        expect(page.get_by_role("button", name="Models")).to_be_in_viewport()
        assert not errors, errors
    finally:
        page.close()
