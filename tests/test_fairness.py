"""audit_fairness and customer attributes: planted disparities (a fast subset of the benchmark), small groups,
missing attributes, bad input, the attributes-never-used check, and the tool everywhere the others are: the agent
on the demo store (with the one audit line on targeting answers), the REST route, the CLI and the chat page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from pydantic import ValidationError

from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app
from core.errors import DataError
from tools.fairness import audit_fairness, ingest_customers
from tools.fairness.attributes import NoAttributesError, load_attributes
from tools.fairness.audit import audit_selection

CLI = [sys.executable, "-m", "agent.cli"]


def planted(rng: np.random.Generator, size: int, ratio: float, base: float = 0.3) -> tuple[pd.DataFrame, set[str]]:
    """Two groups of `size` customers; group b is selected at `ratio` times group a's rate."""
    ids = [f"C{i:05d}" for i in range(2 * size)]
    frame = pd.DataFrame({"customer_id": ids, "group": ["a"] * size + ["b"] * size})
    chosen = np.concatenate([rng.random(size) < base, rng.random(size) < base * ratio])
    return frame, {c for c, pick in zip(ids, chosen, strict=True) if pick}


def flag_rate(ratio: float, size: int, runs: int, seed: int) -> float:
    rng = np.random.default_rng(seed)
    flagged = 0
    for _ in range(runs):
        frame, selected = planted(rng, size, ratio)
        found, _ = audit_selection(frame, selected, ["group"], pairs=False)
        flagged += any(f.flagged for f in found)
    return flagged / runs


# ---- the audit's statistics ------------------------------------------------------------------------------


def test_planted_disparities_are_flagged_and_fair_lists_are_not() -> None:
    """A fast subset of `marketing-agent eval fairness`: a 0.6 ratio at 400 per group is flagged almost always, a
    fair list almost never; the two figures pull apart, so the check can fail either way."""
    assert flag_rate(0.6, 400, 40, seed=1) >= 0.9
    assert flag_rate(1.0, 400, 60, seed=2) <= 0.1


def test_the_four_fifths_ratio_rates_and_intervals_are_right() -> None:
    frame = pd.DataFrame({"customer_id": [f"C{i}" for i in range(300)], "band": ["young"] * 200 + ["old"] * 100})
    selected = {f"C{i}" for i in range(100)} | {f"C{i}" for i in range(200, 225)}  # young 50%, old 25%
    found, summaries = audit_selection(frame, selected, ["band"], pairs=False)
    young = next(f for f in found if f.group == "young")
    old = next(f for f in found if f.group == "old")
    assert young.selection_rate == pytest.approx(0.5) and old.selection_rate == pytest.approx(0.25)
    assert old.ratio_to_max == pytest.approx(0.5) and old.difference_to_max == pytest.approx(-0.25)
    assert old.ratio_low is not None and old.ratio_high is not None and old.ratio_low < 0.5 < old.ratio_high < 1
    assert old.rate_low < 0.25 < old.rate_high
    assert old.flagged and not young.flagged and summaries[0].min_ratio == pytest.approx(0.5)


def test_small_groups_and_missing_values_are_shown_not_judged() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(230)],
            "region": ["north"] * 100 + ["south"] * 100 + ["islands"] * 10 + ["(missing)"] * 20,
        }
    )
    selected = {f"C{i}" for i in range(60)} | {f"C{i}" for i in range(100, 160)}  # islands and missing: none
    found, _ = audit_selection(frame, selected, ["region"], pairs=False)
    by = {f.group: f for f in found}
    assert not by["islands"].judged and not by["islands"].flagged and by["islands"].selection_rate == 0
    assert not by["(missing)"].judged and not by["(missing)"].flagged
    assert by["north"].judged and by["south"].judged


# ---- attributes -------------------------------------------------------------------------------------------------


def test_attributes_are_read_without_personal_columns_and_banded(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    file = tmp_path / "people.csv"
    rows = ["cust_id,email,full name,age,gender"]
    rows += [f"C{i:03d},p{i}@example.com,Person {i},{18 + i % 60},{'f' if i % 2 else 'm'}" for i in range(120)]
    file.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = ingest_customers(file, workspace=ws)
    assert report.customers == 120 and set(report.attributes) == {"age", "gender"}
    assert "25-34" in report.attributes["age"] and any("age bands" in w for w in report.warnings)
    stored = (ws / "customers" / "attributes.csv").read_text(encoding="utf-8")
    assert "@" not in stored and "Person" not in stored
    assert list(load_attributes(ws).columns) == ["customer_id", "age", "gender"]


def test_bad_attribute_files_and_requests_are_clear_errors(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with pytest.raises(NoAttributesError, match="ingest-customers"):
        audit_fairness(customer_ids=["C1"], workspace=ws)
    only_ids = tmp_path / "ids.csv"
    only_ids.write_text("customer_id\nC1\nC2\n", encoding="utf-8")
    with pytest.raises(DataError, match="no attribute columns"):
        ingest_customers(only_ids, workspace=ws)
    no_id = tmp_path / "noid.csv"
    no_id.write_text("gender\nf\n", encoding="utf-8")
    with pytest.raises(DataError, match="customer_id"):
        ingest_customers(no_id, workspace=ws)
    good = tmp_path / "good.csv"
    good.write_text("customer_id,gender\n" + "".join(f"C{i},{'f' if i % 2 else 'm'}\n" for i in range(80)))
    ingest_customers(good, workspace=ws)
    with pytest.raises(DataError, match="no attribute 'religion'"):
        audit_fairness(customer_ids=["C1"], attributes=["religion"], workspace=ws)
    with pytest.raises(DataError, match="no customer on the list has stored attributes"):
        audit_fairness(customer_ids=["NOBODY"], workspace=ws)
    with pytest.raises(ValidationError, match="one of them"):
        audit_fairness(customer_ids=["C1"], segment="best", workspace=ws)
    result = audit_fairness(customer_ids=["C1", "C3", "NOBODY"], workspace=ws)
    assert result.without_attributes == 1 and any("left out" in w for w in result.warnings)


# ---- the demo store: agent, attributes never used, REST, CLI, page ----------------------------------------------


@pytest.fixture(scope="module")
def agent(demo_copy: Path) -> MarketingAgent:
    return MarketingAgent.open(demo_copy)


def test_the_agent_answers_the_issues_demo_question(agent: MarketingAgent) -> None:
    response = agent.ask("Is the at-risk offer fair across age groups?")
    assert [c.name for c in response.tool_calls] == ["audit_fairness"] and response.tool_calls[0].status == "ok"
    assert response.tool_calls[0].arguments == {"segment": "at_risk", "attributes": ["age"]}
    result = response.tool_calls[0].result or {}
    ages = [f for f in result["findings"] if f["attribute"] == "age_band"]
    assert {f["group"] for f in ages} >= {"18-24", "25-34", "65+"}
    assert "**age_band**" in response.answer and "ratio" in response.answer
    assert ("**Flagged**" in response.answer) == result["flagged"]


def test_a_targeting_answer_carries_one_audit_line_when_a_group_is_flagged(agent: MarketingAgent) -> None:
    response = agent.ask("Who are our at-risk customers?")
    assert [c.name for c in response.tool_calls] == ["segment_customers"]
    audit = audit_fairness(segment="at_risk", pairs=False, workspace=agent.workspace.root)
    lines = [w for w in response.warnings if w.startswith("Fairness:")]
    assert len(lines) == (1 if audit.flagged else 0)


def test_attributes_change_no_segment_forecast_or_recommendation(demo_copy: Path, tmp_path: Path) -> None:
    """Shuffle every customer's attributes: the models' answers are the same, since no model reads them."""
    from tools.forecast import forecast_sales
    from tools.recommend import recommend_products
    from tools.segments import segment_customers

    ws = tmp_path / "ws"
    shutil.copytree(demo_copy, ws)

    def answers() -> str:
        parts = [
            segment_customers(filter="at_risk", limit=50, workspace=ws).model_dump_json(),
            forecast_sales(series_ids=["1001"], horizon=4, workspace=ws).model_dump_json(),
            recommend_products(product="1002", audience_size=30, workspace=ws).model_dump_json(),
        ]
        return "\n".join(parts)

    before = answers()
    table = load_attributes(ws)
    shuffled = table.copy()
    rng = np.random.default_rng(0)
    for column in shuffled.columns[1:]:
        shuffled[column] = rng.permutation(shuffled[column].to_numpy())
    file = tmp_path / "shuffled.csv"
    shuffled.to_csv(file, index=False)
    ingest_customers(file, workspace=ws)
    assert not load_attributes(ws).equals(table)
    assert answers() == before


def test_the_rest_route_is_typed(agent: MarketingAgent, demo_copy: Path) -> None:
    client = TestClient(create_app(demo_copy, keys=False, agent=agent))
    ok = client.post("/v1/tools/audit_fairness", json={"segment": "at_risk", "attributes": ["gender"], "pairs": False})
    assert ok.status_code == 200 and {f["attribute"] for f in ok.json()["findings"]} == {"gender"}
    neither = client.post("/v1/tools/audit_fairness", json={"attributes": ["age"]})
    assert neither.status_code == 422 and "one of them" in neither.json()["detail"]
    unknown = client.post("/v1/tools/audit_fairness", json={"segment": "at_risk", "attributes": ["shoe size"]})
    assert unknown.status_code == 422 and "no attribute 'shoe size'" in unknown.json()["detail"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=300)


def test_the_cli_ingests_and_audits(demo_copy: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(demo_copy, ws)
    stored = run("ingest-customers", str(ws / "data" / "customers.csv"), "--json", "--workspace", str(ws))
    assert stored.returncode == 0, stored.stderr
    assert set(json.loads(stored.stdout)["attributes"]) >= {"age_band", "gender", "income_band", "region"}
    audited = run("audit", "--segment", "at_risk", "-a", "age", "--json", "--workspace", str(ws),
                  "--chart", str(tmp_path / "charts"))  # fmt: skip
    assert audited.returncode == 0, audited.stderr
    assert json.loads(audited.stdout)["findings"] and list((tmp_path / "charts").glob("fairness-*.png"))
    table = run("audit", "--product", "1002", "--no-pairs", "--workspace", str(ws))
    assert table.returncode == 0 and "age_band" in table.stdout and "summary" in table.stdout
    wrong = run("audit", "--segment", "nonexistent-segment", "--workspace", str(ws))
    assert wrong.returncode == 1 and "Traceback" not in wrong.stderr
    neither = run("audit", "--workspace", str(ws))
    assert neither.returncode != 0 and "one of --segment" in neither.stderr


def test_the_chat_page_draws_the_audit(agent: MarketingAgent, demo_copy: Path, browser: Browser) -> None:
    with serve_app(create_app(demo_copy, keys=False, agent=agent)) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.get_by_label("Your question").fill("Is the at-risk offer fair across age groups?")
        page.get_by_label("Your question").press("Enter")
        expect(page.locator(".fairness-verdict").first).to_be_visible(timeout=90_000)
        expect(page.locator(".fairness-chart").first).to_be_visible()
        expect(page.locator(".step-name").first).to_have_text("Audit fairness")
        page.close()
    assert not errors, errors
