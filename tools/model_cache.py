"""Workspace models loaded once per process and reloaded when their checkpoint changes on disk."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from core.errors import CheckpointError, ModelNotTrainedError

T = TypeVar("T")


class ModelCache(Generic[T]):
    """`get(folder)` returns `load(folder)`, cached until the folder's manifest.json changes. A missing or
    unreadable checkpoint becomes a ModelNotTrainedError that says which command trains one."""

    def __init__(self, load: Callable[[Path], T], *, what: str, train_hint: str) -> None:
        self._load = load
        self._what = what
        self.train_hint = train_hint
        self._entries: dict[Path, tuple[float, T]] = {}
        self._lock = threading.Lock()

    def get(self, folder: Path, workspace: Path) -> T:
        with self._lock:
            try:
                stamp = (folder / "manifest.json").stat().st_mtime
            except OSError:
                raise ModelNotTrainedError(f"No {self._what} is trained in {workspace}. {self.train_hint}") from None
            cached = self._entries.get(folder)
            if cached is None or cached[0] != stamp:
                try:
                    cached = (stamp, self._load(folder))
                except CheckpointError as exc:
                    raise ModelNotTrainedError(f"{exc} {self.train_hint}") from exc
                self._entries[folder] = cached
            return cached[1]

    def forget(self, folder: Path) -> None:
        """Drop a folder's entry (after retraining it in this process)."""
        with self._lock:
            self._entries.pop(folder, None)
