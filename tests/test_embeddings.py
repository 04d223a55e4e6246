"""MiniLM embeddings: real weights from the installed package, offline; fast paths agree with fp32."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import chromadb
import numpy as np
import pytest
from chromadb.config import Settings

from local_models.embeddings import (
    DIM,
    MiniLMEmbedder,
    MiniLMEmbeddingFunction,
    cpu_has_native_bf16,
    get_embedder,
    openvino_available,
)

TEXTS = [
    "The dress runs small, order a size up.",
    "Battery dies after two hours.",
    "Shipping was fast and the box was intact.",
    "The dress runs small, order a size up.",
    "Lovely soft fabric!",
]


@pytest.fixture(scope="module")
def reference() -> np.ndarray:
    return MiniLMEmbedder(precision="fp32", backend="torch", sort_by_length=False, dedupe=False).embed(TEXTS)


def test_reference_vectors_are_unit_length_and_semantic(reference: np.ndarray) -> None:
    assert reference.shape == (len(TEXTS), DIM)
    assert np.allclose(np.linalg.norm(reference, axis=1), 1.0, atol=1e-5)
    similar = reference[0] @ reference[3]
    assert similar == pytest.approx(1.0, abs=1e-5)
    assert reference[0] @ reference[1] < 0.5  # a fit complaint is not a battery complaint


def test_matches_sentence_transformers_pooling(reference: np.ndarray) -> None:
    """Mean pooling + L2 norm over the last hidden state, recomputed by hand with transformers."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from local_models.embeddings import default_model_dir

    tokenizer = AutoTokenizer.from_pretrained(default_model_dir())
    model = AutoModel.from_pretrained(default_model_dir()).eval()
    batch = tokenizer(TEXTS[:2], padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    expected = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    assert np.allclose(reference[:2], expected, atol=1e-5)


@pytest.mark.parametrize(
    ("backend", "precision"),
    [("torch", "fp32"), ("torch", "bf16"), ("openvino", "fp32"), ("openvino", "bf16")],
)
def test_every_fast_path_stays_close_to_fp32(reference: np.ndarray, backend: str, precision: str) -> None:
    if backend == "openvino" and not openvino_available():
        pytest.skip("openvino is not installed")
    if precision == "bf16" and not cpu_has_native_bf16():
        pytest.skip("this CPU has no native bf16")
    embedder = MiniLMEmbedder(backend=backend, precision=precision, batch_size=2)  # type: ignore[arg-type]
    vectors = embedder.embed(TEXTS)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() > 0.999, cosines
    assert np.array_equal(vectors[0], vectors[3])  # duplicates embedded once, order kept


def test_empty_input_and_process_wide_cache() -> None:
    embedder = get_embedder()
    assert embedder.embed([]).shape == (0, DIM)
    assert get_embedder() is embedder


def test_chromadb_reopens_the_collection_with_our_function_in_a_new_process(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(str(tmp_path), settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection("reviews", embedding_function=MiniLMEmbeddingFunction())
    collection.add(ids=["a", "b"], documents=["runs small", "battery life is short"])
    script = (
        "import chromadb, local_models.embeddings as e\n"
        "from chromadb.config import Settings\n"
        "from chromadb.utils import embedding_functions as ef\n"
        "def refuse(self, input): raise SystemExit('default embedding function used')\n"
        "ef.DefaultEmbeddingFunction.__call__ = refuse\n"  # it would download a model
        f"c = chromadb.PersistentClient({str(tmp_path)!r}, settings=Settings(anonymized_telemetry=False))\n"
        "col = c.get_collection('reviews')\n"
        "print(type(col.configuration['embedding_function']).__name__)\n"
        "print(col.query(query_texts=['the fit is too tight'], n_results=1)['ids'][0][0])\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.split() == ["MiniLMEmbeddingFunction", "a"]


needs_openvino = pytest.mark.skipif(not openvino_available(), reason="openvino is not installed")


@needs_openvino
def test_the_openvino_conversion_is_cached_and_reused(
    reference: np.ndarray, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import local_models.embeddings as embeddings

    first = MiniLMEmbedder(backend="openvino", precision="fp32", conversion_cache=tmp_path).embed(TEXTS)
    folder = embeddings.conversion_folder(embeddings.default_model_dir(), tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["manifest.json", "model.bin", "model.xml"]
    assert [p.name for p in tmp_path.iterdir()] == [folder.name]  # no temporary folder left behind

    def refuse(model_dir: Path) -> None:
        raise AssertionError("converted again although a current conversion was cached")

    monkeypatch.setattr(embeddings, "_convert", refuse)
    again = MiniLMEmbedder(backend="openvino", precision="fp32", conversion_cache=tmp_path).embed(TEXTS)
    assert np.array_equal(again, first)  # the same graph, weights kept in fp32
    assert ((again * reference).sum(axis=1)).min() > 0.999


@needs_openvino
@pytest.mark.parametrize("damage", ["truncated weights", "missing graph", "garbled manifest"])
def test_a_damaged_conversion_is_converted_again(
    reference: np.ndarray, tmp_path: Path, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    import local_models.embeddings as embeddings

    MiniLMEmbedder(backend="openvino", precision="fp32", conversion_cache=tmp_path)
    folder = embeddings.conversion_folder(embeddings.default_model_dir(), tmp_path)
    if damage == "truncated weights":
        with open(folder / "model.bin", "r+b") as weights:
            weights.truncate(1000)
    elif damage == "missing graph":
        (folder / "model.xml").unlink()
    else:
        (folder / "manifest.json").write_text("{not json")
    vectors = MiniLMEmbedder(backend="openvino", precision="fp32", conversion_cache=tmp_path).embed(TEXTS)
    assert ((vectors * reference).sum(axis=1)).min() > 0.999
    assert "damaged" in caplog.text
    # ... and the copy was replaced, so the next process reads it again
    assert json.loads((folder / "manifest.json").read_text())["sizes"]["model.bin"] > 1000


@needs_openvino
def test_a_cache_that_cannot_be_written_still_embeds(reference: np.ndarray, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    vectors = MiniLMEmbedder(backend="openvino", precision="fp32", conversion_cache=blocked).embed(TEXTS)
    assert ((vectors * reference).sum(axis=1)).min() > 0.999


def test_the_process_wide_embedder_uses_the_user_cache(tmp_path: Path) -> None:
    """get_embedder() keeps its conversion in MARKETING_AGENT_CACHE (the test session's own, never the user's)."""
    import local_models.embeddings as embeddings

    assert embeddings.default_conversion_cache().parent == Path(os.environ["MARKETING_AGENT_CACHE"])
