"""The Complete Journey audit as report tables and plain notes: what was audited, each list's rates and ratios by
group with the tool's flags, what each group's households look like, and a sentence per flag saying what it means."""

from __future__ import annotations

import pandas as pd

from eval.report import Cell, SuiteReport, Table
from eval.suites.fairness.chance import DRAWS, chance_flagged
from eval.suites.fairness.journey import ATTRIBUTES, JourneyRun
from tools.fairness.tool import FairnessFinding

AUDIT_COLUMNS = [
    "attribute",
    "group",
    "households",
    "selected",
    "selection rate",
    "ratio to best",
    "ratio 95% low",
    "ratio 95% high",
    "judged",
    "flagged",
]


Chance = dict[tuple[str, str], float]  # (list label, attribute) -> share of random lists of its size flagged


def chance_by_list(run: JourneyRun) -> Chance:
    return {(a.label, attribute): chance_flagged(a.result, attribute) for a in run.lists for attribute in ATTRIBUTES}


def journey_tables(report: SuiteReport, run: JourneyRun, profile: pd.DataFrame, chance: Chance) -> None:
    households = run.lists[0].result.population if run.lists else 0
    customers = run.journey.table.customers
    rows: list[list[Cell]] = []
    for audited in run.lists:
        r = audited.result
        flagged = sorted({f"{f.group} ({f.attribute})" for f in r.findings if f.flagged})
        rows.append(
            [
                audited.label,
                r.selected + r.without_attributes,
                r.selected,
                r.population,
                r.selected / r.population if r.population else None,
                ", ".join(flagged) or "none",
            ]
        )
    report.tables.append(
        Table(
            title=f"The Complete Journey: lists audited by {', '.join(ATTRIBUTES)} ({households:,} of {customers:,} "
            "households have demographics)",
            columns=[
                "list",
                "households on it",
                "... with demographics",
                "households with demographics",
                "share selected",
                "groups flagged",
            ],
            rows=rows,
            note="Each list is drawn from every household the model knows; the audit compares the households with "
            "demographics only. Groups under 30 households are shown, not judged.",
        )
    )
    for audited in run.lists:
        report.tables.append(
            Table(
                title=f"Audit: {audited.label}",
                columns=AUDIT_COLUMNS,
                rows=[_finding_row(f) for f in audited.result.findings],
                note=audited.result.summary,
            )
        )
    report.tables.append(_chance_table(run, chance))
    report.tables.append(_profile_table(profile))


def _chance_table(run: JourneyRun, chance: Chance) -> Table:
    rows: list[list[Cell]] = []
    for audited in run.lists:
        for attribute in ATTRIBUTES:
            mine = [f for f in audited.result.findings if f.attribute == attribute]
            flagged = ", ".join(f.group for f in mine if f.flagged) or "none"
            judged = sum(f.judged for f in mine)
            rows.append([audited.label, attribute, judged, flagged, chance[(audited.label, attribute)]])
    return Table(
        title=f"Flags against chance: {DRAWS:,} random lists of the same size from the same households",
        columns=["list", "attribute", "groups judged", "groups flagged", "random lists flagged"],
        rows=rows,
        note="A random list favours no group, so every flag on one is false: the more groups an attribute has, the "
        "more often chance alone gets a flag (the planted study's 4-group fair lists show the same).",
    )


def _finding_row(f: FairnessFinding) -> list[Cell]:
    return [
        f.attribute,
        f.group,
        f.size,
        f.selected,
        f.selection_rate,
        f.ratio_to_max,
        f.ratio_low,
        f.ratio_high,
        "yes" if f.judged else "no",
        "FLAGGED" if f.flagged else "",
    ]


def _profile_table(profile: pd.DataFrame) -> Table:
    rows: list[list[Cell]] = []
    for attribute in ATTRIBUTES:
        for group, part in profile.groupby(attribute, sort=True):
            rows.append(
                [
                    attribute,
                    str(group),
                    len(part),
                    float(part["spend"].mean()),
                    float(part["days"].mean()),
                    float(part["recency"].mean()),
                    float(part["predicted"].mean()),
                ]
            )
    return Table(
        title="The Complete Journey: what each group's households look like",
        columns=[
            "attribute",
            "group",
            "households",
            "mean spend in the year ($)",
            "mean shopping days",
            "mean days since last purchase",
            "mean predicted spend next quarter ($)",
        ],
        rows=rows,
        note="From the transactions (spend, shopping days, recency at the data's end) and the customer model's "
        "forecast; the demographics were stored after training and no model read them.",
    )


def journey_notes(report: SuiteReport, run: JourneyRun, profile: pd.DataFrame, chance: Chance) -> None:
    for audited in run.lists:
        r = audited.result
        flags = [f for f in r.findings if f.flagged]
        if not flags:
            report.notes.append(f"The Complete Journey, {audited.label}: nothing flagged. {r.summary}")
            continue
        for f in sorted(flags, key=lambda f: f.ratio_to_max or 0.0):
            best = next(b for b in r.findings if b.attribute == f.attribute and b.judged and b.ratio_to_max == 1.0)
            odds = chance[(audited.label, f.attribute)]
            bought = _bought(run, audited.product_id, profile, f, best) if audited.product_id else ""
            report.notes.append(
                f"The Complete Journey, {audited.label}: {_reading(f, best, profile)}{bought} Random lists of the "
                f"same size get a flag by {f.attribute} {odds:.1%} of the time."
            )
    timings = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in run.seconds.items())
    trained = "; ".join(f"{model}: {what}" for model, what in run.trained.items())
    report.notes.append(f"The Complete Journey: {timings}; trained {trained}.")


def _reading(f: FairnessFinding, best: FairnessFinding, profile: pd.DataFrame) -> str:
    """One flag in plain words, with what sets the group's households apart from the best-served group's."""
    mine, theirs = _means(profile, f.attribute, f.group), _means(profile, best.attribute, best.group)
    return (
        f"{f.group} households (by {f.attribute}) are selected at {f.selection_rate:.0%} ({f.selected} of "
        f"{f.size}) against {best.selection_rate:.0%} for {best.group}: ratio {f.ratio_to_max:.2f} (95% interval "
        f"{f.ratio_low:.2f}-{f.ratio_high:.2f}), flagged. On average they spent ${mine['spend']:,.0f} in the year on "
        f"{mine['days']:.0f} shopping days, last {mine['recency']:.0f} days before the data's end, and the customer "
        f"model predicts ${mine['predicted']:,.0f} next quarter; {best.group} households: ${theirs['spend']:,.0f}, "
        f"{theirs['days']:.0f} days, {theirs['recency']:.0f} days, ${theirs['predicted']:,.0f}."
    )


def _means(profile: pd.DataFrame, attribute: str, group: str) -> dict[str, float]:
    part = profile[profile[attribute].astype(str) == group]
    return {column: float(part[column].mean()) for column in ("spend", "days", "recency", "predicted")}


def _bought(run: JourneyRun, product_id: str, profile: pd.DataFrame, f: FairnessFinding, best: FairnessFinding) -> str:
    """For a product's audience: how many of each group's households bought the product during the year (the
    recommender learns who buys it)."""
    frame = run.journey.table.frame
    buyers = set(frame.loc[frame["product_id"] == product_id, "customer_id"])
    shares = [
        float(profile.index[profile[a].astype(str) == g].isin(buyers).mean())
        for a, g in ((f.attribute, f.group), (best.attribute, best.group))
    ]
    mine, theirs = shares
    return (
        f" {mine:.0%} of {f.group} households bought the product during the year, against {theirs:.0%} of "
        f"{best.group} households."
    )
