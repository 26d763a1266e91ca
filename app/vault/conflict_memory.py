"""Which files beside a vault Keyfob has already said it leaves alone, so it says so once.

A conflict copy of another vault, or a damaged one, stays where it is (Keyfob cannot merge
it and never deletes it); telling the person at every start would teach them to ignore the
notice. Each file is remembered by its path, size and modification time, so a file that
changes is reported again. Only hashes are kept, in `conflict-copies.json` in the state
folder that also holds revisions.json (app.vault.revisions), or, for a vault that keeps no
revision log, in memory for the life of the process.

Like the revision log, the memory is a convenience, never a reason to fail: a file that
cannot be read is treated as empty, one that cannot be written as not remembered.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from app.core.files import atomic_write
from app.vault.encoding import loads_strict
from app.vault.fileio import make_private_dir

STATE_FILE = "conflict-copies.json"
FORMAT = "keyfob-conflict-copies"
MAX_REMEMBERED = 1000  # the oldest are forgotten beyond this (and reported again if still there)
MAX_STATE_BYTES = 256 * 1024


def file_key(path: Path) -> str | None:
    """What names this version of the file: its path, size and modification time (hashed, so
    the state file holds no names). None if the file cannot be looked at."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    text = f"{os.path.realpath(path)}\0{status.st_size}\0{status.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


class ReportedFiles:
    """The files already reported: in `folder`'s STATE_FILE, or in memory when folder is None."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._in_memory: list[str] = []

    def first_time(self, path: Path) -> bool:
        """Whether this version of the file was never reported; it counts as reported now."""
        key = file_key(path)
        if key is None:
            return True
        seen = self._read()
        if key in seen:
            return False
        seen.append(key)
        self._write(seen[-MAX_REMEMBERED:])
        return True

    def _read(self) -> list[str]:
        if self.folder is None:
            return list(self._in_memory)
        try:
            with open(self.folder / STATE_FILE, "rb") as file:
                raw = file.read(MAX_STATE_BYTES + 1)
        except OSError:
            return []
        return decode(raw)

    def _write(self, keys: list[str]) -> None:
        if self.folder is None:
            self._in_memory = keys
            return
        data = json.dumps({"format": FORMAT, "reported": keys}, indent=0) + "\n"
        try:
            make_private_dir(self.folder)
            atomic_write(self.folder / STATE_FILE, data.encode("ascii"))
        except OSError:
            return  # see the module docstring: at worst the file is reported again


def decode(raw: bytes) -> list[str]:
    """The remembered keys in a state file; [] for anything that is not one."""
    if len(raw) > MAX_STATE_BYTES:
        return []
    try:
        document = loads_strict(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return []
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        return []
    keys = document.get("reported")
    if not isinstance(keys, list):
        return []
    return [key for key in keys if isinstance(key, str)]
