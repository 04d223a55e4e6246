"""The forecaster's combination with statistical members: weights chosen on validation data, the blend (missing
members, what-ifs kept whole), the statsforecast members on awkward series, and the tool forecasting with what
it stored at training time."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import torch

from local_models.forecaster.combine import (
    COVARIATE_USES,
    EFFECT,
    IGNORED,
    STATISTICAL,
    TRANSFORMER,
    USED,
    best_use,
    blend,
    blend_all,
    choose_weights,
    combined_forecast,
    covariate_options,
    fit_combined,
    plain_config,
    seasonal_scale,
    statistical_forecasts,
    without_covariates,
)
from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble, TransformerForecaster
from local_models.forecaster.train import (
    PLAIN_PREFIX,
    EnsembleFit,
    History,
    TrainConfig,
    load_forecaster,
    load_plain,
    planned_covariates,
    predict,
    save_forecaster,
)
from tools import forecast_sales
from tools.forecast.present import DRIVERS_ZH
from tools.warnings_zh import warning_zh

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
    # unplanned, the Transformer trained without the covariates gives the level wherever they are not used
    # throughout; a plan's change would come from the one with them
    use = manifest.get("covariates_use", USED)
    plain = load_plain(manifest, arrays)
    assert (plain is None) == (use == USED)
    transformer = (
        predict(model, [history], [future]) if plain is None else predict(plain, [History("1017", history.values)])
    )
    statistical = {k.removeprefix("statistical_"): v[[row]] for k, v in arrays.items() if k.startswith("statistical_")}
    # every member fitted is stored (one may be left out where fitting it would eat the budget: a cold numba cache)
    assert set(statistical) <= set(STATISTICAL)
    assert len(statistical) == len(STATISTICAL) - manifest["metrics"]["statistical_skipped"]
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


# -- known covariates: used, for their effect only, or ignored, as the validation window says -------------------


def _options(level_error: float, effect: float, plain_error: float) -> str:
    """The use chosen where the validation window has a promotion worth +40 in its second half: the Transformer
    with covariates is off by `level_error` everywhere and predicts the promotion as `effect`; the one without
    them is off by `plain_error` and knows nothing of the promotion."""
    actual = np.full((20, 6), 100.0)
    actual[:, 3:] += 40.0
    with_plan = np.full((20, 6), 100.0 + level_error)
    with_plan[:, 3:] += effect
    fitted = EnsembleFit(
        model=cast(Any, None),
        held_out=_quantiles(with_plan),
        held_out_default=_quantiles(np.full((20, 6), 100.0 + level_error)),
    )
    plain = EnsembleFit(model=cast(Any, None), held_out=_quantiles(np.full((20, 6), 100.0 + 20.0 + plain_error)))
    options = covariate_options(fitted, plain, {}, list(range(20)), actual, np.ones(20), Q)
    assert set(options) == set(COVARIATE_USES)
    return best_use(options)


def test_covariates_enter_as_the_validation_window_says() -> None:
    # the model with covariates knows the promotion and the level: it gives the forecast
    assert _options(level_error=0.0, effect=40.0, plain_error=15.0) == USED
    # it knows the promotion but misses the level, which the model without covariates gets: effect only
    assert _options(level_error=25.0, effect=40.0, plain_error=-20.0) == EFFECT
    # what it learnt of the promotion is wrong (a drop): the covariates are left out
    assert _options(level_error=25.0, effect=-30.0, plain_error=0.0) == IGNORED
    # nothing in the window tells "effect only" from "ignored" (no promotion effect either way): the effect is kept
    assert _options(level_error=25.0, effect=0.0, plain_error=0.0) == EFFECT


def _untrained(config: ForecasterConfig, seed: int) -> ForecasterEnsemble:
    torch.manual_seed(seed)
    return ForecasterEnsemble([TransformerForecaster(config)]).eval()


def _promo_histories(n: int = 4) -> tuple[ForecasterConfig, list[History]]:
    t = np.arange(48)
    config = ForecasterConfig(
        horizon=6, context=24, patch=6, d_model=16, n_layers=1, d_ff=32, log_transform=True,
        known_covariates=("promo",), binary_covariates=("promo",), covariate_defaults={"promo": "0 (none planned)"},
    )  # fmt: skip
    histories = [
        History(f"s{i}", 100 + 20 * np.sin(2 * np.pi * (t + i) / 12), known=(t % 7 == i).astype(float)[:, None])
        for i in range(n)
    ]
    return config, histories


def test_a_what_if_takes_its_effect_from_the_model_with_covariates_and_the_level_from_the_one_without() -> None:
    config, histories = _promo_histories()
    model, plain = _untrained(config, 0), _untrained(plain_config(config), 1)
    default = [np.zeros((6, 1))] * len(histories)
    promo = [np.ones((6, 1))] * len(histories)
    level = predict(plain, without_covariates(histories))
    kwargs: dict[str, Any] = {"plain": plain, "covariates": EFFECT}
    unplanned = combined_forecast(model, histories, {}, {TRANSFORMER: 1.0}, futures=default, **kwargs)
    assert unplanned == pytest.approx(level)  # no plan change: the level alone
    planned = combined_forecast(model, histories, {}, {TRANSFORMER: 1.0}, futures=promo, defaults=default, **kwargs)
    lift = predict(model, histories, promo) - predict(model, histories, default)
    assert planned == pytest.approx(np.sort(np.maximum(level + lift, 0.0), axis=-1))
    # ignored: a plan changes nothing; used: the model with covariates gives everything
    ignored = {"plain": plain, "covariates": IGNORED}
    same = combined_forecast(model, histories, {}, {TRANSFORMER: 1.0}, futures=promo, defaults=default, **ignored)
    assert same == pytest.approx(level)
    used = combined_forecast(model, histories, {}, {TRANSFORMER: 1.0}, futures=promo, defaults=default)
    assert used == pytest.approx(predict(model, histories, promo))


def test_the_model_without_covariates_is_saved_and_loaded_beside_the_main_one(tmp_path: Path) -> None:
    config, histories = _promo_histories()
    model, plain = _untrained(config, 0), _untrained(plain_config(config), 1)
    save_forecaster(tmp_path / "f", model, metrics={}, plain=plain, arrays={"history_values": np.zeros((1, 2))})
    loaded, manifest, arrays = load_forecaster(tmp_path / "f")
    again = load_plain(manifest, arrays)
    assert again is not None and again.config.known_covariates == ()
    plain_histories = without_covariates(histories)
    assert predict(again, plain_histories) == pytest.approx(predict(plain, plain_histories))
    assert predict(loaded, histories, [np.ones((6, 1))] * 4) == pytest.approx(
        predict(model, histories, [np.ones((6, 1))] * 4)
    )
    assert "history_values" in arrays
    save_forecaster(tmp_path / "g", model, metrics={})
    assert load_plain(*load_forecaster(tmp_path / "g")[1:]) is None  # older models: no second ensemble


def test_fit_combined_with_covariates_trains_both_and_records_the_choice() -> None:
    config, histories = _promo_histories(8)
    histories = [History(h.series_id, h.values * (1 + 0.5 * h.known[:, 0]), known=h.known) for h in histories]
    fitted = fit_combined(histories, config, TrainConfig(max_seconds=60, max_steps=40, eval_every=20), members=1)
    assert fitted.covariates in COVARIATE_USES
    uses = {u: fitted.metrics[f"validation_mase_covariates_{u.replace(' ', '_')}"] for u in COVARIATE_USES}
    assert uses[fitted.covariates] == pytest.approx(min(uses.values()))
    assert fitted.metrics["validation_mase_combined"] == pytest.approx(uses[fitted.covariates])
    assert (fitted.plain is None) == (fitted.covariates == USED)
    assert fitted.model.config.known_covariates == ("promo",)


def test_covariates_left_out_still_answer_a_what_if_with_a_warning(demo_store, tmp_path: Path) -> None:
    """A forecaster whose training left the covariates out: the forecast is the level of the Transformer trained
    without them, and a what-if still shows the effect the other one learnt, flagged as uncertain (in Chinese too)."""
    workspace = tmp_path / "ws"
    shutil.copytree(demo_store.workspace, workspace)
    folder = workspace / "models" / "forecaster"
    model, manifest, arrays = load_forecaster(folder)
    plain = _untrained(plain_config(model.config), 5)
    metrics = {
        **manifest["metrics"],
        "validation_mase_covariates_used": 0.91,
        "validation_mase_covariates_effect_only": 0.88,
        "validation_mase_covariates_ignored": 0.8,
    }
    extra = {k: v for k, v in manifest.items() if k not in {"members", "metrics", "plain_members"}}
    arrays = {k: v for k, v in arrays.items() if not k.startswith(PLAIN_PREFIX)}
    save_forecaster(
        folder, model, metrics=metrics, extra={**extra, "covariates_use": IGNORED}, arrays=arrays, plain=plain
    )

    result = forecast_sales(series_ids=["1017"], horizon=4, workspace=workspace)
    row = manifest["series_ids"].index("1017")
    values = arrays["history_values"][row]
    level = predict(plain, [History("1017", values[~np.isnan(values)])])
    statistical = {k.removeprefix("statistical_"): v[[row]] for k, v in arrays.items() if k.startswith("statistical_")}
    expected = blend(level, statistical, manifest["combination"])[0, :4, model.config.median_index].sum()
    assert result.series[0].total_p50 == pytest.approx(expected, abs=0.051)
    [warning] = result.warnings
    assert "leaves out price, promo, holiday" in warning and "MASE 0.910 with them, 0.800 without" in warning
    assert warning_zh(warning) != warning and "预测未使用" in warning_zh(warning)
    promo = forecast_sales(series_ids=["1017"], horizon=4, what_if={"promo": 1}, workspace=workspace)
    assert promo.series[0].total_p50 != pytest.approx(result.series[0].total_p50, abs=0.5)  # the learnt effect
    assert any("(uncertain: see the warning)" in d for d in promo.series[0].drivers)
    assert any("不确定" in DRIVERS_ZH(d) for d in promo.series[0].drivers)
