"""A tool is one unit: everything the agent, the interfaces and the router need to know about it, in one place.

    UNIT = ToolUnit(
        name="forecast_sales",                        # the contract name
        function=forecast_sales,                      # typed keyword arguments -> pydantic result
        input_model=ForecastSalesInput, result_model=ForecastSalesResult,
        presenter=ForecastPresenter(),                # answer text, what a router model may see, terminal view
        planning=FORECAST_PLANNING,                   # how the offline router fills its arguments
        commands=register_commands,                   # its CLI commands
        web_script=Path(__file__).with_name("web.js"),  # its card on the chat page
    )

The registry (`tools.registry`) is built from the units; `agent/` reads everything about a tool from its unit and
never switches on a tool's name. Adding a tool is one new unit, one registry line and router exemplars.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel

from tools.answer import Written

if TYPE_CHECKING:
    import typer
    from rich.console import RenderableType

InputT = TypeVar("InputT", bound=BaseModel)
ResultT = TypeVar("ResultT", bound=BaseModel)
ShownT_contra = TypeVar("ShownT_contra", bound=BaseModel, contravariant=True)

# Arguments that are never a tool's input fields: where it runs and what the agent hands it.
SERVICE_ARGUMENTS = frozenset({"workspace", "generator"})


class Presenter(Protocol[ShownT_contra]):
    """How a tool's result is shown: the answer text, what an LLM router may read, the terminal view."""

    def answer(self, result: ShownT_contra, written: Written) -> str:
        """The answer's section for this result, in Markdown; cites reviews and adds warnings via `written`.
        Every number, name and quote comes from the result."""
        ...

    def model_view(self, result: ShownT_contra) -> dict[str, Any]:
        """What a (possibly remote) router model may read of the result: ids, numbers and labels, never text
        written by customers, never customer ids."""
        ...

    def terminal(self, result: ShownT_contra) -> RenderableType | None:
        """A rich view of the whole result for the terminal (tables, panels), or None when the answer says it all."""
        ...


# ---- what the offline router hands a unit ------------------------------------------------------------------


@dataclass
class RequestDetails:
    """Everything one step of a request says, before it is mapped onto a tool's arguments (the offline router
    extracts these; None means "not said", so a follow-up can tell it from a value)."""

    query: str = ""  # the step's own words, as typed
    anaphor: bool = False  # "it", "them", "that product": points back at an earlier product
    all_products: bool = False  # "overall": no product filter, nothing carried over
    horizon: int | None = None
    what_if: dict[str, float] | None = None
    price_change: float | None = None  # -0.1 for "10% price cut": needs the product's catalogue price
    channel: str | None = None
    n_variants: int | None = None
    tone: str | None = None
    key_message: str | None = None
    audience: str | None = None
    rating: tuple[int | None, int | None] | None = None  # (min, max) when the step says anything
    dates: tuple[date | None, date | None] | None = None
    review_count: int | None = None
    insight: bool = False
    segment_filter: str | None = None
    segment_count: int | None = None
    customer_id: str | None = None
    limit: int | None = None
    segment_product: bool = False  # "the product our loyal customers buy most"
    review_grounding: bool = False  # "...using what reviews praise"
    ad_request: bool = False  # asks for copy: "write ... ad", "headlines", "an email"
    meta_question: bool = False  # "what can you do?": about the agent, not a task
    reroll: bool = False  # "try again": same request, another seed

    def says_anything(self) -> bool:
        """True when the step carries at least one detail a follow-up could change."""
        values = (
            self.horizon, self.what_if, self.price_change, self.channel, self.n_variants, self.tone,
            self.key_message, self.audience, self.rating, self.dates, self.review_count, self.segment_filter,
            self.segment_count, self.customer_id, self.limit,
        )  # fmt: skip
        return self.reroll or any(v is not None for v in values)


@dataclass
class Products:
    """The products a step acts on: ids (or one reference to an earlier result), or a category's members."""

    ids: list[Any]
    category: str | None = None


class CatalogueFacts(Protocol):
    """What argument builders may look up in the workspace's catalogue."""

    def price(self, product_id: str) -> float | None: ...


ArgumentBuilder = Callable[[RequestDetails, Products | None, CatalogueFacts], dict[str, Any]]
ArgumentChanger = Callable[[dict[str, Any], RequestDetails, Products | None, CatalogueFacts], None]


@dataclass(frozen=True)
class Grounding:
    """A call another tool makes first so this one can cite it (an ad "using what reviews praise" searches the
    praise first): `tool` with `arguments(product_ids)`, when `wanted(details)`."""

    tool: str
    wanted: Callable[[RequestDetails], bool]
    arguments: Callable[[list[Any]], dict[str, Any]]


@dataclass(frozen=True)
class ResultUse:
    """When `wanted(details)` and an earlier call of the same plan ran `tool`, `argument` is that call's result at
    `path` (a reference the executor resolves)."""

    tool: str
    path: str
    argument: str
    wanted: Callable[[RequestDetails], bool]


@dataclass(frozen=True)
class Planning:
    """How the offline router builds this tool's calls.

    - `product`: "none" (the tool takes no product), "optional" or "required" (asks which product without one).
    - `one_product_per_call`: one call per product named (up to three); a group of products asks which one.
    - `build(details, products, catalogue)`: a new call's arguments; `change(...)`: apply a follow-up's details
      to an earlier call's arguments, in place.
    - `products_in(arguments)`: the products a call is about (ids or references), for follow-ups and checks.
    - `provides_product`: the result path of the product this tool's result names ("the product our loyal
      customers buy most"); such a tool is called once per `source_keys` value and later steps refer to it.
    - `grounding`: a call of another tool to make first; `takes_over(details)`: a request the router read as that
      other tool is this one's ("write an ad using what reviews praise").
    - `uses_result`: an earlier call's result this call takes as an argument, when the step wants it ("write three
      subject lines and set up a test": the test's variants are the copy's variants).
    - `customer_group`: the argument that holds a group of customers ("at_risk", a segment's name); "them" in the
      next turn means that group ("what should we recommend to them?" after "who are our best customers?").
    - `capability` and `offer`: how the agent describes the tool ("forecast a product's sales"; "a sales
      forecast"), `product_question` what it asks when a product is missing; the `_zh` ones are the same in
      Chinese (for Chinese requests). `horizon_alone`: products and a horizon alone ("the Aurora dress, next 3
      weeks") ask for this tool.
    """

    build: ArgumentBuilder
    change: ArgumentChanger
    products_in: Callable[[Mapping[str, Any]], list[Any]]
    capability: str
    product: Literal["none", "optional", "required"] = "none"
    one_product_per_call: bool = False
    product_question: str = "Which product do you mean?"
    offer: str | None = None
    provides_product: str | None = None
    source_keys: tuple[str, ...] = ()
    grounding: Grounding | None = None
    takes_over: Callable[[RequestDetails], bool] | None = None
    customer_group: str | None = None
    uses_result: ResultUse | None = None
    horizon_alone: bool = False  # products and a horizon, with nothing else said, ask for this tool
    capability_zh: str = ""
    offer_zh: str = ""
    product_question_zh: str = ""


def _attribute(path: str) -> Any:
    """The object a "module:attribute" path names (imported on first use)."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)


def no_products(_: Mapping[str, Any]) -> list[Any]:
    return []


# A planned argument may refer to a value in an earlier call's result (see agent.types): {"$from": 0, "path": ...}
REFERENCE_KEY = "$from"


def reference(call_index: int, path: str) -> dict[str, Any]:
    """An argument value meaning "this value from the result of call `call_index`"."""
    return {REFERENCE_KEY: call_index, "path": path}


def is_reference(value: object) -> bool:
    return isinstance(value, Mapping) and REFERENCE_KEY in value and "path" in value


# ---- the unit --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Implementation(Generic[InputT, ResultT]):
    """The code that runs a tool and shows its results. Validated when defined: the function's keyword arguments
    must be the input model's fields (same names and defaults), so the signature mypy checks and the schema an LLM
    and the REST API see cannot drift apart."""

    function: Callable[..., ResultT]
    input_model: type[InputT]
    result_model: type[ResultT]
    presenter: Presenter[ResultT]
    review_text: Callable[[ResultT], tuple[list[str], list[str]]] | None = None  # quotes and cited review ids
    charts: Callable[[ResultT, Path], list[Path]] | None = None  # PNG charts the terminal chat saves

    def __post_init__(self) -> None:
        self.input_model.model_json_schema()
        self.result_model.model_json_schema()
        check_signature(self.function, self.input_model)


@dataclass(frozen=True)
class ToolUnit:
    """One tool and everything about it. What the router, the CLI and the chat page need is here; the code that
    runs it (`implementation`: the function, its models, the presenter; torch, chromadb and the like behind it)
    loads on first use, named as "module:attribute", so that reading the registry stays cheap."""

    name: str
    implementation_at: str | Implementation[Any, Any]  # "tools.reviews.present:IMPLEMENTATION", or the object
    label: str  # in a sentence: "I couldn't run the forecast: ..."
    brief: str  # what an LLM router's system prompt says the tool does, in one line
    title: str  # a step's heading on the chat page: "Forecast sales"
    planning: Planning | None = None
    commands: Callable[[typer.Typer], None] | None = None
    web_script: Path | None = None  # a script that registers the tool's card on the chat page
    operator_only: frozenset[str] = frozenset()  # arguments only an operator may set (CLI), never a request
    needs_generator: bool = False  # the agent hands it its text generator (one loaded model per process)
    detail_in_chat: bool = True  # the terminal chat shows `presenter.terminal` under the answer
    customers_at: str | None = None  # "module:function" (workspace -> frozenset of ids): the customer ids it knows
    # "module:function" ((result dict, workspace) -> list of ids): the customers a result targets (a filter's
    # members, a product's audience), which an auditing tool may check
    targets_at: str | None = None
    # "module:function" ((ids, workspace) -> one line or None): an auditor's note on any result's targeted customers
    audits_at: str | None = None
    exemplars: tuple[str, ...] = ()  # requests for the offline router's classifier, beside exemplars.yaml
    cues: tuple[tuple[float, str], ...] = ()  # keyword cues (weight, regex), beside lexicon.yaml

    def __post_init__(self) -> None:
        if self.web_script is not None and not self.web_script.is_file():
            raise TypeError(f"tool {self.name}: no web script at {self.web_script}")

    @classmethod
    def in_package(cls, package: str, name: str, **details: Any) -> ToolUnit:
        """The unit of a tool package laid out as the tools here are (see docs/adding-a-tool.md): the code in
        `present.IMPLEMENTATION`, planning in `plan.PLANNING`, commands in `cli.register`, the card in `web.js`.
        `details` are the other fields (label, brief, title, ...)."""
        module = importlib.import_module(package)
        folder = Path(module.__file__ or "").parent
        return cls(
            name=name,
            implementation_at=f"{package}.present:IMPLEMENTATION",
            planning=importlib.import_module(f"{package}.plan").PLANNING,
            commands=importlib.import_module(f"{package}.cli").register,
            web_script=folder / "web.js",
            **details,
        )

    @functools.cached_property
    def implementation(self) -> Implementation[Any, Any]:
        found = self.implementation_at
        if isinstance(found, str):
            module, _, attribute = found.partition(":")
            found = getattr(importlib.import_module(module), attribute)
        if not isinstance(found, Implementation):
            raise TypeError(f"tool {self.name}: {self.implementation_at!r} is not an Implementation")
        return found

    def known_customers(self, workspace: Any) -> frozenset[str]:
        """The customer ids this tool's models know in `workspace` (kept from remote models); none for most tools."""
        if self.customers_at is None:
            return frozenset()
        return frozenset(_attribute(self.customers_at)(workspace))

    def targeted(self, result: Mapping[str, Any], workspace: Any) -> list[str]:
        """The customer ids a result of this tool targets (none for most tools)."""
        if self.targets_at is None:
            return []
        return list(_attribute(self.targets_at)(result, workspace) or [])

    def audit(self, customer_ids: list[str], workspace: Any) -> str | None:
        """This auditor's one-line note on a targeting list, or None (for tools that audit)."""
        if self.audits_at is None or not customer_ids:
            return None
        line = _attribute(self.audits_at)(customer_ids, workspace)
        return str(line) if line else None

    @property
    def function(self) -> Callable[..., BaseModel]:
        return self.implementation.function

    @property
    def input_model(self) -> type[BaseModel]:
        return self.implementation.input_model

    @property
    def result_model(self) -> type[BaseModel]:
        return self.implementation.result_model

    @property
    def presenter(self) -> Presenter[Any]:
        return self.implementation.presenter

    @property
    def description(self) -> str:
        """What an LLM reads about the tool: the function's docstring."""
        return inspect.cleandoc(self.function.__doc__ or self.name)

    def run(self, arguments: Mapping[str, Any], *, workspace: Any, generator: Any = None) -> BaseModel:
        """Call the tool with `arguments` (its input fields, as data: from a plan, a model or a request body) in
        `workspace`. Arguments are validated first, so an unknown or malformed one is a ValidationError that
        names it, never a TypeError from the call."""
        self.input_model.model_validate(arguments)
        extra = {"generator": generator} if self.needs_generator and generator is not None else {}
        return self.function(workspace=workspace, **arguments, **extra)

    def result(self, raw: Mapping[str, Any]) -> BaseModel:
        """A stored result (JSON) as the result model."""
        return self.result_model.model_validate(raw)

    def write_answer(self, raw: Mapping[str, Any], written: Written) -> str:
        return self.presenter.answer(self.result(raw), written)

    def model_view(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        return self.presenter.model_view(self.result(raw))

    def review_text(self, raw: Mapping[str, Any]) -> tuple[list[str], list[str]]:
        """Review text the result carries and the ids of those reviews (none for most tools)."""
        read = self.implementation.review_text
        return read(self.result(raw)) if read is not None else ([], [])

    def charts(self, raw: Mapping[str, Any], folder: Path) -> list[Path]:
        """PNG charts of the result saved in `folder` (none for most tools)."""
        draw = self.implementation.charts
        return draw(self.result(raw), folder) if draw is not None else []

    @staticmethod
    def warnings(raw: Mapping[str, Any]) -> list[str]:
        """The warnings a result carries (every result model has a `warnings` list)."""
        return [str(w) for w in raw.get("warnings", []) or []]


def check_signature(function: Callable[..., Any], input_model: type[BaseModel]) -> None:
    """Raise TypeError unless `function` takes exactly the input model's fields as keyword arguments (with the
    same defaults), plus the service arguments (workspace, generator)."""
    name = function.__name__
    parameters = inspect.signature(function).parameters
    wrong = [p.name for p in parameters.values() if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    if wrong:
        raise TypeError(f"tool {name}: arguments must be keyword-only, not {', '.join(wrong)}")
    fields = input_model.model_fields
    taken = {n: p for n, p in parameters.items() if n not in SERVICE_ARGUMENTS}
    if set(taken) != set(fields):
        missing, unknown = sorted(set(fields) - set(taken)), sorted(set(taken) - set(fields))
        raise TypeError(
            f"tool {name}: signature and {input_model.__name__} differ (missing {missing}, extra {unknown})"
        )
    for field_name, info in fields.items():
        default = taken[field_name].default
        expected = inspect.Parameter.empty if info.is_required() else info.get_default(call_default_factory=True)
        if default != expected:
            raise TypeError(f"tool {name}: {field_name} defaults to {default!r}; the input model says {expected!r}")


def fields_of(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """A tool function's arguments without its service arguments: what its input model validates."""
    return {k: v for k, v in arguments.items() if k not in SERVICE_ARGUMENTS}


def compact(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Arguments without the ones left unset (the tool's defaults apply)."""
    return {k: v for k, v in arguments.items() if v is not None}


def lazy_exports(package: str, exports: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that imports `name` from `exports[name]` (a module) on first use, so that importing
    a unit's package (to read its unit) does not load its heavy code. Pair it with the same imports under
    TYPE_CHECKING, so mypy checks every call through the package."""

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__
