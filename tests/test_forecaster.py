"""The Transformer forecaster: shapes, scaling edge cases, save/load, covariates, a tiny deterministic
training run that must beat naive forecasts, and the forecast_sales tool with its errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from core.errors import DataError, ModelNotTrainedError
from local_models.forecaster.model import ForecasterConfig, ForecasterEnsemble, TransformerForecaster
from local_models.forecaster.train import (
    History,
    TrainConfig,
    WindowBank,
    fit,
    fit_ensemble,
    load_forecaster,
    make_batch,
    member_contexts,
    predict,
    save_forecaster,
)
from tools import forecast_sales, train_forecaster
from tools.forecast import resolve_product


def seasonal_histories(n: int = 24, length: int = 72, period: int = 12, seed: int = 0) -> list[History]:
    rng = np.random.default_rng(seed)
    t = np.arange(length + 12)
    histories = []
    for i in range(n):
        level = rng.uniform(50, 500)
        season = 1 + 0.4 * np.sin(2 * np.pi * (t + rng.integers(period)) / period)
        values = level * season * (1 + 0.003 * t) + rng.normal(0, 0.03 * level, len(t))
        histories.append(History(f"s{i}", np.maximum(values, 0)))
    return histories


@pytest.mark.parametrize(("horizon", "patch"), [(18, 6), (8, 3), (7, 4)])
def test_forward_shapes_and_padded_horizons(horizon: int, patch: int) -> None:
    config = ForecasterConfig(
        horizon=horizon, context=24, patch=patch, known_covariates=("promo",), past_covariates=("traffic",)
    )
    model = TransformerForecaster(config)
    features = torch.randn(5, config.steps, config.n_features)  # (B, L+H', F)
    padding = torch.zeros(5, config.steps, dtype=torch.bool)
    padding[:, :6] = True  # a short history
    out = model(features, padding, torch.zeros(5, horizon))
    assert out.shape == (5, horizon, len(config.quantiles))
    assert torch.isfinite(out).all()


def test_scaling_survives_flat_zero_and_short_series() -> None:
    config = ForecasterConfig(horizon=6, context=24, patch=3)
    histories = [
        History("zero", np.zeros(30)),
        History("flat", np.full(30, 7.0)),
        History("short", np.array([3.0, 4.0])),
    ]
    bank = WindowBank(histories, config)
    batch = make_batch(bank.gather(np.arange(3), bank.lengths_array), config)
    assert torch.isfinite(batch.features).all()
    assert (batch.scale > 0).all()
    forecasts = predict(TransformerForecaster(config), histories)
    assert forecasts.shape == (3, 6, 9)
    assert np.isfinite(forecasts).all()
    assert (np.diff(forecasts, axis=-1) >= 0).all()  # quantiles never cross


def test_tiny_training_run_beats_naive_forecasts_deterministically() -> None:
    histories = seasonal_histories()
    train_part = [History(h.series_id, h.values[:-12]) for h in histories]
    actual = np.stack([h.values[-12:] for h in histories])  # (S, 12)
    config = ForecasterConfig(horizon=12, context=36, period=12, patch=6, d_model=32, n_layers=2, d_ff=64)
    settings = TrainConfig(max_steps=300, max_seconds=1e9, eval_every=100, threads=1, seed=0, batch_size=64)
    first = predict(fit(train_part, config, settings).model, train_part)
    second = predict(fit(train_part, config, settings).model, train_part)
    assert np.allclose(first, second)  # same seed, same steps: same model
    median = first[:, :, config.median_index]
    model_mae = np.abs(median - actual).mean()
    naive_mae = np.abs(np.stack([h.values[-1:] for h in train_part]) - actual).mean()
    seasonal_mae = np.abs(np.stack([h.values[-12:] for h in train_part]) - actual).mean()
    assert model_mae < naive_mae * 0.2
    assert model_mae < seasonal_mae  # better than repeating last season: it learnt the trend too


def test_checkpoint_round_trip_gives_identical_forecasts(tmp_path: Path) -> None:
    histories = seasonal_histories(n=6)
    config = ForecasterConfig(horizon=6, context=24, patch=6, d_model=16, n_layers=1, d_ff=32, log_transform=True)
    model = fit_ensemble(
        histories, config, TrainConfig(max_steps=20, max_seconds=1e9, threads=1, eval_every=10), members=2
    ).model
    assert [m.config.context for m in model.member_list] == member_contexts(config, 2) == [24, 18]
    save_forecaster(tmp_path / "fc", model, metrics={"x": 1.0}, arrays={"extra": np.arange(3.0)})
    again, manifest, arrays = load_forecaster(tmp_path / "fc")
    assert isinstance(again, ForecasterEnsemble)
    assert manifest["format_version"] == 1
    assert [m["context"] for m in manifest["members"]] == [24, 18]
    assert manifest["members"][0]["log_transform"] is True
    assert np.array_equal(arrays["extra"], np.arange(3.0))
    assert np.allclose(predict(model, histories), predict(again, histories))


def test_known_covariates_move_the_forecast_where_they_are_planned() -> None:
    """Series whose sales double in promotion weeks: the model must learn the lift from the data."""
    rng = np.random.default_rng(1)
    histories = []
    for i in range(16):
        promo = (rng.random(90) < 0.25).astype(float)
        values = rng.uniform(80, 120) * (1 + promo) + rng.normal(0, 3, 90)
        histories.append(History(f"p{i}", values, known=promo[:, None]))
    config = ForecasterConfig(
        horizon=4,
        context=16,
        period=4,
        patch=4,
        d_model=32,
        n_layers=2,
        d_ff=64,
        known_covariates=("promo",),
        binary_covariates=("promo",),
    )
    model = fit(
        histories, config, TrainConfig(max_steps=400, max_seconds=1e9, threads=1, eval_every=100, batch_size=64)
    ).model
    on = predict(model, histories, [np.ones((4, 1))] * len(histories))[:, :, config.median_index]
    off = predict(model, histories, [np.zeros((4, 1))] * len(histories))[:, :, config.median_index]
    assert (on / off).mean() > 1.5


# -- the tool on the demo store ------------------------------------------------------------------------


def test_forecast_a_product_by_name_with_intervals(demo_store) -> None:
    result = forecast_sales(product="aurora dress", horizon=8, workspace=demo_store.workspace)
    series = result.series[0]
    assert (series.series_id, series.product_name) == ("1001", "Aurora Linen Midi Dress")
    assert len(series.points) == 8
    assert all(p.p10 <= p.p50 <= p.p90 for p in series.points)
    assert pd.Timestamp(series.points[0].date).day_of_week == 0  # weekly, Monday-based like the data
    assert series.total_p10 <= series.total_p50 <= series.total_p90
    assert series.last_period_total is not None and series.change_vs_last_period is not None
    assert any("promo" in d for d in series.drivers)
    assert "Aurora Linen Midi Dress (1001)" in result.summary


def test_what_if_and_errors(demo_store) -> None:
    ws = demo_store.workspace
    planned = forecast_sales(series_ids=["1017"], horizon=4, what_if={"promo": 1}, workspace=ws)
    assert "promo = 1 throughout (what-if)" in planned.series[0].assumptions
    with pytest.raises(DataError, match="trained for up to 13 periods"):
        forecast_sales(series_ids=["1017"], horizon=30, workspace=ws)
    with pytest.raises(DataError, match="unknown covariate"):
        forecast_sales(series_ids=["1017"], what_if={"weather": 1}, workspace=ws)
    with pytest.raises(DataError, match="no trained series nope"):
        forecast_sales(series_ids=["nope"], workspace=ws)
    with pytest.raises(DataError, match="no single product matches"):
        forecast_sales(product="zzzz qqqq", workspace=ws)


def test_no_model_says_how_to_train_one(tmp_path: Path) -> None:
    with pytest.raises(ModelNotTrainedError, match="marketing-agent train-forecaster"):
        forecast_sales(series_ids=["1"], workspace=tmp_path)


def test_product_resolution() -> None:
    names = {"1001": "Aurora Linen Midi Dress", "1002": "Aurora Wool Coat", "1017": "Nimbus Wireless Headphones"}
    known = dict.fromkeys(names, 0)
    assert resolve_product("1017", names, known) == "1017"
    assert resolve_product("nimbus headphones", names, known) == "1017"
    assert resolve_product("linen midi", names, known) == "1001"
    with pytest.raises(DataError, match="did you mean"):
        resolve_product("aurora", names, known)


def test_training_refuses_bad_files_with_series_named(tmp_path: Path) -> None:
    bad = tmp_path / "sales.csv"
    bad.write_text("date,series_id,quantity\n2024-01-01,A,5\n2024-01-08,A,-3\n2024-01-15,A,4\n2024-01-29,A,6\n")
    with pytest.raises(DataError) as error:
        train_forecaster(bad, horizon=2, workspace=tmp_path / "ws", progress=False)
    message = str(error.value)
    assert "series 'A'" in message or "series A" in message
    assert "negative" in message
    assert "--fill" in message  # the gap on 2024-01-22


def test_cli_train_then_forecast_csv_and_plot(tmp_path: Path) -> None:
    rows = []
    for h in seasonal_histories(n=4, length=48):
        dates = pd.date_range("2022-01-01", periods=len(h.values), freq="MS")
        rows += [
            {"date": d.date().isoformat(), "series_id": h.series_id, "quantity": round(v, 2)}
            for d, v in zip(dates, h.values, strict=True)
        ]
    data = tmp_path / "sales.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    ws = str(tmp_path / "ws")
    cli = [sys.executable, "-m", "agent.cli"]
    trained = subprocess.run(
        [*cli, "train-forecaster", str(data), "--horizon", "6", "--minutes", "0.2", "--json", "-w", ws],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert trained.returncode == 0, trained.stderr
    assert json.loads(trained.stdout)["freq"] == "MS"
    out = subprocess.run(
        [
            *cli,
            "forecast",
            "--series",
            "s1",
            "-H",
            "6",
            "--csv",
            str(tmp_path / "f.csv"),
            "--plot",
            str(tmp_path / "f.png"),
            "-w",
            ws,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    table = pd.read_csv(tmp_path / "f.csv")
    assert list(table.columns[:5]) == ["series_id", "date", "p10", "p50", "p90"]
    assert len(table) == 6
    assert (tmp_path / "f.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
