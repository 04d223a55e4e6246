"""The fairness eval suite: its fast judgement is audit_selection's own (same ratios, intervals and flags, to the last
bit), its chance baseline reads a real audit, and a quick run end to end. The figures belong to `marketing-agent
eval fairness`."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from eval.suites.fairness.chance import chance_flagged
from eval.suites.fairness.planted import agrees_with_audit, judge
from tools.fairness import audit_fairness, ingest_customers


@pytest.mark.parametrize(
    ("counts", "size"),
    [
        ([40, 20], 200),  # a clear gap
        ([60, 60], 300),  # a tie: the first group in sorted order is the reference
        ([12, 0, 9, 3], 30),  # a group with nobody selected
        ([0, 0], 50),  # nobody selected at all: no ratios, no flags
        ([400, 390, 410, 280], 2000),
    ],
)
def test_the_fast_judgement_is_audit_selection_s_own(counts: list[int], size: int) -> None:
    labels = [chr(ord("A") + i) for i in range(len(counts))]
    row, sizes = np.array(counts), np.full(len(counts), size)
    judged = judge(row, sizes, labels, seed=7)
    assert agrees_with_audit(judged, row, size, labels, seed=7)
    other = row.copy()
    other[-1] = other[-1] + 1 if other[-1] < size else other[-1] - 1
    if np.isfinite(judged.low).any():  # the check sees other counts: it can fail
        assert not agrees_with_audit(judged, other, size, labels, seed=7)


def test_chance_reads_a_real_audit(tmp_path: Path) -> None:
    ids = [f"H{i:04d}" for i in range(600)]
    bands = ["young"] * 300 + ["old"] * 300
    pd.DataFrame({"household_key": ids, "age_band": bands}).to_csv(tmp_path / "people.csv", index=False)
    ingest_customers(tmp_path / "people.csv", workspace=tmp_path / "ws")
    skewed = ids[:150] + ids[300:330]  # half the young, a tenth of the old
    result = audit_fairness(customer_ids=skewed, pairs=False, workspace=tmp_path / "ws")
    assert result.flagged
    share = chance_flagged(result, "age_band", draws=300)
    assert share <= 0.1  # a random list of 180 from two groups of 300 is rarely flagged


def test_quick_fairness_suite(tmp_path: Path) -> None:
    from eval.runner import run_suite

    report = run_suite("fairness", quick=True, reports_dir=tmp_path)
    saved = json.loads((tmp_path / "fairness.json").read_text())
    titles = [t["title"] for t in saved["tables"]]
    assert titles[0].startswith("Planted disparities, 2 groups") and titles[1].startswith("Planted disparities, 4")
    assert titles[2].startswith("Target cells")
    assert [len(t["rows"]) for t in saved["tables"]] == [50, 50, 2 * 2 * (6 + 5)]
    two = {(row[0], row[1], row[2]): row for row in saved["tables"][0]["rows"]}
    fair_small = two[(0.2, 1.0, 30)]
    assert fair_small[4] is None and fair_small[7] > 0.3 > fair_small[5]  # the plain rule flags many fair lists
    assert two[(0.4, 0.5, 2000)][4] >= 0.9 and two[(0.4, 0.5, 2000)][5] == 0.0
    names = [t.name for t in report.targets]
    assert len(names) == 10 and names[-1].startswith("lists judged the same by audit_selection")
    assert report.targets[-1].value == 1.0
    assert all(t.value is not None for t in report.targets)
    assert any(note.startswith("Quick mode") for note in report.notes)
    markdown = (tmp_path / "fairness.md").read_text()
    assert "## Target cells" in markdown and "four-fifths rule" in markdown
