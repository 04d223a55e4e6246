"""Blind rating of shipped ad-copy fields against eval/ad_copy/sense_rubric.md (issue 21).

The full ad-copy suite (`marketing-agent eval ad-copy`) calls `write_blind_set(outcomes)`: every field each path
shipped (the tuned copywriter, the untuned model, the OpenAI-compatible path), with the grounding a rater needs.
Footers and catalogue names are left out (fixed text, nothing to rate). A text shipped for the same product, channel
and field by several paths or variants is rated once. The fields are shuffled with a fixed seed and get opaque ids;
which path and source (model or template) shipped each one is kept apart, in the key. In eval/ad_copy/ratings/:

    fields.jsonl   what the rater sees: field_id, channel, field, limit, text, grounding
    key.jsonl      field_id -> every (path, source, data, product) that shipped it: never shown to the rater
    labels.jsonl   the rater's labels, in the rubric's format (field_id, sensible, failed, note); with several
                   raters, their parts labels-*.jsonl are merged into it by `--merge` (agreement.json: their
                   agreement on the fields two of them rated)

`python -m eval.ad_copy.blind` scores the labels: per path and channel, the share of shipped fields rated
sensible (each shipped field counts, so a text shipped twice counts twice), the share written by the model, and
the sensible share of the model's fields and of the templates'. It writes eval/reports/ad-copy-sense.{md,json}.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from eval.report import SuiteReport, Table, machine_info, print_report, write_report

RATINGS = Path(__file__).resolve().parent / "ratings"
REPORTS = Path(__file__).resolve().parents[1] / "reports"
FIELDS, KEY, LABELS = "fields.jsonl", "key.jsonl", "labels.jsonl"
AGREEMENT = "agreement.json"  # two raters on the fields both labelled (merge_parts)
NOT_RATED = frozenset({"fixed", "catalogue"})  # footers and catalogue names: nothing for a rater to judge
CRITERIA = ("ad", "product", "language", "facts", "quotes")
SEED = 21


def write_blind_set(outcomes: Iterable[Any], folder: Path = RATINGS, seed: int = SEED) -> Path:
    """Write fields.jsonl and key.jsonl for the outcomes of one ad-copy run (eval.suites.ad_copy.Outcome);
    any labels.jsonl from an earlier run is moved aside, since its ids no longer mean the same fields."""
    fields: dict[tuple[str, ...], dict[str, Any]] = {}
    shipped: dict[tuple[str, ...], list[dict[str, str]]] = defaultdict(list)
    for outcome in outcomes:
        result = outcome.result
        if result is None:
            continue
        grounding = _grounding(outcome)
        for variant in result.variants:
            for name, text in variant.fields.items():
                source = variant.sources.get(name, "")
                if source in NOT_RATED or not text.strip():
                    continue
                key = (outcome.case.source, result.product_id, outcome.case.channel, name, text)
                fields.setdefault(
                    key,
                    {
                        "channel": outcome.case.channel,
                        "field": name,
                        "limit": result.limits.get(name),
                        "text": text,
                        "grounding": grounding,
                    },
                )
                shipped[key].append(
                    {"path": outcome.path, "source": source, "data": outcome.case.source, "product": result.product_id}
                )
    order = sorted(fields)
    random.Random(seed).shuffle(order)
    folder.mkdir(parents=True, exist_ok=True)
    blind, key_rows = [], []
    for number, entry in enumerate(order, start=1):
        field_id = f"f-{number:04d}"
        blind.append({"field_id": field_id, **fields[entry]})
        key_rows.append({"field_id": field_id, "shipped": shipped[entry]})
    labels = folder / LABELS
    if labels.exists():
        labels.rename(folder / f"{LABELS}.old")
    _write_jsonl(folder / FIELDS, blind)
    _write_jsonl(folder / KEY, key_rows)
    return folder / FIELDS


def _grounding(outcome: Any) -> dict[str, Any]:
    """What the rubric says the rater sees beside a field (built once per case, whatever the path)."""
    return _case_grounding(Path(outcome.case.workspace), str(outcome.case.product))


@functools.cache
def _case_grounding(workspace: Path, product: str) -> dict[str, Any]:
    from core.workspace import Workspace
    from tools.ad_copy import build_grounding
    from tools.brand import load_brand

    ws = Workspace.open(workspace)
    grounding, summary = build_grounding(ws, product, "")
    brand = load_brand(workspace=ws)
    return {
        "product": grounding.product_name,
        "category": grounding.category,
        "facts": [f.text for f in grounding.facts],
        "praised": [{"aspect": p.label, "quote": p.quote} for p in summary.praised],
        "complaints": list(grounding.complaints),
        "brand": brand.name,
        "voice": brand.voice,
        "key_message": "",
        "audience": "",
    }


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def check_labels(fields: Sequence[dict[str, Any]], labels: Sequence[dict[str, Any]]) -> list[str]:
    """Problems that make the labels unusable: unknown or missing ids, a verdict that disagrees with its
    criteria, an unknown criterion, a failing label without a note."""
    problems: list[str] = []
    ids = {f["field_id"] for f in fields}
    seen: set[str] = set()
    for label in labels:
        field_id = str(label.get("field_id", ""))
        failed = label.get("failed", [])
        if field_id not in ids:
            problems.append(f"{field_id or '?'}: not a field of this set")
        elif field_id in seen:
            problems.append(f"{field_id}: labelled twice")
        seen.add(field_id)
        if not isinstance(failed, list) or any(c not in CRITERIA for c in failed):
            problems.append(f"{field_id}: failed must list criteria from {', '.join(CRITERIA)}")
        elif bool(label.get("sensible")) == bool(failed):
            problems.append(f"{field_id}: sensible must be true exactly when nothing failed")
        elif failed and not str(label.get("note", "")).strip():
            problems.append(f"{field_id}: a failing label needs a note")
    problems += [f"{i}: not labelled" for i in sorted(ids - seen)]
    return problems


def merge_parts(folder: Path = RATINGS) -> dict[str, Any]:
    """Merge the raters' parts (labels-*.jsonl, each a range of ids, ranges may overlap) into labels.jsonl.

    Each part must pass `check_labels` on its own ids. A field two raters labelled is sensible only if both said so
    (failed criteria and notes are joined); their agreement on those fields is written to agreement.json and the
    report quotes it: the share of fields they agree on and Cohen's kappa on `sensible`."""
    parts = sorted(folder.glob("labels-*.jsonl"))
    if not parts:
        raise ValueError(f"no labels-*.jsonl parts in {folder}")
    fields = read_jsonl(folder / FIELDS)
    merged: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for part in parts:
        labels = read_jsonl(part)
        mine = {str(label.get("field_id", "")) for label in labels}
        problems = check_labels([f for f in fields if f["field_id"] in mine], labels)
        if problems or not mine <= {f["field_id"] for f in fields}:
            raise ValueError(f"{part.name}: " + "; ".join((problems or ["ids not in fields.jsonl"])[:10]))
        for label in labels:
            merged[str(label["field_id"])].append(label)
    out = []
    for field in fields:
        labels = merged.get(field["field_id"], [])
        if not labels:
            raise ValueError(f"{field['field_id']}: no part labels it")
        failed = [c for c in CRITERIA if any(c in label["failed"] for label in labels)]
        notes = " | ".join(str(label.get("note") or "") for label in labels if label.get("note"))
        out.append({"field_id": field["field_id"], "sensible": not failed, "failed": failed, "note": notes})
    _write_jsonl(folder / LABELS, out)
    pairs = [(bool(ls[0]["sensible"]), bool(ls[1]["sensible"])) for ls in merged.values() if len(ls) >= 2]
    agreement = {"parts": [p.name for p in parts], "fields_rated_twice": len(pairs), **_agreement(pairs)}
    (folder / AGREEMENT).write_text(json.dumps(agreement, indent=1) + "\n", "utf-8")
    return agreement


def _agreement(pairs: Sequence[tuple[bool, bool]]) -> dict[str, float | None]:
    """Observed agreement and Cohen's kappa between two raters' `sensible` verdicts."""
    if not pairs:
        return {"agreement": None, "kappa": None}
    observed = sum(a == b for a, b in pairs) / len(pairs)
    first, second = (sum(p[i] for p in pairs) / len(pairs) for i in (0, 1))
    chance = first * second + (1 - first) * (1 - second)
    kappa = (observed - chance) / (1 - chance) if chance < 1 else None
    return {"agreement": observed, "kappa": kappa}


def _shown(folder: Path) -> str:
    """A folder as a command line names it: relative to the repository where it lies inside."""
    try:
        return str(folder.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(folder)


def score(folder: Path = RATINGS) -> SuiteReport:
    """The sense tables from the labels in `folder` (ValueError listing the problems when they are unusable)."""
    fields, key, labels = (read_jsonl(folder / name) for name in (FIELDS, KEY, LABELS))
    problems = check_labels(fields, labels)
    if problems:
        raise ValueError(f"{len(problems)} problems with {folder / LABELS}: " + "; ".join(problems[:10]))
    verdict = {str(label["field_id"]): label for label in labels}
    channel = {str(f["field_id"]): str(f["channel"]) for f in fields}
    rows = [
        {**shipped, "channel": channel[k["field_id"]], "label": verdict[k["field_id"]]}
        for k in key
        for shipped in k["shipped"]
    ]
    command = "python -m eval.ad_copy.blind" + ("" if folder == RATINGS else f" --folder {_shown(folder)}")
    report = SuiteReport(suite="ad-copy-sense", mode="full", command=command)
    report.machine = machine_info()
    digest = hashlib.sha256((folder / FIELDS).read_bytes()).hexdigest()[:12]
    report.notes.append(
        f"{len(fields)} distinct fields rated blind ({len(rows)} shipped), fields.jsonl sha256 {digest}. Rubric: "
        "eval/ad_copy/sense_rubric.md. The rater saw each field with its grounding, shuffled, without its path or "
        "source."
    )
    if (folder / AGREEMENT).exists():
        agreed = json.loads((folder / AGREEMENT).read_text("utf-8"))
        report.notes.append(
            f"Labels merged from {len(agreed['parts'])} raters' parts; {agreed['fields_rated_twice']} fields were "
            f"rated by two raters, who agreed on `sensible` for {_fmt(agreed['agreement'])} of them (Cohen's kappa "
            f"{_fmt(agreed['kappa'])}); such a field counts as sensible only if both said so."
        )
    paths = list(dict.fromkeys(r["path"] for r in rows))
    report.tables.append(_table("Sensible shipped fields, by path", rows, ["path"]))
    report.tables.append(_table("By path and channel", rows, ["path", "channel"]))
    report.tables.append(_failures(rows, paths))
    for path in paths:
        mine = [r for r in rows if r["path"] == path]
        if path in ("local, tuned", "local, untuned"):  # the two local copywriters (eval.suites.ad_copy)
            report.target(f"{path}: shipped fields rated sensible", _share(mine), at_least=0.95)
            report.target(f"{path}: shipped fields written by the model", _model(mine), at_least=0.6)
    return report


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _share(rows: Sequence[dict[str, Any]]) -> float | None:
    return sum(bool(r["label"]["sensible"]) for r in rows) / len(rows) if rows else None


def _model(rows: Sequence[dict[str, Any]]) -> float | None:
    return sum(r["source"] == "model" for r in rows) / len(rows) if rows else None


def _table(title: str, rows: Sequence[dict[str, Any]], by: list[str]) -> Table:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[tuple(str(row[k]) for k in by)].append(row)
    out: list[list[Any]] = []
    for group, mine in groups.items():
        model = [r for r in mine if r["source"] == "model"]
        template = [r for r in mine if r["source"] != "model"]
        out.append([*group, len(mine), _share(mine), _model(mine), _share(model), _share(template)])
    return Table(
        title=title,
        columns=[*by, "shipped fields", "sensible", "written by the model", "sensible (model)", "sensible (template)"],
        rows=out,
    )


def _failures(rows: Sequence[dict[str, Any]], paths: Sequence[str]) -> Table:
    out: list[list[Any]] = []
    for path in paths:
        mine = [r for r in rows if r["path"] == path]
        out.append([path, *(sum(c in r["label"]["failed"] for r in mine) / len(mine) for c in CRITERIA)])
    return Table(title="Share of shipped fields failing each criterion", columns=["path", *CRITERIA], rows=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", type=Path, default=RATINGS)
    parser.add_argument("--reports", type=Path, default=REPORTS)
    parser.add_argument("--merge", action="store_true", help="first merge the raters' labels-*.jsonl parts")
    args = parser.parse_args(argv)
    console = Console()
    try:
        if args.merge:
            agreed = merge_parts(args.folder)
            console.print(f"Merged {', '.join(agreed['parts'])}: {agreed['fields_rated_twice']} fields rated twice")
        report = score(args.folder)
    except (OSError, ValueError) as exc:
        console.print(f"[red]Cannot score the ratings:[/red] {exc}")
        return 1
    print_report(report, console)
    json_path, md_path = write_report(report, args.reports)
    console.print(f"Wrote {md_path} and {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
