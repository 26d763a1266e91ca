"""`keyfob --self-test`: does this build work? For checking a PyInstaller bundle or a package.

It creates a throwaway vault in a temporary folder, unlocks it through the unlock window
(the KDF and AES-GCM of `cryptography`, the worker thread), shows the main window with one
account (widgets, SVG icons, the code painting), reads the account back from a QR code
(zxing-cpp, Pillow), loads the Qt modules imported later in a run (network, multimedia,
websockets), prints one line and quits: exit 0 when everything worked, 1 otherwise.
Nothing of the user's (vault, settings) is read or written.
"""

from __future__ import annotations

import importlib
import secrets
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QImage

from app import __version__
from app.core.account import Account
from app.core.uri import build_otpauth, parse_otpauth

_TIMEOUT_MS = 60_000
# The Qt modules that load only when first used; a bundle that lacks one fails later.
_LATER_MODULES = ("PySide6.QtNetwork", "PySide6.QtMultimedia", "PySide6.QtWebSockets")
_SAMPLE = Account(secret=b"keyfob-self-test!!!!", issuer="Keyfob", name="self-test")


def _check_qr() -> None:
    from app.qr.decode import decode_image_bytes
    from app.qr.encode import encode_png

    uri = build_otpauth(_SAMPLE)
    found = decode_image_bytes(encode_png(uri))
    if [parse_otpauth(text).identity() for text in found] != [_SAMPLE.identity()]:
        raise RuntimeError("the QR code written was not read back")


def _painted(image: QImage) -> bool:
    """Whether the window's image holds more than one colour (something was drawn)."""
    first = image.pixel(0, 0)
    step = max(1, min(image.width(), image.height()) // 40)
    return any(
        image.pixel(x, y) != first
        for x in range(0, image.width(), step)
        for y in range(0, image.height(), step)
    )


def run_self_test() -> int:
    from app.ui.common.settings import Settings
    from app.ui.shell.application import make_application
    from app.ui.shell.controller import Controller
    from app.vault.kdf import KdfParams
    from app.vault.preferences import Preferences
    from app.vault.store import Vault

    for module in _LATER_MODULES:
        importlib.import_module(module)
    _check_qr()
    app = make_application()
    outcome: list[str] = []
    with tempfile.TemporaryDirectory(prefix="keyfob-self-test-") as folder:
        vault_path = Path(folder) / "vault.json"
        password = secrets.token_urlsafe(16)
        # The cheapest KDF a reader accepts: this vault lives for a second and holds nothing.
        kdf = KdfParams.for_tests()
        Vault.create(vault_path, password, kdf=kdf).add_accounts([_SAMPLE])
        store = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        settings = Settings(store, preferences=Preferences(Path(folder)))
        controller = Controller(
            vault_path, settings, kdf=kdf, camera_check=lambda: False, watch_session=False
        )

        def check() -> None:
            main = controller.main_window
            if main is None or not main.isVisible():
                outcome.append("the main window is not shown")
            elif main.model.rowCount() != 1:
                outcome.append("the account is not listed")
            elif not _painted(main.grab().toImage()):
                outcome.append("the main window is blank")
            else:
                outcome.append("")
            controller.quit()

        def timed_out() -> None:
            outcome.append("the vault did not open in time")
            controller.quit()

        controller.opened.connect(lambda: QTimer.singleShot(300, check))
        window = controller.start()
        assert window is not None  # a throwaway vault: no quick unlock, so the unlock window
        window.password.setText(password)
        window.submit()
        QTimer.singleShot(_TIMEOUT_MS, timed_out)
        app.exec()
    problem = outcome[0] if outcome else "the app quit early"
    if problem:
        print(f"keyfob {__version__} self-test: FAILED: {problem}", file=sys.stderr)
        return 1
    print(f"keyfob {__version__} self-test: ok (Qt {_qt_version()}, {sys.platform})")
    return 0


def _qt_version() -> str:
    from PySide6.QtCore import qVersion

    return str(qVersion())
