"""A suite's sizes in its two modes: --quick (what CI runs, in minutes) and full (the figures a report quotes)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

SizesT = TypeVar("SizesT")


@dataclass(frozen=True)
class ByMode(Generic[SizesT]):
    """Both of a suite's sizes side by side, so that a reader compares them at a glance."""

    quick: SizesT
    full: SizesT

    def pick(self, quick: bool) -> SizesT:
        return self.quick if quick else self.full
