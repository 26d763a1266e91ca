"""Pictures to look for QR codes in: every screen, and QImage pixels handed to app.qr.

A screen source is any callable returning QImages, so tests (and a future "region" picker)
can feed their own. The default grabs every screen; where that yields nothing (Wayland gives
applications no pixels of other windows) it asks the xdg-desktop-portal for a screenshot,
which shows the desktop's own consent dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from PySide6.QtCore import SLOT, QEventLoop, QObject, QTimer, Slot
from PySide6.QtGui import QGuiApplication, QImage

ScreenSource = Callable[[], list[QImage]]

PORTAL_TIMEOUT_MS = 120_000  # the portal may ask the user first


def decode_qimage(image: QImage) -> list[str]:
    """The text of every QR code in `image` (app.qr and zxing load on first use)."""
    from app.qr.decode import PixelFormat, decode_pixels

    if image.isNull():
        return []
    gray = image.convertToFormat(QImage.Format.Format_Grayscale8)
    return decode_pixels(
        gray.constBits(), gray.width(), gray.height(), gray.bytesPerLine(), PixelFormat.GRAYSCALE8
    )


def decode_images(images: list[QImage]) -> list[str]:
    texts: list[str] = []
    for image in images:
        for text in decode_qimage(image):
            if text not in texts:
                texts.append(text)
    return texts


def _blank(image: QImage) -> bool:
    """A grab that holds no picture: null, or one colour sampled across it."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        return True
    first = image.pixel(0, 0)
    step_x = max(1, image.width() // 16)
    step_y = max(1, image.height() // 16)
    return all(
        image.pixel(x, y) == first
        for x in range(0, image.width(), step_x)
        for y in range(0, image.height(), step_y)
    )


def grab_screens() -> list[QImage]:
    """Every screen's picture; the desktop portal's screenshot when grabbing gives nothing."""
    images = [screen.grabWindow(0).toImage() for screen in QGuiApplication.screens()]
    useful = [image for image in images if not _blank(image)]
    if useful:
        return useful
    portal = portal_screenshot()
    return [portal] if portal is not None else []


class _PortalReply(QObject):
    """Receives the portal's Response(u response, a{sv} results) for our request."""

    def __init__(self, loop: QEventLoop) -> None:
        super().__init__()
        self.loop = loop
        self.uri: str | None = None

    @Slot("uint", "QVariantMap")
    def response(self, code: int, results: dict[str, Any]) -> None:
        if code == 0:
            uri = results.get("uri")
            self.uri = str(uri) if uri else None
        self.loop.quit()


def portal_screenshot() -> QImage | None:
    """A screenshot through org.freedesktop.portal.Screenshot, or None if there is no portal.

    Blocks in a local event loop until the portal answers (it may show a consent dialog).
    """
    uri = _portal_screenshot_uri()
    if not uri:
        return None
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = Path(unquote(parsed.path))
    image = QImage(str(path))
    # The portal leaves the file in the user's pictures folder; it shows a setup secret.
    path.unlink(missing_ok=True)
    return None if image.isNull() else image


def _portal_screenshot_uri() -> str | None:
    try:
        from PySide6.QtDBus import QDBusConnection, QDBusInterface, QDBusObjectPath
    except ImportError:
        return None
    bus = QDBusConnection.sessionBus()
    if not bus.isConnected():
        return None
    portal = QDBusInterface(
        "org.freedesktop.portal.Desktop",
        "/org/freedesktop/portal/desktop",
        "org.freedesktop.portal.Screenshot",
        bus,
    )
    if not portal.isValid():
        return None
    loop = QEventLoop()
    reply = _PortalReply(loop)
    token = "keyfob_scan"  # noqa: S105 - a portal request name, not a credential
    sender = bus.baseService().lstrip(":").replace(".", "_")

    def listen(request_path: str) -> None:
        bus.connect(  # type: ignore[call-overload]  # PySide wants SLOT()'s text, not bytes
            "org.freedesktop.portal.Desktop",
            request_path,
            "org.freedesktop.portal.Request",
            "Response",
            reply,
            SLOT("response(uint,QVariantMap)"),
        )

    # Subscribe before calling, as the portal documentation asks, so no answer is missed.
    expected = f"/org/freedesktop/portal/desktop/request/{sender}/{token}"
    listen(expected)
    answer = portal.call("Screenshot", "", {"handle_token": token, "interactive": False})
    if answer.errorName():
        return None
    arguments = answer.arguments()
    if arguments and isinstance(arguments[0], QDBusObjectPath):
        actual = arguments[0].path()
        if actual != expected:
            listen(actual)
    QTimer.singleShot(PORTAL_TIMEOUT_MS, loop.quit)
    loop.exec()
    return reply.uri
