"""A tool is one unit: every registered unit keeps its contract, and a new tool plugs in with no change to agent/.

The extra tool here (`quote_shipping`) exists only inside the test: registered for the block, it is planned by
the offline router from its own exemplars, run by the executor, written into the answer by its presenter, served
as a typed REST route, and drawn on the chat page by its own script in a real browser.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from pydantic import BaseModel, ConfigDict, Field

from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app
from tools.answer import Written
from tools.registry import TOOLS, register
from tools.unit import CatalogueFacts, Implementation, Planning, Products, RequestDetails, ToolUnit, no_products

AGENT_DIR = Path(__file__).resolve().parent.parent / "agent"
TOOL_NAME = re.compile(r"\b(" + "|".join(TOOLS) + r")\b")


# ---- every registered unit ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(TOOLS))
def test_each_unit_keeps_its_contract(name: str) -> None:
    unit = TOOLS[name]
    assert unit.name == name
    parameters = inspect.signature(unit.function).parameters
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters.values())
    assert set(unit.input_model.model_fields) <= set(parameters)  # typed, checked call sites
    assert "workspace" in parameters
    assert "warnings" in unit.result_model.model_fields  # the answer collects them
    assert unit.description and unit.brief and unit.label and unit.title
    assert unit.planning is not None and unit.planning.capability
    assert unit.commands is not None
    assert unit.web_script is not None and f'registerView("{name}"' in unit.web_script.read_text("utf-8")


def test_agent_never_names_a_tool() -> None:
    """Outside its router data (YAML), agent/ knows tools only through the registry."""
    named = [
        f"{path.relative_to(AGENT_DIR)}:{i}"
        for path in AGENT_DIR.rglob("*")
        if path.suffix in {".py", ".js", ".html"}
        for i, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if TOOL_NAME.search(line)
    ]
    assert named == []


def test_a_function_that_drifts_from_its_input_model_is_refused_when_defined() -> None:
    class Wanted(BaseModel):
        weight_kg: float
        express: bool = False

    def missing_a_field(*, weight_kg: float, workspace: Any = None) -> ShippingQuote:
        raise AssertionError

    def other_default(*, weight_kg: float, express: bool = True, workspace: Any = None) -> ShippingQuote:
        raise AssertionError

    def positional(weight_kg: float, *, express: bool = False, workspace: Any = None) -> ShippingQuote:
        raise AssertionError

    for function, problem in ((missing_a_field, "missing"), (other_default, "defaults"), (positional, "keyword")):
        with pytest.raises(TypeError, match=problem):
            Implementation(function, Wanted, ShippingQuote, ShippingPresenter())


def test_a_name_already_registered_is_refused() -> None:
    with pytest.raises(ValueError, match="registered already"), register(TOOLS["forecast_sales"]):
        pass


# ---- a tool added at test time ------------------------------------------------------------------------------


class ShippingQuoteInput(BaseModel):
    """What shipping a parcel costs."""

    model_config = ConfigDict(extra="forbid")

    weight_kg: float = Field(gt=0, le=30, description="Parcel weight in kilograms.")
    express: bool = Field(False, description="Next-day delivery.")


class ShippingQuote(BaseModel):
    weight_kg: float
    express: bool
    cost: float
    warnings: list[str] = Field(default_factory=list)


def quote_shipping(*, weight_kg: float, express: bool = False, workspace: Any = None) -> ShippingQuote:
    """What shipping a parcel of a given weight costs, standard or express."""
    request = ShippingQuoteInput(weight_kg=weight_kg, express=express)
    cost = 4.5 + 1.25 * request.weight_kg + (6.0 if request.express else 0.0)
    return ShippingQuote(weight_kg=request.weight_kg, express=request.express, cost=round(cost, 2))


class ShippingPresenter:
    def answer(self, result: ShippingQuote, written: Written) -> str:
        kind = "express" if result.express else "standard"
        return f"**Shipping quote**: a {result.weight_kg:g} kg parcel costs ${result.cost:.2f} ({kind})."

    def model_view(self, result: ShippingQuote) -> dict[str, Any]:
        return result.model_dump(exclude={"warnings"})

    def terminal(self, result: ShippingQuote) -> Any:
        return None


WEIGHT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:kg|kilos?|kilograms?)\b", re.IGNORECASE)


def _build(details: RequestDetails, _: Products | None, __: CatalogueFacts) -> dict[str, Any]:
    found = WEIGHT.search(details.query)
    arguments: dict[str, Any] = {"weight_kg": float(found.group(1)) if found else 1.0}
    if re.search(r"\b(express|next[- ]day|overnight)\b", details.query, re.IGNORECASE):
        arguments["express"] = True
    return arguments


def _change(arguments: dict[str, Any], details: RequestDetails, products: Products | None, _: CatalogueFacts) -> None:
    arguments.update(_build(details, products, _))


WEB_SCRIPT = """
"use strict";
(({ registerView, ui }) => {
  registerView("quote_shipping", (result) =>
    ui.card("Shipping", ui.el("p", { class: "shipping-quote", text: `${result.weight_kg} kg: $${result.cost}` })),
  );
})(window.MarketingAgentPage);
"""


@pytest.fixture(scope="module")
def shipping(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ToolUnit]:
    script = tmp_path_factory.mktemp("shipping-unit") / "web.js"
    script.write_text(WEB_SCRIPT, encoding="utf-8")
    unit = ToolUnit(
        name="quote_shipping",
        implementation_at=Implementation(quote_shipping, ShippingQuoteInput, ShippingQuote, ShippingPresenter()),
        label="the shipping quote",
        brief="what shipping a parcel costs, by weight, standard or express",
        title="Quote shipping",
        planning=Planning(build=_build, change=_change, products_in=no_products, capability="quote shipping costs"),
        web_script=script,
        exemplars=(
            "how much does shipping cost for a 2 kg parcel",
            "what is the postage on a 5 kilo box",
            "quote me shipping for 1.5 kg",
            "shipping price for a parcel weighing 3 kg",
            "what will it cost to send a 10 kg package",
            "express shipping cost for 4 kg",
            "how much is next day delivery for a small parcel",
            "delivery charge for a 6 kilogram order",
        ),
        cues=((0.6, r"\b(shipping|postage|parcel|delivery charge)\b"),),
    )
    with register(unit):
        yield unit


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("shipping") / "ws"
    folder.mkdir()
    return folder


@pytest.fixture(scope="module")
def agent(shipping: ToolUnit, workspace: Path) -> MarketingAgent:
    return MarketingAgent.open(workspace)


def test_the_new_tool_is_planned_run_and_answered(agent: MarketingAgent) -> None:
    request = "How much is express shipping for a 3 kg parcel?"
    planned = agent.plan(request)
    assert [(c.name, c.arguments) for c in planned] == [("quote_shipping", {"weight_kg": 3.0, "express": True})]
    response = agent.ask(request)
    call = response.tool_calls[0]
    assert call.status == "ok" and call.result is not None and call.result["cost"] == 14.25
    assert "a 3 kg parcel costs $14.25 (express)" in response.answer


def test_a_follow_up_changes_the_new_tools_arguments(agent: MarketingAgent) -> None:
    first = agent.ask("What does shipping a 2 kg parcel cost?", session_id="ship-1")
    assert first.tool_calls[0].arguments == {"weight_kg": 2.0}
    again = agent.ask("and for 8 kg?", session_id="ship-1")
    assert [(c.name, c.arguments) for c in again.tool_calls] == [("quote_shipping", {"weight_kg": 8.0})]


def test_the_new_tool_has_a_typed_rest_route_and_a_card_script(agent: MarketingAgent, workspace: Path) -> None:
    client = TestClient(create_app(workspace, keys=False, agent=agent))
    quote = client.post("/v1/tools/quote_shipping", json={"weight_kg": 2, "express": False})
    assert quote.status_code == 200 and quote.json()["cost"] == 7.0
    refused = client.post("/v1/tools/quote_shipping", json={"weight_kg": 80})
    assert refused.status_code == 422 and "weight_kg" in refused.json()["detail"]
    schema: Mapping[str, Any] = client.get("/openapi.json").json()
    assert "/v1/tools/quote_shipping" in schema["paths"]
    assert "quote_shipping" in schema["components"]["schemas"]["ToolCall"]["properties"]["name"]["enum"]
    scripts = client.get("/tools.js").text
    assert '"quote_shipping": "Quote shipping"' in scripts and 'registerView("quote_shipping"' in scripts


def test_the_new_tool_is_drawn_on_the_chat_page(agent: MarketingAgent, workspace: Path, browser: Browser) -> None:
    with serve_app(create_app(workspace, keys=False, agent=agent)) as server:
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server.url + "/")
        page.get_by_label("Your question").fill("Quote me shipping for a 4 kg parcel")
        page.get_by_label("Your question").press("Enter")
        expect(page.locator(".shipping-quote")).to_have_text("4 kg: $9.5", timeout=90_000)
        expect(page.locator(".step-name").first).to_have_text("Quote shipping")
        page.close()
    assert not errors, errors
