"""Fixtures of the start-up tests that run Keyfob in processes of its own."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def runtime_dir() -> Iterator[Path]:
    # Short on purpose: a Unix socket path must fit in 108 bytes, tmp_path's may not.
    folder = Path(tempfile.mkdtemp(prefix="kf-"))
    folder.chmod(0o700)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def wait_until_listening(
    process: subprocess.Popen[str], runtime_dir: Path, timeout_s: float = 60.0
) -> None:
    """Until the Keyfob in `process` listens for later starts: its socket is the sign it is
    up, with what waits for the first paint (its signal handling too) in place."""
    deadline = time.monotonic() + timeout_s
    while not list(runtime_dir.glob("*.socket")):
        assert process.poll() is None, process.communicate()[1]
        assert time.monotonic() < deadline, "Keyfob did not start listening"
        time.sleep(0.05)
