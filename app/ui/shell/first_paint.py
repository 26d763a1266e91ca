"""Work that can wait until the first window has been drawn: the tray, the session watcher,
the single-instance server.

The window is mapped when it is shown, but its content appears only with its first paint,
and a zero-delay timer runs before that paint (the X server's expose comes back later): what
such timers did (loading QtNetwork and D-Bus, about 15 ms) kept the window blank that long.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject, QTimer

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QWidget

# A window that is never exposed (covered, or a platform that holds back its expose) must
# not hold back the rest for ever.
FALLBACK_MS = 1000


class _FirstPaint(QObject):
    def __init__(self, then: Callable[[], None]) -> None:
        # The application's, not the window's: a window closed before its first paint must
        # not take the waiting work with it (the fallback still runs it).
        super().__init__(QCoreApplication.instance())
        self._then: Callable[[], None] | None = then
        QTimer.singleShot(FALLBACK_MS, self, self._run)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        from PySide6.QtCore import QEvent

        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self, self._run)  # once this paint is done
        return False

    def _run(self) -> None:
        then, self._then = self._then, None
        if then is not None:
            self.deleteLater()
            then()


def after_first_paint(window: QWidget | None, then: Callable[[], None]) -> None:
    """Call `then` once `window` has been painted (soon, from the event loop, if there is no
    window on screen). Installed after the window is shown: an event filter in place earlier
    would make Python's event types (QEvent's, 1.5 ms) before the window maps."""
    if window is None or not window.isVisible():
        QTimer.singleShot(0, then)
        return
    window.installEventFilter(_FirstPaint(then))
