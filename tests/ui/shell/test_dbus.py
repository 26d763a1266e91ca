"""The desktop's D-Bus services, on a private session bus: the screenshot portal (what Wayland
needs to scan the screen) and the screensaver signal that locks Keyfob."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.qr.encode import encode_png

HERE = Path(__file__).resolve().parents[1]
LINK = "otpauth://totp/Portal:alice?secret=JBSWY3DPEHPK3PXP&issuer=Portal"


def test_portal_screenshot_and_screensaver_lock(tmp_path: Path) -> None:
    screenshot = tmp_path / "Screenshot.png"
    screenshot.write_bytes(encode_png(LINK))
    result = subprocess.run(
        [
            "dbus-run-session",
            "--",
            sys.executable,
            str(HERE / "dbus_session_check.py"),
            str(screenshot),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["ready"] == "ready"
    assert report["texts"] == [LINK]
    # The portal leaves the picture among the user's files; it shows a secret: removed.
    assert report["screenshot_removed"]
    assert "org.freedesktop.ScreenSaver.ActiveChanged" in report["listening"]
    assert report["locks"] == 1
