"""Small shared widgets and helpers: text styles, a password field, a strength meter, a toast.

Plain text: Qt shows a text that looks like HTML as rich text ("Delete <b>x</b>?" in bold,
an <a href> as a link), so an account label, a file name or a server's words could draw
what Keyfob never said. Every label and message box that may show such text is made with
`plain_label` / `plain` / `message_box`, and tool tips go through `plain_tooltip`; the text
helpers below (heading, muted, ErrorLabel, Toast) are plain already. The few labels that mean
markup (a bold word in Keyfob's own sentence) escape what they put in it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.ui.common.qt_names import set_by_name
from app.ui.common.resources import icon

if TYPE_CHECKING:
    from PySide6.QtGui import QEnterEvent, QPaintEvent
    from PySide6.QtWidgets import QMessageBox

# The unlock window, the first on screen, uses this module; the Qt classes only other
# widgets need (the message box, painting, fading) are imported where used, as importing
# a class makes its Python type and enums: milliseconds before that window can show. For
# the same reason what it draws sets Qt's enums by name (app.ui.common.qt_names).

STRENGTH_COLOURS = ("#d64541", "#e67e22", "#d4ac0d", "#5fa83a", "#2e8b57")
ERROR_COLOUR_LIGHT = "#c0392b"
ERROR_COLOUR_DARK = "#ff7b72"


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def show_check_boxes_on_dark(widget: QWidget) -> None:
    """Make unchecked check boxes in `widget` (a list of choices) visible on a dark theme.

    Fusion outlines a check box in a darker shade of the window colour: on a dark theme that
    outline vanishes and an unchecked box cannot be seen. A lighter window colour fixes it.
    """
    if is_dark(widget.palette()):
        palette = widget.palette()
        palette.setColor(QPalette.ColorRole.Window, QColor("#9aa0a6"))
        widget.setPalette(palette)


def error_colour(widget: QWidget) -> str:
    return ERROR_COLOUR_DARK if is_dark(widget.palette()) else ERROR_COLOUR_LIGHT


def scaled_font(widget: QWidget, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(widget.font())
    font.setPointSizeF(max(1.0, font.pointSizeF() * factor))
    if bold:
        font.setWeight(QFont.Weight.DemiBold)
    return font


def code_font(base: QFont, factor: float = 1.6) -> QFont:
    """The font codes are shown in: fixed-width digits that line up, a bit heavier."""
    from PySide6.QtGui import QFontDatabase

    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(base.pointSizeF() * factor)
    font.setWeight(QFont.Weight.DemiBold)
    return font


def plain(label: QLabel) -> QLabel:
    """`label`, set to show its text as typed, never as markup (see the module's note)."""
    set_by_name(label, "textFormat", "PlainText")
    return label


def plain_label(text: str = "") -> QLabel:
    return plain(QLabel(text))


def plain_tooltip(text: str) -> str:
    """A tool tip that shows `text` as typed: tool tips have no plain-text switch (Qt guesses
    from the text), so the text is turned into rich text that says exactly it."""
    from PySide6.QtGui import Qt as GuiQt  # QtGui's additions to the Qt namespace

    return GuiQt.convertFromPlainText(text) if text else ""


def message_box(
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    parent: QWidget | None = None,
    buttons: QMessageBox.StandardButton | None = None,
) -> QMessageBox:
    """A message box whose text and informative text show as typed, never as markup."""
    from PySide6.QtWidgets import QMessageBox

    if buttons is None:
        buttons = QMessageBox.StandardButton.NoButton
    box = QMessageBox(icon, title, text, buttons, parent)
    set_by_name(box, "textFormat", "PlainText")  # Qt applies it to the informative text too
    return box


def heading(text: str, widget_factor: float = 1.45) -> QLabel:
    label = plain_label(text)
    label.setFont(scaled_font(label, widget_factor, bold=True))
    label.setWordWrap(True)
    return label


def muted(text: str = "", *, small: bool = False) -> QLabel:
    label = plain_label(text)
    label.setWordWrap(True)
    label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if small:
        label.setFont(scaled_font(label, 0.9))
    return label


class ErrorLabel(QLabel):
    """Red text that tells what went wrong; hidden while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain(self)  # errors quote servers and file names
        self.setWordWrap(True)
        set_by_name(self, "textInteractionFlags", "TextSelectableByMouse")
        self.hide()

    def show_error(self, text: str) -> None:
        self.setStyleSheet(f"color: {error_colour(self)};")
        self.setText(text)
        self.setVisible(bool(text))

    def show_note(self, text: str) -> None:
        """The same place, for something to know rather than a fault: the muted colour."""
        self.setStyleSheet(
            f"color: {self.palette().color(QPalette.ColorRole.PlaceholderText).name()};"
        )
        self.setText(text)
        self.setVisible(bool(text))

    def clear_error(self) -> None:
        self.setText("")
        self.hide()


class PasswordField(QLineEdit):
    """A password entry with an eye button to show what was typed."""

    def __init__(self, placeholder: str, accessible_name: str) -> None:
        super().__init__()
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.setPlaceholderText(placeholder)
        self.setAccessibleName(accessible_name)
        self.setClearButtonEnabled(False)
        self.setMinimumHeight(34)
        self._toggle = QAction(icon("eye"), self.tr("Show password"), self)
        self._toggle.setCheckable(True)
        self._toggle.toggled.connect(self._set_revealed)
        self.addAction(self._toggle, QLineEdit.ActionPosition.TrailingPosition)

    def _set_revealed(self, revealed: bool) -> None:
        self.setEchoMode(QLineEdit.EchoMode.Normal if revealed else QLineEdit.EchoMode.Password)
        self._toggle.setIcon(icon("eye-off" if revealed else "eye"))
        self._toggle.setText(self.tr("Hide password") if revealed else self.tr("Show password"))


class LinkButton(QPushButton):
    """A flat button that reads as a link, with the pointing hand over it.

    The hand is set at the first hover rather than here: a cursor shape is a Qt namespace
    enum, and the unlock window, which has one of these, shows before that namespace is made
    (app.ui.common.qt_names).
    """

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setFlat(True)
        self._pointing = False

    def enterEvent(self, event: QEnterEvent) -> None:
        if not self._pointing:
            from PySide6.QtCore import Qt

            self.setCursor(Qt.CursorShape.PointingHandCursor)
            self._pointing = True
        super().enterEvent(event)


class StrengthMeter(QWidget):
    """Four segments that fill and colour with the estimated password strength (0-4)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from PySide6.QtWidgets import QSizePolicy

        super().__init__(parent)
        self._score = -1
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName(self.tr("Password strength"))

    def sizeHint(self) -> QSize:
        return QSize(200, 6)

    def set_score(self, score: int) -> None:
        """-1 for no password yet, else 0 (very weak) to 4 (strong)."""
        self._score = score
        self.update()

    def describe(self, score: int) -> str:
        """The words shown under the meter for `score` (0 very weak to 4 strong)."""
        texts = (
            self.tr("Very weak: easy to guess. Add more words."),
            self.tr("Weak: add more words or characters."),
            self.tr("Fair: longer would be safer."),
            self.tr("Good password."),
            self.tr("Strong password."),
        )
        return texts[score]

    def paintEvent(self, event: QPaintEvent) -> None:
        from PySide6.QtCore import QRectF, Qt
        from PySide6.QtGui import QPainter

        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        gap = 4.0
        width = (self.width() - 3 * gap) / 4
        empty = QColor(self.palette().color(QPalette.ColorRole.Mid))
        empty.setAlphaF(0.35)
        filled = max(1, self._score) if self._score >= 0 else 0
        colour = QColor(STRENGTH_COLOURS[max(0, self._score)])
        for i in range(4):
            rect = QRectF(i * (width + gap), 0, width, self.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour if i < filled else empty)
            painter.drawRoundedRect(rect, 3, 3)
        painter.end()


class Toast(QFrame):
    """A brief message floating at the bottom of its parent ("Copied"), then fading away."""

    def __init__(self, parent: QWidget) -> None:
        from PySide6.QtCore import QPropertyAnimation, Qt
        from PySide6.QtWidgets import QGraphicsOpacityEffect

        super().__init__(parent)
        self.setObjectName("toast")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 9, 16, 9)
        self._label = plain_label()
        self._label.setAccessibleName(self.tr("Notification"))
        layout.addWidget(self._label)
        self._effect = QGraphicsOpacityEffect(self)
        self.setGraphicsEffect(self._effect)
        self._fade = QPropertyAnimation(self._effect, b"opacity", self)
        self._fade.setDuration(250)
        self._fade.finished.connect(self._faded)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._start_fade)
        self.setStyleSheet(
            "#toast { background: rgba(32, 33, 36, 235); border-radius: 10px; }"
            "#toast QLabel { color: white; }"
        )
        self.hide()

    @property
    def text(self) -> str:
        return self._label.text()

    def show_message(self, text: str, milliseconds: int = 1800) -> None:
        self._label.setText(text)
        self._fade.stop()
        self._effect.setOpacity(1.0)
        self.adjustSize()
        self._place()
        self.show()
        self.raise_()
        self._timer.start(milliseconds)

    def _place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(self.sizeHint().width(), parent.width() - 32)
        self.resize(width, self.sizeHint().height())
        self.move((parent.width() - width) // 2, parent.height() - self.height() - 20)

    def _start_fade(self) -> None:
        self._fade.setStartValue(1.0)
        self._fade.setEndValue(0.0)
        self._fade.start()

    def _faded(self) -> None:
        if self._effect.opacity() <= 0.01:
            self.hide()
