"""The second start: `keyfob LINK` while Keyfob runs, which hands the link over and exits.

A browser starts `keyfob otpauth://...` for a clicked link; when Keyfob already runs for the
vault, that process only passes the link to it (app/handoff.py, before Qt loads) and ends.
Timed from the process's start to its exit, against the interpreter doing nothing at all
(`python -c pass`), interleaved run by run; medians.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

_LINK = "otpauth://totp/Bench:second?secret=JBSWY3DPEHPK3PXP&issuer=Bench"


def _listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def _timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, check=True, timeout=60, capture_output=True)
    return time.perf_counter() - began


def second_start_rows(vault: Path, temp: Path, runs: int = 15) -> list[tuple[str, str, str]]:
    from app.handoff import server_name, socket_file

    runtime = temp / "handoff-runtime"
    runtime.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(temp),
        "XDG_CONFIG_HOME": str(temp / "config"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    keyfob = [sys.executable, "-m", "app", "--vault", str(vault)]
    first = subprocess.Popen(keyfob, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        saved = os.environ.get("XDG_RUNTIME_DIR")
        os.environ["XDG_RUNTIME_DIR"] = str(runtime)  # the name the first Keyfob listens on
        try:
            path = socket_file(server_name(vault))
        finally:
            if saved is None:
                del os.environ["XDG_RUNTIME_DIR"]
            else:
                os.environ["XDG_RUNTIME_DIR"] = saved
        assert path is not None
        deadline = time.monotonic() + 30
        while not _listening(path):
            if time.monotonic() > deadline or first.poll() is not None:
                raise RuntimeError("the first Keyfob did not listen within 30 s")
            time.sleep(0.05)  # a bench, not a test: polling the socket is the point
        handed, bare = [], []
        for _ in range(runs):
            handed.append(_timed([*keyfob, _LINK], env))
            bare.append(_timed([sys.executable, "-c", "pass"], env))
    finally:
        first.terminate()
        first.wait(timeout=10)
    median = statistics.median(handed) * 1000
    floor = statistics.median(bare) * 1000
    return [
        ("second start: a link handed over", f"{median:.0f} ms", "(report)"),
        ("  python -c pass, same run", f"{floor:.0f} ms", "(the floor)"),
    ]
