"""The sinks personal data could reach, which canaries each may hold (`allowed`), what the flows left in them
(`Findings`) and the scan of the workspace, logs and replies for seeded needles."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import zipfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.pii_cases import Needles
from eval.suites.security.pii.detector import snippet_around

REVIEW_TEXT_SINKS = frozenset(
    {"chromadb documents", "chromadb files", "tool results", "answers and citations", "API responses", "CLI output"}
)
CUSTOMER_ID_SINKS = frozenset(
    {"tool results", "answers and citations", "API responses", "CLI output", "sessions", "audit", "workspace files"}
)
SINKS = (
    "remote prompts",
    "logs and stderr",
    "audit",
    "sessions",
    "server state",
    "chromadb documents",
    "chromadb metadata",
    "chromadb files",
    "workspace files",
    "answers and citations",
    "ad copy",
    "tool results",
    "API responses",
    "CLI output",
)


def allowed(sink: str, kind: str) -> bool:
    if kind == "review canary":
        return sink in REVIEW_TEXT_SINKS
    if kind == "customer id canary":
        return sink in CUSTOMER_ID_SINKS
    return False


@dataclass
class Findings:
    """What the flows left behind: texts per sink, counts of what ran, and the ad-copy rule tallies."""

    sinks: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    flows: Counter[str] = field(default_factory=Counter)
    leaks: dict[str, Counter[str]] = field(default_factory=dict)
    scanned: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    pii_offered: int = 0
    pii_rejected: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, sink: str, value: Any) -> None:
        self.sinks[sink].append(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))

    def disallowed(self, sink: str) -> int:
        return sum(n for kind, n in self.leaks.get(sink, Counter()).items() if not allowed(sink, kind))


# ---- 3. the sinks ---------------------------------------------------------------------------------------------


def scan_sinks(workspace: Path, needles: Needles, findings: Findings) -> None:
    _read_workspace(workspace, findings)
    for sink in SINKS:
        texts = findings.sinks.get(sink, [])
        findings.scanned[sink] = sum(len(t) for t in texts)
        findings.leaks[sink] = Counter()
        for text in texts:
            for kind, start, end in needles.find(text):
                findings.leaks[sink][kind] += 1
                if not allowed(sink, kind) and len(findings.examples[sink]) < 5:
                    findings.examples[sink].append(f"{kind}: {snippet_around(text, start, end, 60)}")


def _read_workspace(workspace: Path, findings: Findings) -> None:
    findings.sinks["audit"] = [_text(workspace / "audit.jsonl")]
    findings.sinks["sessions"] = _sqlite(workspace / "sessions.sqlite")
    findings.sinks["server state"] = _sqlite(workspace / "server.sqlite")
    documents, metadata = _chroma(workspace)
    findings.sinks["chromadb documents"] = documents
    findings.sinks["chromadb metadata"] = metadata
    findings.sinks["chromadb files"] = [_text(p) for p in _files(workspace / "chroma")]
    skip = {"audit.jsonl"}
    others = [
        p
        for p in _files(workspace)
        if "chroma" not in p.relative_to(workspace).parts[:1]
        and p.name not in skip
        and not p.name.startswith(("sessions.sqlite", "server.sqlite"))
    ]
    findings.sinks["workspace files"] = [_file_text(p) for p in others]


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", "replace") if path.exists() else ""


def _file_text(path: Path) -> str:
    """A file's text, looking inside numpy archives (compressed, so their raw bytes would hide strings)."""
    if path.suffix == ".npz":
        with contextlib.suppress(Exception), np.load(path, allow_pickle=False) as arrays:
            return "\n".join(
                " ".join(map(str, arrays[k].ravel()[:200_000])) for k in arrays.files if arrays[k].dtype.kind in "USO"
            )
    if path.suffix in (".zip", ".gz"):
        with contextlib.suppress(Exception), zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return _text(path)


def _sqlite(path: Path) -> list[str]:
    """Every row of every table, plus the raw bytes of the database and its WAL (deleted rows linger there)."""
    texts = [_text(p) for p in sorted(path.parent.glob(path.name + "*"))]
    if path.exists():
        with contextlib.closing(sqlite3.connect(path)) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            for table in tables:
                texts.append(json.dumps(db.execute(f'SELECT * FROM "{table}"').fetchall(), default=str))  # noqa: S608
    return texts


def _chroma(workspace: Path) -> tuple[list[str], list[str]]:
    from tools.reviews import review_store

    collection = review_store(workspace).collection()
    documents: list[str] = []
    metadata: list[str] = []
    for offset in range(0, collection.count(), 5000):
        page = collection.get(limit=5000, offset=offset, include=["documents", "metadatas"])
        documents += [d or "" for d in page["documents"] or []]
        metadata += [json.dumps(m, default=str) for m in page["metadatas"] or []] + list(page["ids"])
    return documents, metadata
