"""plan_budget, as one unit: the marketing-mix model, its fit and the optimiser (`tool`, `model`, `optimise`,
`data`, `simulate`), how results are shown (`present`), how the offline router fills its arguments (`plan`), the
train-budget-model and plan-budget commands (`cli`) and its card on the chat page (`web.js`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tools.budget.plan import CUES, EXEMPLARS
from tools.unit import ToolUnit, lazy_exports

if TYPE_CHECKING:
    from tools.budget.tool import (
        BudgetReport,
        ChannelAllocation,
        ChannelEffect,
        PlanBudgetInput,
        PlanBudgetResult,
        plan_budget,
        train_budget_model,
    )

UNIT = ToolUnit.in_package(
    __name__,
    "plan_budget",
    label="the budget plan",
    title="Plan the budget",
    brief="where to spend: a budget split across channels (search, social, TV...) with expected sales, each "
    "channel's ROAS, what-if changes to spend",
    exemplars=EXEMPLARS,
    cues=CUES,
)

# The tool's API, imported on first use (the model's fit imports PyMC).
__getattr__ = lazy_exports(
    __name__,
    dict.fromkeys(
        (
            "BudgetReport",
            "ChannelAllocation",
            "ChannelEffect",
            "PlanBudgetInput",
            "PlanBudgetResult",
            "plan_budget",
            "train_budget_model",
        ),
        "tools.budget.tool",
    ),
)

__all__ = [
    "UNIT",
    "BudgetReport",
    "ChannelAllocation",
    "ChannelEffect",
    "PlanBudgetInput",
    "PlanBudgetResult",
    "plan_budget",
    "train_budget_model",
]
