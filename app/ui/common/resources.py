"""Where the app's files are (icons, translations) and SVG icons that follow the palette.

The monochrome icons in resources/icons draw with `currentColor`. QtSvg does not know that
keyword, so an icon engine puts the palette's text colour in before rendering; it renders
at the exact pixel size asked for (the device pixel ratio included), so icons stay crisp on
any screen and follow a light/dark theme switch without being rebuilt.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QIconEngine, QPalette, QPixmap

from app import data_files

if TYPE_CHECKING:
    from PySide6.QtGui import QPainter
    from PySide6.QtSvg import QSvgRenderer

# QtSvg and QPainter are imported when an icon is first drawn, not with this module: the
# unlock window imports it, and is on screen before its icons are painted.

_CURRENT_COLOR = b"currentColor"
_MAX_PIXMAPS = 32


def resources_dir() -> Path:
    """The resources/ folder: in a checkout, the bundle, or a wheel's data files."""
    return data_files.resources_dir()


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


@functools.cache
def _svg_source(name: str) -> bytes:
    return resource_path("icons", f"{name}.svg").read_bytes()


def _colour_for(mode: QIcon.Mode) -> str:
    palette = QGuiApplication.palette()
    if mode is QIcon.Mode.Disabled:
        role_group = QPalette.ColorGroup.Disabled
        role = QPalette.ColorRole.WindowText
    elif mode is QIcon.Mode.Selected:
        role_group = QPalette.ColorGroup.Active
        role = QPalette.ColorRole.HighlightedText
    else:
        role_group = QPalette.ColorGroup.Active
        role = QPalette.ColorRole.WindowText
    return palette.color(role_group, role).name()


class SvgIconEngine(QIconEngine):
    """Renders one SVG at whatever size is asked, coloured for the mode and the palette."""

    def __init__(self, name: str, colour: str | None = None) -> None:
        super().__init__()
        self._name = name
        self._colour = colour
        self._renderers: dict[str, QSvgRenderer] = {}
        self._pixmaps: dict[tuple[int, int, QIcon.Mode, str, float], QPixmap] = {}

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        colour = self._colour or _colour_for(mode)
        renderer = self._renderers.get(colour)
        if renderer is None:
            from PySide6.QtCore import QByteArray
            from PySide6.QtSvg import QSvgRenderer

            source = _svg_source(self._name).replace(_CURRENT_COLOR, colour.encode("ascii"))
            renderer = QSvgRenderer(QByteArray(source))
            self._renderers[colour] = renderer
        return renderer

    def _render(self, painter: QPainter, rect: QRect, mode: QIcon.Mode) -> None:
        from PySide6.QtCore import QRectF
        from PySide6.QtGui import QPainter

        renderer = self._renderer(mode)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if mode is QIcon.Mode.Disabled and self._colour is not None:
            painter.setOpacity(0.4)
        renderer.render(painter, QRectF(rect))
        painter.restore()

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        # Rendering SVG costs ~15 us; a list repainting every second draws cached pixmaps.
        device = painter.device()
        ratio = device.devicePixelRatioF() if device is not None else 1.0
        painter.drawPixmap(rect, self.scaledPixmap(rect.size(), mode, state, ratio))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        return self.scaledPixmap(size, mode, state, 1.0)

    def scaledPixmap(
        self, size: QSize, mode: QIcon.Mode, state: QIcon.State, scale: float
    ) -> QPixmap:
        # Qt passes the size in device-independent pixels and the scale separately here.
        pixels = QSize(max(1, round(size.width() * scale)), max(1, round(size.height() * scale)))
        key = (pixels.width(), pixels.height(), mode, self._colour or _colour_for(mode), scale)
        cached = self._pixmaps.get(key)
        if cached is not None:
            return cached
        from PySide6.QtGui import QPainter

        pixmap = QPixmap(pixels)
        pixmap.fill(QColor(0, 0, 0, 0))  # transparent; Qt.GlobalColor waits (qt_names)
        painter = QPainter(pixmap)
        self._render(painter, QRect(0, 0, pixels.width(), pixels.height()), mode)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        if len(self._pixmaps) >= _MAX_PIXMAPS:
            self._pixmaps.clear()
        self._pixmaps[key] = pixmap
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:
        return size

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._name, self._colour)

    def key(self) -> str:
        return "keyfob-svg"


def icon(name: str, colour: str | None = None) -> QIcon:
    """A monochrome icon from resources/icons/NAME.svg, in the palette's text colour.

    `colour` (a #rrggbb name) fixes the colour instead, for icons on a coloured background.
    """
    return QIcon(SvgIconEngine(name, colour))


def app_icon() -> QIcon:
    """The application's own (multicolour) icon; Qt's SVG engine keeps it sharp."""
    return QIcon(str(resource_path("icons", "keyfob.svg")))
