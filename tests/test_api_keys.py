"""API keys: shown once, stored hashed, verified in constant time, revocable; the CLI around them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.api_keys import ApiKeyError, KeyStore


def test_keys_are_stored_hashed_and_verify_until_revoked(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "ws")
    plain = store.create("crm-prod")
    assert plain.startswith("ma_") and len(plain) > 40
    stored = (tmp_path / "ws" / "api_keys.json").read_text()
    assert plain not in stored and plain[10:30] not in stored
    record = store.verify(plain)
    assert record is not None and record.name == "crm-prod"
    assert store.verify(plain[:-1] + ("A" if plain[-1] != "A" else "B")) is None
    assert store.verify("") is None and store.verify("not-a-key") is None
    other = store.create("crm-test")
    assert store.verify(other).name == "crm-test"  # type: ignore[union-attr]
    assert store.revoke("crm-prod") and not store.revoke("crm-prod")
    assert store.verify(plain) is None and store.verify(other) is not None
    assert [r.name for r in KeyStore(tmp_path / "ws").records()] == ["crm-test"]  # a new store reads the same file


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "../etc", "-starts-with-dash"])
def test_bad_key_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ApiKeyError):
        KeyStore(tmp_path / "ws").create(name)


def test_duplicate_names_and_damaged_files_are_clear_errors(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "ws")
    store.create("a")
    with pytest.raises(ApiKeyError, match="exists"):
        store.create("a")
    (tmp_path / "ws" / "api_keys.json").write_text("{not json")
    with pytest.raises(ApiKeyError, match="damaged"):
        store.records()


def test_cli_prints_the_key_once_and_lists_only_names(tmp_path: Path) -> None:
    cli = [sys.executable, "-m", "agent.cli", "keys"]
    workspace = str(tmp_path / "ws")
    created = subprocess.run([*cli, "create", "crm", "-w", workspace], capture_output=True, text=True, check=True)
    plain = created.stdout.strip()
    assert plain.startswith("ma_") and "not stored" in created.stderr
    listed = subprocess.run([*cli, "list", "-w", workspace], capture_output=True, text=True, check=True)
    assert "crm" in listed.stdout and plain not in listed.stdout
    assert json.loads((tmp_path / "ws" / "api_keys.json").read_text())["keys"][0]["name"] == "crm"
    missing = subprocess.run([*cli, "revoke", "nope", "-w", workspace], check=False, capture_output=True, text=True)
    assert missing.returncode == 1 and "no key called 'nope'" in missing.stderr and "Traceback" not in missing.stderr
