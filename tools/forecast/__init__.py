"""forecast_sales, as one unit: the workspace's Transformer forecaster and its answers (`tool`), how results are
shown and charted (`present`), how the offline router fills its arguments (`plan`), the train-forecaster and
forecast commands (`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.catalogue import catalogue_names, resolve_product
    from tools.forecast.tool import (
        ForecastPoint,
        ForecastSalesInput,
        ForecastSalesResult,
        SeriesForecast,
        TrainingReport,
        forecast_history,
        forecast_sales,
        suggest_config,
        train_forecaster,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "forecast_sales",
    label="the forecast",
    title="Forecast sales",
    brief="sales forecasts for products over the next weeks",
)

# The tool's API, imported on first use (its models load torch, chromadb and pandas behind them).
__getattr__ = lazy_exports(
    __name__,
    {
        "ForecastPoint": "tools.forecast.tool",
        "ForecastSalesInput": "tools.forecast.tool",
        "ForecastSalesResult": "tools.forecast.tool",
        "SeriesForecast": "tools.forecast.tool",
        "TrainingReport": "tools.forecast.tool",
        "catalogue_names": "tools.catalogue",
        "forecast_history": "tools.forecast.tool",
        "forecast_sales": "tools.forecast.tool",
        "resolve_product": "tools.catalogue",
        "suggest_config": "tools.forecast.tool",
        "train_forecaster": "tools.forecast.tool",
    },
)

__all__ = [
    "UNIT",
    "ForecastPoint",
    "ForecastSalesInput",
    "ForecastSalesResult",
    "SeriesForecast",
    "TrainingReport",
    "catalogue_names",
    "forecast_history",
    "forecast_sales",
    "resolve_product",
    "suggest_config",
    "train_forecaster",
]
