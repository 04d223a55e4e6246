"""The demo store as a suite's scratch workspace: built once per run, with a spinner, at the size the suite needs."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console


def demo_workspace(
    folder: Path,
    console: Console,
    *,
    reviews: int,
    customers: int,
    forecaster_seconds: float = 90.0,
    segmenter_seconds: float = 60.0,
) -> Path:
    """Build the demo store (`reviews` reviews, `customers` customers, both models trained within the given
    seconds) in `folder`; returns the workspace path."""
    from agent.demo.build import build_demo_workspace

    with console.status(f"Building the demo workspace ({reviews:,} reviews, {customers:,} customers)"):
        built = build_demo_workspace(
            folder,
            n_reviews=reviews,
            n_customers=customers,
            progress=False,
            forecaster_seconds=forecaster_seconds,
            segmenter_seconds=segmenter_seconds,
        )
    return Path(built.workspace)
