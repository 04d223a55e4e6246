"""The design study behind the forecaster's combination (issue 20), on validation data only.

M3 monthly's training parts with their last 18 points held out as a validation window (the test window, the
series' own last 18 points, is never read). The Transformer ensemble (the eval's settings, one seed, 480 s) and
statsforecast's AutoETS and AutoTheta are fitted on the cut; the table gives each alone, a few fixed blends and
the best blends on the 0.1 grid by the validation MASE of the median and by the mean scaled quantile loss.

    python -m eval.forecast_combination_study [--seconds 480] [--seed 0]

About 10 minutes on 2 cores. Training is budgeted in seconds, so a busy machine trains less and figures move.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np

from eval.suites.forecast import Task, _statsforecast, m3_config, m3_monthly
from local_models.forecaster.combine import TRANSFORMER, blend_all, seasonal_scale
from local_models.forecaster.train import History, TrainConfig, fit_ensemble, predict

H = 18
QUANTILES = np.asarray((0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9))


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=480.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", help="also write every candidate's validation forecast to this .npz")
    parser.add_argument("--forecasts", help="read the candidates from a saved .npz instead of fitting them")
    args = parser.parse_args()
    task = m3_monthly()
    cut = [History(h.series_id, h.values[:-H]) for h in task.train]
    actual = np.stack([h.values[-H:] for h in task.train])
    scales = np.asarray([seasonal_scale(h.values, task.period) for h in cut])
    if args.forecasts:
        saved = np.load(args.forecasts)
        candidates = {name: saved[name] for name in (TRANSFORMER, "AutoETS", "AutoTheta")}
    else:
        validation = Task("M3 monthly, validation cut", cut, actual, task.period)
        statistical = {name: _statsforecast(validation, name) for name in ("AutoETS", "AutoTheta")}
        fitted = fit_ensemble(cut, m3_config(), TrainConfig(max_seconds=args.seconds, seed=args.seed), members=3)
        candidates = {TRANSFORMER: predict(fitted.model, cut), **statistical}
    if args.save:
        np.savez(args.save, **candidates)
    print(table(candidates, actual, scales))


def table(candidates: dict[str, np.ndarray], actual: np.ndarray, scales: np.ndarray) -> str:
    """Markdown: each candidate alone, equal thirds, and the best grid blends by MASE and by quantile loss."""
    lines = [
        "| forecast | MASE | scaled quantile loss (mean) | (median) | 80% coverage |",
        "|---|---|---|---|---|",
    ]

    def line(label: str, forecast: np.ndarray) -> None:
        losses = _losses(forecast, actual, scales)
        inside = ((actual >= forecast[:, :, 0]) & (actual <= forecast[:, :, -1])).mean()
        mase = _mase(forecast, actual, scales)
        lines.append(f"| {label} | {mase:.4f} | {losses.mean():.4f} | {np.median(losses):.4f} | {inside:.3f} |")

    for name, forecast in candidates.items():
        line(f"{name} alone", forecast)
    grid = [
        dict(zip(candidates, (a / 10, b / 10, (10 - a - b) / 10), strict=True))
        for a, b in itertools.product(range(11), repeat=2)
        if a + b <= 10
    ]
    by_mase = min(grid, key=lambda w: _mase(blend_all(candidates, w), actual, scales))
    by_loss = min(grid, key=lambda w: float(_losses(blend_all(candidates, w), actual, scales).mean()))
    for label, weights in (("equal thirds", dict.fromkeys(candidates, 1 / 3)), ("best by MASE", by_mase),
                           ("best by quantile loss", by_loss)):  # fmt: skip
        shown = ", ".join(f"{k} {v:.1f}" for k, v in weights.items())
        line(f"{label} ({shown})", blend_all(candidates, weights))
    return "\n".join(lines)


def _mase(forecast: np.ndarray, actual: np.ndarray, scales: np.ndarray) -> float:
    return float(np.mean(np.abs(actual - forecast[:, :, 4]).mean(axis=1) / scales))


def _losses(forecast: np.ndarray, actual: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """Each series' mean pinball loss over quantiles and steps, over its scale: (S,)."""
    error = actual[:, :, None] - forecast
    pinball: np.ndarray = np.maximum(QUANTILES * error, (QUANTILES - 1.0) * error).mean(axis=(1, 2)) / scales
    return pinball


if __name__ == "__main__":
    main()
