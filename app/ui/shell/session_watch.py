"""Locking with the session: when the screen locks or the computer goes to sleep.

Qt has no portable signal for either, so on Linux this listens on D-Bus where the desktop
announces them: logind's PrepareForSleep and session Lock, and the freedesktop screensaver's
ActiveChanged. Where there is no D-Bus (or no such service) it simply never fires.
"""

from __future__ import annotations

from PySide6.QtCore import SLOT, QObject, Signal, Slot

_LOGIN1 = "org.freedesktop.login1"


class SessionWatcher(QObject):
    session_locked = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.listening: list[str] = []
        try:
            from PySide6.QtDBus import QDBusConnection
        except ImportError:
            return
        system = QDBusConnection.systemBus()
        session = QDBusConnection.sessionBus()
        subscriptions = (
            (
                system,
                _LOGIN1,
                "/org/freedesktop/login1",
                "org.freedesktop.login1.Manager",
                "PrepareForSleep",
                "sleeping(bool)",
            ),
            (
                system,
                _LOGIN1,
                "/org/freedesktop/login1/session/auto",
                "org.freedesktop.login1.Session",
                "Lock",
                "locked()",
            ),
            (
                session,
                "",
                "/org/freedesktop/ScreenSaver",
                "org.freedesktop.ScreenSaver",
                "ActiveChanged",
                "screensaver(bool)",
            ),
        )
        for bus, service, path, interface, name, slot in subscriptions:
            # The stubs say bytes, but PySide wants the SLOT() text (bytes raise ValueError).
            if bus.isConnected() and bus.connect(  # type: ignore[call-overload]
                service, path, interface, name, self, SLOT(slot)
            ):
                self.listening.append(f"{interface}.{name}")

    @Slot(bool)
    def sleeping(self, starting: bool) -> None:
        if starting:
            self.session_locked.emit()

    @Slot()
    def locked(self) -> None:
        self.session_locked.emit()

    @Slot(bool)
    def screensaver(self, active: bool) -> None:
        if active:
            self.session_locked.emit()
