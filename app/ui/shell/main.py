"""Starting the desktop app: `keyfob` with no command, or `keyfob otpauth://...` from a link.

Only what the first window needs is imported here; the vault's crypto, QR decoding, the
camera and the rest load when first used, so the unlock window appears quickly.

Keyfob runs once per user and vault: when it already runs, `keyfob [LINK]` hands the links
to it and exits (app.ui.shell.single_instance). `--minimized` (the login autostart) starts in
the tray; `--self-test` checks that a build can open a vault and show its window, then quits.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication

from app import handoff
from app.handoff import NO_ANSWER_MESSAGE, is_link, parse_arguments
from app.ui.common.settings import Settings
from app.ui.shell import crash
from app.ui.shell.application import install_translations, make_application
from app.ui.shell.controller import Controller
from app.ui.shell.first_paint import after_first_paint
from app.ui.shell.theme import apply_theme

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent

    from app.ui.shell.quick_start import QuickStart
    from app.ui.shell.single_instance import InstanceServer


def start(argv: list[str], quick: QuickStart | None = None) -> tuple[QApplication, Controller]:
    """Build the application and show the first window (the same path `keyfob` takes).

    `quick`: what the keyring gave before Qt loaded (quick_start.before_qt); None tries it
    here."""
    arguments = parse_arguments(argv)
    app = make_application()
    install_translations(app)
    settings = Settings()
    apply_theme(app, settings.theme)
    crash.install()
    from app.vault.paths import resolve_vault_path
    from app.vault.revisions import RevisionLog

    controller = Controller(
        resolve_vault_path(arguments.vault),
        settings,
        uris=arguments.uris,
        revision_log=RevisionLog.default(),
    )
    controller.start(minimized=arguments.minimized, quick=quick)
    if sys.platform == "darwin":
        # Only there: a filter on the application sees every event of every widget.
        app.installEventFilter(LinkEvents(controller))
    return app, controller


class LinkEvents(QObject):
    """macOS opens links (CFBundleURLTypes) with an event to the running app, not argv."""

    def __init__(self, controller: Controller) -> None:
        super().__init__(controller)
        self.controller = controller

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Imported here: elsewhere the start never makes Python's QEvent types (1.5 ms).
        from PySide6.QtCore import QEvent
        from PySide6.QtGui import QFileOpenEvent

        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            link = event.url().toString()
            if is_link(link):
                self.controller.open_links([link])
                return True
        return False


def _handle_request(controller: Controller, request: object) -> None:
    if not isinstance(request, handoff.Request):
        return
    if request.activation_token:
        # Qt's Wayland window reads this when asked to activate (xdg-activation).
        os.environ["XDG_ACTIVATION_TOKEN"] = request.activation_token
    controller.open_links(list(request.links), show=request.show)


@dataclass(frozen=True)
class Running:
    """A started Keyfob: the application, its controller, and the server for later starts."""

    app: QApplication
    controller: Controller
    server: InstanceServer


def launch(
    argv: list[str], *, quick: QuickStart | None = None, quit_on_signals: bool = False
) -> Running | int:
    """Start Keyfob, or hand the links to the Keyfob already running (an exit code then).

    `quit_on_signals`: SIGTERM and SIGINT quit as the tray's Quit does (stop_signals), from
    before the server listens, so that a start that finds it can also end it cleanly.
    """
    arguments = parse_arguments(argv)
    if arguments.self_test:
        from app.ui.shell.self_test import run_self_test

        gc.enable()
        return run_self_test()
    from app.ui.shell import single_instance as single
    from app.vault.paths import resolve_vault_path

    name = handoff.server_name(resolve_vault_path(arguments.vault))
    request = handoff.Request(
        tuple(arguments.uris),
        show=not arguments.minimized,
        activation_token=os.environ.get("XDG_ACTIVATION_TOKEN", ""),
    )
    # Held from here until the server listens: a start in between waits for it, then hands
    # off, rather than becoming a second Keyfob.
    lock = contextlib.ExitStack()
    lock.enter_context(single.startup_lock(name))
    try:
        outcome = single.hand_off(name, request)
        if outcome is handoff.HandOff.DELIVERED:
            lock.close()
            return 0
        if outcome is handoff.HandOff.NO_ANSWER:
            lock.close()
            print(NO_ANSWER_MESSAGE, file=sys.stderr)
            return 1
        app, controller = start(argv, quick)
    except BaseException:
        lock.close()
        raise
    server = single.InstanceServer(name, controller)
    server.request_received.connect(functools.partial(_handle_request, controller))
    # Another vault opened, or the vault moved: later starts resolve its new path.
    controller.vault_path_changed.connect(lambda path: server.listen_as(handoff.server_name(path)))

    def listen() -> None:
        gc.enable()  # off since app.__main__, for the start (a no-op when it was not)
        try:
            if quit_on_signals:
                from app.ui.shell.stop_signals import quit_on_signals as install

                install(controller.quit, controller)
            if not server.listen():
                print(
                    "keyfob: cannot listen for links opened later ("
                    + server.error_string()
                    + "); they will start another Keyfob.",
                    file=sys.stderr,
                )
        finally:
            lock.close()

    # Once the first window has been drawn: QtNetwork loads after that, not before it.
    after_first_paint(controller.main_window or controller.unlock_window, listen)
    return Running(app, controller, server)


def run(argv: list[str], quick: QuickStart | None = None) -> int:
    # Signals only here: the tests that launch Keyfob in their own process keep theirs.
    running = launch(argv, quick=quick, quit_on_signals=True)
    if isinstance(running, int):
        return running
    code = running.app.exec()
    running.server.close()
    return code
