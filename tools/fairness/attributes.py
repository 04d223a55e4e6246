"""Customer attributes for fairness audits: `ingest-customers FILE` (a customer id plus columns such as age band,
gender, income band, region; the transactions file works too, its transaction columns are left out).

They are stored apart from everything else (`customers/attributes.csv` in the workspace) and read by the audit
only: no model reads this folder, so no segment, forecast or recommendation can depend on them (a test checks).
Personal columns (names, emails, phones, addresses) are recognised by header and never read, as everywhere.
A numeric age becomes age bands and any other numeric column with many values becomes quintile bands, since an
audit compares groups.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from core.atomic import write_text
from core.errors import DataError, DataProblem, MarketingAgentError
from core.tabular import Field, Schema, parse_number, read_table
from core.workspace import Workspace
from tools.transactions_data import ALIASES as TRANSACTION_ALIASES

MAX_ATTRIBUTES = 20
MAX_GROUPS = 50  # more distinct values than this reads as an id or free text, not a group
AGE_BANDS = ((0, 18, "under 18"), (18, 25, "18-24"), (25, 35, "25-34"), (35, 45, "35-44"), (45, 55, "45-54"),
             (55, 65, "55-64"), (65, 200, "65+"))  # fmt: skip
MISSING = "(missing)"
# transaction columns that ride on a transactions file and are not attributes
NOT_ATTRIBUTES = frozenset(
    {"date", "amount", "quantity", "product_id", "channel", "transaction_id", "order_id", "invoice", "price"}
    | {alias for aliases in TRANSACTION_ALIASES.values() for alias in aliases}
)

SCHEMA = Schema(
    noun="customer attributes",
    fields=(
        Field(
            "customer_id",
            "id",
            required=True,
            aliases=(
                "customer",
                "client_id",
                "user_id",
                "member_id",
                "account_id",
                "cust_id",
                "customer_number",
                "household_id",
                "household_key",
            ),
            need="a customer id",
            max_chars=200,
        ),
    ),
    extra="keep",
    extra_label="attribute",
    extra_template=Field("", "text", max_chars=200),
    personal=True,
    hint="Nothing was stored. Fix the file or the options named above and run again.",
)


class NoAttributesError(MarketingAgentError):
    """The workspace has no customer attributes yet."""


@dataclass(frozen=True)
class AttributesReport:
    path: Path
    customers: int
    attributes: dict[str, list[str]]  # name -> its groups
    warnings: list[str]


def _folder(ws: Workspace) -> Path:
    return ws.root / "customers"


def _name(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", header.strip().lower()).strip("_")


def ingest_customers(
    path: str | Path,
    *,
    column_map: dict[str, str] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> AttributesReport:
    """Validate a customers file and store its attributes for audits, replacing earlier ones."""
    table = read_table(path, SCHEMA, column_map)
    table.raise_if_unreadable()
    problems: list[DataProblem] = []
    ids = table.parse("customer_id", problems)
    warnings = list(table.warnings)
    columns: dict[str, list[str]] = {}
    for header in table.extras:
        name = _name(header)
        if not name or name in NOT_ATTRIBUTES or name in columns:
            continue
        cells = table.parse(header, problems)
        columns[name] = [v if v else MISSING for v in cells.values]
    if problems:
        raise DataError(table.source, problems, hint=SCHEMA.hint)
    if not columns:
        raise DataError(
            table.source,
            [DataProblem("no attribute columns: add columns such as age_band, gender, income_band or region")],
            hint=SCHEMA.hint,
        )
    frame = pd.DataFrame({"customer_id": ids.values, **columns})
    frame = frame[frame["customer_id"] != ""]
    frame, varying = _one_row_per_customer(frame)
    if varying:
        warnings.append(
            f"{varying:,} customers have more than one value for an attribute across rows; their first is kept"
        )
    kept: dict[str, pd.Series] = {}
    for name in list(columns)[: MAX_ATTRIBUTES * 2]:
        series, note = _groups(name, frame[name])
        if note:
            warnings.append(note)
        if series is not None and len(kept) < MAX_ATTRIBUTES:
            kept[name] = series
    if not kept:
        raise DataError(table.source, [DataProblem("no column holds groups an audit can compare")], hint=SCHEMA.hint)
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy(), **{k: v.to_numpy() for k, v in kept.items()}})
    ws = Workspace.open(workspace).ensure()
    folder = _folder(ws)
    folder.mkdir(parents=True, exist_ok=True)
    write_text(folder / "attributes.csv", out.to_csv(index=False, lineterminator="\n"))
    groups = {name: sorted(set(series)) for name, series in kept.items()}
    manifest = {"source": str(path), "updated": datetime.now(UTC).isoformat(timespec="seconds"), "groups": groups}
    write_text(folder / "attributes.json", json.dumps(manifest, indent=1))
    return AttributesReport(folder / "attributes.csv", len(out), groups, warnings)


def _one_row_per_customer(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """First row per customer (a transactions file repeats them), and how many customers' attributes vary."""
    attributes = [c for c in frame.columns if c != "customer_id"]
    varying = int((frame.groupby("customer_id", sort=False)[attributes].nunique() > 1).any(axis=1).sum())
    return frame.drop_duplicates("customer_id", keep="first").reset_index(drop=True), varying


def _groups(name: str, values: pd.Series) -> tuple[pd.Series | None, str]:
    """The column as groups: as written, age bands for a numeric age, quintile bands for other numbers with many
    values; None (with a note) for a column with too many distinct values to be a group."""
    present = values[values != MISSING]
    numbers = present.map(parse_number)
    numeric = len(present) > 0 and numbers.notna().all()
    if numeric and present.nunique() > 12:
        if "age" in name.split("_"):
            band = {i: _age_band(float(v)) for i, v in numbers.items()}
            ages = pd.Series([band.get(i, MISSING) for i in values.index], index=values.index, dtype=object)
            return ages, f"'{name}' was read as ages and grouped into age bands"
        edges = np.unique(np.quantile(numbers.astype(float), [0, 0.2, 0.4, 0.6, 0.8, 1.0]))
        labels = [f"{edges[i]:g}-{edges[i + 1]:g}" for i in range(len(edges) - 1)]
        place = np.clip(np.searchsorted(edges, numbers.astype(float).to_numpy(), side="right") - 1, 0, len(labels) - 1)
        by_position = dict(zip(numbers.index, (labels[i] for i in place), strict=True))
        bands = pd.Series([by_position.get(i, MISSING) for i in values.index], index=values.index, dtype=object)
        return bands, f"'{name}' is a number and was grouped into quintile bands"
    if present.nunique() > MAX_GROUPS:
        return None, f"'{name}' has {present.nunique():,} distinct values: not a group, left out"
    return values.astype(object), ""


def _age_band(age: float) -> str:
    return next((label for low, high, label in AGE_BANDS if low <= age < high), MISSING)


def load_attributes(workspace: str | Path | Workspace | None = None) -> pd.DataFrame:
    """customer_id plus one column per attribute (groups as text; MISSING where not given)."""
    path = _folder(Workspace.open(workspace)) / "attributes.csv"
    if not path.exists():
        raise NoAttributesError(
            "No customer attributes in this workspace yet: store them with `marketing-agent ingest-customers FILE` "
            "(customer_id plus columns such as age_band, gender, income_band, region). They are used for audits "
            "only; no model reads them."
        )
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def has_attributes(workspace: str | Path | Workspace | None = None) -> bool:
    return (_folder(Workspace.open(workspace)) / "attributes.csv").exists()
