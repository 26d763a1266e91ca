"""QR pictures for the UI tests, made with app.qr's encoder and laid out with QPainter."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QImage, QPainter

from app.qr.encode import encode_png


def qr_image(text: str, scale: int = 4) -> QImage:
    image = QImage.fromData(encode_png(text, scale=scale))
    assert not image.isNull()
    return image


def screen_with(texts: list[str], width: int = 1600, height: int = 900) -> QImage:
    """A "screen": a grey desktop with the QR codes side by side, and a window-like block."""
    screen = QImage(width, height, QImage.Format.Format_RGB32)
    screen.fill(QColor("#8a9099"))
    painter = QPainter(screen)
    painter.fillRect(40, 40, width - 80, 120, QColor("#f0f0f0"))
    left = 60
    for text in texts:
        code = qr_image(text)
        painter.drawImage(QPoint(left, 220), code)
        left += code.width() + 60
    painter.end()
    return screen
