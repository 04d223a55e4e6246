"""LangChain's own standard test suite for retrievers, run against ReviewRetriever on the demo store."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.retrievers import BaseRetriever
from langchain_tests.integration_tests import RetrieversIntegrationTests

from tools.retriever import ReviewRetriever


class TestReviewRetrieverStandard(RetrieversIntegrationTests):
    workspace: str = ""

    @pytest.fixture(autouse=True)
    def _use_demo_store(self, demo_store) -> None:
        type(self).workspace = str(demo_store.workspace)

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return ReviewRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"workspace": self.workspace}

    @property
    def retriever_query_example(self) -> str:
        return "the dress runs small"

    @property
    def num_results_arg_name(self) -> str:
        return "k"


def test_documents_carry_review_ids_and_honour_filters(demo_store) -> None:
    retriever = ReviewRetriever(workspace=str(demo_store.workspace), k=3, product_ids=["1017"])
    documents = retriever.invoke("battery does not last")
    assert len(documents) == 3
    assert all(d.metadata["product_id"] == "1017" and d.id == d.metadata["review_id"] for d in documents)
    low = retriever.invoke("battery does not last", max_rating=2)
    assert all(d.metadata["rating"] <= 2 for d in low)
