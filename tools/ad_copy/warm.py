"""Getting the ad-copy writer ready before the first request, so that the first request takes as long as the next.

Left to itself, the first ad-copy request of a fresh workspace converts the local model from GGUF (~20-35 s),
and the first of every process loads it and pays torch's first-call costs. So:

    prepare_copywriter(ws)   # `marketing-agent demo`: convert the local model into the workspace (once)
    warm_copywriter(ws)      # `marketing-agent serve`, before it says it is ready: load it and run it once

Both work on the text generator the workspace's settings choose for ad copy (tools.models.copywriter): the local model
itself, or the local model that backs the OpenAI backend as its fallback (converted, not loaded). Both also make
sure the Chinese sentiment model the copy's review insight reads Chinese reviews with is in the user's cache folder
(trained there once, ~35 s; tools/sentiment_zh.py), and `warm_copywriter` loads it into the process.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.workspace import Workspace
from local_models.textgen.base import ChatMessage, GenerationOptions, TextGenerator
from tools.models import copywriter, embedder
from tools.sentiment_zh import trained_model

if TYPE_CHECKING:  # importing torch costs seconds: only when needed
    from local_models.textgen.local import LocalGenerator

# One short batched generation through the same path as ad copy (several samples, a stop string, scores).
WARM_OPTIONS = GenerationOptions(max_tokens=4, temperature=0.8, stop=("\n",), seed=0, n=2)
WARM_PROMPT = [ChatMessage("user", "Write one ad headline of at most 30 characters for a linen dress.")]


@dataclass(frozen=True)
class CopywriterReady:
    """What getting ready did: `converted` the GGUF this time, `loaded` the model into this process."""

    model: str
    converted: bool
    loaded: bool
    seconds: float


def prepare_copywriter(workspace: str | Path | Workspace | None = None) -> CopywriterReady:
    """Convert the local text model into the workspace if it has no current copy (~20-35 s, once per model
    and workspace); the model is not kept in memory."""
    started = time.perf_counter()
    ws = Workspace.open(workspace)
    local = _local_model(copywriter(ws.settings, ws.root))
    converted = local.prepare() if local is not None else False
    trained_model()
    return CopywriterReady(_model_name(local), converted, False, time.perf_counter() - started)


def warm_copywriter(workspace: str | Path | Workspace | None = None) -> CopywriterReady:
    """Everything `prepare_copywriter` does, then, when the local model writes the copy: load it into this
    process with the MiniLM reranker and the tone scorer, and run one short generation."""
    started = time.perf_counter()
    ws = Workspace.open(workspace)
    generator = copywriter(ws.settings, ws.root)
    local = _local_model(generator)
    trained_model()
    if local is None or local is not generator:  # OpenAI writes the copy: its fallback only needs to be on disk
        converted = local.prepare() if local is not None else False
        return CopywriterReady(_model_name(local), converted, False, time.perf_counter() - started)
    converted = local.source.needs_conversion
    local.load()
    local.generate(WARM_PROMPT, WARM_OPTIONS)
    embedder(ws.settings).embed(["warm up"])
    from tools.ad_copy.writer import tone_analyzer

    tone_analyzer()
    return CopywriterReady(local.model, converted, True, time.perf_counter() - started)


def _local_model(generator: TextGenerator) -> LocalGenerator | None:
    from local_models.textgen.local import LocalGenerator

    if isinstance(generator, LocalGenerator):
        return generator
    fallback = getattr(generator, "fallback", None)
    return fallback if isinstance(fallback, LocalGenerator) else None


def _model_name(local: LocalGenerator | None) -> str:
    return local.model if local is not None else ""
