"""The one atomic write: the new file whole, or the old one untouched and no temporary left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.core.files import atomic_write


def test_a_write_replaces_the_file_privately(tmp_path: Path) -> None:
    target = tmp_path / "file.json"
    target.write_bytes(b"old")
    atomic_write(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["file.json"]
    if os.name == "posix":
        assert target.stat().st_mode & 0o077 == 0


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "taken"
    target.mkdir()  # a folder cannot be replaced by a file
    (target / "inside").write_text("kept")
    with pytest.raises(OSError):  # noqa: PT011 - whichever the system says
        atomic_write(target, b"new", prefix=".mine.")
    assert (target / "inside").read_text() == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]
