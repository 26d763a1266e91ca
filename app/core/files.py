"""The one atomic file write: the vault, its backups, exports, preferences and menu entries.

A file that holds secrets or state must never be seen half written, not even after a crash
or a power cut: a reader finds the old file or the new one, whole.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def temp_prefix(path: Path) -> str:
    """The start of the temporary files' names `atomic_write` uses for `path`, so that a
    writer holding a lock can sweep those a killed write left behind."""
    return f".{path.name}."


def atomic_write(path: Path, data: bytes, *, prefix: str | None = None) -> None:
    """Replace `path` with `data` so that a crash leaves the old file or the new, never half.

    A temporary file in the same folder (same file system, so the rename is atomic; mode 0600
    from mkstemp, so nobody else can read it meanwhile), written, flushed and fsynced, renamed
    over the target, then the folder fsynced so the rename itself is durable. On any failure
    the temporary file is removed and the target untouched; the OSError goes to the caller,
    which knows what to call the file in its message. `prefix` names the temporary file
    (default `temp_prefix(path)`).
    """
    fd, temp_name = tempfile.mkstemp(
        dir=path.parent, prefix=prefix if prefix is not None else temp_prefix(path), suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    """Make a rename in `folder` durable."""
    if os.name == "nt":  # Windows cannot open a folder for fsync; NTFS journals renames
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
