"""Bring your own store: the product catalogue and the brand profile, through the CLI, Python and REST; bad input
changes nothing; product ids of any shape are found in requests."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest

from agent.openai_server import OpenAIServer, serve_app
from agent.router import Router
from agent.router.catalogue import Catalogue
from agent.router.lexicon import load_lexicon
from agent.server import create_app
from core.errors import DataError
from tools.brand import BRAND_FILE, load_brand, set_brand, set_brand_profile
from tools.catalogue import catalogue_names, catalogue_path, catalogue_row, ingest_catalogue

CLI = [sys.executable, "-m", "agent.cli"]
TODAY = date(2026, 11, 30)

CATALOGUE = """SKU,Title,Category,Sub Category,Price,Description,Colour
SKU-4471-BL,Harbor linen throw (blue),Home,Throws,$39.00,A soft linen throw,blue
SKU-4471-GR,Harbor linen throw (green),Home,Throws,39,A soft linen throw,green
SKU-4471,Harbor linen throw set,Home,Throws,"1,070.5",Both throws,
LMP.220/w,Arc table lamp,Home,Lamps,89.50,A brass reading lamp,
1078,Aurora wrap dress,Apparel,Dresses,,A linen wrap dress,
BOLT,Storm rain jacket,Apparel,Jackets,120,A waterproof shell,
"""
BRAND = """name: Harbor & Co
voice: Calm and plain.
audience: People furnishing their first home.
banned_words: [cheap, miracle]
banned_claims: [lasts forever]
required_disclaimers:
  sms: Reply STOP to opt out.
  email: [Unsubscribe at harbor.example/u.]
url_allowlist: [harbor.example]
"""


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=180)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(workspace: Path) -> dict[str, bytes]:
    data = workspace / "data"
    return {p.name: p.read_bytes() for p in sorted(data.iterdir())} if data.exists() else {}


# ---- the catalogue ---------------------------------------------------------------------------------------------


def test_a_catalogue_is_checked_stored_and_read_where_the_tools_look(tmp_path: Path) -> None:
    report = ingest_catalogue(write(tmp_path, "products.csv", CATALOGUE), workspace=tmp_path / "ws")
    assert (report.products, report.previous_products, report.changed) == (6, None, True)
    assert report.categories == ["Home", "Apparel"]
    assert report.warnings == ["ignored columns: Colour"]
    stored = catalogue_path(tmp_path / "ws")
    assert stored.read_text().splitlines()[:2] == [
        "product_id,name,category,subcategory,price,launch_date,description,name_zh",
        "SKU-4471-BL,Harbor linen throw (blue),Home,Throws,39.00,,A soft linen throw,",
    ]
    from core.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")
    assert catalogue_names(ws)["LMP.220/w"] == "Arc table lamp"  # forecasts name products from it
    assert catalogue_row(ws, "SKU-4471")["price"] == "1070.50"  # ad copy takes its facts from it
    catalogue = Catalogue.load(stored, load_lexicon())  # the router reads it
    assert catalogue.price("1078") is None and catalogue.label("BOLT") == "Storm rain jacket (BOLT)"
    again = ingest_catalogue(write(tmp_path, "products.csv", CATALOGUE), workspace=tmp_path / "ws")
    assert (again.changed, again.previous_products) == (False, 6)


def test_json_rows_and_column_maps(tmp_path: Path) -> None:
    rows = [{"code": "A-1", "label": "Alpha", "price": 3}, {"code": "A-2", "label": "Beta", "launch_date": "2025-3"}]
    report = ingest_catalogue(rows=rows, column_map={"product_id": "code", "name": "label"}, workspace=tmp_path)
    assert report.products == 2
    assert catalogue_path(tmp_path).read_text().splitlines()[1:] == ["A-1,Alpha,,,3.00,,,", "A-2,Beta,,,,2025-03-01,,"]


BAD_CATALOGUE = """product_id,name,price
P-1,Lamp,10
P-2,,abc
p-1,Chair,-3
,Desk,5
P-2,Sofa,$5
"""


def test_a_bad_catalogue_names_every_problem_and_changes_nothing(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ingest_catalogue(write(tmp_path, "good.csv", CATALOGUE), workspace=ws)
    before = snapshot(ws)
    with pytest.raises(DataError) as exc:
        ingest_catalogue(write(tmp_path, "bad.csv", BAD_CATALOGUE), workspace=ws)
    assert [str(p) for p in exc.value.problems] == [
        "row 4, column 'product_id': is empty (need a product id)",
        "row 2, column 'name': is empty (need a product name)",
        "row 2, column 'price': 'abc' is not a number",
        "row 3, column 'price': -3 is negative (a price is 0 or more)",
        "row 3, column 'product_id': duplicate product_id 'p-1' (first at row 1 as 'P-1'; ids are matched without "
        "regard to case)",
        "row 5, column 'product_id': duplicate product_id 'P-2' (first at row 2)",
    ]
    assert "Nothing was written" in str(exc.value)
    with pytest.raises(DataError, match="missing required column"):
        ingest_catalogue(write(tmp_path, "columns.csv", "id,price\nP-1,3\n"), workspace=ws)
    with pytest.raises(DataError, match="there are no data rows"):
        ingest_catalogue(rows=[], workspace=ws)
    assert snapshot(ws) == before


def test_catalogue_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    out = run("ingest-catalogue", str(write(tmp_path, "p.csv", CATALOGUE)), "--json", "--workspace", str(ws))
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["products"] == 6
    before = snapshot(ws)
    bad = write(tmp_path, "bad.csv", "Code,Label\nX,\n")
    out = run("ingest-catalogue", str(bad), "--column", "product_id=Code", "--column", "name=Label", "-w", str(ws))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "row 1, column 'Label': is empty (need a product name)" in out.stderr
    assert "bad.csv" in out.stderr and "Nothing was written" in out.stderr
    assert snapshot(ws) == before


# ---- the brand profile -----------------------------------------------------------------------------------------


def test_a_brand_profile_is_checked_and_stored_where_load_brand_reads_it(tmp_path: Path) -> None:
    report = set_brand(write(tmp_path, "brand.yaml", BRAND), workspace=tmp_path / "ws")
    assert report.changed and Path(report.path) == tmp_path / "ws" / "data" / BRAND_FILE
    brand = load_brand(workspace=tmp_path / "ws")
    assert brand.name == "Harbor & Co" and brand.banned_words == ["cheap", "miracle"]
    assert brand.disclaimers("sms") == ["Reply STOP to opt out."]
    assert brand.disclaimers("email") == ["Unsubscribe at harbor.example/u."]
    assert not set_brand(write(tmp_path, "brand.yaml", BRAND), workspace=tmp_path / "ws").changed


@pytest.mark.parametrize(
    ("text", "needles"),
    [
        ("name: X\nbaned_words: [cheap]\n", ["unknown key 'baned_words'", "did you mean 'banned_words'?"]),
        ("name: X\nbanned_words: [unclosed\n", ["not valid YAML: line 3, column 1"]),
        ("name: X\nbanned_words: 5\n", ["column 'banned_words': Input should be a valid list"]),
        ("", ["the brand profile is empty"]),
        ("- a\n- list\n", ["the brand profile is not a mapping"]),
        ("voice: calm\n", ["column 'name': is empty (need the brand's name)"]),
        ("name: X\nrequired_disclaimers:\n  emial: [x]\n", ["'emial' is not a channel or channel group"]),
    ],
)
def test_a_bad_brand_profile_is_refused_and_changes_nothing(tmp_path: Path, text: str, needles: list[str]) -> None:
    ws = tmp_path / "ws"
    set_brand(write(tmp_path, "good.yaml", BRAND), workspace=ws)
    before = snapshot(ws)
    with pytest.raises(DataError) as exc:
        set_brand(write(tmp_path, "bad.yaml", text), workspace=ws)
    for needle in needles:
        assert needle in str(exc.value)
    assert "bad.yaml" in str(exc.value) and "Nothing was written" in str(exc.value)
    assert snapshot(ws) == before


def test_brand_cli(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    out = run("set-brand", str(write(tmp_path, "brand.yaml", BRAND)), "--workspace", str(ws))
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())
    assert "Harbor & Co" in said and "2 banned words" in said
    before = snapshot(ws)
    out = run("set-brand", str(write(tmp_path, "bad.yaml", "name: [unclosed\n")), "--workspace", str(ws))
    assert out.returncode == 1 and "Traceback" not in out.stderr and "not valid YAML" in out.stderr
    out = run("set-brand", str(tmp_path / "missing.yaml"), "--workspace", str(ws))
    assert out.returncode == 1 and "file not found" in out.stderr
    assert snapshot(ws) == before


# ---- REST --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[OpenAIServer, Path]]:
    ws = tmp_path_factory.mktemp("rest") / "ws"
    ws.mkdir()
    with serve_app(create_app(ws, keys=False, rate_limit_per_minute=0)) as running:
        yield running, ws


def put(server: OpenAIServer, path: str, body: Any) -> httpx.Response:
    return httpx.put(f"{server.url}{path}", json=body, timeout=60)


def test_rest_catalogue(rest: tuple[OpenAIServer, Path]) -> None:
    server, ws = rest
    rows = [{"sku": "SKU-1", "title": "Lamp", "price": "12.5"}, {"sku": "SKU-2", "title": "Chair"}]
    response = put(server, "/v1/catalogue", {"rows": rows})
    assert response.status_code == 200, response.text
    assert response.json()["products"] == 2
    before = snapshot(ws)
    bad = put(server, "/v1/catalogue", {"rows": [*rows, {"sku": "sku-1", "title": "Again", "price": "-1"}]})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["problems"] == [
        "row 3, column 'price': -1 is negative (a price is 0 or more)",
        "row 3, column 'sku': duplicate product_id 'sku-1' (first at row 1 as 'SKU-1'; ids are matched without "
        "regard to case)",
    ]
    assert put(server, "/v1/catalogue", {"rows": [{"name": "No id"}]}).status_code == 422
    assert put(server, "/v1/catalogue", {"rows": []}).status_code == 422
    assert snapshot(ws) == before


def test_rest_brand(rest: tuple[OpenAIServer, Path]) -> None:
    server, ws = rest
    response = put(server, "/v1/brand", {"name": "Harbor", "banned_words": ["cheap"]})
    assert response.status_code == 200, response.text
    assert load_brand(workspace=ws).banned_words == ["cheap"]
    before = snapshot(ws)
    bad = put(server, "/v1/brand", {"name": "Harbor", "banned_word": ["cheap"], "tone_words": "warm"})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    problems = bad.json()["problems"]
    assert any("unknown key 'banned_word'" in p for p in problems)
    assert any("tone_words" in p and "valid list" in p for p in problems)
    assert put(server, "/v1/brand", ["not", "a", "mapping"]).status_code == 422
    assert snapshot(ws) == before
    assert set_brand_profile({"name": "Harbor", "banned_words": ["cheap"]}, workspace=ws).changed is False


# ---- product ids in requests -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Router:
    """A workspace whose catalogue came in through `marketing-agent ingest-catalogue`."""
    folder = tmp_path_factory.mktemp("ids")
    out = run("ingest-catalogue", str(write(folder, "products.csv", CATALOGUE)), "--workspace", str(folder / "ws"))
    assert out.returncode == 0, out.stderr
    return Router(folder / "ws").warm_up()


@pytest.mark.parametrize(
    ("request_", "tool", "ids"),
    [
        ("What do customers say about SKU-4471-BL?", "search_reviews", ["SKU-4471-BL"]),
        ("what do customers say about sku-4471-bl", "search_reviews", ["SKU-4471-BL"]),
        ("Reviews of SKU-4471", "search_reviews", ["SKU-4471"]),  # not the longer ids that start with it
        ("reviews of SKU-4471-GR's colour", "search_reviews", ["SKU-4471-GR"]),
        ("Forecast sales of LMP.220/w for 8 weeks", "forecast_sales", ["LMP.220/w"]),
        ("forecast lmp.220/W next month", "forecast_sales", ["LMP.220/w"]),
        ("compare reviews of SKU-4471-BL/SKU-4471-GR", "search_reviews", ["SKU-4471-BL", "SKU-4471-GR"]),
        ("30-day forecast for 1078", "forecast_sales", ["1078"]),
        ("reviews of BOLT", "search_reviews", ["BOLT"]),
        ("what do people say about the table lamp", "search_reviews", ["LMP.220/w"]),  # names still work
    ],
)
def test_product_ids_of_any_shape_are_found(router: Router, request_: str, tool: str, ids: list[str]) -> None:
    plan = router.plan(request_, today=TODAY)
    assert [c.name for c in plan.calls] == [tool], plan
    key = "product_ids" if tool == "search_reviews" else "series_ids"
    assert plan.calls[0].arguments[key] == ids


def test_ordinary_words_are_not_ids_and_unknown_ids_are_asked_about(router: Router) -> None:
    plain = router.plan("reviews that mention a bolt", today=TODAY)
    assert "product_ids" not in plain.calls[0].arguments  # BOLT is an id only in its own case
    unknown = router.plan("What do customers say about SKU-9999-XX?", today=TODAY)
    assert unknown.kind == "clarify" and "SKU-9999-XX" in unknown.message
    assert unknown.suggestions[:2] == ["SKU-4471-BL", "SKU-4471-GR"]
    longer = router.plan("reviews of SKU-4471-BL-2", today=TODAY)  # a longer code is not a shorter id
    assert longer.kind == "clarify" and "SKU-4471-BL-2" in longer.message
