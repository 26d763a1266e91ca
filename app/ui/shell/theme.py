"""Light and dark: follow the system by default, or force one (Settings > Theme).

Following the system leaves Qt's own palette alone, which the platform theme keeps in step
with the desktop's colour scheme. A forced theme uses the Fusion style with our palette, so
it looks the same everywhere.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from app.ui.common.settings import Settings, Theme

ACCENT = "#3461d6"
ACCENT_DARK = "#7aa2ff"

_STYLE = """
QPushButton#primaryButton {
    background: %(accent)s; color: %(accent_text)s; border: none; border-radius: 6px;
    padding: 7px 16px; font-weight: 600;
}
QPushButton#primaryButton:hover { background: %(accent_hover)s; }
QPushButton#primaryButton:focus { outline: none; border: 2px solid %(focus)s; }
QPushButton#primaryButton:disabled { background: %(disabled)s; color: %(disabled_text)s; }
"""

# The style and palette Qt chose at start: what "follow the system" goes back to. Kept the
# first time a forced theme replaces them: until then there is nothing to go back to, and
# a start that follows the system never asks for the style (making Python's QStyle type
# costs 5 ms before the first window).
_ORIGINAL: dict[str, tuple[str, QPalette]] = {}


def _palette(dark: bool) -> QPalette:
    palette = QPalette()
    if dark:
        colours = {
            QPalette.ColorRole.Window: "#1f2125",
            QPalette.ColorRole.WindowText: "#e8eaed",
            QPalette.ColorRole.Base: "#17181b",
            QPalette.ColorRole.AlternateBase: "#24262b",
            QPalette.ColorRole.Text: "#e8eaed",
            QPalette.ColorRole.Button: "#2b2e33",
            QPalette.ColorRole.ButtonText: "#e8eaed",
            QPalette.ColorRole.Highlight: ACCENT_DARK,
            QPalette.ColorRole.HighlightedText: "#10131a",
            QPalette.ColorRole.ToolTipBase: "#2b2e33",
            QPalette.ColorRole.ToolTipText: "#e8eaed",
            QPalette.ColorRole.PlaceholderText: "#9aa0a6",
            QPalette.ColorRole.Link: ACCENT_DARK,
            QPalette.ColorRole.Light: "#3a3d43",
            QPalette.ColorRole.Midlight: "#33363c",
            QPalette.ColorRole.Mid: "#5f6368",
            QPalette.ColorRole.Dark: "#111214",
            QPalette.ColorRole.Shadow: "#000000",
            QPalette.ColorRole.BrightText: "#ffffff",
        }
        disabled = "#6f747a"
    else:
        colours = {
            QPalette.ColorRole.Window: "#f6f7f9",
            QPalette.ColorRole.WindowText: "#1f2328",
            QPalette.ColorRole.Base: "#ffffff",
            QPalette.ColorRole.AlternateBase: "#f2f4f7",
            QPalette.ColorRole.Text: "#1f2328",
            QPalette.ColorRole.Button: "#eceef2",
            QPalette.ColorRole.ButtonText: "#1f2328",
            QPalette.ColorRole.Highlight: ACCENT,
            QPalette.ColorRole.HighlightedText: "#ffffff",
            QPalette.ColorRole.ToolTipBase: "#ffffff",
            QPalette.ColorRole.ToolTipText: "#1f2328",
            QPalette.ColorRole.PlaceholderText: "#6a737d",
            QPalette.ColorRole.Link: ACCENT,
            QPalette.ColorRole.Light: "#ffffff",
            QPalette.ColorRole.Midlight: "#e4e7eb",
            QPalette.ColorRole.Mid: "#b8bec6",
            QPalette.ColorRole.Dark: "#8a929c",
            QPalette.ColorRole.Shadow: "#5a6169",
            QPalette.ColorRole.BrightText: "#ffffff",
        }
        disabled = "#9aa1a9"
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(disabled))
    return palette


def system_is_dark() -> bool:
    """Whether the palette Qt keeps for the system is a dark one. The palette, not the
    style hints' colour scheme: the shades picked from it must suit what it draws, and
    reading the scheme (a Qt enum) would make PySide's whole Qt namespace before the first
    window (app.ui.common.qt_names)."""
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightnessF() < 0.5


def apply_theme(app: QApplication, theme: Theme) -> None:
    """Set the palette and the few style rules our widgets need, for `theme`."""
    if theme is Theme.SYSTEM:
        original = _ORIGINAL.get("start")
        if original is not None:  # a forced theme was applied: back to Qt's own choice
            style_name, palette = original
            if app.style().name() != style_name:
                app.setStyle(QStyleFactory.create(style_name))
            app.setPalette(palette)
        dark = system_is_dark()
    else:
        _ORIGINAL.setdefault("start", (app.style().name(), QPalette(app.palette())))
        dark = theme is Theme.DARK
        if app.style().name().lower() != "fusion":
            app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(_palette(dark))
    palette = app.palette()
    accent = palette.color(QPalette.ColorRole.Highlight)
    values = {
        "accent": accent.name(),
        "accent_text": palette.color(QPalette.ColorRole.HighlightedText).name(),
        "accent_hover": (accent.lighter(112) if not dark else accent.darker(110)).name(),
        "focus": palette.color(QPalette.ColorRole.WindowText).name(),
        "disabled": palette.color(QPalette.ColorRole.Mid).name(),
        "disabled_text": palette.color(QPalette.ColorRole.Window).name(),
    }
    app.setStyleSheet(_STYLE % values)


class ThemeFollower(QObject):
    """Keeps the theme Settings names: applied when it changes, and again when the desktop
    switches between light and dark while it follows the system."""

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        settings.changed.connect(self._setting_changed)
        QGuiApplication.styleHints().colorSchemeChanged.connect(self._system_scheme_changed)

    def _apply(self) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, self.settings.theme)

    def _setting_changed(self, key: str) -> None:
        if key == "display/theme":
            self._apply()

    def _system_scheme_changed(self) -> None:
        if self.settings.theme is Theme.SYSTEM:
            self._apply()
