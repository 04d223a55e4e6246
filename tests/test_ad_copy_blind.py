"""Blind rating of shipped ad-copy fields (eval/ad_copy/blind.py): the set hides path and source, duplicates are
rated once but counted per shipment, and unusable labels are refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.ad_copy.blind import FIELDS, KEY, LABELS, check_labels, read_jsonl, score, write_blind_set
from local_models.textgen.base import Generation, GenerationOptions


class _Silent:
    """Writes nothing usable, so every field is a template (real grounding, real rules)."""

    name = "silent"
    model = "silent"
    tuned_for = None

    def generate(self, messages: Any, options: GenerationOptions | None = None) -> Generation:
        return Generation(texts=[""], backend=self.name, model=self.model)


def test_the_blind_set_hides_path_and_source_and_rates_a_repeat_once(demo_copy: Path, tmp_path: Path) -> None:
    from eval.suites.ad_copy import Case, Outcome
    from tools.ad_copy.tool import generate_ad_copy

    case = Case("demo", demo_copy, "Aurora", "sms")
    result = generate_ad_copy(product="Aurora", channel="sms", workspace=demo_copy, generator=_Silent(), seed=3)
    (tmp_path / LABELS).write_text("{}\n")  # an earlier run's labels: their ids would now point at other fields
    write_blind_set([Outcome(case, "before", 1.0, result), Outcome(case, "after", 1.0, result)], tmp_path)
    fields, key = read_jsonl(tmp_path / FIELDS), read_jsonl(tmp_path / KEY)
    texts = {v.fields["text"] for v in result.variants}
    assert len(fields) == len(texts) and {f["text"] for f in fields} == texts
    assert not any({"path", "source", "shipped"} & set(f) for f in fields)
    assert fields[0]["grounding"]["product"] == result.product_name and fields[0]["limit"] == 160
    assert all({s["path"] for s in k["shipped"]} == {"before", "after"} for k in key)
    assert not (tmp_path / LABELS).exists() and (tmp_path / f"{LABELS}.old").exists()


def _write(folder: Path, name: str, rows: list[dict[str, Any]]) -> None:
    (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_scores_count_each_shipment_and_split_model_from_template(tmp_path: Path) -> None:
    fields = [{"field_id": f"f-{i}", "channel": "sms", "text": f"t{i}"} for i in range(3)]
    key = [
        {"field_id": "f-0", "shipped": [{"path": "local, tuned", "source": "model"}] * 2},
        {"field_id": "f-1", "shipped": [{"path": "local, tuned", "source": "template"}]},
        {"field_id": "f-2", "shipped": [{"path": "local, untuned", "source": "model"}]},
    ]
    labels = [
        {"field_id": "f-0", "sensible": True, "failed": []},
        {"field_id": "f-1", "sensible": False, "failed": ["facts"], "note": "'warm' is not in the grounding"},
        {"field_id": "f-2", "sensible": False, "failed": ["language"], "note": "garbled"},
    ]
    for name, rows in ((FIELDS, fields), (KEY, key), (LABELS, labels)):
        _write(tmp_path, name, rows)
    report = score(tmp_path)
    by_path = {row[0]: row for row in report.tables[0].rows}
    assert by_path["local, tuned"][1:] == [3, 2 / 3, 2 / 3, 1.0, 0.0]
    assert by_path["local, untuned"][1:] == [1, 0.0, 1.0, 0.0, None]
    targets = {t.name: t.passed for t in report.targets}
    assert targets == {
        "local, tuned: shipped fields rated sensible": False,
        "local, tuned: shipped fields written by the model": True,
        "local, untuned: shipped fields rated sensible": False,
        "local, untuned: shipped fields written by the model": True,
    }


@pytest.mark.parametrize(
    ("label", "problem"),
    [
        ({"field_id": "f-9", "sensible": True, "failed": []}, "not a field of this set"),
        ({"field_id": "f-0", "sensible": True, "failed": ["facts"], "note": "x"}, "exactly when nothing failed"),
        ({"field_id": "f-0", "sensible": False, "failed": ["taste"], "note": "x"}, "must list criteria"),
        ({"field_id": "f-0", "sensible": False, "failed": ["facts"]}, "needs a note"),
    ],
)
def test_unusable_labels_are_refused(label: dict[str, Any], problem: str, tmp_path: Path) -> None:
    fields = [{"field_id": "f-0", "channel": "sms", "text": "t"}]
    problems = check_labels(fields, [label])
    assert any(problem in p for p in problems)
    _write(tmp_path, FIELDS, fields)
    _write(tmp_path, KEY, [{"field_id": "f-0", "shipped": [{"path": "a", "source": "model"}]}])
    _write(tmp_path, LABELS, [label])
    with pytest.raises(ValueError, match="problems with"):
        score(tmp_path)


def test_two_raters_parts_merge_with_their_agreement(tmp_path: Path) -> None:
    from eval.ad_copy.blind import AGREEMENT, merge_parts

    fields = [{"field_id": f"f-{i}", "channel": "sms", "text": f"t{i}"} for i in range(4)]
    good = {"sensible": True, "failed": [], "note": ""}
    bad = {"sensible": False, "failed": ["language"], "note": "garbled"}
    _write(tmp_path, FIELDS, fields)
    _write(tmp_path, KEY, [{"field_id": f["field_id"], "shipped": [{"path": "a", "source": "model"}]} for f in fields])
    # rater a: f-0..f-2, rater b: f-1..f-3; on the overlap they agree on f-1 and disagree on f-2
    _write(
        tmp_path,
        "labels-a.jsonl",
        [{"field_id": "f-0", **good}, {"field_id": "f-1", **good}, {"field_id": "f-2", **good}],
    )
    _write(
        tmp_path,
        "labels-b.jsonl",
        [{"field_id": "f-1", **good}, {"field_id": "f-2", **bad}, {"field_id": "f-3", **bad}],
    )
    agreed = merge_parts(tmp_path)
    assert agreed["fields_rated_twice"] == 2 and agreed["agreement"] == 0.5
    merged = {label["field_id"]: label for label in read_jsonl(tmp_path / LABELS)}
    assert [merged[f"f-{i}"]["sensible"] for i in range(4)] == [True, True, False, False]  # both must say sensible
    assert merged["f-2"]["failed"] == ["language"] and merged["f-2"]["note"] == "garbled"
    assert (tmp_path / AGREEMENT).exists()
    assert any("agreed on `sensible` for 0.500" in note for note in score(tmp_path).notes)


def test_a_part_with_an_unknown_id_or_a_gap_is_refused(tmp_path: Path) -> None:
    from eval.ad_copy.blind import merge_parts

    _write(tmp_path, FIELDS, [{"field_id": "f-0", "channel": "sms", "text": "t"}, {"field_id": "f-1", "text": "u"}])
    _write(tmp_path, "labels-a.jsonl", [{"field_id": "f-7", "sensible": True, "failed": []}])
    with pytest.raises(ValueError, match=r"labels-a\.jsonl"):
        merge_parts(tmp_path)
    _write(tmp_path, "labels-a.jsonl", [{"field_id": "f-0", "sensible": True, "failed": []}])
    with pytest.raises(ValueError, match="f-1: no part labels it"):
        merge_parts(tmp_path)
