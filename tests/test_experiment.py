"""analyze_experiment: the statistics (an A/A check under peeking, the planner against a textbook figure, the next
split's floors), bad input, stored tests, and the tool everywhere the others are: the agent on the demo store, the
REST route, the CLI and the chat page."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from pydantic import ValidationError
from scipy import stats as scipy_stats

from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app
from core.errors import DataError
from tools.experiment import analyze_experiment, stats, store_experiment, stored_experiments
from tools.experiment.tool import ExperimentNotFoundError, ResultRow

CLI = [sys.executable, "-m", "agent.cli"]


def rows(*counts: tuple[str, int, int]) -> list[ResultRow]:
    return [ResultRow(variant_id=v, exposures=n, conversions=c) for v, n, c in counts]


def simulate_looks(rng: np.random.Generator, rates: list[float], looks: int, per_look: int) -> np.ndarray:
    """(looks, arms) cumulative conversions with `per_look` exposures per arm at each look."""
    return np.cumsum(rng.binomial(per_look, rates, size=(looks, len(rates))), axis=0)


# ---- the statistics -----------------------------------------------------------------------------------------


def test_an_aa_test_checked_at_every_look_rarely_names_a_winner() -> None:
    """400 seeded A/A tests, each looked at 20 times: the tool's anytime-valid decision names a false winner in at
    most 5% of them, while a plain z-test checked at every look does far more often (the peeking problem), so
    this check can fail."""
    rng = np.random.default_rng(20261205)
    tests, looks, per_look, alpha = 400, 20, 400, 0.05
    ours = naive = 0
    for _ in range(tests):
        conversions = simulate_looks(rng, [0.05, 0.05], looks, per_look)
        arms = [
            [
                stats.Arm("a", per_look * (t + 1), int(conversions[t, 0])),
                stats.Arm("b", per_look * (t + 1), int(conversions[t, 1])),
            ]
            for t in range(looks)
        ]
        ours += stats.first_winner(arms, alpha) is not None
        n = per_look * np.arange(1, looks + 1)
        pooled = conversions.sum(axis=1) / (2 * n)
        z = (conversions[:, 0] - conversions[:, 1]) / n / np.sqrt(pooled * (1 - pooled) * 2 / n)
        naive += bool((2 * scipy_stats.norm.sf(np.abs(z)) < alpha).any())
    assert ours / tests <= 0.05
    assert naive / tests > 0.10  # peeking a fixed-horizon test inflates its 5% several times


def test_a_real_lift_is_found_and_the_right_variant_named() -> None:
    rng = np.random.default_rng(7)
    found = wrong = 0
    for _ in range(60):
        conversions = simulate_looks(rng, [0.05, 0.065], 10, 2_000)
        arms = [
            [
                stats.Arm("a", 2_000 * (t + 1), int(conversions[t, 0])),
                stats.Arm("b", 2_000 * (t + 1), int(conversions[t, 1])),
            ]
            for t in range(10)
        ]
        decided = stats.first_winner(arms, 0.05)
        found += decided is not None and decided[1] == "b"
        wrong += decided is not None and decided[1] == "a"
    assert wrong == 0 and found >= 45  # a 30% lift over 20,000 sends per arm


def test_the_planner_matches_the_textbook_figure() -> None:
    """Fleiss, Levin & Paik (2003), two proportions without continuity correction: 10% vs 12%, two-sided 5%,
    80% power -> 3,841 per group. The anytime-valid test needs more at its planned size, and is never smaller."""
    plan = stats.plan_sample_size(0.10, 0.20, alpha=0.05, power=0.8)
    assert plan.fixed_per_arm == 3841
    assert plan.fixed_per_arm < plan.sequential_per_arm < 3 * plan.fixed_per_arm
    three = stats.plan_sample_size(0.10, 0.20, arms=3)  # all pairs held at once: each at 5% / 3
    assert three.fixed_per_arm > plan.fixed_per_arm
    for bad in ((0.0, 0.1), (0.5, -0.1), (0.6, 1.0)):
        with pytest.raises(ValueError):
            stats.plan_sample_size(*bad)


def test_every_variant_keeps_its_floor_of_the_next_traffic() -> None:
    for prob_best in ([1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0]):
        floor = stats.default_floor(len(prob_best))
        shares = stats.thompson_split(prob_best, floor)
        assert sum(shares) == pytest.approx(1.0)
        assert min(shares) >= floor - 1e-12
        assert shares[int(np.argmax(prob_best))] == max(shares)
    assert stats.default_floor(2) == 0.1 and stats.default_floor(10) == pytest.approx(0.05)
    with pytest.raises(ValueError, match="cannot hold"):
        stats.thompson_split([0.5, 0.5, 0.0], 0.4)
    result = analyze_experiment(results=rows(("a", 5_000, 250), ("b", 5_000, 262), ("c", 5_000, 240)), floor=0.2)
    assert result.decision.status == "keep_running"
    assert min(result.next_allocation.values()) >= 0.2 - 1e-4
    assert sum(result.next_allocation.values()) == pytest.approx(1.0, abs=1e-3)


def test_rate_intervals_cover_the_estimate_and_narrow_with_data() -> None:
    small = stats.rate_sequence(10, 200, 0.05)
    large = stats.rate_sequence(1_000, 20_000, 0.05)
    assert small[0] < 0.05 < small[1] and large[0] < 0.05 < large[1]
    assert large[1] - large[0] < small[1] - small[0]
    assert stats.rate_sequence(0, 500, 0.05)[0] == 0.0
    for extreme in ((0, 10**13), (10**13, 10**13), (1, 10**13), (5, 7)):  # never a failed root search
        low, high = stats.rate_sequence(*extreme, 0.05)
        assert 0.0 <= low <= extreme[0] / extreme[1] <= high <= 1.0


# ---- decisions ------------------------------------------------------------------------------------------------


def test_a_clear_winner_is_named_with_the_whole_next_split() -> None:
    result = analyze_experiment(results=rows(("control", 20_000, 600), ("new", 20_000, 900)))
    assert result.decision.status == "winner" and result.decision.winner == "new"
    assert result.next_allocation == {"control": 0.0, "new": 1.0}
    new = next(a for a in result.arms if a.variant_id == "new")
    assert new.rate == pytest.approx(0.045) and new.rate_low < 0.045 < new.rate_high
    assert new.prob_best > 0.99 and new.lift == pytest.approx(0.5)
    assert "valid" in result.decision.reason and "new" in result.summary


def test_equal_variants_with_plenty_of_data_are_no_difference() -> None:
    result = analyze_experiment(results=rows(("a", 2_000_000, 100_000), ("b", 2_000_000, 100_050)))
    assert result.decision.status == "no_difference" and result.decision.winner is None


def test_too_little_data_keeps_running_with_a_plan() -> None:
    result = analyze_experiment(results=rows(("a", 60, 3), ("b", 60, 9)), daily_exposures=500)
    assert result.decision.status == "keep_running" and "Too little data" in result.decision.reason
    assert result.plan is not None and result.plan.remaining > 0 and result.plan.days_left is not None


def test_a_decision_reached_on_an_earlier_day_is_kept() -> None:
    """Dated rows are looks: the intervals are intersected over days, so a winner found on day 3 stays the winner
    even if later days alone would look closer (the running intersection is still a valid sequence)."""
    days = [(5_000, 150, 5_000, 260), (5_000, 150, 5_000, 255), (5_000, 150, 5_000, 250), (5_000, 250, 5_000, 160)]
    dated = [
        ResultRow(variant_id=v, exposures=n, conversions=c, date=f"2026-03-0{day}")
        for day, (n_a, c_a, n_b, c_b) in enumerate(days, start=1)
        for v, n, c in (("a", n_a, c_a), ("b", n_b, c_b))
    ]
    result = analyze_experiment(results=dated)
    assert result.looks == 4 and result.first_day == "2026-03-01" and result.last_day == "2026-03-04"
    assert result.decision.winner == "b"


def test_revenue_per_exposure_when_revenue_is_given() -> None:
    given = [
        ResultRow(variant_id="a", exposures=1_000, conversions=40, revenue=2_000.0),
        ResultRow(variant_id="b", exposures=1_000, conversions=45, revenue=1_800.0),
    ]
    result = analyze_experiment(results=given)
    assert [a.revenue_per_exposure for a in result.arms] == [2.0, 1.8]


# ---- bad input ------------------------------------------------------------------------------------------------


def problems(rows_given: list[dict[str, Any]]) -> str:
    with pytest.raises(DataError) as caught:
        analyze_experiment(results=[ResultRow(**r) for r in rows_given])
    return str(caught.value)


def test_bad_results_are_clear_errors() -> None:
    assert "negative" in problems(
        [{"variant_id": "a", "exposures": -5, "conversions": 0}, {"variant_id": "b", "exposures": 5, "conversions": 1}]
    )
    above = problems(
        [{"variant_id": "a", "exposures": 10, "conversions": 11}, {"variant_id": "b", "exposures": 5, "conversions": 1}]
    )
    assert "11 conversions but only 10 exposures" in above and "row 1" in above
    huge = problems(
        [
            {"variant_id": "a", "exposures": 10**15, "conversions": 1},
            {"variant_id": "b", "exposures": 5, "conversions": 1},
        ]
    )
    assert "more than 1e+12 in one row" in huge
    assert "at least two variants (only 'a')" in problems([{"variant_id": "a", "exposures": 10, "conversions": 1}])
    twice = problems(
        [{"variant_id": "a", "exposures": 10, "conversions": 1}, {"variant_id": "a", "exposures": 9, "conversions": 1}]
    )
    assert "a second row for variant 'a'" in twice
    mixed = problems(
        [
            {"variant_id": "a", "exposures": 10, "conversions": 1, "date": "2026-01-01"},
            {"variant_id": "b", "exposures": 9, "conversions": 1},
        ]
    )
    assert "date every row, or none" in mixed
    with pytest.raises(ValidationError, match="not both"):
        analyze_experiment(results=rows(("a", 1, 0), ("b", 1, 0)), experiment="spring")
    with pytest.raises(ValidationError):
        ResultRow(variant_id="a", exposures=10.5, conversions=1)  # type: ignore[arg-type]


def test_a_results_file_is_checked_before_anything_is_stored(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    bad = tmp_path / "bad.csv"
    bad.write_text("variant,sends,clicks\nA,100,5\nB,100,-1\nC,50,51\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        store_experiment(bad, workspace=ws)
    message = str(caught.value)
    assert "row 2" in message and "row 3" in message and "Nothing was stored" in message
    assert stored_experiments(ws) == []
    good = tmp_path / "Summer sale.csv"
    good.write_text("variant,sends,clicks\nA,1000,50\nB,1000,61\n", encoding="utf-8")  # headers by alias
    stored, _ = store_experiment(good, workspace=ws)
    assert stored.name == "Summer sale" and [r.variant_id for r in stored.rows] == ["A", "B"]


def test_unknown_experiments_list_the_stored_ones(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    with pytest.raises(ExperimentNotFoundError, match="No experiment is stored"):
        analyze_experiment(workspace=ws)
    two = [
        {"variant_id": "a", "exposures": 10, "conversions": 1},
        {"variant_id": "b", "exposures": 10, "conversions": 2},
    ]
    store_experiment(name="Spring email", rows=two, workspace=ws)
    with pytest.raises(ExperimentNotFoundError, match="Did you mean 'spring-email'") as caught:
        analyze_experiment(experiment="sprng emial", workspace=ws)
    assert "'Spring email'" in str(caught.value)
    assert analyze_experiment(experiment="the spring email", workspace=ws).experiment == "Spring email"
    assert analyze_experiment(experiment="my last email test", workspace=ws).experiment == "Spring email"


def test_a_new_test_is_set_up_from_ad_variants(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    copy = [
        {"variant_id": "v-1", "fields": {"subject": "Hello spring"}, "score": 0.9},
        {"variant_id": "v-2", "fields": {"subject": "Spring is here"}, "score": 0.8},
    ]
    result = analyze_experiment(variants=copy, experiment="Spring subjects", workspace=ws)  # type: ignore[arg-type]
    assert result.decision.status == "keep_running"
    assert result.next_allocation == {"v-1": 0.5, "v-2": 0.5}
    assert [a.copy_text for a in result.arms] == ["subject: Hello spring", "subject: Spring is here"]
    assert any("set up" in w for w in result.warnings)
    with pytest.raises(DataError, match="stored already"):
        analyze_experiment(variants=["x", "y"], experiment="spring subjects", workspace=ws)


# ---- the demo store, the agent, REST, CLI and the page -------------------------------------------------------


@pytest.fixture(scope="module")
def agent(demo_copy: Path, local_generator) -> MarketingAgent:  # type: ignore[no-untyped-def]
    return MarketingAgent.open(demo_copy, generator=local_generator)


def test_the_demo_store_has_a_finished_and_a_running_test(demo_copy: Path) -> None:
    names = {t.name for t in stored_experiments(demo_copy)}
    assert names == {"Spring email", "Homepage banner"}
    finished = analyze_experiment(experiment="Spring email", workspace=demo_copy)
    assert finished.decision.status == "winner" and finished.decision.winner == "spring-b"  # its true best
    assert finished.looks == 21
    running = analyze_experiment(experiment="Homepage banner", workspace=demo_copy)
    assert running.decision.status == "keep_running" and running.plan is not None and running.plan.days_left


def test_the_agent_answers_the_issues_demo_questions(agent: MarketingAgent) -> None:
    winning = agent.ask("Which variant is winning in the spring email test?")
    assert [c.name for c in winning.tool_calls] == ["analyze_experiment"] and winning.tool_calls[0].status == "ok"
    answer = winning.answer
    assert "Winner: **spring-b**" in answer and "3.8" in answer  # its rate
    assert " to " in answer and "next split" in answer and "100%" in answer  # intervals and the split
    long = agent.ask("How long should the homepage banner test run?")
    assert [c.name for c in long.tool_calls] == ["analyze_experiment"]
    assert "Keep running" in long.answer and "days at the recent pace" in long.answer


def test_write_subject_lines_and_set_up_a_test(agent: MarketingAgent) -> None:
    response = agent.ask("Write three email subject lines for the Harbor tee and set up a test")
    assert [c.name for c in response.tool_calls] == ["generate_ad_copy", "analyze_experiment"]
    assert all(c.status == "ok" for c in response.tool_calls), response.tool_calls
    copy, test = (c.result or {} for c in response.tool_calls)
    ids = [v["variant_id"] for v in copy["variants"]]
    assert [a["variant_id"] for a in test["arms"]] == ids and len(set(ids)) == len(ids) >= 2
    assert all(share == pytest.approx(1 / len(ids), abs=1e-3) for share in test["next_allocation"].values())


def test_the_rest_route_is_typed(agent: MarketingAgent, demo_copy: Path) -> None:
    client = TestClient(create_app(demo_copy, keys=False, agent=agent))
    posted = {"results": [{"variant_id": "a", "exposures": 20_000, "conversions": 600},
                          {"variant_id": "b", "exposures": 20_000, "conversions": 900}]}  # fmt: skip
    ok = client.post("/v1/tools/analyze_experiment", json=posted)
    assert ok.status_code == 200 and ok.json()["decision"]["winner"] == "b"
    stored = client.post("/v1/tools/analyze_experiment", json={"experiment": "homepage banner"})
    assert stored.status_code == 200 and stored.json()["decision"]["status"] == "keep_running"
    bad = client.post(
        "/v1/tools/analyze_experiment",
        json={
            "results": [
                {"variant_id": "a", "exposures": 5, "conversions": 9},
                {"variant_id": "b", "exposures": 5, "conversions": 1},
            ]
        },
    )
    assert bad.status_code == 422 and "9 conversions but only 5 exposures" in bad.json()["detail"]
    unknown = client.post("/v1/tools/analyze_experiment", json={"experiment": "winter gala"})
    assert unknown.status_code == 422 and "Stored tests" in unknown.json()["detail"]
    assert "/v1/tools/analyze_experiment" in client.get("/openapi.json").json()["paths"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=300)


def test_the_cli_stores_reads_and_plans(tmp_path: Path, demo_copy: Path) -> None:
    ws = tmp_path / "ws"
    results = demo_copy / "data" / "experiments" / "spring_email_test.csv"
    stored = run("experiment", str(results), "--name", "Spring email", "--json", "--workspace", str(ws),
                 "--chart", str(tmp_path / "charts"))  # fmt: skip
    assert stored.returncode == 0, stored.stderr
    assert json.loads(stored.stdout)["decision"]["winner"] == "spring-b"
    assert list((tmp_path / "charts").glob("experiment-*.png"))
    table = run("analyze-experiment", "spring", "--workspace", str(ws))
    assert table.returncode == 0 and "Winner" in table.stdout and "spring-b" in table.stdout
    plan = run("plan-test", "--baseline", "0.10", "--lift", "0.2", "--json")
    assert plan.returncode == 0 and json.loads(plan.stdout)["fixed_horizon_per_variant"] == 3841
    bad_plan = run("plan-test", "--baseline", "1.5")
    assert bad_plan.returncode != 0 and "between 0 and 1" in bad_plan.stderr and "Traceback" not in bad_plan.stderr
    wrong = run("analyze-experiment", "winter gala", "--workspace", str(ws))
    assert wrong.returncode == 1 and "No experiment called 'winter gala'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
    broken = tmp_path / "broken.csv"
    broken.write_text("variant_id,exposures,conversions\nA,10,12\n", encoding="utf-8")
    refused = run("experiment", str(broken), "--workspace", str(ws))
    assert refused.returncode == 1 and "12 conversions but only 10 exposures" in refused.stderr


def test_the_chat_page_draws_the_test(agent: MarketingAgent, demo_copy: Path, browser: Browser) -> None:
    with serve_app(create_app(demo_copy, keys=False, agent=agent)) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.get_by_label("Your question").fill("Which variant is winning in the spring email test?")
        page.get_by_label("Your question").press("Enter")
        expect(page.locator(".decision").first).to_contain_text("Winner: spring-b", timeout=90_000)
        expect(page.locator(".experiment-chart .estimate")).to_have_count(3)
        table = page.locator("article.message.assistant table").last
        expect(table.locator("thead th")).to_contain_text(["Variant", "Exposures", "Conversions", "Rate"])
        expect(page.locator(".step-name").first).to_have_text("Read the A/B test")
        page.close()
    assert not errors, errors
