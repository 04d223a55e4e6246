"""Text generation: one interface (`TextGenerator`) and two backends (`tools.models.text_generator` picks one
from settings).

from local_models.textgen import ChatMessage, GenerationOptions, LocalGenerator
generation = LocalGenerator(workspace="workspace").generate(
    [ChatMessage("user", "Three taglines for a rain jacket")], GenerationOptions(n=3, max_tokens=40))

The backend modules load lazily (torch, transformers and openai are imported on first use), so importing
this package, as `tools/` does, costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from local_models.textgen.base import (
    ChatMessage,
    Generation,
    GenerationOptions,
    MissingKeyError,
    ProviderError,
    Role,
    TextGenerator,
    TextStream,
)

if TYPE_CHECKING:
    from local_models.textgen.local import LocalGenerator
    from local_models.textgen.openai_backend import OpenAIGenerator

__all__ = [
    "ChatMessage",
    "Generation",
    "GenerationOptions",
    "LocalGenerator",
    "MissingKeyError",
    "OpenAIGenerator",
    "ProviderError",
    "Role",
    "TextGenerator",
    "TextStream",
]


def __getattr__(name: str) -> object:
    """`LocalGenerator` and `OpenAIGenerator` import torch and openai: load them only when asked for."""
    if name == "LocalGenerator":
        from local_models.textgen.local import LocalGenerator

        return LocalGenerator
    if name == "OpenAIGenerator":
        from local_models.textgen.openai_backend import OpenAIGenerator

        return OpenAIGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
