"""A fake xdg-desktop-portal Screenshot service on the session bus, for the D-Bus test.

    python tests/ui/fake_portal.py IMAGE

Answers Screenshot() as the real portal does: a request object path, then that request's
Response(u 0, a{sv} {"uri": "file://IMAGE"}) signal. Prints "ready" once it owns the name.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from PySide6.QtCore import ClassInfo, QCoreApplication, QObject, QTimer, Signal, Slot
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusObjectPath

IMAGE = sys.argv[1]
EXPORT_SIGNALS = QDBusConnection.RegisterOption.ExportAllSignals
EXPORT_SLOTS = QDBusConnection.RegisterOption.ExportAllSlots


@ClassInfo({"D-Bus Interface": "org.freedesktop.portal.Request"})
class Request(QObject):
    # Typed as the real portal's: (u response, a{sv} results).
    Response = Signal("uint", "QVariantMap")


@ClassInfo({"D-Bus Interface": "org.freedesktop.portal.Screenshot"})
class Screenshot(QObject):
    requests: ClassVar[list[Request]] = []

    @Slot(str, "QVariantMap", QDBusMessage, result=QDBusObjectPath)
    def Screenshot(
        self, parent_window: str, options: dict[str, Any], message: QDBusMessage
    ) -> QDBusObjectPath:
        sender = message.service().lstrip(":").replace(".", "_")
        token = options.get("handle_token", "t")
        path = f"/org/freedesktop/portal/desktop/request/{sender}/{token}"
        request = Request()
        self.requests.append(request)
        QDBusConnection.sessionBus().registerObject(path, request, EXPORT_SIGNALS)
        QTimer.singleShot(100, lambda: request.Response.emit(0, {"uri": "file://" + IMAGE}))
        return QDBusObjectPath(path)


def main() -> None:
    app = QCoreApplication([])
    bus = QDBusConnection.sessionBus()
    screenshot = Screenshot()
    if not bus.registerObject("/org/freedesktop/portal/desktop", screenshot, EXPORT_SLOTS):
        raise SystemExit("could not register the portal object")
    if not bus.registerService("org.freedesktop.portal.Desktop"):
        raise SystemExit("could not own org.freedesktop.portal.Desktop")
    print("ready", flush=True)
    app.exec()


if __name__ == "__main__":
    main()
