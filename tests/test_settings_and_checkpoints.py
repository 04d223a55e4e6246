"""Settings precedence and atomic, versioned checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from core.errors import CheckpointError
from core.settings import load_settings
from core.workspace import Workspace
from local_models.checkpoint import load_checkpoint, save_checkpoint


def test_defaults_env_and_workspace_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    (ws / "config.toml").write_text('llm = "openai"\nopenai_model = "from-toml"\nembed_batch_size = 8\n')
    settings = load_settings(ws)
    assert (settings.llm, settings.openai_model, settings.embed_batch_size) == ("openai", "from-toml", 8)
    assert settings.home == ws
    monkeypatch.setenv("MARKETING_AGENT_OPENAI_MODEL", "from-env")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    settings = load_settings(ws)
    assert settings.openai_model == "from-env"  # the environment beats the workspace file
    assert settings.openai_api_key == "sk-test"


def test_default_workspace_comes_from_marketing_agent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETING_AGENT_HOME", str(tmp_path / "elsewhere"))
    assert Workspace.open().root == (tmp_path / "elsewhere").resolve()


def test_bad_settings_say_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETING_AGENT_LLM", "gpt")
    with pytest.raises(ValidationError, match="llm"):
        load_settings()


def test_checkpoints_round_trip_with_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "models" / "thing"
    save_checkpoint(
        folder,
        kind="thing",
        format_version=2,
        manifest={"metrics": {"mae": 0.5}},
        arrays={"w": np.arange(6.0).reshape(2, 3)},
    )
    loaded = load_checkpoint(folder, kind="thing", format_versions=[1, 2])
    assert loaded.manifest["metrics"] == {"mae": 0.5}
    assert loaded.manifest["format_version"] == 2
    assert np.array_equal(loaded.arrays["w"], np.arange(6.0).reshape(2, 3))
    assert sorted(p.name for p in folder.parent.iterdir()) == ["thing"]  # no temp folders left behind


def test_checkpoint_errors_say_what_to_do(tmp_path: Path) -> None:
    folder = tmp_path / "thing"
    with pytest.raises(CheckpointError, match="No thing checkpoint"):
        load_checkpoint(folder, kind="thing", format_versions=[1])
    save_checkpoint(folder, kind="thing", format_version=1, manifest={}, arrays={"w": np.zeros(2)})
    with pytest.raises(CheckpointError, match="format version 1, which this version cannot read; retrain"):
        load_checkpoint(folder, kind="thing", format_versions=[2])
    with pytest.raises(CheckpointError, match="not 'other'"):
        load_checkpoint(folder, kind="other", format_versions=[1])
    (folder / "manifest.json").write_text("{truncated")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(folder, kind="thing", format_versions=[1])


def test_checkpoints_never_unpickle(tmp_path: Path) -> None:
    folder = tmp_path / "thing"
    save_checkpoint(folder, kind="thing", format_version=1, manifest={}, arrays={"w": np.zeros(2)})
    np.savez(folder / "arrays.npz", w=np.array([object()], dtype=object))
    with pytest.raises(CheckpointError, match="unreadable"):
        load_checkpoint(folder, kind="thing", format_versions=[1])
    assert json.loads((folder / "manifest.json").read_text())["kind"] == "thing"
