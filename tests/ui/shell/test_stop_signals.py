"""Keyfob ended by the session (logout and shutdown send SIGTERM; Ctrl+C in the terminal
that started it, SIGINT) quits as its own Quit does: exit code 0, and no single-instance
socket left behind for the next start to try first."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.shell.conftest import wait_until_listening

KEYFOB = str(Path(sys.executable).with_name("keyfob"))


def _start(tmp_path: Path, runtime_dir: Path) -> subprocess.Popen[str]:
    vault = Vault.create(tmp_path / "vault.json", "pw", kdf=KdfParams.for_tests())
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "QT_QPA_PLATFORM": "offscreen",
        "LANG": "C.UTF-8",
    }
    return subprocess.Popen(
        [KEYFOB, "--vault", str(vault.path)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_quits_keyfob_cleanly(
    tmp_path: Path, runtime_dir: Path, number: signal.Signals
) -> None:
    process = _start(tmp_path, runtime_dir)
    try:
        wait_until_listening(process, runtime_dir)
        process.send_signal(number)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr
    assert list(runtime_dir.glob("*.socket")) == []
