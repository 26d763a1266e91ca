"""A tinted box with a warning sign: for what people must read before going on."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.ui.common.resources import icon
from app.ui.common.widgets import plain_label

ORANGE = "#e67e22"


class WarningBox(QFrame):
    """Orange-tinted, like the unlock window's "Remember this password" box. `body` holds the
    text, shown as typed (it may name accounts or files); more widgets (a check box) go under
    it with `add`."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("warningBox")
        self.setStyleSheet(
            "#warningBox { background: rgba(230, 126, 34, 0.14);"
            " border: 1px solid rgba(230, 126, 34, 0.55); border-radius: 8px; }"
        )
        row = QHBoxLayout(self)
        row.setContentsMargins(12, 10, 12, 10)
        row.setSpacing(10)
        symbol = QLabel()
        symbol.setPixmap(icon("warning", ORANGE).pixmap(QSize(22, 22), self.devicePixelRatioF()))
        symbol.setAlignment(Qt.AlignmentFlag.AlignTop)
        row.addWidget(symbol)
        self._column = QVBoxLayout()
        self._column.setSpacing(8)
        self.body = plain_label(text)
        self.body.setWordWrap(True)
        self.body.setAccessibleName(self.tr("Warning"))
        self.body.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._column.addWidget(self.body)
        row.addLayout(self._column, 1)

    def add(self, widget: QWidget) -> None:
        self._column.addWidget(widget)
