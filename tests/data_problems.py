"""What the reader tests check of a refused file: the DataError's problems as the lines a user reads, and the one
problem that names a given thing (so a test states the problem it expects without depending on the order)."""

from __future__ import annotations

import pytest

from core.errors import DataError


def problems(exc: pytest.ExceptionInfo[DataError]) -> list[str]:
    return [str(p) for p in exc.value.problems]


def one_problem(exc: pytest.ExceptionInfo[DataError], *needles: str) -> str:
    """The single problem that contains every needle (fails when none or several do)."""
    hits = [p for p in problems(exc) if all(n in p for n in needles)]
    assert len(hits) == 1, f"{needles} in {problems(exc)}"
    return hits[0]
