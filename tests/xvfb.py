"""A private X server (Xvfb) for tests that need a real one: `with private_display() as d`.

Xvfb picks a free display number itself (-displayfd) and writes it once it accepts clients,
so tests running in parallel never collide and nobody waits on a guess.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest


@contextlib.contextmanager
def private_display(size: str = "1280x800x24") -> Iterator[str]:
    """The DISPLAY value (":N") of a fresh Xvfb, stopped on exit."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is missing: `bash packaging/setup.sh --test` installs it (xvfb)")
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        [xvfb, "-displayfd", str(write_end), "-screen", "0", size, "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()
    try:
        if not number:
            pytest.fail("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)
