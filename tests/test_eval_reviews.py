"""The reviews eval suite on a small sample of the real reviews: it runs, writes its report, and the
quality figures (not the timings: those belong to `marketing-agent eval reviews`) hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.data import real_reviews_path
from eval.runner import run_suite


@pytest.mark.skipif(real_reviews_path() is None, reason="../shared/data/reviews is not here")
def test_quick_reviews_suite(tmp_path: Path) -> None:
    report = run_suite("reviews", quick=True, reports_dir=tmp_path)
    saved = json.loads((tmp_path / "reviews.json").read_text())
    assert saved["mode"] == "quick"
    assert "## Targets" in (tmp_path / "reviews.md").read_text()
    targets = {t.name: t for t in report.targets}
    assert targets["top-10 neighbour overlap vs fp32"].passed
    assert targets["sentiment macro-F1 minus VADER's (real reviews)"].passed
    assert targets["aspect polarity accuracy minus VADER's (demo labels)"].passed
    quality = next(t for t in report.tables if t.title.startswith("Retrieval quality"))
    ndcg = {row[0]: row[3] for row in quality.rows if row[1] == "all"}
    assert all(0.2 < value <= 1.0 for value in ndcg.values())


def test_unknown_suite_is_a_clear_error() -> None:
    from core.errors import MarketingAgentError

    with pytest.raises(MarketingAgentError, match="unknown eval suite 'nope'; choose from "):
        run_suite("nope")
