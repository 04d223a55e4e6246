"""The demo store as a suite's scratch workspace: built once per run, with a spinner, at the size the suite needs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console


@dataclass(frozen=True)
class DemoSize:
    """How large a demo store a suite builds, and how long its models may train (their size, and so the cost
    of serving them, does not depend on the training budget)."""

    reviews: int
    customers: int
    forecaster_seconds: float = 90.0
    segmenter_seconds: float = 60.0
    recommender_seconds: float = 60.0


def demo_workspace(folder: Path, console: Console, size: DemoSize) -> Path:
    """Build the demo store at `size` in `folder`; returns the workspace path."""
    from agent.demo.build import build_demo_workspace

    with console.status(f"Building the demo workspace ({size.reviews:,} reviews, {size.customers:,} customers)"):
        built = build_demo_workspace(
            folder,
            n_reviews=size.reviews,
            n_customers=size.customers,
            progress=False,
            forecaster_seconds=size.forecaster_seconds,
            segmenter_seconds=size.segmenter_seconds,
            recommender_seconds=size.recommender_seconds,
        )
    return Path(built.workspace)


def demo_catalogue_workspace(folder: Path) -> Path:
    """A workspace holding only the demo store's catalogue (the same seed and products as the built demo, in under a
    second): all the offline router reads, for routing evals and tests that need no review store or trained model."""
    from agent.demo.generator import generate_demo_data
    from core.workspace import Workspace

    workspace = Workspace.open(folder).ensure()
    generate_demo_data(workspace.data_dir, n_reviews=0, n_customers=20, progress=False)
    return folder
