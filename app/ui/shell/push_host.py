"""The shell's side of push sign-in: `PushHost` (push.host) over the controller and its windows.

Push reaches the app only through this adapter, so the main window's layout, the settings
dialog and the tray stay the shell's business: what push may do to them is written here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.ui.push.feature import PushFeature

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.ui.accounts.main_window import MainWindow
    from app.ui.push.transport import TransportOptions
    from app.ui.shell.tray import Tray
    from app.vault.store import Vault


class ControllerLike(Protocol):
    """What the adapter uses of shell.controller.Controller (which makes the adapter, so
    naming it here would make the two modules import each other)."""

    @property
    def vault(self) -> Vault | None: ...

    @property
    def main_window(self) -> MainWindow | None: ...

    @property
    def tray(self) -> Tray | None: ...

    @property
    def enrollment_link_received(self) -> SignalInstance: ...

    @property
    def opened(self) -> SignalInstance: ...

    def open_with_password(self, password: str, done: Callable[[str | None], None]) -> None: ...

    def show_window(self) -> None: ...


class ShellPushHost(QObject):
    """What push sign-in may see and do of the running app (see push.host.PushHost)."""

    enrollment_link_received = Signal(str)
    settings_opened = Signal()
    notification_clicked = Signal()

    def __init__(self, controller: ControllerLike, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._controller = controller
        self._tray: Tray | None = None
        # Links from the command line, another `keyfob` or the OS; the add window's come
        # from each main window as it opens.
        controller.enrollment_link_received.connect(self.enrollment_link_received)
        controller.opened.connect(self._window_opened)

    def _window_opened(self) -> None:
        main = self._controller.main_window
        if main is None:
            return
        main.push_enroll_requested.connect(self.enrollment_link_received)
        # After the main window's own handler: the settings dialog is open by then.
        main.settings_action.triggered.connect(lambda _c=False: self.settings_opened.emit())

    def vault(self) -> Vault | None:
        return self._controller.vault

    def dialog_parent(self) -> QWidget | None:
        return self._controller.main_window

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        self._controller.open_with_password(password, done)

    def show_window(self) -> None:
        self._controller.show_window()

    def add_menu_entry(self, action: QAction) -> None:
        main = self._controller.main_window
        if main is not None:
            main.main_menu.insertAction(main.settings_action, action)

    def add_status(self, button: QWidget, line: QWidget) -> None:
        main = self._controller.main_window
        if main is None:
            return
        main.header.insertWidget(main.header.indexOf(main.lock_button), button)
        central = main.centralWidget()
        layout = central.layout() if central is not None else None
        if isinstance(layout, QVBoxLayout):
            layout.insertWidget(layout.indexOf(main.drift_banner), line)

    def show_problem(self, text: str, details: str) -> None:
        main = self._controller.main_window
        if main is not None:
            main.show_problem(text, details)

    def show_drift(self, drift: float) -> None:
        main = self._controller.main_window
        if main is not None:
            main.set_drift(drift)

    def show_measured_drift(self, drift: float, server: str) -> None:
        main = self._controller.main_window
        if main is None:
            return
        from app.ui.settings.settings_dialog import SettingsDialog

        dialog = main.dialogs.current("settings", SettingsDialog)
        if dialog is not None:
            dialog.show_measured_drift(drift, server)

    def notify(self, title: str, text: str) -> None:
        tray = self._controller.tray
        if tray is None:
            return
        if tray is not self._tray:
            self._tray = tray
            tray.message_clicked.connect(self.notification_clicked)
        tray.notify(title, text)


def make_push_feature(
    controller: ControllerLike,
    *,
    now: Callable[[], float] = time.time,
    options: TransportOptions | None = None,
    result_ms: int | None = None,
) -> PushFeature:
    """Push sign-in for `controller`'s app, reaching it through a `ShellPushHost`; both live
    as long as the controller."""
    parent = controller if isinstance(controller, QObject) else None
    host = ShellPushHost(controller, parent)
    return PushFeature(host, now=now, options=options, result_ms=result_ms, parent=parent)
