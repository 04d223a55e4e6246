"""3. Kills during training and checkpoint saves: the checkpoint that loads afterwards is the old one or a complete
new one, never a corrupt one."""

from __future__ import annotations

import json
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from eval.suites.reliability.crash.processes import (
    SAVE_LOOP_WORKER,
    SEED,
    Run,
    cli_command,
    python_command,
    run_and_kill,
)


@dataclass
class TrainingKill:
    model: str
    run: Run
    outcome: str  # old | new | none | corrupt
    detail: str = ""
    stray: int = 0  # temporary folders left beside the checkpoint

    @property
    def passed(self) -> bool:
        return self.outcome in ("old", "new", "none")

    def row(self) -> list[str | int | float | None]:
        killed = round(self.run.killed_at, 1) if self.run.killed_at is not None else None
        return [self.model, killed, "killed" if self.run.killed else "finished", self.outcome, self.stray,
                "yes" if self.passed else "NO", self.detail]  # fmt: skip


TRAINERS: dict[str, tuple[str, Callable[[Path, float], list[str]]]] = {
    "forecaster": (
        "forecaster",
        lambda ws, minutes: cli_command(
            "train-forecaster", ws / "data" / "sales.csv", "--workspace", ws, "--minutes", minutes, "--horizon", 8
        ),
    ),
    "segmenter": (
        "segmenter",
        lambda ws, minutes: cli_command(
            "segment", ws / "data" / "transactions.csv", "--workspace", ws, "--minutes", minutes
        ),
    ),
}


def checkpoint_signature(folder: Path, model: str) -> str:
    """What identifies a saved checkpoint: loads it fully (raising if it cannot) and returns its save time and
    metrics."""
    if model == "forecaster":
        from local_models.forecaster.train import load_forecaster

        _, manifest, _ = load_forecaster(folder)
    elif model == "segmenter":
        from local_models.segmenter.train import load_segmenter

        _, manifest, _ = load_segmenter(folder)
    else:
        from local_models.checkpoint import load_checkpoint

        manifest = load_checkpoint(folder, kind="stress", format_versions=[1]).manifest
    return json.dumps({k: manifest.get(k) for k in ("saved_at", "metrics", "version")}, sort_keys=True, default=str)


def classify_checkpoint(folder: Path, model: str, old: str | None) -> tuple[str, str]:
    from core.errors import CheckpointError

    try:
        signature = checkpoint_signature(folder, model)
    except CheckpointError as exc:
        missing = str(exc).startswith("No ")
        return ("none" if missing else "corrupt"), str(exc)[:160]
    except Exception as exc:  # anything else from a half-written checkpoint
        return "corrupt", f"{type(exc).__name__}: {str(exc)[:160]}"
    return ("old" if signature == old else "new"), ""


def training_kills(scratch: Path, data: Path, kills: int, minutes: float, console: Console) -> list[TrainingKill]:
    """Each model trained once unkilled (its checkpoint is the "old" one, its time the span kills are drawn from),
    then killed `kills` times."""
    rng = random.Random(SEED + 1)
    results: list[TrainingKill] = []
    for model, (folder_name, command) in TRAINERS.items():
        workspace = scratch / f"train-{model}"
        shutil.copytree(data, workspace / "data")
        folder = workspace / "models" / folder_name
        with console.status(f"Training the {model} once, unkilled (to time it)"):
            full = run_and_kill(command(workspace, minutes), None)
        if full.returncode != 0:
            raise RuntimeError(f"training the {model} failed: {full.stderr[-500:]}")
        expected = full.seconds
        for i in range(kills):
            old = checkpoint_signature(folder, model)
            with console.status(f"Killing {model} training ({i + 1}/{kills})"):
                run = run_and_kill(command(workspace, minutes), rng.uniform(0.5, expected))
            outcome, detail = classify_checkpoint(folder, model, old)
            results.append(TrainingKill(model, run, outcome, detail, _stray(folder)))
            if outcome in ("none", "corrupt"):  # the next run needs a checkpoint to compare with
                run_and_kill(command(workspace, minutes), None)
    return results


def save_loop_kills(scratch: Path, kills: int, console: Console) -> list[TrainingKill]:
    """A loop that only saves checkpoints, killed at random: the one that loads is the last acknowledged or the
    next one."""
    rng = random.Random(SEED + 2)
    results = []
    folder = scratch / "stress" / "checkpoint"
    for i in range(kills):
        with console.status(f"Killing a checkpoint save loop ({i + 1}/{kills})"):
            run = run_and_kill(python_command(SAVE_LOOP_WORKER, folder), rng.uniform(2.0, 6.0))
        saved = max((int(line.split()[1]) for _, line in run.acks if line.startswith("SAVED")), default=0)
        outcome, detail = classify_checkpoint(folder, "stress", None)
        if outcome == "new":
            version = json.loads(checkpoint_signature(folder, "stress"))["version"]
            outcome = "new" if version in (saved, saved + 1) else "corrupt"
            detail = f"acknowledged {saved}, loaded {version}"
        results.append(TrainingKill("checkpoint save loop", run, outcome, detail, _stray(folder)))
    return results


def _stray(folder: Path) -> int:
    return sum(1 for p in folder.parent.glob(f".{folder.name}.*"))
