"""plan_budget's core: the weekly file's checks, the optimiser, recovery of a known process by the fitted model,
constraints and what-ifs, save and load. One real PyMC-Marketing fit (small sampler) is shared by the module."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from core.errors import DataError, ModelNotTrainedError
from tools.budget.data import read_spend_file, spend_table_from_frame
from tools.budget.model import load_budget_model
from tools.budget.optimise import InfeasibleBudget, maximise
from tools.budget.simulate import documented_example, logistic_saturation
from tools.budget.tool import _apply, budget_model, plan_budget, train_budget_model

EXAMPLE = documented_example()
NAMES = {"x1": "search", "x2": "social"}  # the example's channels under names the synonyms know


def example_frame() -> pd.DataFrame:
    return EXAMPLE.frame.rename(columns={f"spend_{k}": f"spend_{v}" for k, v in NAMES.items()})


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    workspace = tmp_path_factory.mktemp("budget-workspace")
    path = workspace / "marketing.csv"
    example_frame().to_csv(path, index=False)
    train_budget_model(path, draws=200, tune=200, seed=1, workspace=workspace)
    return workspace


# ----------------------------------------------------------------------------------------------------
# The weekly file


def write(tmp_path: Path, frame: pd.DataFrame, name: str = "weekly.csv") -> Path:
    path = tmp_path / name
    frame.to_csv(path, index=False)
    return path


def problem_text(exc: pytest.ExceptionInfo[DataError]) -> str:
    return str(exc.value)


def test_the_example_file_reads_with_channels_controls_and_weeks(tmp_path: Path) -> None:
    table = read_spend_file(write(tmp_path, example_frame()))
    assert table.channels == ["search", "social"]
    assert table.controls == ["event_1", "event_2"]
    assert table.weeks == 179 and table.frame["date"].is_monotonic_increasing


def test_outcome_can_be_mapped_and_is_named_in_answers(tmp_path: Path) -> None:
    frame = example_frame().rename(columns={"sales": "conversions"})
    table = read_spend_file(write(tmp_path, frame), column_map={"sales": "conversions"})
    assert table.outcome_label == "conversions" and table.frame["sales"].equals(example_frame()["sales"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop(columns=["spend_search", "spend_social"]), "no spend columns"),
        (lambda f: f.head(40), "too little history: 40 weeks"),
        (lambda f: f.drop(index=[10, 11]), "consecutive weeks"),
        (lambda f: pd.concat([f, f.tail(1)]), "more than once"),
        (lambda f: f.assign(spend_search=-f["spend_search"]), "negative"),
        (lambda f: f.assign(spend_social=f["spend_social"].where(f.index != 5, np.nan)), "write 0 for a week"),
        (lambda f: f.assign(spend_social=1000.0), "never varies"),
        (lambda f: f.assign(spend_social=np.where(f.index < 2, 5.0, 0.0)), "only 2 weeks"),
        (lambda f: f.assign(sales=f["sales"].astype(object).where(f.index != 3, "lots")), "row 4"),
        (lambda f: f.drop(columns=["date"]), "date"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_is_trained(
    tmp_path: Path, change: object, expected: str
) -> None:
    frame = change(example_frame())  # type: ignore[operator]
    with pytest.raises(DataError) as exc:
        train_budget_model(write(tmp_path, frame), workspace=tmp_path / "ws")
    assert expected in problem_text(exc)
    assert not (tmp_path / "ws" / "models" / "budget").exists()


def test_a_control_that_never_changes_is_left_out_with_a_warning() -> None:
    table = spend_table_from_frame(example_frame().assign(price=9.99))
    assert "price" not in table.controls and any("never changes" in w for w in table.warnings)


def test_a_binary_or_empty_file_gives_a_clear_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(DataError):
        read_spend_file(empty)
    with pytest.raises(DataError):
        read_spend_file(tmp_path / "missing.csv")


# ----------------------------------------------------------------------------------------------------
# The optimiser


def test_the_optimiser_finds_the_best_split_of_concave_curves() -> None:
    curves = [lambda s, b=b, lam=lam: b * logistic_saturation(np.asarray(s) / 1000, lam) for b, lam in
              [(3000, 1.0), (1500, 3.0), (800, 0.5)]]  # fmt: skip
    best = maximise(curves, 3000.0, [0, 0, 0], [3000, 3000, 3000])
    value = sum(float(c(s)) for c, s in zip(curves, best, strict=True))
    grid = np.linspace(0, 3000, 121)
    brute = max(
        float(curves[0](a)) + float(curves[1](b)) + float(curves[2](3000 - a - b))
        for a in grid
        for b in grid
        if a + b <= 3000
    )
    assert abs(best.sum() - 3000) < 1e-6 and value >= brute - 1e-6 * brute


def test_a_channel_not_worth_funding_gets_exactly_nothing() -> None:
    # the solver leaves the weak channel a few thousandths (shown to users as "0.00593 on display") unless snapped
    curves = [lambda s: 5 * np.asarray(s, dtype=float), lambda s: logistic_saturation(np.asarray(s) / 1000, 5.0),
              lambda s: 4 * np.sqrt(np.asarray(s, dtype=float))]  # fmt: skip
    best = maximise(curves, 20_000.0, [0, 0, 0], [20_000] * 3)
    assert best[1] == 0.0 and best.sum() == pytest.approx(20_000.0, abs=1e-6)
    floor = maximise(curves, 20_000.0, [0, 1_000, 0], [20_000] * 3)
    assert floor[1] == pytest.approx(1_000.0, abs=1e-6) and floor.sum() == pytest.approx(20_000.0)


def test_the_optimiser_keeps_bounds_and_refuses_impossible_ones() -> None:
    curves = [lambda s: np.sqrt(np.asarray(s)), lambda s: 2 * np.sqrt(np.asarray(s))]
    best = maximise(curves, 100.0, [30, 0], [100, 60])
    assert best[0] >= 30 - 1e-6 and best[1] <= 60 + 1e-6 and abs(best.sum() - 100) < 1e-6
    fixed = maximise(curves, 100.0, [25, 0], [25, 100])
    assert abs(fixed[0] - 25) < 1e-6
    with pytest.raises(InfeasibleBudget, match="minimums add up"):
        maximise(curves, 100.0, [80, 40], [100, 100])
    with pytest.raises(InfeasibleBudget, match="maximums add up"):
        maximise(curves, 100.0, [0, 0], [30, 30])


@pytest.mark.parametrize(
    ("change", "new"),
    [("-30%", 70.0), ("+20%", 120.0), ("+5000", 5100.0), ("+5k", 5100.0), ("x0.5", 50.0), ("0", 0.0), ("80", 80.0)],
)
def test_what_if_changes_read_as_marketers_write_them(change: str, new: float) -> None:
    assert _apply(change, 100.0, "tv") == pytest.approx(new)


def test_a_change_that_is_not_one_is_refused() -> None:
    with pytest.raises(DataError, match="not a change"):
        _apply("a lot more", 100.0, "tv")


# ----------------------------------------------------------------------------------------------------
# The fitted model


def test_the_model_recovers_the_known_roas_and_shares(fitted: Path) -> None:
    model = budget_model(fitted)
    truth_roas, truth_share = EXAMPLE.roas(), EXAMPLE.contribution_share()
    roas, share = model.roas(), model.contribution_share()
    for i, name in enumerate(["x1", "x2"]):
        assert abs(np.median(roas[:, i]) / truth_roas[name] - 1) < 0.10  # the benchmark's goal
        low, high = np.quantile(roas[:, i], [0.03, 0.97])
        assert low <= truth_roas[name] <= high
        assert abs(np.median(share[:, i]) - truth_share[name]) < 0.05
    assert model.diagnostics["divergences"] == 0 and model.diagnostics["max_rhat"] < 1.05


def test_the_plan_reaches_the_oracle_on_the_true_curves(fitted: Path) -> None:
    weeks, total = 4, 4 * float(EXAMPLE.frame[["spend_x1", "spend_x2"]].sum(axis=1).mean())
    result = plan_budget(total_budget=total, period_weeks=weeks, workspace=fitted)
    ours = {k: next(a.spend for a in result.allocation if a.channel == v) for k, v in NAMES.items()}
    oracle = EXAMPLE.oracle(total, weeks)
    assert abs(sum(ours.values()) - total) < 1e-3 * total
    assert EXAMPLE.outcome_of(ours, weeks) >= 0.97 * EXAMPLE.outcome_of(oracle, weeks)
    assert result.planned is not None and result.current is not None
    assert result.planned.outcome_p10 <= result.planned.outcome_p50 <= result.planned.outcome_p90
    assert result.uplift_p50 is not None and result.uplift_p50 >= 0  # the plan is no worse than today's split


def test_bounds_fixed_channels_and_channel_words(fitted: Path) -> None:
    model = budget_model(fitted)
    floor = plan_budget(total_budget=2.0, min_spend={"Facebook": 1.2}, workspace=fitted)
    social = next(a for a in floor.allocation if a.channel == "social")
    assert social.spend == pytest.approx(1.2, abs=1e-4)
    capped = plan_budget(total_budget=2.0, max_spend={"google": 0.5}, workspace=fitted)
    assert next(a for a in capped.allocation if a.channel == "search").spend <= 0.5 + 1e-6
    held = plan_budget(total_budget=3.0, fixed=["social"], period_weeks=4, workspace=fitted)
    today = float(model.spend_recent[model.index("social")] * 4)
    assert next(a for a in held.allocation if a.channel == "social").spend == pytest.approx(today, abs=1e-2)
    only = plan_budget(total_budget=2.0, channels=["search"], workspace=fitted)
    assert [a.channel for a in only.allocation] == ["search"] and only.allocation[0].spend == pytest.approx(2.0)


def test_unknown_channels_and_impossible_bounds_are_refused_plainly(fitted: Path) -> None:
    with pytest.raises(DataError, match="no channel 'radio'; its channels are search, social"):
        plan_budget(total_budget=1000.0, channels=["radio", "search"], workspace=fitted)
    with pytest.raises(DataError, match="minimums add up"):
        plan_budget(total_budget=1.0, min_spend={"search": 0.8, "social": 0.5}, workspace=fitted)
    with pytest.raises(ValidationError):
        plan_budget(total_budget=-5.0, workspace=fitted)
    with pytest.raises(ValidationError, match="separately"):
        plan_budget(total_budget=10.0, changes={"tv": "-30%"}, workspace=fitted)
    with pytest.raises(ValidationError, match="from 0 to"):
        plan_budget(total_budget=10.0, max_spend={"search": 1e15}, workspace=fitted)
    with pytest.raises(DataError, match="nothing is left to split"):
        plan_budget(total_budget=10.0, fixed=["search", "social"], workspace=fitted)
    with pytest.raises(DataError, match="held at today's level take"):
        plan_budget(total_budget=0.01, fixed=["search"], workspace=fitted)


def test_a_what_if_compares_against_todays_level(fitted: Path) -> None:
    result = plan_budget(changes={"google": "-50%"}, workspace=fitted)
    search = next(a for a in result.allocation if a.channel == "search")
    assert result.mode == "scenario" and search.spend == pytest.approx(search.current_spend / 2, rel=1e-3)
    assert result.uplift_p90 is not None and result.uplift_p90 < 0  # less spend on a working channel: less outcome


def test_effects_answer_roas_with_intervals(fitted: Path) -> None:
    result = plan_budget(channels=["social"], workspace=fitted)
    assert result.mode == "effects" and [c.channel for c in result.channels] == ["social"]
    effect = result.channels[0]
    assert effect.roas_p10 <= effect.roas <= effect.roas_p90 and 0 < effect.contribution_share < 1
    assert result.curves[0].points[0].outcome_p50 == pytest.approx(0.0, abs=1e-9)


def test_spend_far_beyond_the_data_is_flagged(fitted: Path) -> None:
    result = plan_budget(total_budget=200.0, period_weeks=4, workspace=fitted)
    assert all(a.beyond_data for a in result.allocation)
    assert any("extrapolated" in w for w in result.warnings)


# ----------------------------------------------------------------------------------------------------
# Save and load


def test_the_saved_model_loads_back_identically_and_has_a_card(fitted: Path) -> None:
    folder = fitted / "models" / "budget"
    loaded = load_budget_model(folder)
    model = budget_model(fitted)
    for name in ("alpha", "lam", "beta", "contribution", "spend_recent"):
        assert np.array_equal(getattr(loaded, name), getattr(model, name))
    assert loaded.channels == ["search", "social"] and loaded.weeks == 179
    card = json.loads((folder / "card.json").read_text())
    assert card["kind"] == "budget_model" and card["used_by"] == ["plan_budget"]


def test_no_model_or_a_broken_one_says_how_to_train(tmp_path: Path, fitted: Path) -> None:
    with pytest.raises(ModelNotTrainedError, match="train-budget-model"):
        plan_budget(total_budget=100.0, workspace=tmp_path)
    broken = tmp_path / "broken"
    (broken / "models").mkdir(parents=True)
    import shutil

    shutil.copytree(fitted / "models" / "budget", broken / "models" / "budget")
    (broken / "models" / "budget" / "arrays.npz").write_bytes(b"not an npz")
    with pytest.raises(ModelNotTrainedError, match="train-budget-model"):
        plan_budget(total_budget=100.0, workspace=broken)
