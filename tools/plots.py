"""Forecast charts as PNG files (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def plot_forecast(
    history_dates: Sequence[Any] | pd.DatetimeIndex,
    history: Sequence[float] | np.ndarray[Any, Any],
    forecast_dates: Sequence[Any] | pd.DatetimeIndex,
    p10: Sequence[float] | np.ndarray[Any, Any],
    p50: Sequence[float] | np.ndarray[Any, Any],
    p90: Sequence[float] | np.ndarray[Any, Any],
    *,
    title: str,
    path: Path,
) -> Path:
    """Draw history, the median forecast and its p10-p90 band into a PNG at `path`; returns `path`."""
    # A bare Figure renders with Agg and touches no pyplot state: safe in a server thread, no display needed.
    import matplotlib.dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    past = pd.DatetimeIndex(pd.to_datetime(list(history_dates)))
    future = pd.DatetimeIndex(pd.to_datetime(list(forecast_dates)))
    values = np.asarray(history, dtype=float)
    low, mid, high = (np.asarray(v, dtype=float) for v in (p10, p50, p90))
    if len(past) != len(values):
        raise ValueError(f"history has {len(values)} values for {len(past)} dates")
    if not len(future) == len(low) == len(mid) == len(high):
        raise ValueError(f"forecast has {len(future)} dates but p10/p50/p90 have {len(low)}/{len(mid)}/{len(high)}")

    fig = Figure(figsize=(10, 4.5), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    ax.plot(past, values, color="#1f4e79", linewidth=1.6, label="history")
    if len(future):
        ax.fill_between(future, low, high, color="#f28e2b", alpha=0.25, linewidth=0, label="p10-p90")
        # Join the median to the last observed point so the two lines read as one story.
        joined_x = future if not len(past) else past[-1:].append(future)
        joined_y = mid if not len(values) else np.concatenate([values[-1:], mid])
        ax.plot(joined_x, joined_y, color="#e15759", linewidth=1.8, linestyle="--", label="forecast (p50)")
        start = float(mdates.date2num(future[0]))  # type: ignore[no-untyped-call]
        ax.axvline(start, color="grey", linewidth=1, linestyle=":", label="forecast start")
    ax.set_title(title)
    ax.set_ylabel("quantity")
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    ax.grid(visible=True, alpha=0.3)
    ax.legend(loc="best", framealpha=0.9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    return path


def plot_segments(names: Sequence[str], sizes: Sequence[int], values: Sequence[float], *, path: Path) -> Path:
    """Two bars per segment: how many customers, and what they are expected to spend next period."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 0.6 * len(names) + 1.8), dpi=100)
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2, sharey=True)
    positions = range(len(names))
    left.barh(positions, sizes, color="#1f4e79")
    left.set_yticks(list(positions), labels=list(names))
    left.set_xlabel("customers")
    left.invert_yaxis()
    right.barh(positions, values, color="#e4572e")
    right.set_xlabel("expected spend next period ($)")
    for axis in (left, right):
        axis.grid(axis="x", alpha=0.3)
    figure.suptitle("Customer segments")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
