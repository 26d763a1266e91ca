"""Keyfob's desktop app for the tests of one vault on several computers, in its own process.

    python -m tests.ui.sync_driver PASSWORD_FILE [--open-existing VAULT] [keyfob arguments...]

It starts Keyfob exactly as `keyfob` does (app.ui.shell.main.launch: the single-instance
server, the controller on the vault the preferences name, the windows) and plays the user:
with --open-existing, at the first start it chooses VAULT with "Open an existing vault…";
then it types the password. It reports what a user sees as JSON lines on stdout (labels and
notices, never a code or a secret), with the moment it saw it (`at`: time.monotonic(), one
clock for every process on the machine):
    {"event": "unlocked", "platform": "xcb", "exposed": true, "vault": PATH, "accounts": [...]}
    {"event": "accounts", "accounts": [...], "at": T}      the list changed
    {"event": "notice", "text": TEXT, "at": T}             a notice appeared at the window's foot
    {"event": "request", "links": N}                       a later `keyfob` handed over
    {"event": "exited", "code": N}                         it did not start (handed off)
It quits when its stdin closes. tests/ui/app_process.py runs it.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from PySide6.QtCore import QSocketNotifier, QTimer


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> int:
    password_file, *argv = sys.argv[1:]
    password = Path(password_file).read_text().strip()
    existing = None
    if argv[:1] == ["--open-existing"]:
        existing, argv = Path(argv[1]), argv[2:]

    from app.ui.shell.main import launch

    running = launch(argv)
    if isinstance(running, int):
        say("exited", code=running)
        return running
    app, controller, server = running.app, running.controller, running.server
    seen: dict[str, object] = {"accounts": None, "notice": ""}

    def labels() -> list[str] | None:
        main = controller.main_window
        if main is None:
            return None
        return [main.model.account(row).label for row in range(main.model.rowCount())]

    def look() -> None:
        main = controller.main_window
        if main is None:
            return
        now = time.monotonic()
        shown = labels()
        if shown != seen["accounts"]:
            seen["accounts"] = shown
            say("accounts", accounts=shown, at=now)
        text = main.toast.text if main.toast.isVisible() else ""
        if text != seen["notice"]:
            seen["notice"] = text
            if text:
                say("notice", text=text, at=now)

    def unlocked() -> None:
        main = controller.main_window
        assert main is not None
        handle = main.windowHandle()
        say(
            "unlocked",
            platform=app.platformName(),
            exposed=handle is not None and handle.isExposed(),
            vault=str(controller.vault_path),
            accounts=labels(),
        )
        seen["accounts"] = labels()
        watch.start()

    watch = QTimer()
    watch.setInterval(20)
    watch.timeout.connect(look)
    controller.opened.connect(lambda: QTimer.singleShot(100, unlocked))  # once it is mapped
    server.request_received.connect(lambda request: say("request", links=len(request.links)))

    window = controller.unlock_window
    assert window is not None
    if existing is not None:
        assert window.creating, "not a first start"
        chooser = window.open_existing()
        chooser.selectFile(str(existing))
        chooser.accept()
        window = controller.unlock_window  # the unlock form for the vault chosen
        assert window is not None
        assert not window.creating, window.open_error.text()
    window.password.setText(password)
    window.submit()

    # The test ends the app by closing our stdin.
    stdin = QSocketNotifier(sys.stdin.fileno(), QSocketNotifier.Type.Read)
    stdin.activated.connect(lambda: controller.quit() if not sys.stdin.read(1) else None)
    code = app.exec()
    server.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
