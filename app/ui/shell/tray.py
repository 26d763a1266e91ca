"""The tray icon: copy a favourite's code, show the window, lock, quit.

The menu is rebuilt each time it opens, so it lists the favourites as they are now; while
locked it offers only to unlock. It never shows a code, only which account it copies.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from app.core.account import Account
from app.ui.common.resources import app_icon, icon

MAX_FAVOURITES = 15


class Tray(QObject):
    show_requested = Signal()
    lock_requested = Signal()
    quit_requested = Signal()
    copy_requested = Signal(str)  # uuid
    message_clicked = Signal()  # a notification (a push sign-in request) was clicked

    def __init__(
        self, favourites: Callable[[], list[Account] | None], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._favourites = favourites
        self.menu = QMenu()
        self.menu.aboutToShow.connect(self.rebuild)
        self.icon = QSystemTrayIcon(app_icon(), self)
        self.icon.setToolTip(self.tr("Keyfob"))
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._activated)
        self.icon.messageClicked.connect(self.message_clicked)
        self.rebuild()

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def notify(self, title: str, text: str) -> None:
        """A desktop notification from the tray icon (when it is shown)."""
        if self.icon.isVisible() and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(title, text, app_icon(), 15_000)

    def set_visible(self, visible: bool) -> None:
        self.icon.setVisible(visible and self.available())

    def rebuild(self) -> None:
        """Fill the menu: the favourites (or a locked note), then show, lock and quit."""
        self.menu.clear()
        favourites = self._favourites()
        if favourites is None:
            locked = self.menu.addAction(icon("lock"), self.tr("Locked — open Keyfob to unlock"))
            locked.setEnabled(False)
        elif favourites:
            title = self.menu.addAction(self.tr("Copy the code of"))
            title.setEnabled(False)
            for account in favourites[:MAX_FAVOURITES]:
                # "&" marks a shortcut in a menu's text: doubled, a name shows as it is.
                action = QAction(account.label.replace("&", "&&"), self.menu)
                action.setIcon(icon("copy"))
                uuid = account.uuid
                action.triggered.connect(lambda _c=False, u=uuid: self.copy_requested.emit(u))
                self.menu.addAction(action)
        else:
            note = self.menu.addAction(self.tr("Favourites appear here"))
            note.setEnabled(False)
        self.menu.addSeparator()
        show = self.menu.addAction(icon("window"), self.tr("&Show Keyfob"))
        show.triggered.connect(lambda _c=False: self.show_requested.emit())
        lock = self.menu.addAction(icon("lock"), self.tr("&Lock"))
        lock.setEnabled(favourites is not None)
        lock.triggered.connect(lambda _c=False: self.lock_requested.emit())
        quit_action = self.menu.addAction(icon("quit"), self.tr("&Quit"))
        quit_action.triggered.connect(lambda _c=False: self.quit_requested.emit())

    def actions(self) -> list[QAction]:
        return self.menu.actions()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_requested.emit()

    def dispose(self) -> None:
        self.icon.hide()
        self.menu.deleteLater()
