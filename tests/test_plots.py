"""The forecast chart: a real PNG with history, median, band and forecast-start line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tools.plots import plot_forecast

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _inputs() -> dict[str, object]:
    history_dates = pd.date_range("2024-01-01", periods=52, freq="W-MON")
    history = 100 + 10 * np.sin(np.arange(52) / 52 * 2 * np.pi)
    forecast_dates = pd.date_range(history_dates[-1] + pd.Timedelta(weeks=1), periods=8, freq="W-MON")
    p50 = np.full(8, 100.0)
    return {
        "history_dates": history_dates,
        "history": history,
        "forecast_dates": forecast_dates,
        "p10": p50 - 15,
        "p50": p50,
        "p90": p50 + 15,
    }


def test_plot_forecast_writes_a_readable_png(tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    path = tmp_path / "charts" / "sku-12.png"  # the folder does not exist yet
    out = plot_forecast(**_inputs(), title="SKU 12: next 8 weeks", path=path)  # type: ignore[arg-type]
    assert out == path
    data = path.read_bytes()
    assert len(data) > 5_000
    assert data[:8] == PNG_MAGIC
    image = mpimg.imread(path)
    height, width = image.shape[:2]
    assert (width, height) == (1000, 450)  # 10 x 4.5 inches at 100 dpi
    # Not a blank canvas: the lines and band put many distinct colours on it.
    assert len(np.unique(image.reshape(-1, image.shape[2]), axis=0)) > 50


def test_plot_forecast_accepts_plain_lists_of_iso_dates(tmp_path: Path) -> None:
    path = plot_forecast(
        ["2024-01-01", "2024-02-01", "2024-03-01"],
        [1.0, 2.0, 3.0],
        ["2024-04-01", "2024-05-01"],
        [2.0, 2.5],
        [3.0, 3.5],
        [4.0, 4.5],
        title="monthly",
        path=tmp_path / "m.png",
    )
    assert path.read_bytes()[:8] == PNG_MAGIC


def test_plot_forecast_rejects_mismatched_lengths(tmp_path: Path) -> None:
    inputs = _inputs()
    inputs["p90"] = np.zeros(3)
    with pytest.raises(ValueError, match="p10/p50/p90"):
        plot_forecast(**inputs, title="bad", path=tmp_path / "bad.png")  # type: ignore[arg-type]
    assert not (tmp_path / "bad.png").exists()
