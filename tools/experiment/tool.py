"""analyze_experiment: which ad variant wins, decided safely while the test runs.

Results are per variant, optionally per day: `variant_id`, `exposures` (impressions, sends), `conversions` (clicks,
orders), optional `date` and `revenue`. `store_experiment` keeps a test in the workspace (`experiments/`); the tool
reads a stored test by name or takes rows directly (CRM automation posts them). The statistics live in
`tools.experiment.stats`: anytime-valid intervals for the decision, Bayesian summaries for the reading, a
Thompson sampling for the next split, and the sample-size planner.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.atomic import write_text
from core.errors import DataError, DataProblem, MarketingAgentError
from core.tabular import Field as Column
from core.tabular import Schema, Table, day_text, read_table, table_from_records
from core.workspace import Workspace
from tools.experiment import stats
from tools.unit import fields_of

MAX_ROWS = 100_000  # rows per request or file: a test is per variant and per day, so this is generous
MAX_VARIANTS = 20
DEFAULT_LIFT = 0.1  # the lift the planner sizes a test for when none is asked: 10%, relative
NAME = re.compile(r"[^a-z0-9]+")
RECENCY_WORDS = frozenset({"last", "latest", "recent", "most", "current", "running", "my", "our", "the", "this"})


def _plain_text(value: str) -> str:
    """Ids and names are stored and shown: no control characters, no unpaired surrogates."""
    if any(ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF or ord(c) == 127 for c in value):
        raise ValueError("must be plain text (no control characters)")
    return value


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_plain_text)
]


class ExperimentNotFoundError(MarketingAgentError):
    """No stored experiment by that name (or none at all)."""


# ----------------------------------------------------------------------------------------------------
# Reading results


MAX_COUNT = 10**12  # per row: a trillion impressions in one day is a typo, and the interval maths needs a bound
MAX_TOTAL = 10**13  # per variant over all rows


def _whole(value: float) -> str | None:
    if value < 0:
        return f"{value:g} is negative: counts cannot be"
    if value != int(value):
        return f"{value:g} is not a whole number"
    if value > MAX_COUNT:
        return f"{value:g} is more than {MAX_COUNT:.0e} in one row"
    return None


def _not_negative(value: float) -> str | None:
    return f"{value:g} is negative" if value < 0 else None


SCHEMA = Schema(
    noun="experiment result",
    fields=(
        Column(
            "variant_id",
            "id",
            required=True,
            aliases=("variant", "arm", "version", "creative", "ad", "ad_id", "group", "treatment"),
            need="the variant each row counts",
            max_chars=200,
        ),
        Column(
            "exposures",
            "number",
            required=True,
            aliases=("impressions", "sends", "sent", "visitors", "users", "delivered", "views", "trials"),
            need="how many saw the variant",
            check=_whole,
        ),
        Column(
            "conversions",
            "number",
            required=True,
            aliases=("clicks", "orders", "conversion", "purchases", "successes", "signups", "opens"),
            need="how many of them converted",
            check=_whole,
        ),
        Column("date", "date", aliases=("day", "period", "week")),
        Column("revenue", "number", aliases=("sales", "value", "amount"), check=_not_negative),
    ),
    hint="Nothing was stored. Fix the rows named above and send them again.",
)


class ResultRow(BaseModel):
    """One row of results: a variant's counts (for one day when dated; counts are that day's, not running totals)."""

    model_config = ConfigDict(extra="forbid")

    variant_id: Text
    exposures: int
    conversions: int
    date: str | None = Field(None, description="YYYY-MM-DD: the day these counts are for.")
    revenue: float | None = None


def read_results(table: Table) -> tuple[list[ResultRow], list[str]]:
    """Validated rows from a table (file or request): counts whole and not negative, conversions at most
    exposures, one row per variant and day, at least two variants. Raises DataError with every problem."""
    table.raise_if_unreadable()
    if len(table) > MAX_ROWS:
        raise DataError(table.source, [DataProblem(f"{len(table):,} rows; at most {MAX_ROWS:,} are read at once")])
    problems: list[DataProblem] = []
    variant = table.parse("variant_id", problems)
    exposures = table.parse("exposures", problems)
    conversions = table.parse("conversions", problems)
    dates = table.parse("date", problems)
    revenue = table.parse("revenue", problems)
    rows: list[ResultRow] = []
    seen: dict[tuple[str, str | None], int] = {}
    for i, row_number in enumerate(table.rows):
        if variant.bad[i] or exposures.bad[i] or conversions.bad[i] or dates.bad[i] or revenue.bad[i]:
            continue
        n, s = int(exposures.values[i]), int(conversions.values[i])
        if s > n:
            problems.append(
                DataProblem(
                    f"{s:,} conversions but only {n:,} exposures: conversions count people among those exposed",
                    row=row_number,
                    column=table.header("conversions"),
                )
            )
            continue
        day = day_text(dates.values[i]) if dates.values[i] is not None else None
        key = (variant.values[i], day)
        if key in seen:
            when = f" on {day}" if day else ""
            problems.append(
                DataProblem(
                    f"a second row for variant {variant.values[i]!r}{when} (the first is row {seen[key]}): give "
                    "one row per variant" + (" and day" if day else "") + ", or add a date column",
                    row=row_number,
                )
            )
            continue
        seen[key] = row_number
        money = revenue.values[i]
        rows.append(ResultRow(variant_id=key[0], exposures=n, conversions=s, date=day, revenue=money))
    if problems:
        raise DataError(table.source, problems, hint=SCHEMA.hint)
    dated = {row.date is not None for row in rows}
    if len(dated) > 1:
        raise DataError(
            table.source,
            [DataProblem("some rows have a date and some do not: date every row, or none")],
            hint=SCHEMA.hint,
        )
    names = list(dict.fromkeys(row.variant_id for row in rows))
    for name in names:
        if sum(row.exposures for row in rows if row.variant_id == name) > MAX_TOTAL:
            problem = DataProblem(f"variant {name!r} has more than {MAX_TOTAL:.0e} exposures in all")
            raise DataError(table.source, [problem], hint=SCHEMA.hint)
    if len(names) < 2:
        only = f" (only {names[0]!r})" if names else ""
        raise DataError(table.source, [DataProblem(f"a test needs at least two variants{only}")], hint=SCHEMA.hint)
    if len(names) > MAX_VARIANTS:
        raise DataError(
            table.source, [DataProblem(f"{len(names)} variants; at most {MAX_VARIANTS} are compared")], hint=SCHEMA.hint
        )
    return rows, table.warnings


# ----------------------------------------------------------------------------------------------------
# Stored experiments


def slug(name: str) -> str:
    """An experiment's name as its file is called: "Spring email" -> "spring-email"."""
    return NAME.sub("-", name.strip().lower()).strip("-")


def _folder(ws: Workspace) -> Path:
    return ws.root / "experiments"


class StoredExperiment(BaseModel):
    name: str
    source: str
    updated: str
    rows: list[ResultRow]
    variants: dict[str, str] = Field(default_factory=dict, description="variant id -> the copy it stands for")


def store_experiment(
    path: str | Path | None = None,
    *,
    name: str | None = None,
    rows: list[dict[str, Any]] | None = None,
    variants: dict[str, str] | None = None,
    column_map: dict[str, str] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> tuple[StoredExperiment, list[str]]:
    """Validate a results file (or rows) and keep it in the workspace under `name` (default: the file's name),
    replacing an earlier version of the same test: a results export holds the whole test so far."""
    if (path is None) == (rows is None):
        raise ValueError("pass a results file or rows, not both")
    if path is not None:
        table = read_table(path, SCHEMA, column_map)
        name = name or Path(path).name.split(".")[0]
        source = str(path)
    else:
        table = table_from_records(rows or [], SCHEMA, column_map=column_map)
        source = "request"
    if not name or not slug(name):
        raise DataError("name", [DataProblem("an experiment needs a name with a letter or digit")])
    parsed, warnings = read_results(table)
    stored = StoredExperiment(
        name=name.strip(),
        source=source,
        updated=datetime.now(UTC).isoformat(timespec="seconds"),
        rows=parsed,
        variants=dict(variants or {}),
    )
    ws = Workspace.open(workspace).ensure()
    folder = _folder(ws)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / f"{slug(name)}.json", stored.model_dump_json(indent=1))
    return stored, warnings


def stored_experiments(workspace: str | Path | Workspace | None = None) -> list[StoredExperiment]:
    """Every stored test, most recently updated first (a file that cannot be read is skipped)."""
    folder = _folder(Workspace.open(workspace))
    found: list[StoredExperiment] = []
    for file in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            found.append(StoredExperiment.model_validate(json.loads(file.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue
    return sorted(found, key=lambda e: e.updated, reverse=True)


def find_experiment(name: str | None, workspace: str | Path | Workspace | None = None) -> StoredExperiment:
    """The stored test `name` names: exactly, or by its words ("the spring email test" finds "spring-email");
    None or "last"/"latest" means the most recently updated. Unknown names list the tests there are."""
    tests = stored_experiments(workspace)
    if not tests:
        raise ExperimentNotFoundError(
            "No experiment is stored in this workspace yet. Store one with `marketing-agent experiment FILE` "
            "(rows: variant_id, exposures, conversions[, date, revenue]) or pass the results rows directly."
        )
    if name is None or not name.strip():
        return tests[0]
    wanted = slug(name)
    for test in tests:
        if slug(test.name) == wanted:
            return test
    words = {w for w in wanted.split("-") if w and w not in RECENCY_WORDS and w not in {"test", "experiment", "ab"}}
    if not words:
        return tests[0]
    matching = [t for t in tests if words <= set(slug(t.name).split("-"))]
    if matching:
        return matching[0]  # the most recent of them
    close = difflib.get_close_matches(wanted, [slug(t.name) for t in tests], n=3, cutoff=0.5)
    names = ", ".join(repr(t.name) for t in tests[:10])
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise ExperimentNotFoundError(f"No experiment called {name!r}.{hint} Stored tests: {names}.")


# ----------------------------------------------------------------------------------------------------
# The tool's models


class NewVariant(BaseModel):
    """A variant of a test being set up: its id and, optionally, the copy it stands for (generate_ad_copy's variants
    fit as they are)."""

    model_config = ConfigDict(extra="ignore")

    variant_id: Text
    fields: dict[str, str] = Field(default_factory=dict, description="The copy's fields (headline, subject, ...).")


class AnalyzeExperimentInput(BaseModel):
    """Which variant of an ad test is winning, decided so that looking every day is safe."""

    model_config = ConfigDict(extra="forbid")

    results: list[ResultRow] | None = Field(
        None,
        max_length=MAX_ROWS,
        description="Rows of results: variant_id, exposures, conversions[, date, revenue]; or leave out and name a "
        "stored experiment.",
    )
    experiment: Text | None = Field(
        None, description="A stored experiment's name; left out: the most recently updated one."
    )
    alpha: float = Field(0.05, ge=1e-6, le=0.5, description="Chance of a false winner the test allows, over all looks.")
    lift: float = Field(
        DEFAULT_LIFT, ge=0.001, le=10, description="The relative lift worth finding (0.1 = 10%): sizes the plan."
    )
    floor: float | None = Field(
        None,
        ge=0,
        le=0.5,
        description="Each variant's least share of the next traffic (default 10%, or less with "
        "more than five variants).",
    )
    daily_exposures: int | None = Field(
        None, ge=1, description="Exposures per day from now on, to say how many more days the test needs."
    )
    variants: list[Text | NewVariant] | None = Field(
        None,
        min_length=2,
        max_length=MAX_VARIANTS,
        description="Set up a new test with these variants (ids, or generate_ad_copy's variants) and an even "
        "split, stored under `experiment` (default: a dated name); its results come back under the same ids.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> AnalyzeExperimentInput:
        if self.results is not None and self.experiment is not None:
            raise ValueError("give the results rows or a stored experiment's name, not both")
        if self.variants is not None and self.results is not None:
            raise ValueError("give results to analyse or variants to set up a new test, not both")
        return self


class ArmResult(BaseModel):
    variant_id: str
    exposures: int
    conversions: int
    rate: float
    rate_low: float = Field(description="Lower end of the rate's anytime-valid interval (valid at every look).")
    rate_high: float
    prob_best: float = Field(description="Posterior probability that this variant has the highest rate.")
    expected_loss: float = Field(description="Expected rate given up by choosing this variant (posterior), 0-1.")
    lift: float | None = Field(None, description="Relative lift of its rate over the first variant's (the control).")
    revenue: float | None = None
    revenue_per_exposure: float | None = None
    copy_text: str = Field("", description="The ad copy this variant stands for, when the test was set up here.")


class Decision(BaseModel):
    status: Literal["winner", "no_difference", "keep_running"]
    winner: str | None = None
    reason: str


class Comparison(BaseModel):
    """One pair's difference in rates with its anytime-valid interval."""

    first: str
    second: str
    difference: float
    low: float
    high: float


class TestPlan(BaseModel):
    """How big the test must be to find `lift` over the control's rate."""

    baseline_rate: float
    lift: float
    per_variant: int = Field(description="Exposures per variant the anytime-valid test needs for 80% power.")
    fixed_horizon_per_variant: int = Field(description="The same for a classic test looked at only once, at the end.")
    remaining: int = Field(description="More exposures in all until every variant reaches per_variant.")
    days_left: float | None = Field(
        None,
        description="At the recent (or given) daily exposures split evenly; a split that favours the leader (the "
        "next split) takes longer.",
    )


class AnalyzeExperimentResult(BaseModel):
    experiment: str
    arms: list[ArmResult]
    decision: Decision
    next_allocation: dict[str, float] = Field(description="variant id -> share of the next traffic.")
    comparisons: list[Comparison]
    plan: TestPlan | None = None
    looks: int = Field(description="Days of results (each a look the decision stays valid under); 1 when undated.")
    first_day: str | None = None
    last_day: str | None = None
    alpha: float
    method: str
    summary: str
    warnings: list[str] = Field(default_factory=list)


# ----------------------------------------------------------------------------------------------------
# The tool


def analyze_experiment(
    *,
    results: list[ResultRow] | None = None,
    experiment: str | None = None,
    alpha: float = 0.05,
    lift: float = DEFAULT_LIFT,
    floor: float | None = None,
    daily_exposures: int | None = None,
    variants: list[str | NewVariant] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> AnalyzeExperimentResult:
    """Analyse an ad test (A/B or more variants): each variant's conversion rate with an interval, the probability
    it is best and its expected loss, a decision (winner, no_difference or keep_running) that stays valid however
    often the test is looked at, the next traffic split (Thompson sampling with a floor per variant) and
    how many more exposures the test needs to find a `lift` (0.1 = 10%). Pass results rows or a stored
    experiment's name (none: the most recent test), or `variants` to set up a new test."""
    request = AnalyzeExperimentInput.model_validate(fields_of(locals()))
    warnings: list[str] = []
    copies: dict[str, str] = {}
    if request.variants is not None:
        stored = _set_up(request.variants, request.experiment, workspace)
        rows, name, copies = stored.rows, stored.name, stored.variants
        warnings.append(
            f"Test {name!r} is set up with {len(rows)} variants and no results yet: send each variant to an even "
            f"share, then store the results with `marketing-agent experiment FILE --name {name!r}` (variant_id as "
            "here) or post them."
        )
    elif request.results is not None:
        rows, read_warnings = read_results(
            table_from_records([r.model_dump() for r in request.results], SCHEMA, source="results")
        )
        warnings += read_warnings
        name = "posted results"
    else:
        stored = find_experiment(request.experiment, workspace)
        rows, name, copies = stored.rows, stored.name, stored.variants
    return analyse_rows(rows, name=name, request=request, copies=copies, warnings=warnings)


def analyse_rows(
    rows: list[ResultRow],
    *,
    name: str,
    request: AnalyzeExperimentInput,
    copies: dict[str, str] | None = None,
    warnings: list[str] | None = None,
) -> AnalyzeExperimentResult:
    warnings = list(warnings or [])
    names = list(dict.fromkeys(row.variant_id for row in rows))
    days = sorted({row.date for row in rows if row.date is not None})
    looks = _looks(rows, names, days)
    arms = looks[-1]
    found = stats.intervals(looks, request.alpha)
    post = stats.posterior(arms)
    floor = request.floor if request.floor is not None else stats.default_floor(len(arms))
    if floor * len(arms) > 1:
        problem = DataProblem(f"a floor of {floor:.0%} per variant cannot hold for {len(arms)} variants")
        raise DataError("floor", [problem])
    control = arms[0]
    plan = _plan(arms, request, days, rows, warnings)
    decision = _decide(arms, found, plan, request)
    if decision.status == "winner" and decision.winner is not None:
        split = {arm.variant_id: 1.0 if arm.variant_id == decision.winner else 0.0 for arm in arms}
    else:
        shares = stats.thompson_split([post.prob_best[n] for n in names], floor)
        split = _rounded(dict(zip(names, shares, strict=True)))
    starved = [a.variant_id for a in arms if a.exposures == 0]
    if starved and len(starved) < len(arms):
        warnings.append(f"no exposures yet for {', '.join(starved)}: nothing can be said about them")
    results = [
        ArmResult(
            variant_id=arm.variant_id,
            exposures=arm.exposures,
            conversions=arm.conversions,
            rate=round(arm.rate, 6),
            rate_low=round(found.rates[arm.variant_id][0], 6),
            rate_high=round(found.rates[arm.variant_id][1], 6),
            prob_best=round(post.prob_best[arm.variant_id], 4),
            expected_loss=round(post.expected_loss[arm.variant_id], 6),
            lift=round(arm.rate / control.rate - 1, 4) if control.rate > 0 and arm is not control else None,
            revenue=arm.revenue,
            revenue_per_exposure=round(arm.revenue / arm.exposures, 4)
            if arm.revenue is not None and arm.exposures
            else None,
            copy_text=(copies or {}).get(arm.variant_id, ""),
        )
        for arm in arms
    ]
    rate = {arm.variant_id: arm.rate for arm in arms}
    comparisons = [
        Comparison(
            first=a,
            second=b,
            difference=round(rate[a] - rate[b], 6),
            low=round(low, 6),
            high=round(high, 6),
        )
        for (a, b), (low, high) in found.differences.items()
    ]
    return AnalyzeExperimentResult(
        experiment=name,
        arms=results,
        decision=decision,
        next_allocation=split,
        comparisons=comparisons,
        plan=plan,
        looks=max(len(days), 1),
        first_day=days[0] if days else None,
        last_day=days[-1] if days else None,
        alpha=request.alpha,
        method="anytime-valid: mixture SPRT intervals for each pair's difference (Johari et al. 2022), Bonferroni "
        "over pairs; rates by Robbins' beta-binomial confidence sequence; next split by Thompson sampling with a "
        "floor per variant",
        summary=summarise(name, results, decision, plan),
        warnings=warnings,
    )


def _set_up(
    given: list[str | NewVariant], name: str | None, workspace: str | Path | Workspace | None
) -> StoredExperiment:
    """Store a new test with no results yet. Its name must be new: results already stored are never replaced here."""
    variants = [NewVariant(variant_id=v) if isinstance(v, str) else v for v in given]
    ids = [v.variant_id.strip() for v in variants]
    if len(set(ids)) < len(ids):
        raise DataError("variants", [DataProblem("two variants have the same id")])
    if name is None:
        name = f"Test {datetime.now(UTC):%Y-%m-%d %H%M}"
    if any(slug(t.name) == slug(name) for t in stored_experiments(workspace)):
        raise DataError(
            "experiment",
            [DataProblem(f"a test called {name!r} is stored already; pick another name to set up a new one")],
        )
    rows = [{"variant_id": i, "exposures": 0, "conversions": 0} for i in ids]
    copies = {
        i: " ".join("; ".join(f"{k}: {t}" for k, t in v.fields.items()).encode("utf-8", "replace").decode().split())[
            :500
        ]
        for i, v in zip(ids, variants, strict=True)
    }
    stored, _ = store_experiment(
        name=name, rows=rows, variants={k: c for k, c in copies.items() if c}, workspace=workspace
    )
    return stored


def _rounded(shares: dict[str, float], places: int = 4) -> dict[str, float]:
    """Shares rounded to `places` that still sum to 1: the rounding remainder goes to the largest share."""
    out = {k: round(v, places) for k, v in shares.items()}
    top = max(out, key=lambda k: out[k])
    out[top] = round(out[top] + 1 - sum(out.values()), places)
    return out


def _looks(rows: list[ResultRow], names: list[str], days: list[str]) -> list[list[stats.Arm]]:
    """Cumulative totals per variant after each day (one look when undated), in one pass over the rows."""
    by_day: dict[str | None, list[ResultRow]] = {}
    for row in rows:
        by_day.setdefault(row.date, []).append(row)
    exposures = dict.fromkeys(names, 0)
    conversions = dict.fromkeys(names, 0)
    revenue: dict[str, float | None] = dict.fromkeys(names)
    looks: list[list[stats.Arm]] = []
    looked_at: list[str | None] = list(days) if days else [None]
    for day in looked_at:
        for row in by_day.get(day, []):
            exposures[row.variant_id] += row.exposures
            conversions[row.variant_id] += row.conversions
            if row.revenue is not None:
                revenue[row.variant_id] = (revenue[row.variant_id] or 0.0) + row.revenue
        looks.append(
            [
                stats.Arm(n, exposures[n], conversions[n], round(m, 2) if (m := revenue[n]) is not None else None)
                for n in names
            ]
        )
    return looks


def _plan(
    arms: list[stats.Arm],
    request: AnalyzeExperimentInput,
    days: list[str],
    rows: list[ResultRow],
    warnings: list[str],
) -> TestPlan | None:
    """The size the test needs to find the asked lift over the control's rate (the pooled rate while the control
    has no conversion yet)."""
    exposures = sum(a.exposures for a in arms)
    conversions = sum(a.conversions for a in arms)
    baseline = arms[0].rate if arms[0].conversions > 0 else (conversions / exposures if exposures else 0.0)
    if not 0 < baseline < 1:
        if exposures:
            warnings.append("no conversions yet, so the test's size cannot be planned from its own rate")
        return None
    try:
        sized = stats.plan_sample_size(baseline, request.lift, request.alpha, arms=len(arms))
    except (ValueError, OverflowError) as exc:
        warnings.append(f"no plan: {exc}")
        return None
    remaining = sum(max(sized.sequential_per_arm - a.exposures, 0) for a in arms)
    daily = request.daily_exposures
    if daily is None and len(days) >= 2:
        recent = days[-7:]
        daily = round(sum(r.exposures for r in rows if r.date in recent) / len(recent))
    return TestPlan(
        baseline_rate=round(baseline, 6),
        lift=request.lift,
        per_variant=sized.sequential_per_arm,
        fixed_horizon_per_variant=sized.fixed_per_arm,
        remaining=remaining,
        days_left=round(remaining / daily, 1) if daily else None,
    )


def _decide(
    arms: list[stats.Arm], found: stats.Intervals, plan: TestPlan | None, request: AnalyzeExperimentInput
) -> Decision:
    names = [a.variant_id for a in arms]
    level = f"{1 - request.alpha:.0%}"
    best = stats.winner(found, names)
    if best is not None:
        others = [n for n in names if n != best]
        lows = [stats.difference(found, best, other)[0] for other in others]
        return Decision(
            status="winner",
            winner=best,
            reason=f"The rate of {best} is above every other variant's: each difference's {level} interval, valid "
            f"however often the test was looked at, is above zero (by at least {min(lows):.2%} points).",
        )
    if min(a.exposures for a in arms) < stats.MIN_EXPOSURES:
        return Decision(
            status="keep_running",
            reason=f"Too little data to judge: every variant needs at least {stats.MIN_EXPOSURES} exposures.",
        )
    if plan is not None:
        margin = plan.baseline_rate * request.lift
        if stats.equivalent(found, names, margin):
            return Decision(
                status="no_difference",
                reason=f"Every difference between variants is known to be under {margin:.2%} points (a "
                f"{request.lift:.0%} lift on {plan.baseline_rate:.2%}) at {level}: none is worth choosing over "
                "another.",
            )
        if all(a.exposures >= plan.per_variant for a in arms):
            return Decision(
                status="no_difference",
                reason=f"Every variant has reached the {plan.per_variant:,} exposures needed to find a "
                f"{request.lift:.0%} lift, and no variant stands out: any difference is likely smaller than that.",
            )
    leader = max(arms, key=lambda a: a.rate)
    return Decision(
        status="keep_running",
        reason=f"No variant is ahead at {level} yet: {leader.variant_id} leads at {leader.rate:.2%}, but the "
        "intervals that stay valid under daily checking still overlap (a chance of being best does not allow for "
        "checking daily, so it is no reason to stop).",
    )


# The summary's sentences: str.format templates over the result's figures. The Chinese answer writes the same
# summary with its own (tools/experiment/present.py).
SUMMARY = {
    "winner": "{name}: {variant} wins at {rate:.2%}{lift}; send it to everyone.",
    "lift": ", {lift:+.0%} on {control}",
    "no_difference": "{name}: no variant is meaningfully better; pick on cost or brand fit.",
    "keep_running": "{name}: keep running; {leader} leads ({best:.0%} likely best).",
    "to_go": " About {remaining:,} more exposures{days} to find a {lift:.0%} lift.",
    "days": ", about {days:g} more days",
}


def summarise(
    name: str, arms: list[ArmResult], decision: Decision, plan: TestPlan | None, words: Mapping[str, str] = SUMMARY
) -> str:
    """The test's outcome in one sentence (or two while it runs on), in `words`."""
    if decision.status == "winner":
        winner = next(a for a in arms if a.variant_id == decision.winner)
        lift = words["lift"].format(lift=winner.lift, control=arms[0].variant_id) if winner.lift is not None else ""
        return words["winner"].format(name=name, variant=winner.variant_id, rate=winner.rate, lift=lift)
    if decision.status == "no_difference":
        return words["no_difference"].format(name=name)
    leader = max(arms, key=lambda a: a.prob_best)
    text = words["keep_running"].format(name=name, leader=leader.variant_id, best=leader.prob_best)
    if plan is not None and plan.remaining:
        days = words["days"].format(days=plan.days_left) if plan.days_left is not None else ""
        text += words["to_go"].format(remaining=plan.remaining, days=days, lift=plan.lift)
    return text
