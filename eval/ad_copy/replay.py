"""Replay today's sense check over rated fields: what would it reject, and what would users get? (issue 21)

A blind rating (eval/ad_copy/blind.py) labels the fields one ad-copy run shipped. Every model-written field in it
passed the sense check of its day. This tool runs the current check (`tools.ad_copy.sense.check_sense`, strict for
the local paths, as the tool applies it) on those fields again and counts, per path, how many fields rated sensible
and rated nonsense each rule would now reject. It also estimates the shares users would get: a rejected model
field counts as a template field, rated sensible at that path's rated template share. That is an estimate: in a
real run another model sample may pass instead. Rate a fresh run to measure.

A rating used here to choose a rule is development data for that rule: say so, and judge the rule on a new rating.

    python -m eval.ad_copy.replay --folder eval/ad_copy/ratings/round1
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from eval.ad_copy.blind import FIELDS, KEY, LABELS, RATINGS, read_jsonl
from tools.ad_copy.sense import SenseGrounding, check_sense
from tools.ad_copy.text import CHANNEL_FIELDS

STRICT_PATHS = ("local",)  # paths whose names start so ran the local model in-process (the tool is strict there)


def sense_grounding(grounding: dict[str, Any]) -> SenseGrounding:
    """The sense check's grounding from the one a rater saw (fields.jsonl)."""
    praised = grounding.get("praised") or []
    return SenseGrounding(
        product_name=str(grounding.get("product", "")),
        category=str(grounding.get("category", "")),
        facts=[str(f) for f in grounding.get("facts") or []],
        praised=[str(p["aspect"]) for p in praised],
        quotes=[str(p["quote"]) for p in praised if p.get("quote")],
        brief=[str(grounding.get("key_message") or ""), str(grounding.get("audience") or "")],
        complaints=[str(c) for c in grounding.get("complaints") or []],
        brand=str(grounding.get("brand") or ""),
    )


def replay(folder: Path) -> list[dict[str, Any]]:
    """Per path: shipped fields, rated shares as shipped, what today's check rejects and the estimated shares."""
    fields = {f["field_id"]: f for f in read_jsonl(folder / FIELDS)}
    labels = {label["field_id"]: label for label in read_jsonl(folder / LABELS)}
    out: dict[str, dict[str, Any]] = {}
    for row in read_jsonl(folder / KEY):
        field, label = fields[row["field_id"]], labels[row["field_id"]]
        for shipped in row["shipped"]:
            path = out.setdefault(shipped["path"], {"path": shipped["path"], "rows": []})
            verdict = None
            if shipped["source"] == "model":
                kind = CHANNEL_FIELDS[field["channel"]][field["field"]][1]
                text = _without_footer(str(field["text"]), str(field["grounding"].get("brand") or ""))
                strict = shipped["path"].startswith(STRICT_PATHS)
                verdict = check_sense(
                    text, kind, sense_grounding(field["grounding"]), model_written=True, strict=strict
                )
            path["rows"].append((shipped["source"], bool(label["sensible"]), verdict))
    return [_summary(p) for p in out.values()]


def _without_footer(text: str, brand: str) -> str:
    """An SMS as the check saw it: without the opt-out footer the tool adds after checking."""
    for footer in (" Reply STOP to opt out.", " Text STOP to opt out."):
        text = text.removesuffix(footer)
    return text


def _summary(path: dict[str, Any]) -> dict[str, Any]:
    rows = path["rows"]
    templates = [sensible for source, sensible, _ in rows if source != "model"]
    template_rate = sum(templates) / len(templates) if templates else 1.0
    model = [(sensible, verdict) for source, sensible, verdict in rows if source == "model"]
    kept = [sensible for sensible, verdict in model if verdict.passed]
    rejected: Counter[tuple[str, bool]] = Counter((v.rule, s) for s, v in model if not v.passed)
    n = len(rows)
    estimate = (sum(templates) + sum(kept) + template_rate * (len(model) - len(kept))) / n
    return {
        "path": path["path"],
        "shipped": n,
        "sensible": sum(s for _, s, _ in rows) / n,
        "model": len(model) / n,
        "model_after": len(kept) / n,
        "sensible_after": estimate,
        "rejected": rejected,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folder", type=Path, default=RATINGS, help="a rated set: fields, key and labels")
    args = parser.parse_args(argv)
    console = Console(width=180)
    try:
        summaries = replay(args.folder)
    except (OSError, KeyError, ValueError) as exc:
        console.print(f"[red]Cannot replay the ratings in {args.folder}:[/red] {exc!r}")
        return 1
    table = Table(title=f"Today's sense check on the rated fields of {args.folder}")
    for column in ("path", "shipped", "sensible", "by model", "by model, now", "sensible, now (est.)", "rejected"):
        table.add_column(column)
    for s in summaries:
        rejected = ", ".join(
            f"{rule}: {s['rejected'][(rule, False)]} nonsense / {s['rejected'][(rule, True)]} sensible"
            for rule in sorted({rule for rule, _ in s["rejected"]})
        )
        cells = [s["shipped"], s["sensible"], s["model"], s["model_after"], s["sensible_after"]]
        table.add_row(s["path"], *(f"{c:.3f}" if isinstance(c, float) else str(c) for c in cells), rejected or "-")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
