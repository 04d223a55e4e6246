"""The experiments eval suite: its simulated decisions are analyze_experiment's own (checked against the tool on
dated rows), the z-test peers and the regret on hand-made counts, and a quick run end to end. The figures belong
to `marketing-agent eval experiments`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from eval.suites.experiments.policies import EvenSplit, ToolAllocation, allocate, even_regret, regret
from eval.suites.experiments.simulate import NAMES, NO_WINNER, Counts, even_counts, tool_decisions, z_decisions
from tools.experiment.tool import ResultRow, analyze_experiment


def daily_rows(counts: Counts, test: int, looks: int) -> list[ResultRow]:
    """One simulated test's first `looks` looks as the dated per-day rows analyze_experiment reads."""
    exposures = np.diff(counts.exposures[test, :looks], axis=0, prepend=0)
    conversions = np.diff(counts.conversions[test, :looks], axis=0, prepend=0)
    return [
        ResultRow(variant_id=NAMES[arm], exposures=int(n), conversions=int(s), date=f"2026-01-{day + 1:02d}")
        for day in range(looks)
        for arm, (n, s) in enumerate(zip(exposures[day], conversions[day], strict=True))
    ]


def test_the_simulated_decision_is_the_tool_s_own() -> None:
    counts = even_counts((0.05, 0.08), per_look=400, looks=12, tests=1, rng=np.random.default_rng(3))
    decisions = tool_decisions(counts, alpha=0.05)
    look, winner = int(decisions.look[0]), int(decisions.winner[0])
    assert look > 0 and winner == 1
    decided = analyze_experiment(results=daily_rows(counts, 0, look + 1))
    assert decided.decision.status == "winner" and decided.decision.winner == "B"
    assert decided.next_allocation == {"A": 0.0, "B": 1.0}
    before = analyze_experiment(results=daily_rows(counts, 0, look))
    assert before.decision.status != "winner"
    # the simulated allocation is the tool's next split, to the rounding the tool reports
    policy = ToolAllocation(alpha=0.05)
    history = Counts(counts.exposures[:, :look], counts.conversions[:, :look])
    shares = policy.shares(history, np.random.default_rng(0))[0]
    assert shares.tolist() == pytest.approx(list(before.next_allocation.values()), abs=1e-4)


def test_the_tool_allocation_starts_even_and_sends_everything_to_a_declared_winner() -> None:
    policy = ToolAllocation(alpha=0.05)
    empty = Counts(np.zeros((2, 0, 2), dtype=np.int64), np.zeros((2, 0, 2), dtype=np.int64))
    first = policy.shares(empty, np.random.default_rng(0))
    assert first.ravel().tolist() == pytest.approx([0.5] * 4, abs=0.01)  # no data: each is as likely best
    clear = even_counts((0.02, 0.2), per_look=500, looks=3, tests=1, rng=np.random.default_rng(1))
    assert policy.shares(clear, np.random.default_rng(0)).tolist() == [[0.0, 1.0]]


def test_z_tests_peeked_and_once_on_hand_made_counts() -> None:
    # B is far ahead at the second look, then the gap closes by the last
    exposures = np.array([[[1000, 1000], [2000, 2000], [3000, 3000]]])
    conversions = np.array([[[50, 52], [100, 160], [150, 160]]])
    counts = Counts(exposures, conversions)
    peeked = z_decisions(counts, alpha=0.05, every_look=True)
    assert (peeked.look.tolist(), peeked.winner.tolist()) == ([1], [1])
    once = z_decisions(counts, alpha=0.05, every_look=False)
    assert (once.look.tolist(), once.winner.tolist()) == ([NO_WINNER], [NO_WINNER])  # z = 0.57 at the end
    assert peeked.right(best=1).tolist() == [True]
    assert peeked.wrong(best=0).tolist() == [True]


def test_regret_counts_conversions_lost_to_worse_variants() -> None:
    rates = (0.05, 0.06)
    counts = Counts(np.array([[[300, 700]], [[1000, 0]]]), np.zeros((2, 1, 2), dtype=np.int64))
    assert regret(counts, rates).tolist() == pytest.approx([3.0, 10.0])
    assert even_regret(rates, 1000) == pytest.approx(5.0)
    even = allocate(EvenSplit(), rates, batch=1000, batches=4, runs=50, rng=np.random.default_rng(2))
    assert even.exposures[:, -1].sum(axis=1).tolist() == [4000] * 50
    assert float(regret(even, rates).mean()) == pytest.approx(even_regret(rates, 4000), rel=0.05)


def test_quick_experiments_suite(tmp_path: Path) -> None:
    from eval.runner import run_suite

    report = run_suite("experiments", quick=True, reports_dir=tmp_path)
    saved = json.loads((tmp_path / "experiments.json").read_text())
    starts = [t["title"].split(":")[0].split(" (")[0] for t in saved["tables"]]
    assert starts == ["A/A tests under peeking", "Power at a true 10% lift", "Allocation"]
    aa = next(t for t in saved["tables"] if t["title"].startswith("A/A tests under peeking"))
    share = {(row[0], row[1], row[2]): row[5] for row in aa["rows"]}
    tool = share[("2 variants at 5%", "even split", "the tool (anytime-valid, looked at every look)")]
    naive = share[("2 variants at 5%", "even split", "naive z-test, peeked at every look")]
    assert naive > 0.1 > tool  # peeking a classic test finds false winners; the tool's decision does not
    power = next(t for t in saved["tables"] if t["title"].startswith("Power"))
    assert len(power["rows"]) == 12
    for row in power["rows"]:
        assert row[4] + row[5] + row[6] == pytest.approx(1.0)
    allocation = next(t for t in saved["tables"] if t["title"].startswith("Allocation"))
    assert len(allocation["rows"]) == 16
    even_rows = [row for row in allocation["rows"] if row[2].startswith("even split")]
    assert all(row[4] == pytest.approx(1.0, abs=0.02) for row in even_rows)
    assert len(report.targets) == 9
    assert all(t.value is not None for t in report.targets)
    markdown = (tmp_path / "experiments.md").read_text()
    assert "## A/A tests under peeking" in markdown and "## Allocation" in markdown
    if importlib.util.find_spec("obp") is None:
        assert any(note.startswith("Real logs: not measured") for note in report.notes)
