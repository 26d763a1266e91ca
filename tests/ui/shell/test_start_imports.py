"""What the desktop app loads before its first window is on screen: only what that window needs.

Each module here costs milliseconds of a start measured against KeePassXC's (tests/bench/ui.py);
they load later, when used. A fresh interpreter starts Keyfob as `keyfob` does and reports
what was loaded once the unlock window has been shown, before the event loop ran, and whether
PySide's Qt namespace had been made by the time the window's first paint was done.
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
    "keyring",
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
from app.ui.shell.quick_start import before_qt
arguments = desktop_start(sys.argv[1:], own_arguments=False)
quick = before_qt(arguments)
from app.ui.shell.main import launch
running = launch(arguments, quick=quick)
window = running.controller.unlock_window
shown = window is not None and window.isVisible()
loaded = [m for m in %r if m in sys.modules]
import PySide6.QtCore
from PySide6.QtCore import QEvent, QObject, QTimer

def report():
    print(json.dumps({
        "shown": shown,
        "loaded": loaded,
        # PySide makes the Qt namespace's ~120 enums at its first use (app.ui.common.qt_names)
        "qt_namespace": "Qt" in vars(PySide6.QtCore),
    }))
    running.app.quit()

class Painted(QObject):
    # Installed last, so called first: its report runs before the work that waits for the
    # first paint (app.ui.shell.first_paint), once the paint is done.
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, report)
        return False

painted = Painted()
window.installEventFilter(painted)
running.app.exec()
running.server.close()
"""


def test_the_unlock_window_shows_before_what_it_does_not_need_loads(tmp_path: Path) -> None:
    vault = Vault.create(tmp_path / "vault.json", "pw", kdf=KdfParams.for_tests())
    report = run_fresh(_DRIVER % (LATER,), tmp_path, "--vault", str(vault.path), timeout=60)
    assert report["shown"] is True
    assert report["loaded"] == []
    assert report["qt_namespace"] is False
