"""Where push sign-in shows in the main window: a status button, a status line, a dialog.

The button sits in the header while there is an enrollment: a bell with a coloured dot
(green connected, amber connecting or waiting to reconnect, grey offline, red removed by the
site) and the number of requests waiting. When a connection is in trouble, a line under the
header says which and when the next try is ("Reconnecting in 8 s"). The dialog lists each
enrollment with its state and lets the user remove one or read the history of requests.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from typing import Final

from PySide6.QtCore import QCoreApplication, QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QWidget,
)

from app.ui.common.confirm import confirm
from app.ui.common.dialog_layout import close_buttons, titled_column
from app.ui.common.resources import icon
from app.ui.common.widgets import muted, plain_tooltip
from app.ui.push.manager import PushManager
from app.ui.push.transport import ConnectionState, ConnectionStatus

DOT_COLOURS: Final = {
    ConnectionState.CONNECTED: "#2e8b57",
    ConnectionState.CONNECTING: "#e6a23c",
    ConnectionState.RECONNECTING: "#e6a23c",
    ConnectionState.OFFLINE: "#8a929c",
    ConnectionState.REVOKED: "#d64541",
}
# The worst state first: what the button shows when enrollments differ.
_SEVERITY: Final = (
    ConnectionState.REVOKED,
    ConnectionState.OFFLINE,
    ConnectionState.RECONNECTING,
    ConnectionState.CONNECTING,
    ConnectionState.CONNECTED,
)


def _translate(text: str) -> str:
    return QCoreApplication.translate("PushStatus", text)


def describe_status(status: ConnectionStatus, monotonic_now: float | None = None) -> str:
    """ "Connected", "Reconnecting in 8 s", ...: one enrollment's connection in words."""
    state = status.state
    if state is ConnectionState.RECONNECTING:
        now = time.monotonic() if monotonic_now is None else monotonic_now
        return _translate("Reconnecting in %1 s").replace("%1", str(status.seconds_to_retry(now)))
    return {
        ConnectionState.CONNECTED: _translate("Connected"),
        ConnectionState.CONNECTING: _translate("Connecting…"),
        ConnectionState.OFFLINE: _translate("Offline"),
        ConnectionState.REVOKED: _translate("Removed by the site"),
    }[state]


def overall_status(manager: PushManager) -> ConnectionStatus | None:
    """The status that matters most across the enrollments (None without enrollments)."""
    statuses = [manager.status(e.device_id) for e in manager.enrollments]
    if not statuses:
        return None
    for state in _SEVERITY:
        matching = [s for s in statuses if s.state is state]
        if matching:
            # Of several reconnecting, the one that retries first.
            return min(matching, key=lambda s: s.retry_at or 0.0)
    return statuses[0]


def _dotted_icon(colour: str, side: int, ratio: float) -> QIcon:
    pixels = round(side * ratio)
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    icon("push").paint(painter, 0, 0, pixels, pixels)
    radius = pixels * 0.2
    centre = QPointF(pixels - radius - 0.5, pixels - radius - 0.5)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    painter.drawEllipse(centre, radius, radius)
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return QIcon(pixmap)


def _troubled(manager: PushManager) -> list[tuple[str, ConnectionStatus]]:
    """Enrollments not connected, as ("Site — user", status); a first "connecting" is fine."""
    found = []
    for enrollment in manager.enrollments:
        status = manager.status(enrollment.device_id)
        connection = manager.connections.get(enrollment.device_id)
        first_try = status.state is ConnectionState.CONNECTING and not (
            connection is not None and connection.retrying
        )
        if status.state is not ConnectionState.CONNECTED and not first_try:
            found.append((f"{enrollment.issuer} — {enrollment.user}", status))
    return found


class PushStatusLine(QLabel):
    """A line under the header while a push connection is in trouble; hidden otherwise."""

    details_requested = Signal()

    def __init__(self, manager: PushManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.setObjectName("pushStatusLine")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setAccessibleName(self.tr("Push sign-in connection"))
        self.setStyleSheet(
            "#pushStatusLine { background: rgba(230,162,60,0.13); border: 1px solid "
            "rgba(230,162,60,0.5); border-radius: 8px; padding: 6px 10px; margin: 0 14px; }"
        )
        self.linkActivated.connect(lambda _link: self.details_requested.emit())
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        manager.statuses_changed.connect(self.refresh)
        # The owner calls refresh() once the line is in its layout (showing a parentless
        # widget would open it as a window of its own).

    def refresh(self) -> None:
        troubled = _troubled(self.manager)
        if not troubled:
            self._timer.stop()
            self.hide()
            return
        if len(troubled) == 1:
            name, status = troubled[0]
            text = self.tr("Push sign-in for %1: %2.").replace("%1", f"<b>{html.escape(name)}</b>")
            text = text.replace("%2", html.escape(describe_status(status).lower()))
            if status.detail:
                detail = status.detail.rstrip(".")
                text += " " + html.escape(detail) + "."
        else:
            text = self.tr("Push sign-in: %1 of %2 sites are not connected.")
            text = text.replace("%1", str(len(troubled)))
            text = text.replace("%2", str(len(self.manager.enrollments)))
        self.setText(f"{text} <a href='details'>{self.tr('Details…')}</a>")
        self.show()
        waiting = any(s.state is ConnectionState.RECONNECTING for _n, s in troubled)
        if waiting:
            self._timer.start()
        else:
            self._timer.stop()


class PushStatusButton(QToolButton):
    """The header's push button: a coloured dot for the connections, the requests waiting."""

    def __init__(self, manager: PushManager, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.manager = manager
        self.setObjectName("pushStatusButton")
        self.setIconSize(QSize(20, 20))
        self.setMinimumSize(QSize(36, 36))
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self._colour = ""
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        manager.statuses_changed.connect(self.refresh)
        manager.prompts_changed.connect(self.refresh)
        # refresh() once it is in the header: see PushStatusLine.

    def refresh(self) -> None:
        status = overall_status(self.manager)
        self.setVisible(status is not None)
        if status is None:
            self._timer.stop()
            return
        waiting = len(self.manager.prompts)
        text = self.tr("%n waiting", "", waiting) if waiting else ""
        self.setText(text)
        self.setToolButtonStyle(
            Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            if text
            else Qt.ToolButtonStyle.ToolButtonIconOnly
        )
        colour = DOT_COLOURS[status.state]
        if colour != self._colour:
            self._colour = colour
            self.setIcon(_dotted_icon(colour, 20, self.devicePixelRatioF()))
        lines = [self.tr("Push sign-in")]
        for enrollment in self.manager.enrollments:
            one = self.manager.status(enrollment.device_id)
            lines.append(f"{enrollment.issuer} — {enrollment.user}: {describe_status(one)}")
        self.setToolTip(plain_tooltip("\n".join(lines)))
        self.setAccessibleName(self.tr("Push sign-in: %1").replace("%1", describe_status(status)))
        if status.state is ConnectionState.RECONNECTING:
            self._timer.start()  # the tooltip counts down
        else:
            self._timer.stop()


class PushDialog(QDialog):
    """The push enrollments, their connections, remove, and the history of requests."""

    history_requested = Signal()

    def __init__(
        self,
        parent: QWidget | None,
        manager: PushManager | None,
        remove: Callable[[str], None],
    ) -> None:
        super().__init__(parent)
        self.manager = manager
        self._remove = remove
        self.setWindowTitle(self.tr("Push sign-in"))
        self.setMinimumSize(QSize(560, 320))
        self.tree = QTreeWidget()
        self.tree.setRootIsDecorated(False)
        self.tree.setAccessibleName(self.tr("Push enrollments"))
        self.tree.setHeaderLabels(
            [self.tr("Site and account"), self.tr("Server"), self.tr("State")]
        )
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.empty = muted(
            self.tr(
                "No push sign-in yet. A site that offers Keyfob push shows a QR code or a "
                "keyfob:// link: scan it with Add ▸ Scan screen, or copy the link and choose "
                "Add ▸ Paste."
            )
        )
        self.detail = muted(small=True)
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.remove_button = QPushButton(self.tr("&Remove…"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.history_button = QPushButton(self.tr("&History…"))
        self.history_button.clicked.connect(self.history_requested)
        self.retry_button = QPushButton(self.tr("Reconnect &now"))
        self.retry_button.clicked.connect(self._retry)
        layout = titled_column(
            self,
            self.tr("Push sign-in"),
            self.tr(
                "Sites ask this computer to approve sign-ins. Requests arrive while Keyfob "
                "runs, even when it is locked."
            ),
        )
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.detail)
        action = QDialogButtonBox.ButtonRole.ActionRole
        buttons = (self.remove_button, self.history_button, self.retry_button)
        layout.addWidget(close_buttons(self, *((button, action) for button in buttons)))
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        if manager is not None:
            manager.statuses_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        manager = self.manager
        enrollments = manager.enrollments if manager is not None else []
        selected = self.selected_device()
        self.tree.clear()
        for enrollment in enrollments:
            assert manager is not None
            status = manager.status(enrollment.device_id)
            item = QTreeWidgetItem(
                [
                    f"{enrollment.issuer} — {enrollment.user}",
                    enrollment.url,
                    describe_status(status),
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, enrollment.device_id)
            item.setIcon(2, _dotted_icon(DOT_COLOURS[status.state], 16, self.devicePixelRatioF()))
            item.setToolTip(2, plain_tooltip(status.detail))
            self.tree.addTopLevelItem(item)
            if enrollment.device_id == selected or (selected is None and len(enrollments) == 1):
                item.setSelected(True)
                self.tree.setCurrentItem(item)
        self.tree.setVisible(bool(enrollments))
        self.empty.setVisible(not enrollments)
        self._update_buttons()

    def selected_device(self) -> str | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        value = items[0].data(0, Qt.ItemDataRole.UserRole)
        return value if isinstance(value, str) else None

    def _update_buttons(self) -> None:
        device = self.selected_device()
        self.remove_button.setEnabled(device is not None)
        manager = self.manager
        waiting = manager is not None and any(
            manager.status(e.device_id).state is ConnectionState.RECONNECTING
            for e in manager.enrollments
        )
        self.retry_button.setVisible(waiting)
        detail = ""
        if device is not None and manager is not None:
            detail = manager.status(device).detail
        self.detail.setText(detail)
        self.detail.setVisible(bool(detail))

    def _retry(self) -> None:
        if self.manager is not None:
            self.manager.reconnect_now()

    def remove_selected(self) -> QMessageBox | None:
        device = self.selected_device()
        manager = self.manager
        if device is None or manager is None:
            return None
        enrollment = next((e for e in manager.enrollments if e.device_id == device), None)
        if enrollment is None:
            return None

        def remove() -> None:
            self._remove(device)
            self.refresh()

        self.remove_box = confirm(
            self,
            self.tr("Remove push sign-in"),
            self.tr("Stop push sign-in for %1 — %2 here?")
            .replace("%1", enrollment.issuer)
            .replace("%2", enrollment.user),
            self.tr("Remove"),
            remove,
            details=self.tr(
                "This computer will no longer receive its sign-in requests. The site still "
                "lists this device until you remove it there too; sign in with a code meanwhile."
            ),
            role=QMessageBox.ButtonRole.DestructiveRole,
            cancel_by_default=True,
        )
        return self.remove_box
