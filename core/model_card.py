"""Model cards: what each trained model is, what it learnt from, how it did against a simple baseline on data it
never trained on, and where it falls short.

Every trainer writes `card.json` (this module's `ModelCard`) and `card.md` (the same, rendered) beside its
checkpoint under the workspace's `models/<name>/`, right after the checkpoint itself. A new model adds its card in a
few lines where it saves:

    write_card(folder, card_for(folder, ws.root, title="Budget model", summary="...", used_by=["plan_budget"],
                                data=DataFacts(...), inputs=[...], training=TrainingFacts(...),
                                validation=Validation(split="...", metrics=[Metric(...)]), limits=[...]))

`card_for` fills what the checkpoint's manifest already knows (kind, save time, data fingerprint, path);
`list_cards` finds every checkpoint in a workspace, with or without a card, and never fails on old ones.
Light on purpose: pydantic and the standard library only, so the CLI and the REST API read cards without torch.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, computed_field

from core.atomic import write_text
from core.errors import CheckpointError
from core.workspace import Workspace

CARD_JSON = "card.json"
CARD_MD = "card.md"
MANIFEST = "manifest.json"  # the checkpoint's own manifest (local_models/checkpoint.py)
CARD_VERSION = 1
NO_CARD = "no card (retrain to write one)"
NO_CUSTOMER_ATTRIBUTES = (
    "Customer attributes (age band, gender, income band, region and the like) are never inputs: they are kept "
    "for fairness audits only."
)


class DataFacts(BaseModel):
    """What a model learnt from."""

    fingerprint: str = Field(description="A hash of the training data: the same data gives the same fingerprint.")
    source: str = Field(description="The file (or store) it was trained on.")
    period_start: date | None = Field(None, description="The first date in the training data.")
    period_end: date | None = Field(None, description="The last date in the training data.")
    rows: int | None = Field(None, description="How many rows it learnt from (what a row is: `rows_label`).")
    rows_label: str = Field("rows", description="What a row is: weekly sales points, transactions, rated reviews.")
    customers: int | None = None
    series: int | None = None
    products: int | None = None


class TrainingFacts(BaseModel):
    """How long it trained, within what budget."""

    budget_seconds: float | None = Field(description="Its wall-clock budget; None when it trains to the end.")
    seconds: float = Field(description="How long training took.")
    seed: int | None = None
    stopped: str = Field("", description="How training ended, in plain words.")


class Metric(BaseModel):
    """One validation figure of the model and the same figure of a simple baseline on the same held-out data."""

    name: str = Field(description="Short name, e.g. recall@20.")
    description: str = Field(description="What it measures, in plain words.")
    value: float | None = Field(description="The model's figure (None: not measured, the note says why).")
    higher_is_better: bool
    baseline: str | None = Field(None, description="The simple baseline it is compared with.")
    baseline_value: float | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def beats_baseline(self) -> bool | None:
        """Whether the model does better than the baseline (None when either figure is missing)."""
        if self.value is None or self.baseline_value is None:
            return None
        better = self.value > self.baseline_value if self.higher_is_better else self.value < self.baseline_value
        return bool(better)


class Validation(BaseModel):
    split: str = Field(description="What was held out from training to measure it.")
    metrics: list[Metric] = Field(default_factory=list)
    note: str = ""


class Benchmark(BaseModel):
    """A figure measured by the eval harness on fixed data (not on this workspace's), with how to reproduce it."""

    what: str
    result: str
    command: str
    report: str


class ModelCard(BaseModel):
    """What a trained model is, what it learnt from, how well it did and where it falls short."""

    card_version: int = CARD_VERSION
    name: str = Field(description="The model's folder under the workspace's models/.")
    kind: str = Field(description="The checkpoint kind (forecaster, segmenter, recommender, sentiment, ...).")
    title: str
    summary: str
    saved_at: str = Field(description="When the checkpoint was saved (its manifest's saved_at).")
    checkpoint: str = Field(description="The checkpoint folder, relative to the workspace.")
    used_by: list[str] = Field(default_factory=list, description="The tools that answer from this model.")
    data: DataFacts
    inputs: list[str] = Field(description="What the model reads, in plain words.")
    never_inputs: list[str] = Field(default_factory=lambda: [NO_CUSTOMER_ATTRIBUTES])
    training: TrainingFacts
    validation: Validation
    limits: list[str] = Field(description="Known limits, in plain sentences.")
    benchmarks: list[Benchmark] = Field(default_factory=list)


CardStatus = Literal["card", "no_card", "stale_card", "unreadable_card"]


class ModelCardEntry(BaseModel):
    """One trained model in a workspace and its card (None for checkpoints saved before cards existed)."""

    name: str
    kind: str
    saved_at: str
    checkpoint: str = Field(description="The checkpoint folder, relative to the workspace.")
    status: CardStatus
    note: str = Field("", description="Why there is no usable card, and what to do.")
    card_path: str | None = Field(None, description="The rendered card (card.md), relative to the workspace.")
    card: ModelCard | None = None


class ModelCards(BaseModel):
    workspace: str
    models: list[ModelCardEntry]


# ----------------------------------------------------------------------------------------------------
# Writing


def card_for(folder: Path, root: Path, **fields: Any) -> ModelCard:
    """A card for the checkpoint in `folder` (inside workspace `root`): its kind, save time and path come from the
    checkpoint's manifest, the rest from `fields` (ModelCard's)."""
    manifest = _manifest(folder)
    return ModelCard(
        name=folder.name,
        kind=str(manifest.get("kind", folder.name)),
        saved_at=str(manifest.get("saved_at", "")),
        checkpoint=_relative(folder, root),
        **fields,
    )


def write_card(folder: Path, card: ModelCard) -> Path:
    """Write `card.json` and `card.md` beside the checkpoint in `folder`, each atomically; returns card.json."""
    write_text(folder / CARD_MD, render_card(card))
    write_text(folder / CARD_JSON, card.model_dump_json(indent=2) + "\n")
    return folder / CARD_JSON


def measured(value: float | None) -> float | None:
    """A metric value for a card: None for a figure that could not be measured (NaN or missing)."""
    if value is None or not math.isfinite(float(value)):
        return None
    return float(value)


# ----------------------------------------------------------------------------------------------------
# Reading


def list_cards(workspace: str | Path | Workspace | None = None) -> ModelCards:
    """Every trained model in the workspace with its card, by name. Checkpoints saved before cards existed are
    listed with status `no_card`; nothing here raises for an old, stale or damaged card."""
    ws = Workspace.open(workspace)
    entries: list[ModelCardEntry] = []
    if ws.models_dir.is_dir():
        for folder in sorted(p for p in ws.models_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
            entry = _entry(folder, ws.root)
            if entry is not None:
                entries.append(entry)
    return ModelCards(workspace=str(ws.root), models=entries)


def find_card(name: str, workspace: str | Path | Workspace | None = None) -> ModelCardEntry | None:
    """The model called `name` (its folder under models/), or None when the workspace has no such model."""
    return next((e for e in list_cards(workspace).models if e.name == name), None)


def card_reference(folder: Path, root: Path) -> dict[str, str]:
    """What a tool result says about the card of the model that answered: its path and headline (empty without
    a current card)."""
    entry = _entry(folder, root)
    if entry is None or entry.card is None or entry.status != "card":
        return {}
    return {"card": entry.card_path or "", "card_headline": headline(entry.card)}


def card_line(model: Mapping[str, Any]) -> str:
    """The sentence an answer ends with when a model built it: "Model card: `models/x/card.md` (...)"."""
    path = model.get("card")
    if not path:
        return ""
    summary = model.get("card_headline") or ""
    return f"_Model card: `{path}`{f' (validation: {summary})' if summary else ''}._"


def headline(card: ModelCard) -> str:
    """The card's first validation figure against its baseline, in one phrase ("recall@20 0.412 vs 0.330 for
    popularity")."""
    for metric in card.validation.metrics:
        if metric.value is None:
            continue
        text = f"{metric.name} {_number(metric.value)}"
        if metric.baseline and metric.baseline_value is not None:
            text += f" vs {_number(metric.baseline_value)} for {metric.baseline}"
        return text
    return "no validation figure (see the card)"


def _entry(folder: Path, root: Path) -> ModelCardEntry | None:
    """The entry for one folder under models/, or None when it holds no trained model's checkpoint (e.g. the
    converted text generator, whose manifest has no format version)."""
    manifest = _manifest(folder, missing_ok=True)
    has_card = (folder / CARD_JSON).exists()
    if not has_card and "format_version" not in manifest:
        return None
    base = {
        "name": folder.name,
        "kind": str(manifest.get("kind", "")),
        "saved_at": str(manifest.get("saved_at", "")),
        "checkpoint": _relative(folder, root),
    }
    if not has_card:
        return ModelCardEntry(**base, status="no_card", note=NO_CARD)
    try:
        card = ModelCard.model_validate_json((folder / CARD_JSON).read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        note = f"the card in {_relative(folder, root)} is unreadable ({type(exc).__name__}); retrain to rewrite it"
        return ModelCardEntry(**base, status="unreadable_card", note=note)
    path = _relative(folder / CARD_MD, root)
    if not _matches(card, manifest):
        note = "the card does not match the checkpoint (saved at another time or on other data); retrain to rewrite it"
        return ModelCardEntry(**base, status="stale_card", note=note, card_path=path, card=card)
    return ModelCardEntry(**base, status="card", card_path=path, card=card)


def _matches(card: ModelCard, manifest: Mapping[str, Any]) -> bool:
    fingerprint = manifest.get("data_fingerprint")
    same_data = fingerprint is None or str(fingerprint) == card.data.fingerprint
    return card.saved_at == str(manifest.get("saved_at", "")) and same_data


def _manifest(folder: Path, *, missing_ok: bool = False) -> dict[str, Any]:
    try:
        loaded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        if missing_ok:
            return {}
        raise CheckpointError(f"No readable checkpoint manifest in {folder}; save the checkpoint first.") from exc
    return dict(loaded) if isinstance(loaded, dict) else {}


def _relative(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


# ----------------------------------------------------------------------------------------------------
# Rendering


def render_card(card: ModelCard) -> str:
    """The card as Markdown (what card.md holds)."""
    lines = [f"# {card.title} (`{card.name}`)", "", card.summary, ""]
    lines += [f"- Saved: {card.saved_at}", f"- Checkpoint: `{card.checkpoint}`"]
    if card.used_by:
        lines.append(f"- Answers: {', '.join(f'`{t}`' for t in card.used_by)}")
    lines += ["", "## Data", "", *_bullets(_data_lines(card.data))]
    lines += ["", "## Inputs", "", *_bullets(card.inputs), "", "Never inputs:", "", *_bullets(card.never_inputs)]
    lines += ["", "## Training", "", *_bullets(_training_lines(card.training))]
    lines += ["", "## Validation", "", f"Held out: {card.validation.split}", ""]
    lines += _metric_table(card.validation.metrics)
    if card.validation.note:
        lines += ["", card.validation.note]
    lines += ["", "## Known limits", "", *_bullets(card.limits)]
    if card.benchmarks:
        lines += ["", "## Measured by the eval harness", ""]
        lines += _bullets(f"{b.what}: {b.result} (`{b.command}`, {b.report})" for b in card.benchmarks)
    return "\n".join(lines) + "\n"


def _data_lines(data: DataFacts) -> list[str]:
    looks_like_a_path = "/" in data.source or "\\" in data.source
    lines = [f"Source: `{data.source}`" if looks_like_a_path else f"Source: {data.source}"]
    if data.period_start or data.period_end:
        lines.append(f"Period: {data.period_start or '?'} to {data.period_end or '?'}")
    counts = [
        f"{value:,} {label}"
        for value, label in (
            (data.rows, data.rows_label),
            (data.customers, "customers"),
            (data.series, "series"),
            (data.products, "products"),
        )
        if value is not None
    ]
    if counts:
        lines.append(", ".join(counts))
    lines.append(f"Data fingerprint: `{data.fingerprint}`")
    return lines


def _training_lines(training: TrainingFacts) -> list[str]:
    budget = "no time budget" if training.budget_seconds is None else f"budget {training.budget_seconds:,.0f} s"
    first = f"{budget}; took {training.seconds:,.1f} s" + ("" if training.seed is None else f"; seed {training.seed}")
    return [first[0].upper() + first[1:], *([training.stopped] if training.stopped else [])]


def _metric_table(metrics: list[Metric]) -> list[str]:
    if not metrics:
        return ["No validation figures."]
    lines = ["| metric | this model | baseline | baseline's | better than the baseline |", "|---|---|---|---|---|"]
    for m in metrics:
        beats = "equal" if m.value is not None and m.value == m.baseline_value else _YES_NO[m.beats_baseline]
        lines.append(
            f"| {m.name} ({'higher' if m.higher_is_better else 'lower'} is better) | {_number(m.value)} | "
            f"{m.baseline or '-'} | {_number(m.baseline_value)} | {beats} |"
        )
    described = {m.name: m.description for m in metrics}
    lines += ["", *_bullets(f"{name}: {description}" for name, description in described.items())]
    return lines


_YES_NO = {True: "yes", False: "no", None: "-"}


def _number(value: float | None) -> str:
    if value is None:
        return "not measured"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.1f}" if abs(value) >= 10 else f"{value:.3f}"


def _bullets(items: Any) -> list[str]:
    return [f"- {item}" for item in items]
