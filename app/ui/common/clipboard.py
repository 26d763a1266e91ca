"""Copying codes: marked secret for clipboard managers, cleared after a while if unchanged.

KDE's Klipper and other managers skip an entry carrying `x-kde-passwordManagerHint` =
`secret`, so codes do not pile up in the clipboard history. The clipboard is cleared after
the chosen delay only if it still holds what we put there: something the user copied since
is never touched.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QMimeData, QObject, QTimer
from PySide6.QtGui import QClipboard, QGuiApplication

SECRET_HINT_FORMAT = "x-kde-passwordManagerHint"  # noqa: S105 - a MIME type name
SECRET_HINT_VALUE = b"secret"


class SecretClipboard(QObject):
    """Puts secret text on the clipboard and takes it off again after `clear_after()` s."""

    def __init__(
        self,
        clear_after: Callable[[], int],
        clipboard: QClipboard | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._clipboard = clipboard or QGuiApplication.clipboard()
        self._clear_after = clear_after
        self._held: str | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clear_if_ours)

    @property
    def pending(self) -> bool:
        """Whether a clearing is scheduled."""
        return self._timer.isActive()

    def copy(self, text: str) -> None:
        mime = QMimeData()
        mime.setText(text)
        mime.setData(SECRET_HINT_FORMAT, QByteArray(SECRET_HINT_VALUE))
        self._clipboard.setMimeData(mime, QClipboard.Mode.Clipboard)
        self._held = text
        seconds = self._clear_after()
        if seconds > 0:
            self._timer.start(seconds * 1000)
        else:
            self._timer.stop()

    def holds_ours(self) -> bool:
        if self._held is None:
            return False
        mime = self._clipboard.mimeData(QClipboard.Mode.Clipboard)
        return mime is not None and mime.text() == self._held and mime.hasFormat(SECRET_HINT_FORMAT)

    def clear_if_ours(self) -> None:
        """Empty the clipboard if it still holds the last code we copied."""
        self._timer.stop()
        if self.holds_ours():
            self._clipboard.clear(QClipboard.Mode.Clipboard)
        self._held = None
