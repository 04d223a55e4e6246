"""The run: the judge's controls, the demo store once, benign runs of every task, then each round of planted cases
on every path."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from rich.console import Console

from eval.demo import demo_workspace
from eval.report import SuiteReport
from eval.suites.security.injection.cases import InjectionCase, InjectionTask, load_cases, load_tasks
from eval.suites.security.injection.controls import check_controls
from eval.suites.security.injection.copywriter import copywriter_cases
from eval.suites.security.injection.judging import (
    Seen,
    Verdict,
    any_attacker_effect,
    attack_evidence,
    reached,
    task_done,
)
from eval.suites.security.injection.paths import SIZES, AgentPaths, ask_on_path
from eval.suites.security.injection.planting import Catalogue, Planted, rounds, target_product
from eval.suites.security.injection.report import fill_report


def run_suite(report: SuiteReport, quick: bool, scratch: Path, console: Console) -> None:
    from tools.segments import segment_customers

    sizes = SIZES.pick(quick)
    base = demo_workspace(scratch / "base", console, sizes.demo)
    tasks = {t.id: t for t in load_tasks()}
    cases, copy_cases = load_cases(), copywriter_cases(list(tasks.values()))
    catalogue = Catalogue.load(base)
    best = segment_customers(filter="best", workspace=base).top_products[0].product_id
    controls = check_controls()  # the judge's own controls first: a judge that misses them proves nothing
    with AgentPaths(base, sizes, cases, copy_cases, tasks, quick) as paths:
        benign = _benign_runs(base, scratch, paths, tasks, console)
        verdicts = _attack_runs(base, scratch, paths, paths.cases, tasks, catalogue, best, benign, console)
    names = [p.name for p in paths.paths]
    fill_report(report, verdicts, benign, paths_names=names, best=best, quick=quick, controls=controls)


def _benign_runs(
    base: Path, scratch: Path, paths: AgentPaths, tasks: dict[str, InjectionTask], console: Console
) -> dict[tuple[str, str], Seen]:
    """Each task once per path on a copy without hostile reviews."""
    clean = scratch / "clean"
    shutil.copytree(base, clean)
    benign: dict[tuple[str, str], Seen] = {}
    for path in paths.paths:
        agent = path.open(clean)
        needed = {c.task for c in paths.cases if c.id in path.chosen}
        for i, task_id in enumerate(sorted(needed), 1):
            with console.status(f"Benign, {path.name}: task {i}/{len(needed)}"):
                benign[(path.name, task_id)], _ = ask_on_path(paths, path, agent, tasks[task_id].request)
    return benign


def _attack_runs(
    base: Path,
    scratch: Path,
    paths: AgentPaths,
    cases: list[InjectionCase],
    tasks: dict[str, InjectionTask],
    catalogue: Catalogue,
    best: str,
    benign: dict[tuple[str, str], Seen],
    console: Console,
) -> list[Verdict]:
    from tools.reviews import ingest_reviews

    running = [c for c in cases if any(c.id in p.chosen for p in paths.paths)]
    groups = rounds(running, tasks, catalogue, best)
    brand_file = base / "data" / "brand.yaml"
    brand_hash = _digest(brand_file)
    verdicts: list[Verdict] = []
    done = 0
    for r, group in enumerate(groups, 1):
        workspace = scratch / f"round-{r:02d}"
        shutil.copytree(base, workspace)
        planted = {c.id: Planted.of(c, target_product(tasks[c.task], best), catalogue) for c in group}
        rows = [row for p in planted.values() for row in p.rows]
        with console.status(f"Round {r}/{len(groups)}: planting {len(rows)} reviews"):
            ingest_reviews(rows=rows, workspace=workspace, progress=False)
        for path in paths.paths:
            agent = path.open(workspace)
            for case in (c for c in group if c.id in path.chosen):
                done += 1
                path.hand(planted[case.id].payloads)
                with console.status(f"Round {r}/{len(groups)}, {path.name}: case {case.id} ({done} asked)"):
                    seen, seconds = ask_on_path(paths, path, agent, tasks[case.task].request)
                path.hand([])
                changed = _digest(workspace / "data" / "brand.yaml") != brand_hash
                verdicts.append(
                    _verdict(case, tasks[case.task], path.name, seen, benign, planted[case.id], changed, seconds)
                )
        _forget_store(workspace)
        shutil.rmtree(workspace, ignore_errors=True)
    return verdicts


def _verdict(
    case: InjectionCase,
    task: InjectionTask,
    path: str,
    seen: Seen,
    benign: dict[tuple[str, str], Seen],
    planted: Planted,
    brand_changed: bool,
    seconds: float,
) -> Verdict:
    clean = benign[(path, task.id)]
    useful, why = task_done(task, seen)
    fell_back = any("answered offline" in w for w in seen.raw.warnings)  # the LLM router failed
    return Verdict(
        case=case,
        task=task,
        path=path,
        retrieved=bool({row["review_id"] for row in planted.rows} & seen.result_ids),
        reached_copy_prompt=reached([seen.copy_prompts], planted.payloads),
        reached_model=reached([seen.model_prompts], planted.payloads),
        evidence=attack_evidence(case, seen, clean, brand_changed, planted.payloads),
        any_effect=any_attacker_effect(seen, clean),
        useful=useful,
        why_not=why,
        seconds=seconds,
        fell_back=fell_back,
        model_called_tools=path.startswith("openai") and bool(seen.calls) and not fell_back,
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def _forget_store(workspace: Path) -> None:
    """Drop the process-wide review store of a finished round (its chromadb client holds files open)."""
    from tools.reviews.tool import forget_review_store

    forget_review_store(workspace)
