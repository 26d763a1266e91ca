"""What unlocking loads: the list and what it needs, not the features only some people use.

Each module costs memory for as long as the app runs (tests/bench/ui.py: RSS with 10,000
accounts against 100 MiB); push sign-in, the add window's readers, QR decoding and the camera
load when first used. A fresh interpreter starts Keyfob as `keyfob` does, unlocks as the
unlock window does, and reports what was loaded once the list has been painted.
"""

from __future__ import annotations

from pathlib import Path

from app.push.canonical import new_private_key, private_key_bytes, public_key_bytes
from app.push.enrollment import PushEnrollment
from app.vault.content import VaultContent
from app.vault.kdf import KdfParams
from app.vault.store import Vault
from tests.ui.conftest import SAMPLE
from tests.ui.fresh_keyfob import run_fresh

# Push sign-in, with its signatures and the websocket transport.
PUSH = (
    "app.push",
    "app.ui.push",
    "cryptography.hazmat.primitives.asymmetric",
    "PySide6.QtWebSockets",
)
LATER = (
    *PUSH,
    "app.ui.add.add_dialog",  # the add window
    "app.core.uri",  # otpauth:// links: added, imported or exported
    "app.core.migration",  # Google Authenticator's export
    "app.ui.transfer.import_wizard",
    "zxingcpp",
    "PIL",
    "PySide6.QtMultimedia",
    "ctypes",  # only to give memory back after a vault of thousands of accounts
)

_DRIVER = """
import json, sys
from PySide6.QtCore import QEvent, QObject, QTimer
from app.handoff import desktop_start
from app.ui.shell.main import launch
running = launch(desktop_start(sys.argv[1:], own_arguments=False))
app, controller = running.app, running.controller
controller.open_with_password("pw", lambda error: None)  # as the unlock window does
while controller.main_window is None:
    app.processEvents()

def report():
    loaded = [m for m in %r if m in sys.modules]
    print(json.dumps({"rows": controller.main_window.model.rowCount(), "loaded": loaded}))
    app.quit()

class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not hasattr(self, "seen"):
            self.seen = True
            QTimer.singleShot(0, report)
        return False

painted = Painted()
controller.main_window.view.viewport().installEventFilter(painted)
app.exec()
"""


def loaded_after_unlock(tmp_path: Path, vault: Vault) -> tuple[int, list[str]]:
    report = run_fresh(_DRIVER % (LATER,), tmp_path, "--vault", str(vault.path))
    return report["rows"], report["loaded"]


def sample_vault(tmp_path: Path) -> Vault:
    vault = Vault.create(tmp_path / "vault.json", "pw", kdf=KdfParams.for_tests())
    vault.add_accounts(SAMPLE)
    return vault


def test_unlocking_shows_the_list_without_loading_what_only_some_use(tmp_path: Path) -> None:
    rows, loaded = loaded_after_unlock(tmp_path, sample_vault(tmp_path))
    assert rows == len(SAMPLE)
    assert loaded == []


def test_a_vault_with_a_push_enrollment_loads_push_at_the_unlock(tmp_path: Path) -> None:
    vault = sample_vault(tmp_path)
    enrollment = PushEnrollment(
        url="http://127.0.0.1:9",  # nothing listens there: the connection keeps retrying
        ws_url="ws://127.0.0.1:9/v1/ws",
        device_id="d_test",
        device_key=private_key_bytes(new_private_key()),
        server_key=public_key_bytes(new_private_key()),
        issuer="Example Mail",
        user="alice",
        name="Test laptop",
        enrolled_at=0,
    )

    def enroll(content: VaultContent) -> None:
        content.push.append(enrollment.to_dict())

    vault.modify(enroll)
    rows, loaded = loaded_after_unlock(tmp_path, vault)
    assert rows == len(SAMPLE)
    # Requests must reach a locked Keyfob too: push connects at the unlock, the rest waits.
    assert [m for m in loaded if m in PUSH] == list(PUSH)
    assert [m for m in loaded if m not in PUSH] == []
