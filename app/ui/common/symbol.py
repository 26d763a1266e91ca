"""A large symbol standing for a window's state: the QR code of an empty list, a check mark
once something is done."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel

from app.ui.common.resources import icon


def symbol(
    name: str,
    side: int,
    *,
    colour: str | None = None,
    alignment: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter,
) -> QLabel:
    """A label showing the icon `name`, `side` pixels square, sharp on high-DPI screens."""
    label = QLabel()
    label.setPixmap(icon(name, colour).pixmap(QSize(side, side), label.devicePixelRatioF()))
    label.setAlignment(alignment)
    return label
