"""API keys for the REST server: created once (the plain key is shown only then), stored hashed in the workspace.

    store = KeyStore(workspace)
    plain = store.create("crm-prod")          # "ma_..." : give it to the CRM; it is never stored
    store.verify(plain)                       # -> KeyRecord(name="crm-prod", ...) or None
    store.revoke("crm-prod")

Keys are 32 random bytes, so a plain SHA-256 is enough to store them (no slow hash needed: there is nothing
to brute-force). `workspace/api_keys.json` is rewritten atomically under a lock; comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock

from core.atomic import write_text
from core.errors import MarketingAgentError
from core.workspace import Workspace

PREFIX = "ma_"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ApiKeyError(MarketingAgentError):
    """A key name that cannot be used, or a key file that cannot be read."""


@dataclass(frozen=True)
class KeyRecord:
    name: str
    digest: str  # sha256 of the plain key, hex
    shown: str  # the first characters, to recognise a key in logs and lists
    created_at: str


class KeyStore:
    """The workspace's API keys (thread- and process-safe)."""

    def __init__(self, workspace: str | Path | Workspace | None = None) -> None:
        self.workspace = Workspace.open(workspace)
        self.path = self.workspace.root / "api_keys.json"
        self._lock = FileLock(str(self.workspace.locks_dir / "api_keys.lock"), timeout=10)

    def create(self, name: str) -> str:
        """A new key called `name`; returns the plain key (shown once, never stored)."""
        if not NAME.match(name):
            raise ApiKeyError(f"{name!r} is not a key name: use 1-64 letters, digits, '.', '_' or '-'")
        plain = PREFIX + secrets.token_urlsafe(32)
        record = KeyRecord(name, _digest(plain), plain[:10], datetime.now(UTC).isoformat(timespec="seconds"))
        self.workspace.ensure()
        with self._lock:
            records = self._read()
            if any(r.name == name for r in records):
                raise ApiKeyError(f"a key called {name!r} exists; revoke it first or choose another name")
            self._write([*records, record])
        return plain

    def verify(self, plain: str) -> KeyRecord | None:
        """The key's record when `plain` is a current key, else None."""
        if not isinstance(plain, str) or not plain.startswith(PREFIX):
            return None
        digest = _digest(plain)
        found = None
        for record in self._read():
            if hmac.compare_digest(record.digest, digest):  # look at every record: timing says nothing
                found = record
        return found

    def revoke(self, name: str) -> bool:
        """Remove the key called `name`; False when there was none."""
        with self._lock:
            records = self._read()
            kept = [r for r in records if r.name != name]
            if len(kept) == len(records):
                return False
            self._write(kept)
        return True

    def records(self) -> list[KeyRecord]:
        return self._read()

    def _read(self) -> list[KeyRecord]:
        if not self.path.exists():
            return []
        try:
            return [KeyRecord(**item) for item in json.loads(self.path.read_text("utf-8"))["keys"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ApiKeyError(f"the key file {self.path} is damaged ({exc}); restore it or delete it") from exc

    def _write(self, records: list[KeyRecord]) -> None:
        body = json.dumps({"keys": [asdict(r) for r in records]}, indent=2)
        write_text(self.path, body, mode=0o600)


def _digest(plain: str) -> str:
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()
