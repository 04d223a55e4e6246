"""`marketing-agent demo` builds a searchable store, and re-running it does no work."""

from __future__ import annotations

from typing import Any

from agent.demo.build import DemoBuild, build_demo_workspace


def test_demo_build_is_searchable_and_rerun_is_a_no_op(demo_store: DemoBuild, small_demo: dict[str, Any]) -> None:
    assert demo_store.generated
    assert demo_store.reviews.added == 821  # 800 English reviews and 21 Chinese ones (agent/demo/reviews_zh.py)
    assert (demo_store.workspace / "models" / "sentiment" / "manifest.json").exists()
    for name in (
        "catalogue.csv",
        "reviews.csv",
        "sales.csv",
        "transactions.csv",
        "customers.csv",
        "brand.yaml",
        "marketing.csv",
    ):
        assert (demo_store.workspace / "data" / name).exists()
    assert (demo_store.workspace / "models" / "segmenter" / "manifest.json").exists()
    assert demo_store.segmenter is not None and demo_store.segmenter.customers > 100
    assert demo_store.recommender is not None and demo_store.recommender.products > 10
    assert demo_store.budget is not None
    assert demo_store.budget.channels == ["search", "social", "display", "tv"]
    assert demo_store.budget.weeks == 104
    assert (demo_store.workspace / "models" / "budget" / "manifest.json").exists()
    again = build_demo_workspace(demo_store.workspace, **small_demo)
    assert not again.generated
    assert again.forecaster is None and again.segmenter is None and again.recommender is None
    assert again.budget is None
    assert (again.reviews.written, again.reviews.unchanged) == (0, 821)
