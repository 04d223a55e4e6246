"""Property-based checks of the REST API from its own OpenAPI schema (Schemathesis), against the live app on
127.0.0.1: for inputs generated from the schema, no 500s, and every response's status, content type, headers and
body match what the schema declares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from agent.api_keys import KeyStore
from agent.core import MarketingAgent
from agent.openai_server import serve_app
from agent.server import create_app

# The model-backed routes cost seconds per call on 2 cores: fewer examples there, more on the cheap ones.
SLOW = r"^/v1/(ask|tools/(generate_ad_copy|segment_customers|forecast_sales))"


@pytest.fixture(scope="module")
def key(demo_copy: Path) -> str:
    return KeyStore(demo_copy).create("schemathesis")


@pytest.fixture(scope="module")
def api_schema(demo_copy: Path, key: str, local_generator: Any) -> Iterator[Any]:
    agent = MarketingAgent.open(demo_copy, generator=local_generator)
    with serve_app(create_app(agent=agent, rate_limit_per_minute=0)) as running:
        yield schemathesis.openapi.from_url(f"{running.url}/openapi.json")


# Everything Schemathesis checks about responses. Not `positive_data_acceptance`: a schema-valid body can still be
# refused with 422 for what it says (a product that does not exist, an empty review row), by design.
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
QUICK = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
SLOW_SETTINGS = settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def check_operations(schema: Any, key: str, examples: settings) -> None:
    """Every operation of `schema`, with Hypothesis-generated cases (`schema.as_strategy()` per operation: the
    pytest plugin's fixture loader does not run under pytest 9.2). Failures are collected across operations."""
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @examples
        def run(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {key}"}, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # keep going: report every operation that fails, not only the first
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


def test_cheap_routes_conform_to_the_schema(api_schema: Any, key: str) -> None:
    check_operations(api_schema.exclude(path_regex=SLOW), key, QUICK)


def test_model_backed_routes_conform_to_the_schema(api_schema: Any, key: str) -> None:
    check_operations(api_schema.include(path_regex=SLOW), key, SLOW_SETTINGS)
