"""Atomic file writes: a temp file in the target's folder, moved into place with ``os.replace``.

Readers see either the old file or the complete new one, never a half-written file, even when
the writer is killed; two writers never share a temp file. (The standard library has no
atomic-write helper; this is the usual recipe, kept in one place.)
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "TEMP_PREFIX"]

TEMP_PREFIX = ".tmp-"


@contextmanager
def atomic_write(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a binary temp file next to ``path``; on a clean exit it replaces ``path`` atomically.

    On any error (or KeyboardInterrupt) the temp file is removed and ``path`` is left as it was.
    The new file keeps the old file's permissions (0644 for a new one; mkstemp makes 0600).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f"{TEMP_PREFIX}{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
