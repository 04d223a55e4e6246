"""The product catalogue: bring your own (`marketing-agent ingest-catalogue FILE`, `PUT /v1/catalogue`).

A catalogue has one row per product: `product_id` and `name`, optional `category`, `subcategory`, `price`,
`launch_date`, `description` and `name_zh` (the Chinese name Chinese requests use). It is read by the shared reader
(`core/tabular.py`: CSV or JSONL, aliases such as `sku` or `title`, `--column` maps), checked whole (every id
present and unique, ignoring case; names present; prices numbers of 0 or more), then written atomically to
`data/catalogue.csv` in the workspace, replacing the catalogue there: the router finds the products a request names
in it, ad copy takes its facts from it, forecasts name their products from it. A catalogue with any problem changes
nothing.
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field

from core.atomic import write_text
from core.errors import DataError, DataProblem
from core.tabular import Field as Column
from core.tabular import Schema, Table, not_negative, read_table, table_from_records
from core.workspace import Workspace

CATALOGUE_FILE = "catalogue.csv"
COLUMNS = ("product_id", "name", "category", "subcategory", "price", "launch_date", "description", "name_zh")
MAX_ID_CHARS = 100


def _id_length(product_id: str) -> str | None:
    if len(product_id) > MAX_ID_CHARS:
        return f"is {len(product_id):,} characters; a product id has at most {MAX_ID_CHARS}"
    return None


SCHEMA = Schema(
    noun="catalogue",
    fields=(
        Column(
            "product_id",
            "id",
            required=True,
            aliases=("sku", "item_id", "productid", "id", "product", "article_id", "variant_sku", "product_code"),
            need="a product id",
            check=_id_length,
        ),
        Column(
            "name",
            required=True,
            aliases=("product_name", "title", "item_name", "product_title"),
            need="a product name",
            max_chars=300,
        ),
        Column("category", aliases=("product_category", "department", "product_type", "category_name")),
        Column("subcategory", aliases=("sub_category", "class", "class_name", "product_subcategory")),
        Column(
            "price",
            "number",
            aliases=("unit_price", "list_price", "retail_price", "variant_price"),
            check=not_negative("a price is 0 or more"),
        ),
        Column("launch_date", "date", aliases=("launched", "release_date", "launch", "available_from")),
        Column("description", aliases=("product_description", "body", "body_html", "details"), max_chars=5000),
        # the name Chinese requests use ("Aurora 亚麻中长连衣裙"); the router also reads its ending ("连衣裙")
        Column("name_zh", aliases=("chinese_name", "name_cn", "product_name_zh", "中文名", "中文名称"), max_chars=300),
    ),
    hint="Nothing was written: the workspace's catalogue is as it was. Fix the rows above and run again.",
)


class CatalogueReport(BaseModel):
    """What an ingest of the catalogue did."""

    source: str
    products: int = Field(description="Products in the new catalogue.")
    previous_products: int | None = Field(description="Products in the catalogue it replaced (None: there was none).")
    categories: list[str] = Field(description="Categories, in the order they first appear.")
    path: str = Field(description="Where the catalogue is stored in the workspace.")
    changed: bool = Field(description="False when the catalogue was already exactly this.")
    warnings: list[str]


def catalogue_path(workspace: str | Path | Workspace | None = None) -> Path:
    """Where the workspace's catalogue lives (the router, ad copy and forecasts read it there)."""
    return Workspace.open(workspace).data_dir / CATALOGUE_FILE


def ingest_catalogue(
    path: str | Path | None = None,
    *,
    rows: Iterable[Mapping[str, Any]] | None = None,
    column_map: Mapping[str, str] | None = None,
    workspace: str | Path | Workspace | None = None,
) -> CatalogueReport:
    """Check a catalogue file (or rows, e.g. from a REST request) and make it the workspace's catalogue. Raises
    DataError naming every problem (row and column), and then writes nothing."""
    if (path is None) == (rows is None):
        raise ValueError("pass either a file path or rows")
    table = (
        read_table(path, SCHEMA, column_map)
        if path is not None
        else table_from_records(rows or [], SCHEMA, column_map=column_map)
    )
    products = _products(table)
    target = catalogue_path(workspace)
    text = _csv_text(products)
    previous = target.read_text(encoding="utf-8") if target.is_file() else None
    if text != previous:
        write_text(target, text)
    return CatalogueReport(
        source=table.source,
        products=len(products),
        previous_products=None if previous is None else _count_rows(previous),
        categories=list(dict.fromkeys(p["category"] for p in products if p["category"])),
        path=str(target),
        changed=text != previous,
        warnings=table.warnings,
    )


def _products(table: Table) -> list[dict[str, str]]:
    """Every product as the text written to the catalogue file; DataError with every problem found."""
    table.raise_if_unreadable()
    problems: list[DataProblem] = []
    values = {name: table.parse(name, problems).values for name in COLUMNS}
    _check_unique(values["product_id"], table, problems)
    if problems:
        raise DataError(table.source, problems, hint=SCHEMA.hint)
    return [
        {name: _text(values[name][i]) for name in COLUMNS}
        for i in range(len(table))  # the file's order: demos and tests can rely on it
    ]


def _check_unique(ids: list[str], table: Table, problems: list[DataProblem]) -> None:
    """Ids are matched in requests without regard to case, so SKU-1 and sku-1 would be one product."""
    first: dict[str, tuple[int, str]] = {}
    for i, product_id in enumerate(ids):
        if not product_id:
            continue
        seen = first.setdefault(product_id.casefold(), (table.rows[i], product_id))
        if seen[0] != table.rows[i]:
            same = "" if seen[1] == product_id else f" as {seen[1]!r}; ids are matched without regard to case"
            problems.append(
                DataProblem(
                    f"duplicate product_id {product_id!r} (first at row {seen[0]}{same})",
                    table.rows[i],
                    table.header("product_id"),
                )
            )


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def _csv_text(products: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(products)
    return out.getvalue()


def _count_rows(text: str) -> int:
    return sum(1 for _ in csv.DictReader(io.StringIO(text)))


# ---- reading it back ----------------------------------------------------------------------------------------


def resolve_product(text: str, names: dict[str, str], known: dict[str, int]) -> str:
    """A series id from a product id or (fuzzy) name: "aurora dress" -> "1001"."""
    query = text.strip()
    if query in known:
        return query
    lowered = {sid: name.lower() for sid, name in names.items() if sid in known}
    contains = [sid for sid, name in lowered.items() if query.lower() in name]
    if len(contains) == 1:
        return contains[0]
    close = difflib.get_close_matches(query.lower(), list(lowered.values()), n=3, cutoff=0.5)
    if len(close) >= 1 and not contains:
        return next(sid for sid, name in lowered.items() if name == close[0])
    candidates = contains or [sid for sid, name in lowered.items() if name in close]
    hint = "; did you mean " + ", ".join(f"{names[c]} ({c})" for c in candidates[:5]) if candidates else ""
    raise DataError("product", [DataProblem(f"no single product matches {text!r}{hint}")])


def catalogue_table(ws: Workspace) -> pd.DataFrame | None:
    """The workspace catalogue as text columns (product_id, name, ...), or None when there is none."""
    path = catalogue_path(ws)
    if not path.exists():
        return None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    return frame if {"product_id", "name"} <= set(frame.columns) else None


def catalogue_names(ws: Workspace) -> dict[str, str]:
    """Product id -> name from the workspace catalogue ({} when there is none)."""
    frame = catalogue_table(ws)
    return {} if frame is None else dict(zip(frame["product_id"], frame["name"], strict=True))


def catalogue_row(ws: Workspace, product: str) -> dict[str, Any]:
    """The catalogue row of a product given by id or (fuzzy) name; a clear error without a catalogue."""
    path = catalogue_path(ws)
    if not path.exists():
        raise DataError(
            path, [DataProblem("no product catalogue in this workspace")], "Copy needs catalogue facts to ground it."
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if not {"product_id", "name"} <= set(frame.columns):
        raise DataError(path, [DataProblem("the catalogue needs product_id and name columns")])
    names = dict(zip(frame["product_id"], frame["name"], strict=True))
    pid = resolve_product(product, names, dict.fromkeys(names, 0))
    record = {str(k): v for k, v in frame[frame["product_id"] == pid].iloc[0].to_dict().items()}
    return record
