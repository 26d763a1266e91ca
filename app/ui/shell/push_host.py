"""The shell's side of push sign-in: `PushHost` (push.host) over the controller and its windows,
and the push feature itself, made at its first need.

Push reaches the app only through this adapter, so the main window's layout, the settings
dialog and the tray stay the shell's business: what push may do to them is written here.
Most people never enroll, so the feature (app.ui.push, and app.push with the signature code
of `cryptography`: 2 MiB) loads only when the vault holds an enrollment, or the user opens
push sign-in or hands Keyfob an enrollment link; until then the adapter keeps the menu entry
and receives the links itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.ui.common.resources import icon

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from app.ui.accounts.main_window import MainWindow
    from app.ui.push.feature import PushFeature
    from app.ui.push.transport import TransportOptions
    from app.ui.shell.tray import Tray
    from app.vault.store import Vault


class ControllerLike(Protocol):
    """What the adapter uses of shell.controller.Controller (which makes the adapter, so
    naming it here would make the two modules import each other)."""

    push: PushFeature | None  # made by the adapter at the first need (`ShellPushHost.start`)

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
    """What push sign-in may see and do of the running app (see push.host.PushHost); it makes
    the feature at the first need (`start`), and stands in for it until then."""

    enrollment_link_received = Signal(str)
    settings_opened = Signal()
    notification_clicked = Signal()

    def __init__(
        self,
        controller: ControllerLike,
        parent: QObject | None = None,
        *,
        now: Callable[[], float] = time.time,
        options: TransportOptions | None = None,
        result_ms: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._controller = controller
        self._tray: Tray | None = None
        self._now = now
        self._options = options
        self._result_ms = result_ms
        # Links from the command line, another `keyfob` or the OS; the add window's come
        # from each main window as it opens.
        controller.enrollment_link_received.connect(self._link_received)
        controller.opened.connect(self._window_opened)

    def make_feature(self) -> PushFeature:
        """A push feature over this host (not attached: see `start`)."""
        from app.ui.push.feature import PushFeature

        parent = self.parent()
        return PushFeature(
            self, now=self._now, options=self._options, result_ms=self._result_ms, parent=parent
        )

    def start(self) -> PushFeature:
        """The controller's push feature; made and shown in the open window if there is none."""
        feature = self._controller.push
        if feature is None:
            feature = self._controller.push = self.make_feature()
            if self._controller.main_window is not None:
                feature.attach()
        return feature

    def _link_received(self, link: str) -> None:
        self.start()  # the feature listens to the signal from now on
        self.enrollment_link_received.emit(link)

    def _window_opened(self) -> None:
        main = self._controller.main_window
        if main is None:
            return
        action = QAction(icon("push"), self.tr("&Push sign-in…"), main)
        action.triggered.connect(lambda _c=False: self.start().open_dialog())
        main.main_menu.insertAction(main.settings_action, action)
        main.push_enroll_requested.connect(self._link_received)
        # After the main window's own handler: the settings dialog is open by then.
        main.settings_action.triggered.connect(lambda _c=False: self.settings_opened.emit())
        # Another program (the CLI, a synced copy) may add the first enrollment.
        main.accounts_changed.connect(self._vault_changed)

    def _vault_changed(self) -> None:
        vault = self._controller.vault
        if self._controller.push is None and vault is not None and has_enrollments(vault):
            self.start()

    def vault(self) -> Vault | None:
        return self._controller.vault

    def dialog_parent(self) -> QWidget | None:
        return self._controller.main_window

    def unlock(self, password: str, done: Callable[[str | None], None]) -> None:
        self._controller.open_with_password(password, done)

    def show_window(self) -> None:
        self._controller.show_window()

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


def has_enrollments(vault: Vault) -> bool:
    """Whether the vault holds push enrollments (readable or not: the feature sorts them)."""
    return bool(vault.content.push)


def attach_push(controller: ControllerLike) -> None:
    """Push sign-in in the main window just opened: the feature if it runs already or the
    vault has enrollments, else only the adapter (its menu entry, the links it receives)."""
    host = _host_of(controller)
    if controller.push is not None:
        controller.push.attach()
    elif controller.vault is not None and has_enrollments(controller.vault):
        host.start()


def _host_of(controller: ControllerLike) -> ShellPushHost:
    # One adapter per controller, its child: made at the first unlock (or by make_push_feature).
    if not isinstance(controller, QObject):
        return ShellPushHost(controller)
    found = controller.findChild(ShellPushHost, options=Qt.FindChildOption.FindDirectChildrenOnly)
    return found if isinstance(found, ShellPushHost) else ShellPushHost(controller, controller)


def make_push_feature(
    controller: ControllerLike,
    *,
    now: Callable[[], float] = time.time,
    options: TransportOptions | None = None,
    result_ms: int | None = None,
) -> PushFeature:
    """Push sign-in for `controller`'s app now, reaching it through a `ShellPushHost`; both
    live as long as the controller. (The app makes it at the first need: `attach_push`.)"""
    parent = controller if isinstance(controller, QObject) else None
    host = ShellPushHost(controller, parent, now=now, options=options, result_ms=result_ms)
    return host.make_feature()
