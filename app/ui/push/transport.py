"""One push enrollment's websocket on QWebSocket: the thin I/O around `DeviceSession`.

The session (app.push.session) decides everything about the protocol; this module opens the
socket, feeds it every text message, sends what it returns, keeps the connection alive and
reconnects after a loss with the session's jittered backoff (1 s doubling to 60 s, reset by
a successful `ready`). QtWebSockets is imported when the first socket opens, so a vault
without push enrollments never loads it.

Keepalive: the server pings every 20 s and Qt answers its pings by itself; we ping too, and
the session's Heartbeat (shared with the CLI) says when: a server that has said nothing (no
message, no pong) for 20 s after our ping is dropped, as the protocol asks.

Before opening, the enrollment's websocket address is checked again (same host as its
server, ws:// only on this computer): enrollments stored before that check existed must not
send the device's socket elsewhere either.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, QUrl, Signal

from app.push.close_codes import CloseCode
from app.push.enrollment import PushEnrollment, check_ws_url
from app.push.errors import PushUriError
from app.push.keepalive import Backoff, Heartbeat
from app.push.messages import MAX_MESSAGE_BYTES, Decision
from app.push.session import (
    Action,
    Connected,
    DeviceSession,
    Outgoing,
    ProtocolViolation,
    ViolationKind,
)

if TYPE_CHECKING:
    from PySide6.QtNetwork import QAbstractSocket
    from PySide6.QtWebSockets import QWebSocket


@dataclass(frozen=True)
class TransportOptions:
    """Timings of the connection; the defaults are the protocol's."""

    ping_interval_ms: int = 20_000
    ping_timeout_ms: int = 20_000
    # From opening the socket to `ready`: the server allows 10 s for our auth.
    handshake_timeout_ms: int = 20_000
    backoff_base: float = 1.0
    backoff_cap: float = 60.0


class ConnectionState(Enum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # waiting for the next attempt
    OFFLINE = "offline"  # not trying (stopped)
    REVOKED = "revoked"  # the site removed this device: trying again is useless


@dataclass(frozen=True)
class ConnectionStatus:
    state: ConnectionState
    retry_at: float | None = None  # time.monotonic() of the next attempt, when reconnecting
    detail: str = ""  # why the last connection ended, in words

    def seconds_to_retry(self, monotonic_now: float) -> int:
        if self.retry_at is None:
            return 0
        return max(0, round(self.retry_at - monotonic_now + 0.49))


def _close_code(socket: QWebSocket) -> int:
    # PySide6 gives codes outside Qt's enum (4401, 4403) as pseudo-members with a value.
    code = socket.closeCode()
    value = getattr(code, "value", code)
    return value if isinstance(value, int) else CloseCode.NORMAL


class PushConnection(QObject):
    """The socket of one enrollment, kept open while started; `happened` carries its events."""

    status_changed = Signal()
    # Connected, ChallengeReceived, ChallengeResolved, AnswerRejected, ChallengeDropped
    happened = Signal(object)

    def __init__(
        self,
        enrollment: PushEnrollment,
        *,
        now: Callable[[], float] = time.time,
        options: TransportOptions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.enrollment = enrollment
        self.options = options or TransportOptions()
        self._now = now
        self.session = DeviceSession(
            enrollment, backoff=Backoff(self.options.backoff_base, self.options.backoff_cap)
        )
        self.status = ConnectionStatus(ConnectionState.OFFLINE)
        self._running = False
        self._socket: QWebSocket | None = None
        self._lost_socket: QWebSocket | None = None
        self._heartbeat = Heartbeat(
            self.options.ping_interval_ms / 1000, self.options.ping_timeout_ms / 1000
        )
        self._ending_reason = ""

        self._retry = QTimer(self)
        self._retry.setSingleShot(True)
        self._retry.timeout.connect(self._open)
        self._ping = QTimer(self)
        self._ping.setSingleShot(True)
        self._ping.timeout.connect(self._keepalive)
        self._handshake = QTimer(self)
        self._handshake.setSingleShot(True)
        self._handshake.setInterval(self.options.handshake_timeout_ms)
        self._handshake.timeout.connect(self._handshake_timed_out)

    @property
    def device_id(self) -> str:
        return self.enrollment.device_id

    @property
    def connected(self) -> bool:
        return self.status.state is ConnectionState.CONNECTED

    @property
    def last_heard(self) -> float:
        """time.monotonic() when the server last said something (a message or a pong)."""
        return self._heartbeat.last_heard

    @property
    def retrying(self) -> bool:
        """Whether the last connection failed (so "connecting" is a retry, not the first try)."""
        return self.session.backoff.attempts > 0

    # --- running ---------------------------------------------------------------------------

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        self._open()

    def stop(self) -> None:
        """Close the socket and stop trying; prompts already shown stay in the session."""
        self._running = False
        self._retry.stop()
        self._stop_timers()
        socket, self._socket = self._socket, None
        if socket is not None:
            socket.blockSignals(True)
            socket.close()
            socket.deleteLater()
            self.session.on_close()
        self._set_status(ConnectionStatus(ConnectionState.OFFLINE))

    def reconnect_now(self) -> None:
        """Skip the rest of the backoff wait (the user asked to retry)."""
        if self._running and self._socket is None:
            self._retry.stop()
            self._open()

    def _stop_timers(self) -> None:
        self._ping.stop()
        self._handshake.stop()

    def _set_status(self, status: ConnectionStatus) -> None:
        if status != self.status:
            self.status = status
            self.status_changed.emit()

    def _open(self) -> None:
        if not self._running or self._socket is not None:
            return
        try:
            check_ws_url(self.enrollment.url, self.enrollment.ws_url)
        except PushUriError as error:
            self._running = False
            self._set_status(ConnectionStatus(ConnectionState.OFFLINE, detail=str(error)))
            return
        from PySide6.QtWebSockets import QWebSocket

        socket = QWebSocket(parent=self)
        socket.setMaxAllowedIncomingMessageSize(MAX_MESSAGE_BYTES)
        socket.connected.connect(lambda: self._opened(socket))
        socket.disconnected.connect(lambda: self._lost(socket))
        socket.textMessageReceived.connect(lambda text: self._received(socket, text))
        socket.binaryMessageReceived.connect(lambda _data: self._binary(socket))
        socket.pong.connect(lambda _elapsed, _payload: self._heard(socket))
        socket.errorOccurred.connect(lambda error: self._failed(socket, error))
        self._socket = socket
        self._ending_reason = ""
        self._set_status(ConnectionStatus(ConnectionState.CONNECTING))
        self._handshake.start()
        socket.open(QUrl(self.enrollment.ws_url))

    # --- socket events ---------------------------------------------------------------------

    def _opened(self, socket: QWebSocket) -> None:
        if socket is not self._socket:
            return
        self._heartbeat.start(time.monotonic())
        self._schedule_keepalive()
        self._act(socket, self.session.on_open())

    def _heard(self, socket: QWebSocket) -> None:
        if socket is self._socket:
            self._heartbeat.heard(time.monotonic())

    def _received(self, socket: QWebSocket, text: str) -> None:
        if socket is not self._socket:
            return
        self._heartbeat.heard(time.monotonic())
        self._act(socket, self.session.on_message(text, int(self._now())))

    def _binary(self, socket: QWebSocket) -> None:
        if socket is self._socket:
            self._ending_reason = self.tr("The server sent data the protocol does not use.")
            self._close(socket, CloseCode.UNSUPPORTED_DATA)

    def _act(self, socket: QWebSocket, actions: list[Action]) -> None:
        for action in actions:
            if socket is not self._socket:
                return
            if isinstance(action, Outgoing):
                socket.sendTextMessage(action.text)
            elif isinstance(action, ProtocolViolation):
                if action.fatal:
                    self._ending_reason = self._violation_text(action.kind)
                    self._close(socket, action.close_code)
            else:
                if isinstance(action, Connected):
                    self._handshake.stop()
                    self._set_status(ConnectionStatus(ConnectionState.CONNECTED))
                self.happened.emit(action)

    def _violation_text(self, kind: ViolationKind) -> str:
        if kind is ViolationKind.BAD_SIGNATURE:
            return self.tr(
                "The server's signature does not match the key this enrollment pinned: it may "
                "be another server. Keyfob keeps trying."
            )
        return self.tr("The server broke the push protocol; Keyfob keeps trying.")

    def _close(self, socket: QWebSocket, code: CloseCode) -> None:
        from PySide6.QtWebSockets import QWebSocketProtocol

        try:
            close_code = QWebSocketProtocol.CloseCode(int(code))
        except ValueError:
            close_code = QWebSocketProtocol.CloseCode.CloseCodePolicyViolated
        socket.close(close_code, "")
        # A peer that never finishes the closing handshake must not keep us waiting.
        QTimer.singleShot(2000, socket.abort)

    def _failed(self, socket: QWebSocket, error: QAbstractSocket.SocketError) -> None:
        text = socket.errorString()
        if socket is self._socket:
            self._ending_reason = self._ending_reason or text
            # Qt emits `disconnected` as well (before or after); this makes sure we move on.
            QTimer.singleShot(0, lambda: self._lost(socket))
        elif socket is self._lost_socket and not self.status.detail and text:
            # After a refused connection, Qt reports the error after `disconnected`.
            self._set_status(ConnectionStatus(self.status.state, self.status.retry_at, text))

    def _lost(self, socket: QWebSocket) -> None:
        if socket is not self._socket:
            return
        self._socket = None
        self._lost_socket = socket
        socket.deleteLater()
        self._stop_timers()
        self.session.on_close()
        code = _close_code(socket)
        if code == CloseCode.REVOKED:
            self._running = False
            self._set_status(
                ConnectionStatus(
                    ConnectionState.REVOKED,
                    detail=self.tr("The site removed this device. Remove the enrollment here."),
                )
            )
            return
        if code == CloseCode.AUTH_FAILED and not self._ending_reason:
            self._ending_reason = self.tr("The server did not accept this device.")
        if not self._running:
            self._set_status(ConnectionStatus(ConnectionState.OFFLINE, detail=self._ending_reason))
            return
        delay = self.session.backoff.next_delay()
        self._retry.start(max(1, int(delay * 1000)))
        self._set_status(
            ConnectionStatus(
                ConnectionState.RECONNECTING,
                retry_at=time.monotonic() + delay,
                detail=self._ending_reason,
            )
        )

    # --- timers ----------------------------------------------------------------------------

    def _schedule_keepalive(self) -> None:
        wait = self._heartbeat.next_due() - time.monotonic()
        self._ping.start(max(1, math.ceil(wait * 1000)))

    def _keepalive(self) -> None:
        socket = self._socket
        if socket is None:
            return
        due = self._heartbeat.tick(time.monotonic())
        if due == "drop":
            self._ending_reason = self.tr("The server stopped answering.")
            socket.abort()
            self._lost(socket)
            return
        if due == "ping":
            socket.ping(b"")
        self._schedule_keepalive()

    def _handshake_timed_out(self) -> None:
        socket = self._socket
        if socket is not None and not self.connected:
            self._ending_reason = self.tr("The server did not complete the connection in time.")
            socket.abort()
            self._lost(socket)

    # --- answering -------------------------------------------------------------------------

    def answer(self, challenge_id: str, decision: Decision, number: str | None) -> None:
        """Send the signed response; raises PushError when it cannot be sent now."""
        from app.push.errors import PushError

        socket = self._socket
        if socket is None or not self.connected:
            raise PushError(self.tr("Not connected to the push server; try again once it is back."))
        outgoing = self.session.answer(challenge_id, decision, number, int(self._now()))
        socket.sendTextMessage(outgoing.text)
