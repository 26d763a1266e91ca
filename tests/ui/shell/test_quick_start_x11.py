"""Under a real X server (Xvfb): with quick unlock on, `keyfob` starts straight into the list.

The app runs in its own process as `keyfob` runs it (app.ui.shell.main.start), on the xcb
platform of a private Xvfb, with a real Secret Service on a private bus; it reports which
window the user got once the first one is on screen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.vault import quick_unlock
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.conftest import ROOT
from tests.secret_service import SecretService, require_programs, running_secret_service
from tests.ui.conftest import PASSWORD, SAMPLE
from tests.xvfb import private_display

# Starts Keyfob as `keyfob` does (the keyring tried before Qt loads, app.__main__), waits
# until a top-level window is exposed on the X server, and prints what is showing: the list
# or the unlock window.
_DRIVER = """
import json, sys
from app.ui.shell.quick_start import before_qt

quick = before_qt(sys.argv[1:])
qt_before_keyring = "PySide6" in sys.modules
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from app.ui.shell.main import start

app, controller = start(sys.argv[1:], quick)
import PySide6.QtWidgets
# Whether PySide had made every QtWidgets class by the time the list was shown (its way of
# finding the class of a widget Qt made, such as a scroll area's own viewport: 5 ms).
every_class_made = "QWizard" in vars(PySide6.QtWidgets)
from PySide6.QtCore import QEvent, QObject

class Painted(QObject):
    # What had loaded when the list's first paint began: what follows an opening (the
    # revision log's file lock among it) waits until that paint is done.
    loaded = None

    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and self.loaded is None:
            self.loaded = [name for name in ("filelock",) if name in sys.modules]
        return False

painted = Painted()
if controller.main_window is not None:
    controller.main_window.installEventFilter(painted)

def report():
    shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
    exposed = [w for w in shown if w.windowHandle() is not None and w.windowHandle().isExposed()]
    main = controller.main_window
    if not exposed or (main is not None and painted.loaded is None):
        QTimer.singleShot(20, report)
        return
    print(json.dumps({
        "platform": app.platformName(),
        "qt_before_keyring": qt_before_keyring,
        "unlock_window": controller.unlock_window is not None,
        "list_exposed": main is not None and main in exposed,
        "every_widget_class_made": every_class_made,
        "loaded_at_first_paint": painted.loaded,
        "accounts": [a.issuer for a in main.model.accounts] if main is not None else [],
    }), flush=True)
    controller.quit()

QTimer.singleShot(0, report)
app.exec()
"""


@pytest.fixture
def service() -> Iterator[SecretService]:
    require_programs()
    with running_secret_service() as running:
        yield running


def _start(
    vault_path: Path, display: str, service: SecretService, tmp_path: Path
) -> dict[str, object]:
    env = {
        **os.environ,
        **service.env,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "KEYFOB_CONFIG_DIR": str(tmp_path / "config"),
        "KEYFOB_STATE_DIR": str(tmp_path / "state"),
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    result = subprocess.run(
        [sys.executable, "-c", _DRIVER, "--vault", str(vault_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return report


def test_keyfob_starts_into_the_list_on_a_real_x_server(
    tmp_path: Path, service: SecretService, monkeypatch: pytest.MonkeyPatch
) -> None:
    with private_display() as display:
        vault = Vault.create(tmp_path / "vault.json", PASSWORD, kdf=KdfParams.for_tests())
        vault.add_accounts(SAMPLE)
        with monkeypatch.context() as here:  # the enabling runs in this process
            for name, value in service.env.items():
                here.setenv(name, value)
            quick_unlock.enable(vault)

        report = _start(vault.path, display, service, tmp_path)
        assert report["platform"] == "xcb"
        assert report["qt_before_keyring"] is False
        assert report["unlock_window"] is False
        assert report["list_exposed"] is True
        assert report["every_widget_class_made"] is False
        assert report["loaded_at_first_paint"] == []
        assert report["accounts"] == [a.issuer for a in SAMPLE]

        service.clear(vault.vault_id)  # the keyring lost the key: the password is asked
        report = _start(vault.path, display, service, tmp_path)
        assert report["unlock_window"] is True
        assert report["list_exposed"] is False
