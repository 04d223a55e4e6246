"""analyze_experiment, as one unit: reading and storing test results and the decision (`tool`), the statistics
(`stats`), how results are shown (`present`), how the offline router fills its arguments (`plan`), the experiment
and analyze-experiment commands (`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.experiment.plan import CUES, EXEMPLARS
from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.experiment.tool import (
        AnalyzeExperimentInput,
        AnalyzeExperimentResult,
        ArmResult,
        Decision,
        analyze_experiment,
        store_experiment,
        stored_experiments,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "analyze_experiment",
    label="the test reading",
    title="Read the A/B test",
    brief="an ad test's results: each variant's rate with an interval, the winner (safe to check daily), the next "
    "traffic split, how long the test must run",
    exemplars=EXEMPLARS,
    cues=CUES,
)

__getattr__ = lazy_exports(
    __name__,
    dict.fromkeys(
        (
            "AnalyzeExperimentInput",
            "AnalyzeExperimentResult",
            "ArmResult",
            "Decision",
            "analyze_experiment",
            "store_experiment",
            "stored_experiments",
        ),
        "tools.experiment.tool",
    ),
)

__all__ = [
    "UNIT",
    "AnalyzeExperimentInput",
    "AnalyzeExperimentResult",
    "ArmResult",
    "Decision",
    "analyze_experiment",
    "store_experiment",
    "stored_experiments",
]
