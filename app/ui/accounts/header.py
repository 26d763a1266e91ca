"""The main window's header row: the search field, the group choice, Add (with its menu), Lock
and the main menu. The search field drives the list from the keyboard."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QToolButton

from app.ui.accounts.actions import WindowActions
from app.ui.common.resources import icon


class SearchField(QLineEdit):
    """The search box: arrows move in the list, Enter copies, Ctrl+C copies the selected code."""

    moved = Signal(int)
    activated = Signal()
    copy_requested = Signal()
    paste_requested = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        steps = {
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_PageUp: -10,
            Qt.Key.Key_PageDown: 10,
        }
        if key in steps:
            self.moved.emit(steps[Qt.Key(key)])
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activated.emit()
            return
        if key == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        if event.matches(QKeySequence.StandardKey.Copy) and not self.hasSelectedText():
            self.copy_requested.emit()
            return
        if event.matches(QKeySequence.StandardKey.Paste) and _clipboard_has_enrollment():
            self.paste_requested.emit()
            return
        super().keyPressEvent(event)


def _clipboard_has_enrollment() -> bool:
    mime: QMimeData | None = QGuiApplication.clipboard().mimeData()
    if mime is None:  # Qt returns null for an empty clipboard on some platforms
        return False
    if mime.hasImage() or any(url.isLocalFile() for url in mime.urls()):
        return True
    if not mime.hasText():
        return False
    from app.ui.add.harvest import looks_like_enrollment  # with the add window's readers

    return looks_like_enrollment(mime.text())


class GroupChoice(QComboBox):
    """Which group the list shows: its name as the item's data, "" for all accounts."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(self.tr("Group"))
        self.setToolTip(self.tr("Show one group"))
        self.setMinimumHeight(36)

    def show_groups(self, names: list[str], chosen: str) -> None:
        """Offer `names` (hidden when there is none), `chosen` chosen; no signal is sent."""
        self.blockSignals(True)
        self.clear()
        self.addItem(self.tr("All accounts"), "")
        for name in names:
            self.addItem(icon("group"), name, name)
        self.choose(chosen)
        self.blockSignals(False)
        self.setVisible(bool(names))

    def choose(self, group: str) -> None:
        self.setCurrentIndex(max(0, self.findData(group)))

    def offers(self, group: str) -> bool:
        return self.findData(group) > 0

    def group_at(self, index: int) -> str:
        return str(self.itemData(index) or "")


class Header(QHBoxLayout):
    """The row above the list; push sign-in puts its status button in it, before Lock."""

    def __init__(self, actions: WindowActions, open_add: Callable[[], object]) -> None:
        super().__init__()
        self.search = SearchField()
        self.search.setPlaceholderText(self.tr("Search — just start typing"))
        self.search.setAccessibleName(self.tr("Search accounts"))
        self.search.setClearButtonEnabled(True)
        self.search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.search.setMinimumHeight(36)

        self.group_box = GroupChoice()

        self.add_button = QToolButton()
        self.add_button.setObjectName("addButton")
        self.add_button.setIcon(icon("add"))
        self.add_button.setIconSize(QSize(20, 20))
        self.add_button.setText(self.tr("Add"))
        self.add_button.setToolTip(self.tr("Add an account (Ctrl+N)"))
        self.add_button.setAccessibleName(self.tr("Add account"))
        self.add_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.add_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        self.add_button.setMinimumHeight(36)
        self.add_button.clicked.connect(lambda _checked=False: open_add())
        self.add_button.setMenu(actions.add_menu)

        self.menu_button = self._menu_button(actions)

        self.lock_button = QToolButton()
        self.lock_button.setDefaultAction(actions["lock"])
        self.lock_button.setIconSize(QSize(20, 20))
        self.lock_button.setToolTip(self.tr("Lock (Ctrl+L)"))
        self.lock_button.setAccessibleName(self.tr("Lock"))
        self.lock_button.setMinimumSize(QSize(36, 36))

        self.setContentsMargins(14, 12, 14, 6)
        self.setSpacing(8)
        self.addWidget(self.search, 1)
        self.addWidget(self.group_box)
        self.addWidget(self.add_button)
        self.addWidget(self.lock_button)
        self.addWidget(self.menu_button)

    def _menu_button(self, actions: WindowActions) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon("menu"))
        button.setIconSize(QSize(20, 20))
        button.setToolTip(self.tr("Menu"))
        button.setAccessibleName(self.tr("Menu"))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMinimumSize(QSize(36, 36))
        button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        button.setMenu(actions.main_menu)
        return button
