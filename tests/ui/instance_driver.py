"""The first Keyfob of the single-instance tests, started as its own process.

    python -m tests.ui.instance_driver MODE PASSWORD_FILE [keyfob arguments...]

It starts Keyfob exactly as `keyfob` does (app.handoff.desktop_start before Qt: the early
hand-off, and the restart that takes links out of the arguments; then app.ui.shell.main.launch: the
single-instance server, the controller, the windows) and plays the user: it types the
password when a window comes to the front, and clicks Add when accounts are offered. It
reports what a user would see as JSON lines on stdout (never a link or a secret: labels,
counts, window states):
    {"event": "ready", "socket": PATH}          listening for later starts
    {"event": "front", "window": "unlock", "visible": true, "minimized": false}
    {"event": "offered", "accounts": ["Issuer:name", ...]}
    {"event": "added", "count": N}              then it quits
    {"event": "enrollment", "issuer": NAME}     a receiver of enrollment_link_received got one
    {"event": "notice", "text": TEXT}           the "coming soon" note for an enrollment link
    {"event": "exited", "code": N}              handed off to a running Keyfob, or refused
MODE: "unlock-on-request" (locked until a request brings it to the front), "unlocked"
(unlocks at once), "unlocked-offer" (unlocks at once and adds what the add window offers:
the links it was started with), "unlocked-with-receiver" (also connects
enrollment_link_received, as the push UI does), or "idle" (only reports).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from PySide6.QtCore import QTimer


def say(event: str, **fields: object) -> None:
    print(json.dumps({"event": event, **fields}), flush=True)


def main() -> int:
    mode, password_file, *argv = sys.argv[1:]
    password = Path(password_file).read_text().strip()

    from app.handoff import Request, desktop_start, socket_file

    started = desktop_start(argv, own_arguments=True)
    if isinstance(started, int):
        say("exited", code=started)
        return started

    from app.ui.shell.main import launch

    running = launch(started)
    if isinstance(running, int):
        say("exited", code=running)
        return running
    app, controller, server = running.app, running.controller, running.server

    def type_password() -> None:
        window = controller.unlock_window
        if window is not None and not window.busy:
            window.password.setText(password)
            window.submit()

    def report_front() -> None:
        window = controller.main_window or controller.unlock_window
        if window is None:
            return
        say(
            "front",
            window="main" if window is controller.main_window else "unlock",
            visible=window.isVisible(),
            minimized=window.isMinimized(),
        )
        if mode == "unlock-on-request":
            type_password()

    def report_request(request: object) -> None:
        assert isinstance(request, Request)
        say("request", links=len(request.links), show=request.show)
        # The controller handles the request in the same signal emission; look after it.
        QTimer.singleShot(0, report_front)
        QTimer.singleShot(50, report_notice)
        accounts = [link for link in request.links if link.startswith("otpauth")]
        if accounts and controller.main_window is not None:
            QTimer.singleShot(0, report_offer)

    def report_notice() -> None:
        box = controller.links.enrollment_notice
        if box is not None and box.isVisible():
            say("notice", text=box.text())

    def report_offer() -> None:
        main = controller.main_window
        dialog = main.adding.dialog if main is not None else None
        if dialog is None or dialog.busy:
            QTimer.singleShot(50, report_offer)
            return
        accounts = dialog.chosen_accounts()
        say("offered", accounts=[f"{a.issuer}:{a.name}" for a in accounts])
        dialog.add_chosen()
        assert main is not None
        say("added", count=len(main.vault.content.accounts))
        controller.quit()

    def enrollment(link: str) -> None:
        say("enrollment", issuer=parse_qs(urlsplit(link).query).get("issuer", [""])[0])

    server.request_received.connect(report_request)
    if mode == "unlock-on-request":
        # The link waited for the unlock; the add window offers it now.
        controller.opened.connect(lambda: QTimer.singleShot(0, report_offer))
    if mode == "unlocked-offer":
        controller.opened.connect(lambda: QTimer.singleShot(0, report_offer))
    if mode == "unlocked-with-receiver":
        controller.enrollment_link_received.connect(enrollment)
    if mode.startswith("unlocked"):
        controller.opened.connect(lambda: say("unlocked"))
        type_password()

    # The app listens once its first window has been drawn (app.ui.shell.first_paint).
    deadline = time.monotonic() + 10

    def ready() -> None:
        if server.is_listening():
            say("ready", socket=str(socket_file(server.name)))
        elif server.server is None and time.monotonic() < deadline:  # not tried yet
            QTimer.singleShot(10, ready)
        else:
            say("not-listening", error=server.error_string())
            app.exit(1)

    QTimer.singleShot(0, ready)
    code = app.exec()
    server.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
