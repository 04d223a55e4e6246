"""Checkpoints: a folder with `manifest.json` (format version, config, data fingerprint, metrics) and
`arrays.npz` (weights as plain arrays; no pickle, so loading a checkpoint never runs code).

Saves are atomic: everything is written to a temporary sibling folder, fsynced, and renamed into place,
so a crash leaves either the old checkpoint or the new one, never half of one. Replacing takes two renames (the old
folder aside, the new one in): a crash between them leaves the old checkpoint under its aside name, where loading
finds it and the next save puts it back. Temporary folders of crashed saves are removed by the next save.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.atomic import replace_folder
from core.errors import CheckpointError

MANIFEST = "manifest.json"
ARRAYS = "arrays.npz"


@dataclass(frozen=True)
class Checkpoint:
    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray]


def fingerprint(parts: Iterable[str | bytes]) -> str:
    """A short, stable hash of the training data, so a manifest says what a model was trained on."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\x1e")
    return digest.hexdigest()[:16]


def save_checkpoint(
    folder: Path, *, kind: str, format_version: int, manifest: Mapping[str, Any], arrays: Mapping[str, np.ndarray]
) -> Path:
    """Write a checkpoint atomically to `folder` (replacing any previous one)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    _recover(folder)
    tmp = folder.with_name(f".{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    full = {
        "kind": kind,
        "format_version": format_version,
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **manifest,
    }
    _write_synced(tmp / MANIFEST, json.dumps(full, indent=2, sort_keys=True, default=str).encode("utf-8"))
    with (tmp / ARRAYS).open("wb") as handle:
        np.savez(handle, **dict(arrays))  # type: ignore[arg-type]
        handle.flush()
        os.fsync(handle.fileno())
    replace_folder(tmp, folder)
    return folder


def load_checkpoint(folder: Path, *, kind: str, format_versions: Iterable[int]) -> Checkpoint:
    """Read a checkpoint, checking its kind and format version; errors say how to fix it."""
    if not folder.exists():  # a save that crashed between its two renames left the old one aside
        folder = next(iter(_set_aside(folder)), folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        with np.load(folder / ARRAYS, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except FileNotFoundError as exc:
        raise CheckpointError(f"No {kind} checkpoint in {folder}") from exc
    except (OSError, ValueError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"The {kind} checkpoint in {folder} is unreadable ({exc}); retrain it.") from exc
    if manifest.get("kind") != kind:
        raise CheckpointError(f"{folder} holds a {manifest.get('kind')!r} checkpoint, not {kind!r}.")
    if manifest.get("format_version") not in set(format_versions):
        raise CheckpointError(
            f"The {kind} checkpoint in {folder} has format version {manifest.get('format_version')}, "
            "which this version cannot read; retrain it."
        )
    return Checkpoint(manifest=manifest, arrays=arrays)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _set_aside(folder: Path) -> list[Path]:
    """Old checkpoints a crashed save moved aside (complete: they were in place before), newest first."""
    found = [p for p in folder.parent.glob(f".{folder.name}.old-*") if (p / MANIFEST).exists()]
    return sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)


def _recover(folder: Path) -> None:
    """Before a save: put back a checkpoint a crashed save left aside, and remove what crashed saves left behind
    (only theirs: a folder named after a live process may be another save in progress)."""
    aside = _set_aside(folder)
    if not folder.exists() and aside and not _alive(aside[0]):
        aside[0].rename(folder)
    for stray in folder.parent.glob(f".{folder.name}.*-*"):
        if not _alive(stray):
            shutil.rmtree(stray, ignore_errors=True)


def _alive(stray: Path) -> bool:
    """Whether the process whose id ends `stray`'s name is running (ours counts as running)."""
    try:
        pid = int(stray.name.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True
