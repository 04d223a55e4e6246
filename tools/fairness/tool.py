"""audit_fairness: does a targeting list treat groups of customers differently?

The list is a segment (or a filter such as at_risk), customer ids, or a product's audience from the recommender;
the groups come from the customer attributes stored by `ingest-customers` (used for audits only). For each
attribute, and each pair of attributes, the selection rate per group, its ratio to the best-served group (the
four-fifths rule) and its difference, with intervals; groups under `min_group` are reported, not
judged. For segment lists, the customer model's predicted spend by group is shown beside the rates.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from core.errors import DataError, DataProblem
from core.workspace import Workspace
from tools.fairness.attributes import MISSING, load_attributes
from tools.fairness.audit import audit_selection
from tools.unit import fields_of

MAX_CUSTOMERS = 100_000
CustomerId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AuditFairnessInput(BaseModel):
    """Check whether a targeting list (a segment, customer ids or a product's audience) selects groups of customers
    at similar rates."""

    model_config = ConfigDict(extra="forbid")

    customer_ids: list[CustomerId] | None = Field(
        None, max_length=MAX_CUSTOMERS, description="The customers selected (e.g. an offer's list)."
    )
    segment: str | None = Field(
        None, max_length=200, description="A segment name, or at_risk, best, new or lapsed: audit its members."
    )
    product: str | None = Field(
        None, max_length=200, description="A product id or name: audit the recommender's audience for it."
    )
    audience_size: int = Field(200, ge=1, le=10_000, description="How many customers the product's audience holds.")
    attributes: list[str] | None = Field(
        None, max_length=20, description="Attributes to audit by (age_band, gender, ...; 'age' finds age_band); "
        "default: all stored."
    )  # fmt: skip
    pairs: bool = Field(True, description="Also audit each pair of attributes (age band x gender, ...).")
    min_group: int = Field(30, ge=1, le=100_000, description="Groups smaller than this are reported, not judged.")
    threshold: float = Field(0.8, gt=0, le=1, description="The four-fifths rule's ratio (0.8).")

    @model_validator(mode="after")
    def _one_list(self) -> AuditFairnessInput:
        given = [x is not None for x in (self.customer_ids, self.segment, self.product)]
        if sum(given) != 1:
            raise ValueError("say which list to audit: customer_ids, a segment or a product (one of them)")
        return self


class FairnessFinding(BaseModel):
    attribute: str = Field(description="An attribute, or a pair written 'age_band x gender'.")
    group: str
    size: int = Field(description="Customers of the group in the population the list was drawn from.")
    selected: int
    selection_rate: float
    rate_low: float = Field(description="95% Wilson interval of the rate.")
    rate_high: float
    ratio_to_max: float | None = Field(description="Its rate over the best-served judged group's (four-fifths rule).")
    ratio_low: float | None = None
    ratio_high: float | None = None
    difference_to_max: float | None = None
    judged: bool = Field(description="False for groups under min_group and for missing values: shown, not judged.")
    flagged: bool = Field(description="Rate under threshold x the best group's, and its ratio's interval below 1.")


class AttributeSummary(BaseModel):
    attribute: str
    groups: int
    judged: int
    min_ratio: float | None = Field(description="Least-selected judged group's rate over the most-selected's.")
    max_difference: float | None
    flagged: bool


class GroupValue(BaseModel):
    attribute: str
    group: str
    customers: int
    mean_predicted_spend: float


class AuditFairnessResult(BaseModel):
    list_name: str = Field(description="What was audited: a segment, 'N customers' or a product's audience.")
    population: int = Field(description="Customers with attributes the list was drawn from.")
    selected: int = Field(description="Customers on the list with attributes.")
    without_attributes: int = Field(description="Customers on the list with no stored attributes (left out).")
    findings: list[FairnessFinding]
    attributes: list[AttributeSummary]
    values: list[GroupValue] = Field(default_factory=list, description="Predicted spend by group (segment lists).")
    flagged: bool
    threshold: float
    min_group: int
    summary: str
    warnings: list[str] = Field(default_factory=list)


def audit_fairness(
    *,
    customer_ids: list[str] | None = None,
    segment: str | None = None,
    product: str | None = None,
    audience_size: int = 200,
    attributes: list[str] | None = None,
    pairs: bool = True,
    min_group: int = 30,
    threshold: float = 0.8,
    workspace: str | Path | Workspace | None = None,
) -> AuditFairnessResult:
    """Audit a targeting list for fairness across customer groups (age band, gender, income band, region, ...):
    selection rate per group, ratio to the best-served group (flagged under the four-fifths rule when the gap is
    more than chance) and difference, with intervals; small groups are shown but not judged. The list is
    customer_ids, a segment (or at_risk, best, new, lapsed) or a product's audience."""
    request = AuditFairnessInput.model_validate(fields_of(locals()))
    ws = Workspace.open(workspace)
    table = load_attributes(ws)
    chosen = _attributes(table, request.attributes)
    warnings: list[str] = []
    values: list[GroupValue] = []
    if request.segment is not None:
        from tools.recommend.tool import group_label
        from tools.segments import segment_members
        from tools.segments.tool import known_customer_ids

        listed = segment_members(request.segment, workspace=ws)
        pool = set(known_customer_ids(ws))
        name = group_label(request.segment)
    elif request.product is not None:
        from tools.recommend import recommend_products
        from tools.recommend.tool import known_customer_ids as recommender_customers

        run = recommend_products(product=request.product, audience_size=request.audience_size, workspace=ws)
        listed = [m.customer_id for m in run.audience]
        pool = set(recommender_customers(ws))
        product_name = run.product.product_name or run.product.product_id if run.product else request.product
        name = f"the {len(listed):,}-customer audience for {product_name}"
    else:
        listed = list(dict.fromkeys(request.customer_ids or []))
        pool = set(table["customer_id"])
        name = f"{len(listed):,} customers"
    population = table[table["customer_id"].isin(pool)] if pool else table.iloc[0:0]
    if population.empty:
        raise DataError(
            "attributes",
            [DataProblem("none of the customers the list is drawn from has stored attributes")],
            "Store attributes for the same customer ids with `marketing-agent ingest-customers FILE`.",
        )
    known = set(population["customer_id"])
    missing = [c for c in listed if c not in known]
    if missing:
        warnings.append(
            f"{len(missing):,} of the {len(listed):,} customers on the list have no stored attributes and were left "
            "out of the audit"
        )
    selected = {c for c in listed if c in known}
    if not selected:
        raise DataError("list", [DataProblem("no customer on the list has stored attributes, so nothing to audit")])
    found, summaries = audit_selection(
        population, selected, chosen, min_group=request.min_group, threshold=request.threshold, pairs=request.pairs
    )
    if request.segment is not None:
        values = _values(population, chosen, ws)
    small = sorted({f.attribute for f in found if not f.judged and f.group != MISSING and f.size < request.min_group})
    if small:
        warnings.append(f"groups under {request.min_group} customers are shown but not judged ({', '.join(small[:5])})")
    findings = [FairnessFinding(**vars(f)) for f in found]
    attributes_out = [AttributeSummary(**vars(s)) for s in summaries]
    flagged = any(f.flagged for f in findings)
    return AuditFairnessResult(
        list_name=name,
        population=len(population),
        selected=len(selected),
        without_attributes=len(missing),
        findings=findings,
        attributes=attributes_out,
        values=values,
        flagged=flagged,
        threshold=request.threshold,
        min_group=request.min_group,
        summary=_summary(name, findings, request.threshold),
        warnings=warnings,
    )


def _attributes(table: pd.DataFrame, asked: list[str] | None) -> list[str]:
    """The stored attributes asked for: by name, or by a word of it ("age" -> age_band); unknown ones are an error
    naming the stored ones."""
    stored = [c for c in table.columns if c != "customer_id"]
    if not asked:
        return stored
    chosen: list[str] = []
    problems: list[DataProblem] = []
    for raw in asked:
        word = raw.strip().lower().replace(" ", "_").replace("-", "_")
        match = next((s for s in stored if s == word), None) or next(
            (s for s in stored if word in s.split("_") or s.startswith(word)), None
        )
        if match is None:
            close = difflib.get_close_matches(word, stored, n=2, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            problems.append(DataProblem(f"no attribute {raw!r} is stored{hint} (stored: {', '.join(stored)})"))
        elif match not in chosen:
            chosen.append(match)
    if problems:
        raise DataError("attributes", problems)
    return chosen


def _values(population: pd.DataFrame, attributes: list[str], ws: Workspace) -> list[GroupValue]:
    """The customer model's predicted spend (next period) by group, over the whole population."""
    from tools.segments.tool import expected_spend

    spend = expected_spend(ws)
    joined = population.assign(spend=population["customer_id"].map(spend)).dropna(subset=["spend"])
    out: list[GroupValue] = []
    for attribute in attributes:
        for group, part in joined.groupby(attribute, sort=True):
            out.append(GroupValue(attribute=attribute, group=str(group), customers=len(part),
                                  mean_predicted_spend=round(float(part["spend"].mean()), 2)))  # fmt: skip
    return out


def _summary(name: str, findings: list[FairnessFinding], threshold: float) -> str:
    flagged = [f for f in findings if f.flagged]
    if not flagged:
        judged = [f for f in findings if f.judged and f.ratio_to_max is not None]
        low = min(judged, key=lambda f: f.ratio_to_max or 1.0) if judged else None
        lowest = f" (lowest ratio {low.ratio_to_max:.2f}: {low.group} by {low.attribute})" if low else ""
        return f"No group is under-selected for {name} by the four-fifths rule{lowest}."
    worst = min(flagged, key=lambda f: f.ratio_to_max or 0.0)
    return (
        f"{len(flagged)} group{'s are' if len(flagged) != 1 else ' is'} under-selected for {name}: worst {worst.group} "
        f"({worst.attribute}) at {worst.ratio_to_max:.2f} of the best-served group's rate (under {threshold:g})."
    )


def audit_line(customer_ids: list[str], workspace: str | Path | Workspace | None = None) -> str | None:
    """One line for a targeting answer when attributes exist and a group is flagged (None otherwise): the list's
    worst under-selected group, and how to see the whole audit."""
    from tools.fairness.attributes import has_attributes

    if not customer_ids or not has_attributes(workspace):
        return None
    try:
        result = audit_fairness(customer_ids=customer_ids, pairs=False, workspace=workspace)
    except (DataError, ValueError):
        return None
    if not result.flagged:
        return None
    worst = min((f for f in result.findings if f.flagged), key=lambda f: f.ratio_to_max or 0.0)
    return (
        f"Fairness: this list selects {worst.group} ({worst.attribute}) at {worst.ratio_to_max:.2f} of the best-served "
        "group's rate (four-fifths rule); a fairness audit of the list shows every group."
    )
