"""Checkpoints saved by an earlier version still load and predict the same (like neuralforecast's backward_comp).

tests/golden/<model>/ holds a tiny checkpoint of each local model as the code once saved it, the inputs it was
asked about and what it answered. Today's loaders must read it and give the same numbers: a change that breaks
the checkpoint format (a renamed weight, a new required manifest field, a bumped format version that can no longer
read the old one) or that moves the numbers (features, scaling, the forward pass) fails here. When such a change
is intended, regenerate the files with tests/golden/make_golden.py and say why in the commit (tests/golden/README.md).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from local_models.forecaster.train import History, load_forecaster, predict
from local_models.segmenter.train import daily_events, load_segmenter, make_examples, predict_customers
from local_models.sentiment import SentimentModel

GOLDEN = Path(__file__).parent / "golden"
# float32 kernels may differ in the last bits between CPUs and thread counts; 1e-5 is ~100 float32 ulps, while
# any real change moves predictions far more (test_the_comparison_sees_a_small_weight_change shows 1e-3 on one
# bias vector is caught).
RTOL, ATOL = 1e-5, 1e-6
FILES = ("checkpoint/manifest.json", "checkpoint/arrays.npz", "inputs.json", "expected.json")

Predictions = dict[str, Any]


def golden_case(name: str) -> tuple[Path, dict[str, Any], dict[str, Any]]:
    """The checkpoint folder, inputs and expected predictions of one golden model (never skipped when missing:
    a checkout without them, say because .gitignore caught them, must fail)."""
    folder = GOLDEN / name
    missing = [f for f in FILES if not (folder / f).is_file()]
    assert not missing, f"{folder} lacks {', '.join(missing)}: commit them (check .gitignore) or run make_golden.py"
    inputs = json.loads((folder / "inputs.json").read_text(encoding="utf-8"))
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return folder / "checkpoint", inputs, expected


def forecaster_predictions(checkpoint: Path, inputs: dict[str, Any]) -> Predictions:
    model, manifest, rest = load_forecaster(checkpoint)
    histories = [
        History(
            s["series_id"],
            np.asarray(s["values"], dtype=np.float64),
            known=np.asarray(s["known"], dtype=np.float64),
            past=np.asarray(s["past"], dtype=np.float64),
        )
        for s in inputs["series"]
    ]
    futures = [np.asarray(s["future_known"], dtype=np.float64) for s in inputs["series"]]
    assert len(manifest["series_ids"]) == 8  # a manifest's extra fields come back as saved
    return {"quantiles": predict(model, histories, futures), "history_values": rest["history_values"]}


def segmenter_predictions(checkpoint: Path, inputs: dict[str, Any]) -> Predictions:
    fitted, manifest, _ = load_segmenter(checkpoint)
    events = daily_events(pd.DataFrame(inputs["transactions"]))
    cutoff = pd.Timestamp(inputs["cutoff"])
    assert manifest["as_of"] == inputs["cutoff"]
    examples = make_examples(
        events, cutoff, inputs["window_days"], fitted.model.config, fitted.vocabulary, with_labels=False
    )
    forecast = predict_customers(fitted.model, examples)
    return {
        "customer_ids": forecast.customer_ids.tolist(),
        "embedding": forecast.embedding,
        "expected_purchases": forecast.expected_purchases,
        "expected_spend": forecast.expected_spend,
    }


def sentiment_predictions(checkpoint: Path, inputs: dict[str, Any]) -> Predictions:
    model = SentimentModel.load(checkpoint)
    return {
        "praise_probability": model.praise_probability(inputs["texts"]),
        "polarity": model.polarity(inputs["texts"]),
    }


PREDICTORS: dict[str, Callable[[Path, dict[str, Any]], Predictions]] = {
    "forecaster": forecaster_predictions,
    "segmenter": segmenter_predictions,
    "sentiment": sentiment_predictions,
}


def assert_same(actual: Predictions, expected: dict[str, Any], what: str) -> None:
    assert sorted(actual) == sorted(expected), f"{what}: predicts {sorted(actual)}, golden has {sorted(expected)}"
    for key, value in expected.items():
        if isinstance(value[0], str):  # ids and labels must match exactly
            assert actual[key] == value, f"{what}: {key} differs"
            continue
        want = np.asarray(value, dtype=np.float64)
        got = np.asarray(actual[key], dtype=np.float64)
        assert got.shape == want.shape, f"{what}: {key} has shape {got.shape}, golden {want.shape}"
        np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=f"{what}: {key} moved")


@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_golden_checkpoint_loads_and_predicts_the_same(name: str) -> None:
    checkpoint, inputs, expected = golden_case(name)
    assert_same(PREDICTORS[name](checkpoint, inputs), expected, name)


# One weight array per model that every prediction depends on, nudged by 1e-3.
NUDGED = {"forecaster": "member0.head.bias", "segmenter": "weights.purchases.bias", "sentiment": "intercept"}


@pytest.mark.parametrize("name", sorted(PREDICTORS))
def test_the_comparison_sees_a_small_weight_change(name: str, tmp_path: Path) -> None:
    """The golden check is not vacuous: the same checkpoint with one bias vector moved by 1e-3 fails it."""
    checkpoint, inputs, expected = golden_case(name)
    nudged = tmp_path / "checkpoint"
    shutil.copytree(checkpoint, nudged)
    with np.load(checkpoint / "arrays.npz", allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    arrays[NUDGED[name]] = arrays[NUDGED[name]] + np.asarray(1e-3, dtype=arrays[NUDGED[name]].dtype)
    np.savez(nudged / "arrays.npz", **arrays)
    with pytest.raises(AssertionError, match="moved"):
        assert_same(PREDICTORS[name](nudged, inputs), expected, name)
