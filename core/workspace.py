"""The workspace: one folder that holds all of a user's state. Deleting it resets everything."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.settings import Settings, load_settings


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

    @property
    def chroma_dir(self) -> Path:
        return self.root / "chroma"

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    @property
    def data_dir(self) -> Path:
        """Input files the workspace was built from (the demo generator writes here)."""
        return self.root / "data"

    @property
    def index_dir(self) -> Path:
        """Derived, rebuildable indexes (e.g. the review search mirror)."""
        return self.root / "index"

    @property
    def locks_dir(self) -> Path:
        return self.root / "locks"

    @property
    def sessions_db(self) -> Path:
        return self.root / "sessions.sqlite"

    @property
    def audit_log(self) -> Path:
        return self.root / "audit.jsonl"

    @property
    def config_file(self) -> Path:
        return self.root / "config.toml"

    def ensure(self) -> Workspace:
        """Create the folders a writer needs; readers never call this."""
        for folder in (self.root, self.chroma_dir, self.models_dir, self.index_dir, self.locks_dir):
            folder.mkdir(parents=True, exist_ok=True)
        return self
