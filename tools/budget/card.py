"""The budget model's card (core/model_card.py), written by `train_budget_model` beside the checkpoint."""

from __future__ import annotations

from pathlib import Path

from core.model_card import Benchmark, DataFacts, Metric, ModelCard, TrainingFacts, Validation, card_for
from tools.budget.data import SpendTable
from tools.budget.model import MAX_RHAT, MIN_ESS, BudgetPosterior


def budget_card(folder: Path, root: Path, *, posterior: BudgetPosterior, table: SpendTable) -> ModelCard:
    """The card for a budget model just saved in `folder` (workspace `root`), fitted on `table`."""
    d = posterior.diagnostics
    return card_for(
        folder,
        root,
        title="Budget model (marketing mix)",
        summary=(
            "A Bayesian marketing-mix model fitted with PyMC-Marketing: each channel's carry-over (geometric "
            "adstock) and diminishing returns (logistic saturation), a trend, yearly seasonality and the file's "
            "controls. Gives each channel's ROAS and contribution with intervals, response curves, and the budget "
            "split that maximises the expected outcome."
        ),
        used_by=["plan_budget"],
        data=DataFacts(
            fingerprint=str(posterior.manifest.get("data_fingerprint", "")),
            source=table.source,
            period_start=table.frame["date"].iloc[0].date(),
            period_end=table.frame["date"].iloc[-1].date(),
            rows=table.weeks,
            rows_label=f"weeks ({len(table.channels)} channels: {', '.join(table.channels)})",
        ),
        inputs=[
            "weekly spend per channel: " + ", ".join(table.channels),
            f"the weekly outcome ({table.outcome_label})",
            "a linear trend" + (", yearly seasonality" if table.weeks >= 78 else ""),
            *(f"control: {name}" for name in table.controls),
        ],
        training=TrainingFacts(
            budget_seconds=None,
            seconds=float(d.get("fit_seconds", 0.0)),
            seed=int(posterior.manifest.get("config", {}).get("seed", 0)),
            stopped=f"NUTS, {d.get('chains')} chains x {d.get('draws')} draws after {d.get('tune')} tuning steps",
        ),
        validation=Validation(
            split="none held out: convergence of the sampler on this data",
            metrics=[
                Metric(
                    name="divergences",
                    description="divergent transitions (0 means the sampler explored the posterior safely)",
                    value=float(d.get("divergences", 0)),
                    higher_is_better=False,
                ),
                Metric(
                    name="max R-hat",
                    description=f"largest R-hat of the channel parameters (at most {MAX_RHAT}: the chains agree)",
                    value=float(d.get("max_rhat", float("nan"))),
                    higher_is_better=False,
                ),
                Metric(
                    name="min ESS",
                    description=f"smallest effective sample size of the channel parameters (at least {MIN_ESS})",
                    value=float(d.get("min_ess", float("nan"))),
                    higher_is_better=True,
                ),
            ],
            note=(
                "A channel's effect cannot be checked against held-out sales: the benchmark below checks recovery "
                "on processes with known truth. " + " ".join(d.get("problems", []))
            ).strip(),
        ),
        limits=[
            "Correlation, not experiment: channels whose spend moves together or never varies are hard to tell "
            "apart; their intervals say so.",
            "Plans assume a steady weekly spend over the period, after carry-over has built up.",
            "Spend far above anything in the data is extrapolated along the fitted curve.",
            "Effects are assumed constant over the data's period (no time-varying ROAS).",
        ],
        benchmarks=[
            Benchmark(
                what="Recovery of known ROAS and contribution on PyMC-Marketing's documented example and 20 seeds "
                "of a harder five-channel process, and the optimiser's split against the oracle's, beside a ridge "
                "regression on fixed-decay adstock",
                result="see the report's recovery (ROAS error, interval coverage) and optimiser (share of the "
                "oracle's outcome) tables",
                command="marketing-agent eval budget",
                report="eval/reports/budget.md",
            )
        ],
    )
