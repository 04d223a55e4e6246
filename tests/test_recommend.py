"""recommend_products on the demo store, everywhere the other tools are: the Python API (three modes, filters,
fallbacks, bad input), the agent (the issue's demo questions), the REST route, the CLI and the chat page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from pydantic import ValidationError

from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app
from core.errors import DataError, ModelNotTrainedError
from tools.recommend import recommend_products, train_recommender

CLI = [sys.executable, "-m", "agent.cli"]


@pytest.fixture(scope="module")
def workspace(demo_store) -> Path:  # type: ignore[no-untyped-def]
    return Path(demo_store.workspace)


@pytest.fixture(scope="module")
def transactions(workspace: Path) -> pd.DataFrame:
    return pd.read_csv(workspace / "data" / "transactions.csv", dtype={"product_id": str})


@pytest.fixture(scope="module")
def regular(transactions: pd.DataFrame) -> str:
    """The demo customer with the most purchases."""
    return str(transactions["customer_id"].value_counts().index[0])


def bought_by(transactions: pd.DataFrame, customer: str) -> set[str]:
    return set(transactions.loc[transactions["customer_id"] == customer, "product_id"])


# ---- the Python API ----------------------------------------------------------------------------------------


def test_products_for_a_customer_are_marked_repeat_or_new_with_reasons(
    workspace: Path, transactions: pd.DataFrame, regular: str
) -> None:
    result = recommend_products(customer_ids=[regular], k=5, workspace=workspace)
    assert result.mode == "customers" and len(result.customers) == 1
    picks = result.customers[0]
    assert picks.customer_id == regular and picks.known and len(picks.items) == 5
    bought = bought_by(transactions, regular)
    for item in picks.items:
        assert item.repeat == (item.product_id in bought)
        assert item.product_name and item.reasons
        assert item.reasons[0].startswith("Repeat" if item.repeat else "New for them")
    scores = [i.score for i in picks.items]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)


def test_filters_exclude_purchases_and_keep_to_a_category(
    workspace: Path, transactions: pd.DataFrame, regular: str
) -> None:
    fresh = recommend_products(customer_ids=[regular.lower()], exclude_purchased=True, workspace=workspace)
    assert fresh.customers[0].customer_id == regular  # ids are matched without regard to case
    assert not {i.product_id for i in fresh.customers[0].items} & bought_by(transactions, regular)
    assert not any(i.repeat for i in fresh.customers[0].items)
    shoes = recommend_products(customer_ids=[regular], category="footwear", k=20, workspace=workspace)
    catalogue = pd.read_csv(workspace / "data" / "catalogue.csv", dtype=str).set_index("product_id")
    assert shoes.customers[0].items
    assert {catalogue.loc[i.product_id, "category"] for i in shoes.customers[0].items} == {"Footwear"}


def test_the_audience_for_a_product_named_loosely(workspace: Path, transactions: pd.DataFrame) -> None:
    result = recommend_products(product="Harbor tee", audience_size=30, workspace=workspace)
    assert result.mode == "audience" and result.product is not None
    assert result.product.product_id == "1002" and result.product.known
    assert len(result.audience) == 30 and result.population == transactions["customer_id"].nunique()
    scores = [m.score for m in result.audience]
    assert scores == sorted(scores, reverse=True)
    buyers = set(transactions.loc[transactions["product_id"] == "1002", "customer_id"])
    assert all(m.bought_before == (m.customer_id in buyers) for m in result.audience)
    newcomers = recommend_products(product="1002", exclude_purchased=True, workspace=workspace)
    assert newcomers.audience and not {m.customer_id for m in newcomers.audience} & buyers


def test_products_to_feature_for_a_segment(workspace: Path) -> None:
    result = recommend_products(segment="best", k=4, workspace=workspace)
    assert result.mode == "segment" and result.segment == "best" and len(result.featured) == 4
    assert result.population > 0 and all(0 <= p.repeat_share <= 1 for p in result.featured)
    assert result.featured[0].product_name in result.summary
    among = recommend_products(segment="at_risk", product="1017", audience_size=10, workspace=workspace)
    assert among.mode == "audience" and among.population < result.population + 1000
    assert len(among.audience) <= 10


def test_unknown_customers_get_close_matches_not_a_guess(workspace: Path, regular: str) -> None:
    with pytest.raises(DataError) as caught:
        recommend_products(customer_ids=[regular[:-1] + "Z", regular], workspace=workspace)
    text = str(caught.value)
    assert "no customer" in text and "did you mean" in text and "retrained" in text


def test_bad_requests_are_clear_errors(workspace: Path, regular: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="customer_ids, a product or a segment"):
        recommend_products(workspace=workspace)
    with pytest.raises(ValidationError):
        recommend_products(customer_ids=[regular], k=0, workspace=workspace)
    with pytest.raises(ValidationError):
        recommend_products(customer_ids=["x" * 500], workspace=workspace)
    with pytest.raises(ValidationError):
        recommend_products(customer_ids=[f"C{i:05d}" for i in range(1001)], workspace=workspace)
    with pytest.raises(DataError, match="the categories are"):
        recommend_products(customer_ids=[regular], category="Toys", workspace=workspace)
    with pytest.raises(DataError, match="no single product"):
        recommend_products(product="Blue Widget", workspace=workspace)
    with pytest.raises(DataError, match="no filter or segment"):
        recommend_products(segment="martians", workspace=workspace)
    with pytest.raises(ModelNotTrainedError, match="train-recommender"):
        recommend_products(customer_ids=[regular], workspace=tmp_path / "empty-workspace")


def test_a_new_product_gets_its_categorys_audience_with_a_note(workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws"
    shutil.copytree(workspace, copy)
    catalogue = copy / "data" / "catalogue.csv"
    with catalogue.open("a", encoding="utf-8") as handle:
        handle.write('9001,Aurora Silk Slip Dress,Apparel,Dresses,120.00,2026-11-01,"New this week."\n')
    result = recommend_products(product="9001", audience_size=5, workspace=copy)
    assert result.product is not None and not result.product.known
    assert len(result.audience) == 5
    assert any("new or rarely bought" in w and "Apparel" in w for w in result.warnings)


def test_training_refuses_files_it_cannot_learn_from(tmp_path: Path, transactions: pd.DataFrame) -> None:
    no_products = tmp_path / "no-products.csv"
    transactions.drop(columns=["product_id"]).to_csv(no_products, index=False)
    with pytest.raises(DataError, match="no product ids"):
        train_recommender(no_products, workspace=tmp_path / "ws")
    short = tmp_path / "short.csv"
    first = pd.to_datetime(transactions["date"]).min()
    transactions[pd.to_datetime(transactions["date"]) < first + pd.Timedelta(days=30)].to_csv(short, index=False)
    with pytest.raises(DataError, match="not enough history"):
        train_recommender(short, workspace=tmp_path / "ws")
    assert not (tmp_path / "ws" / "models" / "recommender").exists()


# ---- the agent -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent(demo_copy: Path) -> MarketingAgent:
    return MarketingAgent.open(demo_copy)


def test_the_agent_answers_the_issues_demo_questions(agent: MarketingAgent, transactions: pd.DataFrame) -> None:
    customer = "C00012" if "C00012" in set(transactions["customer_id"]) else str(transactions["customer_id"].iloc[0])
    who = agent.ask(f"What should we recommend to customer {customer} next?")
    assert [c.name for c in who.tool_calls] == ["recommend_products"] and who.tool_calls[0].status == "ok"
    assert who.tool_calls[0].arguments["customer_ids"] == [customer]
    assert f"Recommended for {customer}" in who.answer and ("repeat" in who.answer or "new for them" in who.answer)

    email = agent.ask("Who should we send the Harbor tee email to?")
    assert [(c.name, c.arguments.get("product")) for c in email.tool_calls] == [("recommend_products", "1002")]
    assert "Who to target for Harbor Organic Crew Tee" in email.answer

    segment = agent.ask("Which products should we feature for at-risk customers?")
    assert [(c.name, c.arguments.get("segment")) for c in segment.tool_calls] == [("recommend_products", "at_risk")]
    assert "Products to feature for at-risk customers" in segment.answer


def test_a_follow_up_and_them_keep_the_conversation(agent: MarketingAgent, transactions: pd.DataFrame) -> None:
    first, second = (str(c) for c in transactions["customer_id"].unique()[:2])
    agent.ask(f"What should we recommend to {first}?", session_id="rec-1")
    again = agent.ask(f"and for {second}?", session_id="rec-1")
    assert [(c.name, c.arguments.get("customer_ids")) for c in again.tool_calls] == [("recommend_products", [second])]
    agent.ask("Who are our best customers?", session_id="rec-2")
    them = agent.ask("what should we recommend to them?", session_id="rec-2")
    assert [(c.name, c.arguments.get("segment")) for c in them.tool_calls] == [("recommend_products", "best")]


def test_a_router_model_never_sees_customer_ids(agent: MarketingAgent, regular: str) -> None:
    from tools.registry import TOOLS

    unit = TOOLS["recommend_products"]
    result = recommend_products(customer_ids=[regular], workspace=agent.workspace.root)
    audience = recommend_products(product="1002", workspace=agent.workspace.root)
    for raw in (result.model_dump(), audience.model_dump()):
        assert regular not in json.dumps(unit.model_view(raw))
        assert not any(m["customer_id"] in json.dumps(unit.model_view(raw)) for m in raw["audience"])


# ---- REST, CLI, the chat page -----------------------------------------------------------------------------------


def test_the_rest_route_is_typed(agent: MarketingAgent, demo_copy: Path, regular: str) -> None:
    client = TestClient(create_app(demo_copy, keys=False, agent=agent))
    ok = client.post("/v1/tools/recommend_products", json={"customer_ids": [regular], "k": 3})
    assert ok.status_code == 200 and len(ok.json()["customers"][0]["items"]) == 3
    bad = client.post("/v1/tools/recommend_products", json={"k": 3})
    assert bad.status_code == 422 and "customer_ids, a product or a segment" in bad.json()["detail"]
    unknown = client.post("/v1/tools/recommend_products", json={"customer_ids": ["NOBODY-1"]})
    assert unknown.status_code == 422 and "no customer 'NOBODY-1'" in unknown.json()["detail"]
    assert "/v1/tools/recommend_products" in client.get("/openapi.json").json()["paths"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=300)


def test_the_cli_trains_and_recommends(tmp_path: Path, workspace: Path, regular: str) -> None:
    ws = tmp_path / "ws"
    trained = run(
        "train-recommender", str(workspace / "data" / "transactions.csv"), "--minutes", "0.2", "--json",
        "--workspace", str(ws),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["products"] > 10
    shown = run("recommend", "--customer", regular, "-k", "3", "--json", "--workspace", str(ws))
    assert shown.returncode == 0, shown.stderr
    assert len(json.loads(shown.stdout)["customers"][0]["items"]) == 3
    table = run("recommend", "--product", "1002", "--audience", "5", "--workspace", str(ws))
    assert table.returncode == 0 and "Who to target for" in table.stdout
    wrong = run("recommend", "--customer", "NOBODY-1", "--workspace", str(ws))
    assert wrong.returncode == 1 and "no customer 'NOBODY-1'" in wrong.stderr and "Traceback" not in wrong.stderr


def test_the_chat_page_draws_the_recommendations(
    agent: MarketingAgent, demo_copy: Path, browser: Browser, regular: str
) -> None:
    with serve_app(create_app(demo_copy, keys=False, agent=agent)) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.get_by_label("Your question").fill(f"What should we recommend to {regular}?")
        page.get_by_label("Your question").press("Enter")
        table = page.locator("article.message.assistant table").first
        expect(table.locator("thead th")).to_contain_text(
            ["#", "Product", "Category", "Score", "Repeat or new"], timeout=90_000
        )
        assert table.locator("tbody tr").count() == 10
        expect(page.locator(".step-name").first).to_have_text("Recommend products")
        page.close()
    assert not errors, errors


def test_customers_only_the_recommender_knows_are_still_kept_from_remote_models(
    tmp_path: Path, workspace: Path, transactions: pd.DataFrame
) -> None:
    from agent.core import known_customers
    from core.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    train_recommender(workspace / "data" / "transactions.csv", max_seconds=5, workspace=ws)
    assert known_customers(ws) == set(transactions["customer_id"])  # no customer model here, only the recommender
