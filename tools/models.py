"""Every model the tools and the agent use, built from settings in one place and once per process.

    embedder(settings)               # MiniLM for the review store, the router and ad-copy reranking
    text_generator(settings, root)   # the local model, or OpenAI with the local model as its fallback
    chat_model(settings)             # the LangChain tool-calling model of the LLM router

`local_models/` takes plain arguments and never reads settings; this module is where settings become them.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import ModelUnavailableError
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI

    from local_models.embeddings import MiniLMEmbedder
    from local_models.textgen import LocalGenerator, TextGenerator

_generators: dict[tuple[str, Path, str], TextGenerator] = {}
_lock = threading.Lock()


def embedder(settings: Settings | None = None) -> MiniLMEmbedder:
    """The process-wide MiniLM embedder for these settings' precision, runtime and batch size."""
    from local_models.embeddings import get_embedder

    chosen = settings or load_settings()
    return get_embedder(chosen.embed_precision, chosen.embed_backend, chosen.embed_batch_size)


def text_generator(
    settings: Settings | None = None, workspace: str | Path | None = None, *, task: str = ""
) -> TextGenerator:
    """The backend the settings choose, one per settings, workspace and task: `llm=local` -> `LocalGenerator`;
    `llm=openai` -> `OpenAIGenerator` falling back to the local model. `task="ad_copy"`: the local model carries
    the packaged ad-copy adapter when `copywriter_adapter` is on (off by default). A missing OpenAI key raises
    `MissingKeyError` here, not at first use."""
    chosen = settings or load_settings(workspace)
    home = Path(workspace if workspace is not None else chosen.home).expanduser().resolve()
    key = (chosen.model_dump_json(), home, task)
    with _lock:
        if key not in _generators:
            _generators[key] = _build(chosen, home, task)
        return _generators[key]


def copywriter(settings: Settings | None = None, workspace: str | Path | None = None) -> TextGenerator:
    """The text generator that writes ad copy: `text_generator` with the ad-copy adapter where it applies."""
    return text_generator(settings, workspace, task="ad_copy")


def local_generator(settings: Settings, workspace: Path, task: str = "") -> LocalGenerator:
    """The local model the settings name (default SmolLM2), converted once into `workspace`, with the packaged
    adapter for `task` merged in where there is one, the settings allow it and the model is the default."""
    from local_models.textgen import LocalGenerator

    return LocalGenerator(
        settings.local_model,
        workspace=workspace,
        torch_threads=settings.torch_threads,
        precision=settings.llm_precision,
        adapter=_adapter(settings, task),
    )


def _adapter(settings: Settings, task: str) -> Path | None:
    if task != "ad_copy" or not settings.copywriter_adapter or settings.local_model is not None:
        return None
    from tools.ad_copy.finetune import adapter_folder

    folder = adapter_folder()
    return folder if (folder / "manifest.json").is_file() else None


def _build(settings: Settings, home: Path, task: str) -> TextGenerator:
    if settings.llm == "local":
        return local_generator(settings, home, task)
    from local_models.textgen import OpenAIGenerator

    try:
        fallback: TextGenerator | None = local_generator(settings, home, task)
    except ModelUnavailableError:  # OpenAI still works; its faults then raise ProviderError instead
        fallback = None
    return OpenAIGenerator(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        fallback=fallback,
    )


def chat_model(settings: Settings, *, timeout: float | None = None, max_retries: int | None = None) -> ChatOpenAI:
    """The tool-calling chat model of the LLM router, from the settings' key, endpoint and model name."""
    from local_models.textgen.langchain_chat import OPENAI_MAX_RETRIES, OPENAI_TIMEOUT, openai_chat_model

    return openai_chat_model(
        api_key=settings.openai_api_key,
        base_url=settings.openai_base_url,
        model=settings.openai_model,
        timeout=OPENAI_TIMEOUT if timeout is None else timeout,
        max_retries=OPENAI_MAX_RETRIES if max_retries is None else max_retries,
    )
