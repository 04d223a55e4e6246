"""The forecaster's combination with statistical members: weights chosen on validation data, the blend (missing
members, what-ifs kept whole), the statsforecast members on awkward series, and the tool forecasting with what
it stored at training time."""

from __future__ import annotations

import numpy as np
import pytest

from local_models.forecaster.combine import (
    STATISTICAL,
    TRANSFORMER,
    blend,
    blend_all,
    choose_weights,
    fit_combined,
    seasonal_scale,
    statistical_forecasts,
)
from local_models.forecaster.model import ForecasterConfig
from local_models.forecaster.train import History, TrainConfig, load_forecaster, planned_covariates, predict
from tools import forecast_sales

Q = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def _quantiles(median: np.ndarray, spread: float = 1.0) -> np.ndarray:
    """(S, H) medians -> (S, H, 9) quantiles spread evenly around them."""
    offsets = (np.asarray(Q) - 0.5) * 2 * spread
    return median[:, :, None] + offsets[None, None, :]


def test_weights_go_to_the_member_that_forecasts_the_validation_window() -> None:
    rng = np.random.default_rng(0)
    actual = rng.uniform(50, 150, (40, 6))
    good = _quantiles(actual + rng.normal(0, 1, actual.shape))
    poor = _quantiles(actual + rng.normal(0, 30, actual.shape))
    weights, scored = choose_weights({TRANSFORMER: poor, "AutoETS": good}, actual, np.ones(40), Q)
    assert weights == {TRANSFORMER: 0.0, "AutoETS": 1.0}
    assert scored["AutoETS"] < scored[TRANSFORMER]
    assert scored["combined"] == pytest.approx(scored["AutoETS"])


def test_members_biased_opposite_ways_are_averaged() -> None:
    actual = np.full((10, 4), 100.0)
    noise = np.where(np.arange(40).reshape(10, 4) % 2, 40.0, -40.0)  # unbiased but wrong every time
    weights, scored = choose_weights(
        {
            TRANSFORMER: _quantiles(actual + 10),
            "AutoETS": _quantiles(actual - 10),
            "AutoTheta": _quantiles(actual + noise),
        },
        actual,
        np.ones(10),
        Q,
    )
    assert weights == {TRANSFORMER: 0.5, "AutoETS": 0.5, "AutoTheta": 0.0}
    assert scored["combined"] == pytest.approx(0.0)


def test_blend_leaves_out_a_member_missing_for_one_series() -> None:
    transformer = _quantiles(np.full((2, 3), 10.0))
    ets = _quantiles(np.full((2, 3), 20.0))
    ets[1] = np.nan  # the member could not fit the second series
    out = blend(transformer, {"AutoETS": ets}, {TRANSFORMER: 0.5, "AutoETS": 0.5})
    assert out[0, :, 4] == pytest.approx([15.0] * 3)
    assert out[1, :, 4] == pytest.approx([10.0] * 3)  # the Transformer alone, not NaN
    assert (np.diff(out, axis=-1) >= 0).all()


def test_a_what_if_moves_the_blend_by_the_transformers_whole_effect() -> None:
    default = _quantiles(np.full((1, 4), 100.0))
    promoted = _quantiles(np.full((1, 4), 150.0))  # the Transformer's +50 for a promotion
    ets = _quantiles(np.full((1, 4), 80.0))
    weights = {TRANSFORMER: 0.5, "AutoETS": 0.5}
    base = blend(default, {"AutoETS": ets}, weights)
    planned = blend(promoted, {"AutoETS": ets}, weights, default=default)
    assert base[0, :, 4] == pytest.approx([90.0] * 4)
    assert planned[0, :, 4] - base[0, :, 4] == pytest.approx([50.0] * 4)  # not diluted to +25
    cut = blend(np.zeros((1, 4, 9)), {"AutoETS": ets}, weights, default=default)
    assert cut.min() >= 0.0  # a price what-if that kills sales never goes below zero


def test_statistical_members_on_clean_short_and_flat_series() -> None:
    t = np.arange(60)
    seasonal = 100 + 30 * np.sin(2 * np.pi * t / 12)
    histories = [
        History("seasonal", seasonal[:48]),
        History("short", np.array([5.0, 6.0, 4.0])),
        History("flat", np.zeros(30)),
        History("sparse", np.array([0.0, 0, 3, 0, 0, 1, 0, 0, 0, 2] * 4)),
    ]
    for name in STATISTICAL:
        out = statistical_forecasts(histories, name, 12, 12, Q, n_jobs=1)
        assert out.shape == (4, 12, 9)
        assert (np.diff(out, axis=-1) >= 0).all()
        assert np.nanmin(out) >= 0.0  # sales never forecast below zero
        error = np.abs(out[0, :, 4] - seasonal[48:]).mean() / seasonal_scale(seasonal[:48], 12)
        assert error < 0.5, name  # a clean season is forecast well (seasonal naive would be exact: 0)
        assert np.isfinite(out[1:]).all()  # short, flat and sparse series still get a forecast
    with pytest.raises(ValueError, match="unknown statistical member"):
        statistical_forecasts(histories, "Prophet", 12, 12, Q)


def test_fit_combined_chooses_weights_on_the_held_out_window() -> None:
    rng = np.random.default_rng(3)
    t = np.arange(60)
    histories = [
        History(f"s{i}", np.maximum(200 + 60 * np.sin(2 * np.pi * (t + i) / 12) + rng.normal(0, 5, 60), 0))
        for i in range(12)
    ]
    config = ForecasterConfig(horizon=6, context=24, patch=6, d_model=16, n_layers=1, d_ff=32, log_transform=True)
    fitted = fit_combined(histories, config, TrainConfig(max_seconds=60, max_steps=40, eval_every=20), members=1)
    assert set(fitted.weights) == {TRANSFORMER, *STATISTICAL}
    assert sum(fitted.weights.values()) == pytest.approx(1.0)
    # 40 steps teach the Transformer little; AutoETS and AutoTheta read this clean season well, so they get weight
    assert fitted.weights[TRANSFORMER] < 1.0
    scored = {k: v for k, v in fitted.metrics.items() if k.startswith("validation_mase_")}
    assert scored["validation_mase_combined"] <= min(scored.values()) + 1e-9
    assert fitted.statistical["AutoETS"].shape == (12, 6, 9)


def test_the_tool_forecasts_with_the_combination_it_stored(demo_store) -> None:
    folder = demo_store.workspace / "models" / "forecaster"
    model, manifest, arrays = load_forecaster(folder)
    weights = manifest["combination"]
    assert sum(weights.values()) == pytest.approx(1.0)
    series_ids = manifest["series_ids"]
    row = series_ids.index("1017")
    result = forecast_sales(series_ids=["1017"], horizon=model.config.horizon, workspace=demo_store.workspace)
    values = arrays["history_values"][row]
    known = arrays["history_known"][row][~np.isnan(values)]
    history = History("1017", values[~np.isnan(values)], known=known)
    future = planned_covariates(model.config, known, {})[0]
    transformer = predict(model, [history], [future])
    statistical = {k.removeprefix("statistical_"): v[[row]] for k, v in arrays.items() if k.startswith("statistical_")}
    assert set(statistical) == set(STATISTICAL)
    expected = blend(transformer, statistical, weights)[0, :, model.config.median_index]
    assert result.series[0].total_p50 == pytest.approx(expected.sum(), abs=0.051)  # the tool rounds to 0.1
    if weights[TRANSFORMER] < 1.0:  # the statistical members changed the answer
        assert result.series[0].total_p50 != pytest.approx(transformer[0, :, model.config.median_index].sum(), abs=0.5)


def test_blend_all_weights_sum_per_series() -> None:
    a = _quantiles(np.full((3, 2), 1.0))
    b = _quantiles(np.full((3, 2), 3.0))
    out = blend_all({"a": a, "b": b}, {"a": 0.25, "b": 0.75})
    assert out[:, :, 4] == pytest.approx(np.full((3, 2), 2.5))


def test_statistical_members_that_would_eat_the_budget_are_left_out() -> None:
    t = np.arange(40)
    histories = [History(f"s{i}", 100 + 20 * np.sin(2 * np.pi * (t + i) / 12)) for i in range(6)]
    config = ForecasterConfig(horizon=6, context=24, patch=6, d_model=16, n_layers=1, d_ff=32, log_transform=True)
    # a budget far below what fitting the members takes: the Transformer keeps it, alone
    fitted = fit_combined(histories, config, TrainConfig(max_seconds=0.05, max_steps=5, eval_every=5), members=1)
    assert fitted.metrics["statistical_skipped"] == len(STATISTICAL)
    assert fitted.weights == {TRANSFORMER: 1.0, **dict.fromkeys(STATISTICAL, 0.0)}
    assert fitted.statistical == {}
    forecast = blend(predict(fitted.model, histories), fitted.statistical, fitted.weights)
    assert forecast.shape == (6, 6, 9) and np.isfinite(forecast).all()
