"""What the desktop app loads before its first window is on screen: only what that window needs.

Each module here costs milliseconds of a start measured against KeePassXC's (tests/bench/ui.py);
they load later, when used. A fresh interpreter starts Keyfob as `keyfob` does and reports
what was loaded once the unlock window has been shown, before the event loop ran.
"""

from __future__ import annotations

from pathlib import Path

from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.fresh_keyfob import run_fresh

LATER = (
    "PySide6.QtNetwork",  # the single-instance server listens once the loop runs
    "filelock",
    "cryptography",
    "app.vault.store",
    "app.vault.quick_unlock",  # only for a vault with a keyring slot
    "app.ui.common.password_feedback",  # only a new vault's form rates passwords
    "app.ui.accounts.main_window",
    "zxingcpp",
    "PIL",
    "PySide6.QtMultimedia",
    "uuid",
    "socket",  # the early hand-off needs it only when a socket file exists
)

_DRIVER = """
import json, sys
from app.handoff import desktop_start
from app.ui.shell.main import launch
running = launch(desktop_start(sys.argv[1:], own_arguments=False))
window = running.controller.unlock_window
shown = window is not None and window.isVisible()
print(json.dumps({"shown": shown, "loaded": [m for m in %r if m in sys.modules]}))
"""


def test_the_unlock_window_shows_before_what_it_does_not_need_loads(tmp_path: Path) -> None:
    vault = Vault.create(tmp_path / "vault.json", "pw", kdf=KdfParams.for_tests())
    report = run_fresh(_DRIVER % (LATER,), tmp_path, "--vault", str(vault.path), timeout=60)
    assert report["shown"] is True
    assert report["loaded"] == []
