"""Text generation: one interface (`TextGenerator`), two backends, and a factory that picks one from settings.

from local_models.textgen import ChatMessage, GenerationOptions, text_generator
generation = text_generator().generate([ChatMessage("user", "Three taglines for a rain jacket")],
                                       GenerationOptions(n=3, max_tokens=40))

The backend modules load lazily (torch, transformers and openai are imported on first use), so importing
this package, as `tools/` does, costs nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from local_models.errors import ModelUnavailableError
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
    from tools.settings import Settings

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
    "text_generator",
]


def text_generator(settings: Settings | None = None, workspace: str | Path | None = None) -> TextGenerator:
    """The backend the settings choose: `llm=local` -> `LocalGenerator`; `llm=openai` -> `OpenAIGenerator`
    falling back to the local model. A missing OpenAI key raises `MissingKeyError` here, not at first use.

    Settings come from `tools.settings` (imported here, not at module level: `tools/` imports this package)."""
    if settings is None:
        from tools.settings import load_settings

        settings = load_settings(workspace)
    home = Path(workspace) if workspace is not None else settings.home
    if settings.llm == "local":
        return _local(settings, home)
    from local_models.textgen.openai_backend import OpenAIGenerator

    try:
        fallback: TextGenerator | None = _local(settings, home)
    except ModelUnavailableError:  # OpenAI still works; its faults then raise ProviderError instead
        fallback = None
    return OpenAIGenerator(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        fallback=fallback,
    )


def _local(settings: Settings, home: Path) -> LocalGenerator:
    from local_models.textgen.local import LocalGenerator

    return LocalGenerator(settings.local_model, workspace=home, torch_threads=settings.torch_threads)


def __getattr__(name: str) -> object:
    """`LocalGenerator` and `OpenAIGenerator` import torch and openai: load them only when asked for."""
    if name == "LocalGenerator":
        from local_models.textgen.local import LocalGenerator

        return LocalGenerator
    if name == "OpenAIGenerator":
        from local_models.textgen.openai_backend import OpenAIGenerator

        return OpenAIGenerator
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
