"""LangChain's standard tool suites on the search_reviews LangChain tool, plus error handling."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import BaseTool
from langchain_tests.integration_tests import ToolsIntegrationTests
from langchain_tests.unit_tests import ToolsUnitTests

from tools import langchain_tools


class _SearchReviewsTool:
    instance: BaseTool | None = None

    @pytest.fixture(autouse=True)
    def _bind_to_demo_store(self, demo_store) -> None:
        type(self).instance = {t.name: t for t in langchain_tools(demo_store.workspace)}["search_reviews"]

    @property
    def tool_constructor(self) -> BaseTool:
        assert self.instance is not None
        return self.instance

    @property
    def tool_invoke_params_example(self) -> dict[str, Any]:
        return {"query": "runs small", "product_ids": ["1001"], "k": 2}


class TestSearchReviewsToolUnit(_SearchReviewsTool, ToolsUnitTests):
    pass


class TestSearchReviewsToolIntegration(_SearchReviewsTool, ToolsIntegrationTests):
    pass


def test_tool_errors_come_back_as_text_for_the_model(tmp_path) -> None:
    tool = {t.name: t for t in langchain_tools(tmp_path / "empty")}["search_reviews"]
    assert "marketing-agent demo" in tool.invoke({"query": "anything"})
