"""`marketing-agent demo`: generate the demo store into a workspace and ingest it.

Re-running is cheap: files are regenerated only when the seed or generator version changed, and ingest
skips reviews that are already stored with the same content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from agent.demo.experiments import TESTS
from agent.demo.generator import DemoFiles, demo_paths, generate_demo_data
from core.workspace import Workspace
from tools.budget.tool import MODEL_FOLDER as BUDGET_FOLDER
from tools.budget.tool import BudgetReport, train_budget_model
from tools.experiment import store_experiment, stored_experiments
from tools.fairness import ingest_customers
from tools.fairness.attributes import has_attributes
from tools.forecast import TrainingReport, train_forecaster
from tools.recommend import RecommenderReport, train_recommender
from tools.review_store import IngestReport
from tools.reviews import ingest_reviews
from tools.segments import SegmentationReport, train_segmenter

# 2: the ad tests; 3: customer attributes; 4: weekly media spend with known true effects; 5: Chinese reviews for a few
# products (agent/demo/reviews_zh.py)
GENERATOR_VERSION = 5
DEMO_HORIZON = 13  # a quarter of weeks: "next 8 weeks" and "next quarter" both fit
MARKER = "demo.json"


@dataclass(frozen=True)
class DemoBuild:
    workspace: Path
    files: DemoFiles
    generated: bool
    reviews: IngestReport
    forecaster: TrainingReport | None  # None when the trained model is already up to date
    segmenter: SegmentationReport | None
    recommender: RecommenderReport | None
    budget: BudgetReport | None  # the marketing-mix model on data/marketing.csv


def build_demo_workspace(
    workspace: str | Path | Workspace | None = None,
    *,
    seed: int = 7,
    n_reviews: int = 5000,
    n_customers: int = 3000,
    force: bool = False,
    progress: bool = True,
    forecaster_seconds: float = 90.0,
    segmenter_seconds: float = 60.0,
    recommender_seconds: float = 60.0,
    budget_draws: int = 500,
    budget_tune: int = 500,
) -> DemoBuild:
    """Build (or refresh) the demo store in `workspace`."""
    ws = Workspace.open(workspace).ensure()
    files = demo_paths(ws.data_dir)
    wanted = {
        "seed": seed,
        "n_reviews": n_reviews,
        "n_customers": n_customers,
        "generator_version": GENERATOR_VERSION,
    }
    generated = force or _marker(ws) != wanted or not files.reviews.exists()
    if generated:
        files = generate_demo_data(
            ws.data_dir, seed=seed, n_reviews=n_reviews, n_customers=n_customers, progress=progress
        )
        (ws.data_dir / MARKER).write_text(json.dumps(wanted))
    reviews = ingest_reviews(files.reviews, workspace=ws, progress=progress)
    forecaster = None
    if generated or not (ws.models_dir / "forecaster" / "manifest.json").exists():
        forecaster = train_forecaster(
            files.sales,
            horizon=DEMO_HORIZON,
            max_seconds=forecaster_seconds,
            seed=seed,
            workspace=ws,
            progress=progress,
        )
    segmenter = None
    if generated or not (ws.models_dir / "segmenter" / "manifest.json").exists():
        segmenter = train_segmenter(files.transactions, max_seconds=segmenter_seconds, seed=seed, workspace=ws)
    recommender = None
    if generated or not (ws.models_dir / "recommender" / "manifest.json").exists():
        recommender = train_recommender(
            files.transactions, max_seconds=recommender_seconds, seed=seed, progress=progress, workspace=ws
        )
    budget = None
    if generated or not (ws.models_dir / BUDGET_FOLDER / "manifest.json").exists():
        budget = train_budget_model(
            files.marketing, draws=budget_draws, tune=budget_tune, seed=seed, progress=progress, workspace=ws
        )
    if generated or not has_attributes(ws):
        ingest_customers(files.customers, workspace=ws)  # for audits only: no model reads them
    stored = {test.name for test in stored_experiments(ws)}
    for test, path in zip(TESTS, files.experiments, strict=True):
        if generated or test.name not in stored:
            store_experiment(path, name=test.name, variants=test.copy, workspace=ws)
    return DemoBuild(ws.root, files, generated, reviews, forecaster, segmenter, recommender, budget)


def _marker(ws: Workspace) -> dict[str, int] | None:
    try:
        return dict(json.loads((ws.data_dir / MARKER).read_text()))
    except (OSError, ValueError):
        return None
