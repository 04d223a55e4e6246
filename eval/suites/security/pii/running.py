"""The run: a demo workspace, seeded records, the detectors scored, the flows exercised, the report filled."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from rich.console import Console

from eval.demo import DemoSize, demo_workspace
from eval.modes import ByMode
from eval.pii_cases import clean_texts, seed_records
from eval.report import SuiteReport
from eval.suites.security.pii.detector import real_review_texts, score_detectors
from eval.suites.security.pii.flows import exercise
from eval.suites.security.pii.report import fill_report


@dataclass(frozen=True)
class Sizes:
    records: int
    clean: int
    demo: DemoSize
    asks: int
    segmenter_seconds: float
    real: int  # real reviews (../shared/data) scanned for false positives


SIZES = ByMode(
    quick=Sizes(records=100, clean=400, demo=DemoSize(300, 150, 3, 3, 3), asks=6, segmenter_seconds=4, real=2000),
    full=Sizes(
        records=1000, clean=2000, demo=DemoSize(1000, 1000, 3, 3, 3), asks=14, segmenter_seconds=20, real=25_000
    ),
)


def run_part(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    workspace = demo_workspace(scratch / "ws", console, sizes.demo)
    records = seed_records(sizes.records, seeded_products(workspace))
    with console.status("Scoring the detectors"):
        detectors = score_detectors(records, clean_corpus(workspace, sizes.clean), real_review_texts(sizes.real))
    with console.status(f"Sending {len(records)} seeded records through ingest, search, segments, ad copy, agent, API"):
        findings = exercise(workspace, records, scratch / "inputs", asks=sizes.asks, seconds=sizes.segmenter_seconds)
    fill_report(report, detectors, findings)


def seeded_products(workspace: Path, count: int = 4) -> list[str]:
    catalogue = pd.read_csv(workspace / "data" / "catalogue.csv", dtype=str)
    return [str(p) for p in catalogue["product_id"].head(count)]


def clean_corpus(workspace: Path, n: int) -> list[str]:
    """Clean text for false positives: generated marketing/order text, the demo's own reviews and catalogue."""
    catalogue = pd.read_csv(workspace / "data" / "catalogue.csv", dtype=str, keep_default_na=False)
    reviews = pd.read_csv(workspace / "data" / "reviews.csv", dtype=str, keep_default_na=False)
    texts = clean_texts(n, catalogue["name"].tolist())
    texts += reviews["text"].head(n).tolist() + reviews["title"].head(n).tolist()
    texts += catalogue["description"].tolist() + [f"{q} x {name}" for q, name in enumerate(catalogue["name"], 2)]
    return [t for t in texts if t]
