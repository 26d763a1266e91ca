"""The list of accounts: one QListView painting rows through AccountDelegate."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QAbstractItemView, QFrame, QListView, QWidget

from app.core.account import Account, OtpType
from app.ui.accounts.account_delegate import AccountDelegate
from app.ui.accounts.account_model import ACCOUNT_ROLE, AccountModel


def is_typing(event: QKeyEvent) -> bool:
    """A key that types a character into the search (no Ctrl/Alt/Meta shortcut)."""
    blocked = (
        Qt.KeyboardModifier.ControlModifier
        | Qt.KeyboardModifier.AltModifier
        | Qt.KeyboardModifier.MetaModifier
    )
    text = event.text()
    return bool(text) and text.isprintable() and not (event.modifiers() & blocked)


class AccountListView(QListView):
    """The list, and which account in it is selected (the one that Enter, Ctrl+C and the
    account actions act on)."""

    copy_requested = Signal(QModelIndex)
    next_code_requested = Signal(QModelIndex)
    text_typed = Signal(str)
    menu_requested = Signal(QModelIndex, QPoint)

    def __init__(
        self, delegate: AccountDelegate, model: AccountModel, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        # A viewport made here rather than Qt's own: PySide would meet Qt's as a widget made
        # in C++ and work out its class by making every QtWidgets class (5 ms of a start).
        viewport = QWidget()
        viewport.setAutoFillBackground(True)
        viewport.setBackgroundRole(QPalette.ColorRole.Base)
        self.setViewport(viewport)
        self._delegate = delegate
        self.accounts = model
        self.placeholder = ""
        self.exposed: QRect | None = None
        self.setItemDelegate(delegate)
        self.setUniformItemSizes(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setSpacing(0)
        self.setAccessibleName(self.tr("Accounts"))
        self.setAccessibleDescription(
            self.tr("Enter or a click copies the code of the selected account")
        )
        self.clicked.connect(self._clicked)
        self.doubleClicked.connect(self.copy_requested)
        self.setModel(model)

    def _clicked(self, index: QModelIndex) -> None:
        self.copy_requested.emit(index)

    # --- the selection -----------------------------------------------------------------------

    def selected_account(self) -> Account | None:
        return self.accounts.account_at(self.currentIndex())

    def select_row(self, row: int, *, scroll: bool = True) -> None:
        if not 0 <= row < self.accounts.rowCount():
            return
        index = self.accounts.index(row, 0)
        self.setCurrentIndex(index)
        if scroll:
            self.scrollTo(index)

    def select_account(self, uuid: str) -> None:
        row = self.accounts.row_of(uuid)
        if row is not None:
            self.select_row(row)

    def move_current(self, step: int) -> None:
        """The selection `step` rows down (up if negative), stopping at either end."""
        count = self.accounts.rowCount()
        if not count:
            return
        current = self.currentIndex().row()
        self.select_row(max(0, min(count - 1, (current if current >= 0 else -1) + step)))

    def set_placeholder(self, text: str) -> None:
        self.placeholder = text
        self.viewport().update()

    def hits_action(self, index: QModelIndex, position: QPoint) -> bool:
        return self._delegate.action_rect(self.visualRect(index)).contains(position)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            position = event.position().toPoint()
            index = self.indexAt(position)
            account = index.data(ACCOUNT_ROLE) if index.isValid() else None
            if (
                isinstance(account, Account)
                and account.type is OtpType.HOTP
                and self.hits_action(index, position)
            ):
                self.setCurrentIndex(index)
                self.next_code_requested.emit(index)
                event.accept()
                return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.copy_requested.emit(self.currentIndex())
            event.accept()
            return
        if is_typing(event) and event.text() != " ":
            self.text_typed.emit(event.text())
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Mouse:
            index = self.indexAt(event.pos())
            if index.isValid():
                self.setCurrentIndex(index)
            position = event.globalPos()
        else:
            index = self.currentIndex()
            rect = self.visualRect(index) if index.isValid() else self.viewport().rect()
            position = self.viewport().mapToGlobal(rect.center())
        self.menu_requested.emit(index, position)
        event.accept()

    def visible_rows(self) -> range:
        """The rows on screen now (first to last, partly visible ones included)."""
        model = self.model()
        count = model.rowCount() if model is not None else 0
        if not count:
            return range(0)
        area = self.viewport().rect()
        first = self.indexAt(area.topLeft())
        last = self.indexAt(area.bottomLeft())
        start = first.row() if first.isValid() else 0
        end = last.row() if last.isValid() else count - 1
        return range(start, end + 1)

    def paintEvent(self, event: QPaintEvent) -> None:
        # The delegate reads what is being repainted, to skip the parts that are not.
        self.exposed = event.rect()
        try:
            super().paintEvent(event)
        finally:
            self.exposed = None
        if self.model() is None or self.model().rowCount() or not self.placeholder:
            return
        painter = QPainter(self.viewport())
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect().adjusted(24, 24, -24, -24),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
            self.placeholder,
        )
        painter.end()
