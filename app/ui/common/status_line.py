"""The line at the foot of a window that says what is going on, or what went wrong.

Plain text (it quotes file names and other programs' errors), selectable so an error can be
copied, red when it reports a problem.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.ui.common.widgets import error_colour, plain


class StatusLine(QLabel):
    """`say(text)` for news, `say(text, problem=True)` for a problem. Hidden while empty,
    unless `keeps_place`: then an empty line keeps its place, and the window's layout does
    not move as messages come and go."""

    def __init__(self, *, keeps_place: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        plain(self)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setAccessibleName(self.tr("Status"))
        self._keeps_place = keeps_place
        if not keeps_place:
            self.hide()

    def say(self, text: str, *, problem: bool = False) -> None:
        self.setStyleSheet(f"color: {error_colour(self)};" if problem else "")
        self.setText(text)
        if not self._keeps_place:
            self.setVisible(bool(text))

    def show_error(self, text: str) -> None:
        self.say(text, problem=True)

    def clear_error(self) -> None:
        self.say("")
