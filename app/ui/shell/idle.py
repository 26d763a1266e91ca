"""When Keyfob locks by itself: nobody has used it for a while, or the desktop session locks.

Any key press, click, wheel turn or mouse move in one of our windows restarts the countdown.
Input elsewhere on the desktop does not count: Keyfob locks when Keyfob is not used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent

    from app.ui.common.settings import Settings
    from app.ui.shell.session_watch import SessionWatcher


class IdleWatcher(QObject):
    idle = Signal()

    def __init__(self, timeout_ms: int, parent: QObject | None = None) -> None:
        # QEvent here, at the first unlock, rather than when the controller imports this
        # module: its Python type (179 event names) is not made before the first window.
        from PySide6.QtCore import QEvent

        super().__init__(parent)
        self._input = frozenset(
            {
                QEvent.Type.KeyPress,
                QEvent.Type.MouseButtonPress,
                QEvent.Type.MouseMove,
                QEvent.Type.Wheel,
                QEvent.Type.TouchBegin,
                QEvent.Type.ShortcutOverride,
            }
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.idle)
        self.set_timeout(timeout_ms)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def set_timeout(self, timeout_ms: int) -> None:
        """0 turns the watcher off."""
        self._timeout = max(0, timeout_ms)
        self.restart()

    def restart(self) -> None:
        if self._timeout:
            self._timer.start(self._timeout)
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._input and self._timer.isActive():
            self._timer.start(self._timeout)
        return False

    def dispose(self) -> None:
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class AutoLock(QObject):
    """`lock_requested` after the idle time Settings gives (`timeout_ms` instead, if set)
    while the vault is open, and when the desktop session locks, if Settings says so (and
    `watch_session`: the tests' controllers leave the desktop's D-Bus alone)."""

    lock_requested = Signal()

    def __init__(
        self,
        settings: Settings,
        *,
        timeout_ms: int | None = None,
        watch_session: bool = True,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._override = timeout_ms
        self._watch_session = watch_session
        self.idle: IdleWatcher | None = None  # made at the first unlock
        self.session: SessionWatcher | None = None
        self._open = False
        settings.changed.connect(self._setting_changed)

    def watch_session(self) -> None:
        """Follow the desktop session's lock (D-Bus); once, after the first window shows."""
        if self._watch_session and self.session is None:
            from app.ui.shell.session_watch import SessionWatcher

            self.session = SessionWatcher(self)
            self.session.session_locked.connect(self.session_locked)

    def vault_opened(self) -> None:
        self._open = True
        if self.idle is None:
            self.idle = IdleWatcher(self._timeout(), self)
            self.idle.idle.connect(self.lock_requested)
        else:
            self.idle.set_timeout(self._timeout())

    def vault_closed(self) -> None:
        self._open = False
        if self.idle is not None:
            self.idle.stop()

    def dispose(self) -> None:
        if self.idle is not None:
            self.idle.dispose()

    def session_locked(self) -> None:
        if self.settings.lock_on_session_lock:
            self.lock_requested.emit()

    def _timeout(self) -> int:
        if self._override is not None:
            return self._override
        return self.settings.auto_lock_minutes * 60_000

    def _setting_changed(self, key: str) -> None:
        if key == "security/auto_lock_minutes" and self.idle is not None and self._open:
            self.idle.set_timeout(self._timeout())
