"""The ad-copy suite: product x channel cases on the demo store and on real reviews (../shared/data), written
by the default local copywriter (SmolLM2 prompted with worked examples), by the same model with the ad-copy
adapter (after; opt-in), the tuned one in int8, and through the OpenAI-compatible path (the real `openai`
client against the local model served on 127.0.0.1), side by side in one run. The full run also writes its
shipped fields, shuffled and without their source, for blind rating against eval/ad_copy/sense_rubric.md
(eval/ad_copy/blind.py).

Every returned variant is re-checked here, independently of the tool's own verdict, against the channel
limits and brand rules; claims found in it are counted with and without evidence. Also: how often the model
(not a template) wrote a field, which rules rejected model candidates, distinct-2 across a case's variants,
and latency per case (3 variants) on this machine.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import pandas as pd
from rich.console import Console

from core.workspace import Workspace
from eval.data import load_real_reviews, real_reviews_path
from eval.loopback import KEY
from eval.modes import ByMode
from eval.report import SuiteReport, Table
from local_models.textgen import TextGenerator
from tools.ad_copy import CHANNEL_FIELDS, GenerateAdCopyResult, generate_ad_copy
from tools.ad_copy.text import Channel
from tools.brand import load_brand
from tools.compliance import Limits, check_fields

CHANNELS: tuple[Channel, ...] = get_args(Channel)
VARIANTS = 3


@dataclass(frozen=True)
class Sizes:
    demo_products: int
    real_products: int
    channels: tuple[Channel, ...]
    paths: tuple[str, ...]
    demo_reviews: int


TUNED = "local, tuned"  # SmolLM2 with the ad-copy adapter (after; opt-in: MARKETING_AGENT_COPYWRITER_ADAPTER=true)
UNTUNED = "local, untuned"  # the default: the same model without it, with worked examples in its prompts (before)
OPENAI = "openai-compatible"  # the untuned model behind the real openai client on 127.0.0.1
INT8 = "local, tuned, int8"  # the tuned copywriter with int8 linear layers (MARKETING_AGENT_LLM_PRECISION=int8)
SIZES = ByMode(
    quick=Sizes(1, 1, ("google_search", "sms"), (UNTUNED,), 600),
    full=Sizes(5, 3, CHANNELS, (UNTUNED, TUNED, INT8, OPENAI), 3000),
)


@dataclass
class Case:
    source: str  # demo or real
    workspace: Path
    product: str
    channel: Channel


@dataclass
class Outcome:
    case: Case
    path: str
    seconds: float
    result: GenerateAdCopyResult | None
    error: str = ""


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    sizes = SIZES.pick(quick)
    with console.status("Building the demo store and the real-review store"):
        cases = _demo_cases(scratch / "demo", sizes) + _real_cases(scratch / "real", sizes, report)
    from local_models.textgen import LocalGenerator
    from tools.ad_copy.finetune import adapter_folder

    local = LocalGenerator(workspace=scratch / "llm")
    generators = {
        TUNED: LocalGenerator(workspace=scratch / "llm", adapter=adapter_folder()),
        INT8: LocalGenerator(workspace=scratch / "llm", adapter=adapter_folder(), precision="int8"),
    }
    outcomes: list[Outcome] = []
    for path in sizes.paths:
        with _generator(path, generators.get(path, local)) as generator:
            _run_case(cases[0], path, generator)  # warm-up: first-call costs are not a marketer's wait
            for i, case in enumerate(cases, 1):
                with console.status(f"{path}: case {i}/{len(cases)} ({case.product}, {case.channel})"):
                    outcomes.append(_run_case(case, path, generator))
    _summary_table(report, outcomes, sizes)
    _channel_table(report, outcomes)
    _rejection_table(report, outcomes)
    _examples(report, outcomes)
    if not quick:
        from eval.ad_copy.blind import write_blind_set

        written = write_blind_set(outcomes)
        report.notes.append(f"{written}: the shipped fields of this run, shuffled and without their source, to rate")


# ----------------------------------------------------------------------------------------------------
# Stores and cases


def _demo_cases(folder: Path, sizes: Sizes) -> list[Case]:
    from agent.demo import generate_demo_data
    from tools.reviews import ingest_reviews

    ws = Workspace.open(folder).ensure()
    files = generate_demo_data(ws.data_dir, n_reviews=sizes.demo_reviews, n_customers=50, progress=False)
    ingest_reviews(files.reviews, workspace=ws, progress=False)
    reviews = pd.read_csv(files.reviews, dtype={"product_id": str})
    products = reviews["product_id"].value_counts().index[: sizes.demo_products]
    return [Case("demo", ws.root, p, c) for p, c in itertools.product(products, sizes.channels)]


def _real_cases(folder: Path, sizes: Sizes, report: SuiteReport) -> list[Case]:
    """The most-reviewed real products, with a catalogue that holds only what the data has (class and
    department, no description or price): the copy must stand on the reviews."""
    from agent.demo.brand import write_brand
    from tools.reviews import ingest_reviews

    if real_reviews_path() is None:
        report.notes.append("real reviews (../shared/data) not found: demo cases only")
        return []
    reviews = load_real_reviews()
    products = reviews["product_id"].value_counts().index[: sizes.real_products]
    chosen = reviews[reviews["product_id"].isin(products)]
    ws = Workspace.open(folder).ensure()
    ws.data_dir.mkdir(parents=True, exist_ok=True)
    catalogue = chosen.groupby("product_id")["category"].agg(lambda c: c.mode().iloc[0]).reset_index()
    catalogue["name"] = catalogue["category"] + " style " + catalogue["product_id"]
    catalogue[["product_id", "name", "category"]].to_csv(ws.data_dir / "catalogue.csv", index=False)
    write_brand(ws.data_dir / "brand.yaml")
    rows = [{str(k): v for k, v in row.items()} for row in chosen.to_dict("records")]
    ingest_reviews(rows=rows, workspace=ws, progress=False)
    return [Case("real", ws.root, str(p), c) for p, c in itertools.product(products, sizes.channels)]


class _generator:
    """The local model itself, or the same model behind the OpenAI-compatible server via the openai client."""

    def __init__(self, path: str, local: TextGenerator) -> None:
        self.path = path
        self.local = local
        self.server: Any = None

    def __enter__(self) -> TextGenerator:
        if self.path != OPENAI:
            return self.local
        from agent.openai_server import serve_openai
        from local_models.textgen import OpenAIGenerator

        self.server = serve_openai(self.local, api_key=KEY)
        # No fallback: a fault on this path must show up as an error, not be hidden by the local model.
        return OpenAIGenerator(api_key=KEY, base_url=self.server.base_url, model=self.local.model)

    def __exit__(self, *exc_info: object) -> None:
        if self.server is not None:
            self.server.stop()


def _run_case(case: Case, path: str, generator: TextGenerator) -> Outcome:
    started = time.perf_counter()
    try:
        result = generate_ad_copy(
            product=case.product,
            channel=case.channel,
            n_variants=VARIANTS,
            workspace=case.workspace,
            generator=generator,
            seed=0,
        )
    except Exception as exc:  # a failed case is a result to report, not a crash
        return Outcome(case, path, time.perf_counter() - started, None, f"{type(exc).__name__}: {exc}")
    return Outcome(case, path, time.perf_counter() - started, result)


# ----------------------------------------------------------------------------------------------------
# Measures


def recheck(outcome: Outcome) -> tuple[int, int, int, int]:
    """(variants, variants passing every hard rule, claims, claims with evidence), checked afresh."""
    if outcome.result is None:
        return 0, 0, 0, 0
    from tools.ad_copy import build_grounding

    ws = Workspace.open(outcome.case.workspace)
    grounding, _ = build_grounding(ws, outcome.case.product, "")
    brand = load_brand(workspace=ws)
    limits = Limits({name: limit for name, (limit, _) in CHANNEL_FIELDS[outcome.case.channel].items()})
    passing = claims = backed = 0
    for variant in outcome.result.variants:
        verdict = check_fields(variant.fields, limits, outcome.case.channel, brand, grounding)
        passing += verdict.passed
        rules = [f for f in verdict.failures if f.rule.endswith("_backed")]
        claims += len(verdict.claims) + len(rules)
        backed += len(verdict.claims)
    return len(outcome.result.variants), passing, claims, backed


def distinct_2(texts: list[str]) -> float:
    """Distinct bigrams / all bigrams across a case's variants (1.0: no bigram repeated)."""
    bigrams = [b for t in texts for b in itertools.pairwise(t.lower().split())]
    return len(set(bigrams)) / len(bigrams) if bigrams else 0.0


def _model_share(outcomes: list[Outcome]) -> float:
    sources = [
        s
        for o in outcomes
        if o.result
        for v in o.result.variants
        for s in v.sources.values()
        if s not in {"fixed", "catalogue"}
    ]
    return sum(s == "model" for s in sources) / len(sources) if sources else 0.0


def _summary_table(report: SuiteReport, outcomes: list[Outcome], sizes: Sizes) -> None:
    rows: list[list[Any]] = []
    for path in sizes.paths:
        mine = [o for o in outcomes if o.path == path]
        counts = [recheck(o) for o in mine]
        variants, passing, claims, backed = (sum(c[i] for c in counts) for i in range(4))
        seconds = [o.seconds for o in mine]
        diversity = [
            distinct_2([" ".join(v.fields.values()) for v in o.result.variants])
            for o in mine
            if o.result and len(o.result.variants) > 1
        ]
        rows.append(
            [
                path,
                len(mine),
                sum(1 for o in mine if o.error),
                variants / (VARIANTS * len(mine)) if mine else 0.0,
                passing / variants if variants else None,
                backed / claims if claims else None,
                _model_share(mine),
                statistics.mean(diversity) if diversity else None,
                statistics.median(seconds) if seconds else None,
                _p95(seconds),
            ]
        )
        report.target(f"{path}: returned variants passing every hard rule (re-checked)", rows[-1][4], at_least=1.0)
        report.target(f"{path}: claims with evidence", rows[-1][5], at_least=1.0)
        if path in (TUNED, UNTUNED):
            report.target(f"{path}: fields written by the model", rows[-1][6], at_least=0.6)
            report.target(f"{path}: seconds per case (3 variants), p50", rows[-1][8], at_most=3.0)
            report.target(f"{path}: seconds per case (3 variants), p95", rows[-1][9], at_most=6.0)
    report.tables.append(
        Table(
            title=f"Ad copy: {len({(o.case.product, o.case.channel) for o in outcomes})} product x channel cases, "
            f"{VARIANTS} variants each",
            columns=[
                "path",
                "cases",
                "errors",
                "variants returned / asked",
                "pass all hard rules",
                "claims with evidence",
                "fields written by the model",
                "distinct-2",
                "p50 s",
                "p95 s",
            ],
            rows=rows,
            note=f"'{UNTUNED}' is the default copywriter (SmolLM2-135M prompted with two worked examples per field); "
            f"'{TUNED}' the same model with the ad-copy LoRA adapter and prompts without worked examples (opt-in: "
            f"MARKETING_AGENT_COPYWRITER_ADAPTER=true); '{INT8}' the tuned copywriter with dynamically quantised int8 "
            f"linear layers; '{OPENAI}' the real openai client against the untuned model served on 127.0.0.1 "
            "(no fallback, so its faults would count as errors). All in one run, same cases and seed. "
            "Fields not written by the model come from templates filled with the same grounding; footers "
            "(disclaimers) are fixed text and not counted.",
        )
    )


def _channel_table(report: SuiteReport, outcomes: list[Outcome]) -> None:
    rows: list[list[Any]] = []
    keys = sorted({(o.path, o.case.source, o.case.channel) for o in outcomes})
    for path, source, channel in keys:
        mine = [o for o in outcomes if (o.path, o.case.source, o.case.channel) == (path, source, channel)]
        returned = sum(len(o.result.variants) for o in mine if o.result)
        rows.append(
            [
                path,
                source,
                channel,
                len(mine),
                returned / (VARIANTS * len(mine)),
                _model_share(mine),
                statistics.median(o.seconds for o in mine),
            ]
        )
    report.tables.append(
        Table(
            title="By channel and data source",
            columns=["path", "data", "channel", "cases", "variants returned / asked", "model-written fields", "p50 s"],
            rows=rows,
        )
    )


def _rejection_table(report: SuiteReport, outcomes: list[Outcome]) -> None:
    for path in dict.fromkeys(o.path for o in outcomes):
        rejected: Counter[str] = Counter()
        candidates = 0
        for o in outcomes:
            if o.path == path and o.result:
                rejected.update(o.result.rejected)
                candidates += o.result.candidates
        rows: list[list[Any]] = [
            [rule, n, n / candidates if candidates else None] for rule, n in rejected.most_common(12)
        ]
        report.tables.append(
            Table(
                title=f"{path}: why model candidates were rejected ({candidates} candidates)",
                columns=["rule", "candidates", "share of candidates"],
                rows=rows,
                note="A candidate can break several rules. 'length' counts output that could not be cut to the "
                "limit at a sentence or clause boundary.",
            )
        )


def _examples(report: SuiteReport, outcomes: list[Outcome]) -> None:
    for o in outcomes:
        if o.error:
            report.notes.append(f"{o.path} {o.case.source} {o.case.product} {o.case.channel}: {o.error}")
    shown = [o for o in outcomes if o.result and o.result.variants and o.path == UNTUNED][:4]
    for o in shown:
        assert o.result is not None
        best = o.result.variants[0]
        report.notes.append(
            f"example ({o.case.source}, {o.result.product_name}, {o.case.channel}): "
            + " | ".join(f"{k}: {v}" for k, v in best.fields.items() if k != "footer")
        )


def _p95(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
