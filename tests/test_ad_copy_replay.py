"""Replaying today's sense check over a rated set (eval/ad_copy/replay.py) counts what it would reject."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eval.ad_copy.blind import FIELDS, KEY, LABELS
from eval.ad_copy.replay import main, replay

GROUNDING = {
    "product": "Dewdrop Hydrating Face Cream",
    "category": "Beauty",
    "facts": ["50 ml face cream with hyaluronic acid and squalane."],
    "praised": [{"aspect": "scent", "quote": "smells fresh"}],
    "brand": "Northwind",
}


def _write(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")


def _field(field_id: str, text: str) -> dict[str, Any]:
    return {
        "field_id": field_id,
        "channel": "email",
        "field": "preview",
        "limit": 90,
        "text": text,
        "grounding": GROUNDING,
    }


def test_replay_counts_rejections_and_estimates_shares(tmp_path: Path) -> None:
    _write(
        tmp_path,
        FIELDS,
        [
            _field("f-1", "Dwallow, fragrance to your skin: nosebleeds and squalane."),  # nonsense, novel words
            _field("f-2", "A 50 ml face cream with hyaluronic acid and squalane."),  # sensible
            _field("f-3", "Customers love the scent of the Dewdrop Hydrating Face Cream."),  # a template
        ],
    )
    local = [{"path": "local, untuned", "source": "model"}]
    remote = [{"path": "openai-compatible", "source": "model"}]
    _write(
        tmp_path,
        KEY,
        [
            {"field_id": "f-1", "shipped": local + remote},
            {"field_id": "f-2", "shipped": local},
            {"field_id": "f-3", "shipped": [{"path": "local, untuned", "source": "template"}]},
        ],
    )
    _write(
        tmp_path,
        LABELS,
        [
            {"field_id": "f-1", "sensible": False, "failed": ["language"], "note": "garbled"},
            {"field_id": "f-2", "sensible": True, "failed": [], "note": ""},
            {"field_id": "f-3", "sensible": True, "failed": [], "note": ""},
        ],
    )
    by_path = {s["path"]: s for s in replay(tmp_path)}
    local_path = by_path["local, untuned"]
    assert local_path["shipped"] == 3 and local_path["sensible"] == 2 / 3 and local_path["model"] == 2 / 3
    assert local_path["rejected"] == {("novel_words", False): 1}  # the local path is strict
    assert local_path["model_after"] == 1 / 3
    assert local_path["sensible_after"] == 1.0  # the rejected field counts at the template share (1 of 1)
    assert by_path["openai-compatible"]["rejected"] == {}  # a remote model is not held to the strict rule


def test_a_missing_rated_set_is_one_clear_line(tmp_path: Path, capsys: Any) -> None:
    assert main(["--folder", str(tmp_path / "nowhere")]) == 1
    assert "Cannot replay the ratings" in capsys.readouterr().out
