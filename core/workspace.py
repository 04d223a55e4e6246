"""The workspace: one folder that holds all of a user's state. Deleting it resets everything."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, load_settings


class _In:
    """A path inside the workspace folder, read as an attribute: `workspace.models_dir`."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, workspace: Workspace, owner: type[Workspace]) -> Path:
        return workspace.root / self.name


@dataclass(frozen=True)
class Workspace:
    """Paths inside a workspace folder; creating the object touches nothing on disk."""

    root: Path
    settings: Settings

    @classmethod
    def open(cls, workspace: str | Path | Workspace | None = None) -> Workspace:
        """The workspace at `workspace`, or the one the settings name (MARKETING_AGENT_HOME, ./workspace)."""
        if isinstance(workspace, Workspace):
            return workspace
        settings = load_settings(workspace)
        return cls(root=Path(settings.home).expanduser().resolve(), settings=settings)

    # Where things live inside the folder (paths only: reading one touches nothing on disk).
    chroma_dir = _In("chroma")  # the embedded review store
    models_dir = _In("models")  # checkpoints with their manifests
    data_dir = _In("data")  # input files the workspace was built from (the demo generator writes here)
    index_dir = _In("index")  # derived, rebuildable indexes (e.g. the review search mirror)
    locks_dir = _In("locks")
    sessions_db = _In("sessions.sqlite")
    audit_log = _In("audit.jsonl")
    config_file = _In("config.toml")
    id_file = _In("workspace.id")  # this workspace's name on shared servers (its reviews' collection)

    def identity(self, *, create: bool = False) -> str | None:
        """A random id this workspace keeps for good, made the first time a writer asks (`create`); None while it
        has none. Copies of the folder share it; a new folder never does."""
        try:
            return self.id_file.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            if not create:
                return None
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".workspace.id.", suffix=".tmp")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(uuid.uuid4().hex)
        try:
            os.link(temporary, self.id_file)  # fails if another process made it first: theirs is kept
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
        return self.id_file.read_text(encoding="utf-8").strip()

    def ensure(self) -> Workspace:
        """Create the folders a writer needs; readers never call this."""
        for folder in (self.root, self.chroma_dir, self.models_dir, self.index_dir, self.locks_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
