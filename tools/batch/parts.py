"""Part files: each finished chunk is written atomically beside the output, so a rerun skips it.

    out.parquet                   the result, written (atomically) once every chunk is done
    .out.parquet.parts/plan.json  the plan the parts belong to (job, fingerprint, chunk size, items)
    .out.parquet.parts/part-000007.parquet
    .out.parquet.lock             one job per output at a time

Only the driver writes here (workers send their rows back through Ray), so the workspace needs no shared writes.
A plan that differs (a retrained model, another input file or chunk size) starts the parts over.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from filelock import FileLock, Timeout

from core.atomic import atomic_file, write_text
from core.errors import WorkspaceError

PLAN_FILE = "plan.json"


class PartStore:
    """The parts of one output file."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.folder = out.with_name(f".{out.name}.parts")

    @contextmanager
    def locked(self) -> Iterator[PartStore]:
        """Hold the output's lock for the whole job: a second job on the same output is refused, not interleaved."""
        self.out.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.out.with_name(f".{self.out.name}.lock")
        lock = FileLock(lock_path, timeout=0)
        try:
            lock.acquire()
        except Timeout:
            raise WorkspaceError(
                f"Another batch job is writing {self.out}; wait for it to finish or choose another --out."
            ) from None
        try:
            yield self
        finally:
            lock.release()
            lock_path.unlink(missing_ok=True)

    def resume(self, plan: dict[str, Any]) -> set[int]:
        """The chunks already written under this same plan (none when the plan changed: old parts are dropped)."""
        try:
            same = json.loads((self.folder / PLAN_FILE).read_text()) == plan
        except (OSError, ValueError):
            same = False
        if not same:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True)
            write_text(self.folder / PLAN_FILE, json.dumps(plan, sort_keys=True))
            return set()
        return {int(p.stem.removeprefix("part-")) for p in self.folder.glob("part-*.parquet")}

    def part(self, index: int) -> Path:
        return self.folder / f"part-{index:06d}.parquet"

    def write(self, index: int, table: pa.Table) -> None:
        with atomic_file(self.part(index)) as handle:
            pq.write_table(table, handle)

    def assemble(self, chunks: int) -> int:
        """Write the output from every part, in chunk order (streamed: one part in memory at a time), then drop the
        parts. Returns the rows written."""
        suffix = self.out.suffix.lower()
        rows = 0
        with atomic_file(self.out) as handle:
            writer: pq.ParquetWriter | None = None
            for index in range(chunks):
                table = pq.read_table(self.part(index))
                rows += table.num_rows
                if suffix == ".parquet":
                    writer = writer or pq.ParquetWriter(handle, table.schema)
                    writer.write_table(table)
                elif suffix == ".csv":
                    options = pa_csv.WriteOptions(include_header=index == 0)
                    pa_csv.write_csv(table, handle, write_options=options)
                else:
                    handle.write(_jsonl(table).encode("utf-8"))
            if writer is not None:
                writer.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return rows


def _jsonl(table: pa.Table) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, default=str) + "\n" for row in table.to_pylist())
