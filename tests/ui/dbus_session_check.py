"""Run inside a private D-Bus session (`dbus-run-session`) by test_dbus.py; prints JSON.

It starts the fake portal, then does what the app does: grab the screens (offscreen gives a
blank picture, so the portal is asked), decode the QR code in the portal's screenshot, and
listens for the screensaver's ActiveChanged signal that locks Keyfob.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ["QT_QPA_PLATFORM"] = "offscreen"


def main() -> None:
    image = Path(sys.argv[1])
    portal = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("fake_portal.py")), str(image)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert portal.stdout is not None
        ready = portal.stdout.readline().strip()
        from PySide6.QtCore import QTimer
        from PySide6.QtDBus import QDBusConnection, QDBusMessage
        from PySide6.QtWidgets import QApplication

        from app.ui.add.screen import decode_images, grab_screens
        from app.ui.shell.session_watch import SessionWatcher

        app = QApplication([])
        texts = decode_images(grab_screens())
        watcher = SessionWatcher()
        locks: list[int] = []
        watcher.session_locked.connect(lambda: locks.append(1))
        signal = QDBusMessage.createSignal(
            "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged"
        )
        signal.setArguments([True])
        QDBusConnection.sessionBus().send(signal)
        QTimer.singleShot(500, app.quit)
        app.exec()
        print(
            json.dumps(
                {
                    "ready": ready,
                    "texts": texts,
                    "screenshot_removed": not image.exists(),
                    "listening": watcher.listening,
                    "locks": len(locks),
                }
            )
        )
    finally:
        portal.kill()
        portal.wait()


if __name__ == "__main__":
    main()
