"""Atomic writes: a reader sees the old file or the new one, never half of either.

Everything is written to a temporary sibling, flushed to disk, then renamed over the target (a rename within
one folder is atomic on POSIX and Windows). A crash leaves at most a stray temporary file, never a torn target.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: Path, *, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary handle whose content replaces `path` when the block ends without an error (`mode`: the
    file's permission bits, e.g. 0o600 for secrets). On an error the target is left as it was."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_bytes(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Replace `path` with `data`, atomically."""
    with atomic_file(path, mode=mode) as out:
        out.write(data)


def write_text(path: Path, text: str, *, mode: int | None = None) -> None:
    """Replace `path` with `text` (UTF-8), atomically."""
    write_bytes(path, text.encode("utf-8"), mode=mode)


def replace_folder(built: Path, folder: Path) -> None:
    """Move a fully written folder `built` into place at `folder`, replacing any previous one: the old folder
    is set aside (renamed), the new one renamed in, then the old one removed. A crash between the two renames
    leaves the old folder beside it as `.<name>.old-<pid>`, which readers may fall back to."""
    old = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    if folder.exists():
        folder.rename(old)
    built.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
