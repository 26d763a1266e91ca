"""Account avatars: a letter on a colour picked from the issuer, or the user's own image.

The colour comes from a stable hash of the issuer, so "GitHub" is the same colour on every
run and every machine. User images are `data:` URIs in the vault; decoded pixmaps are cached
by the URI's hash, at the device pixel ratio they are drawn at.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from typing import Any

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPixmap

from app.core.account import Account

# Mid-tone colours that carry white text in light and dark themes alike.
PALETTE = (
    "#e5484d",
    "#e5732e",
    "#c99400",
    "#46a758",
    "#12a594",
    "#0091a8",
    "#3e63dd",
    "#6e56cf",
    "#8e4ec6",
    "#d6409f",
    "#7d6b5d",
    "#5b7083",
)
MAX_ICON_PIXELS = 256  # a chosen image is scaled down to this before it is stored
_DATA_PREFIX = "data:"


def avatar_colour(account: Account) -> QColor:
    key = (account.issuer or account.name).strip().casefold()
    return QColor(PALETTE[zlib.crc32(key.encode("utf-8")) % len(PALETTE)])


def avatar_letter(account: Account) -> str:
    for text in (account.issuer, account.name):
        for char in text:
            if char.isalnum():
                return char.upper()
    return "?"


def decode_icon(uri: str | None) -> QImage | None:
    """The image in a `data:image/...;base64,` URI, or None when there is none or it is bad."""
    if not uri or not uri.startswith(_DATA_PREFIX):
        return None
    header, _, payload = uri.partition(",")
    if ";base64" not in header:
        return None
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None
    image = QImage.fromData(raw)
    return None if image.isNull() else image


def encode_icon(image: QImage) -> str:
    """A chosen image as the `data:image/png;base64,...` URI stored with the account."""
    if max(image.width(), image.height()) > MAX_ICON_PIXELS:
        image = image.scaled(
            MAX_ICON_PIXELS,
            MAX_ICON_PIXELS,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; PySide wants str
    buffer.close()
    return "data:image/png;base64," + base64.b64encode(bytes(data.data())).decode("ascii")


MAX_CACHED = 512


class AvatarPainter:
    """Draws avatars from a cache of finished pixmaps (letter or image, at the screen's ratio).

    Letter avatars repeat (a dozen colours, a few dozen letters), so the cache stays small;
    it is emptied when it grows past MAX_CACHED anyway.
    """

    def __init__(self) -> None:
        self._images: dict[int, QImage | None] = {}
        self._finished: dict[tuple[Any, ...], QPixmap] = {}

    def clear(self) -> None:
        self._images.clear()
        self._finished.clear()

    def paint(self, painter: QPainter, rect: QRectF, account: Account, ratio: float) -> None:
        painter.drawPixmap(rect.topLeft(), self.pixmap(account, round(rect.width()), ratio))

    def pixmap(self, account: Account, side: int, ratio: float) -> QPixmap:
        """The finished round avatar, `side` device-independent pixels wide."""
        image = self._user_image(account.icon)
        if image is not None:
            key: tuple[Any, ...] = ("image", hash(account.icon), side, ratio)
        else:
            key = ("letter", avatar_colour(account).rgba(), avatar_letter(account), side, ratio)
        pixmap = self._finished.get(key)
        if pixmap is None:
            if len(self._finished) >= MAX_CACHED:
                self._finished.clear()
            pixmap = _draw_avatar(account, image, side, ratio)
            self._finished[key] = pixmap
        return pixmap

    def _user_image(self, uri: str | None) -> QImage | None:
        if not uri:
            return None
        key = hash(uri)
        if key not in self._images:
            if len(self._images) >= MAX_CACHED:
                self._images.clear()
            self._images[key] = decode_icon(uri)
        return self._images[key]


def _draw_avatar(account: Account, image: QImage | None, side: int, ratio: float) -> QPixmap:
    pixels = max(1, round(side * ratio))
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    circle = QRectF(0, 0, pixels, pixels)
    if image is not None:
        filled = image.scaled(
            QSize(pixels, pixels),
            Qt.AspectRatioMode.KeepAspectRatioByExpanding,
            Qt.TransformationMode.SmoothTransformation,
        )
        left = (filled.width() - pixels) // 2
        top = (filled.height() - pixels) // 2
        path = QPainterPath()
        path.addEllipse(circle)
        painter.setClipPath(path)
        painter.fillRect(circle, QColor("#ffffff"))
        painter.drawImage(0, 0, filled, left, top, pixels, pixels)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(avatar_colour(account))
        painter.drawEllipse(circle)
        font = QFont()
        font.setPixelSize(max(8, round(pixels * 0.45)))
        font.setWeight(QFont.Weight.DemiBold)
        painter.setFont(font)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(circle, Qt.AlignmentFlag.AlignCenter, avatar_letter(account))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap
