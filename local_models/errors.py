"""Errors raised by local model code. The base class lives here, at the bottom of the dependency graph,
so that `tools/` and `agent/` build on it without `local_models/` importing them."""

from __future__ import annotations

from pydantic import ValidationError


class MarketingAgentError(Exception):
    """Base of every error this project raises on purpose; the CLI prints these without a traceback."""


class ModelUnavailableError(MarketingAgentError):
    """Model weights that must ship with an installed package are missing (nothing is ever downloaded)."""


class CheckpointError(MarketingAgentError):
    """A saved model is missing, half-written, or from an incompatible format version."""


def validation_message(exc: ValidationError) -> str:
    """A pydantic validation error as one readable line: `field: problem; field: problem`."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors(include_url=False)
    )
