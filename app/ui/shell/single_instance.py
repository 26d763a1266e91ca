"""One Keyfob per user and vault: the running one listens; later starts hand off to it.

A browser opens an otpauth:// or keyfob:// link by starting `keyfob LINK`. That process asks
the running Keyfob (a QLocalServer named after the user and the vault) to take the link and
come to the front, waits for its "ok", and exits; nothing of it reaches the screen. Only when
nobody answers does it start the app and listen itself.

The request, the socket's name and the client that speaks to it before Qt loads are in
app/handoff.py (a link holds a secret, and a process's arguments are visible to others until
it hands the link on); this module is the Qt half: the server, and the client Windows needs,
where a QLocalServer is a named pipe rather than a Unix socket. Nothing received is logged.

A server that crashed leaves its socket file behind; connecting to it fails, and the new
instance removes it before listening. A file lock around "connect, else listen" keeps two
instances started at the same moment from both becoming the server.
"""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from app import handoff
from app.handoff import ACK, MAX_REQUEST_BYTES, HandOff, HandOffError, Request

if TYPE_CHECKING:
    # QtNetwork loads when the server starts listening, after the first window is up.
    from PySide6.QtNetwork import QLocalServer, QLocalSocket

HAND_OFF_TIMEOUT_MS = int(handoff.HAND_OFF_TIMEOUT_S * 1000)
_LOCK_TIMEOUT_S = 15.0


def hand_off(name: str, request: Request, timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> HandOff:
    """Give the request to the instance listening on `name`, if there is one.

    Blocking, and usable before a QApplication exists. Where the server is a Unix socket the
    standard library's client does it (the one `keyfob` uses before Qt loads); on Windows
    QLocalSocket reaches the named pipe.
    """
    if handoff.early_hand_off_supported():
        return handoff.hand_off(name, request, timeout_ms / 1000)
    return qt_hand_off(name, request, timeout_ms)


def qt_hand_off(name: str, request: Request, timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> HandOff:
    """`hand_off` through QLocalSocket: for Windows, where the server is a named pipe."""
    if handoff.owned_by_someone_else(name):
        return HandOff.NO_SERVER
    from PySide6.QtNetwork import QLocalSocket

    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(min(timeout_ms, 1000)):
        return HandOff.NO_SERVER
    deadline = time.monotonic() + timeout_ms / 1000
    socket.write(request.encode())
    socket.flush()
    reply = b""
    while True:
        # The answer may come with the server closing: what was read before it still counts.
        reply += bytes(socket.readAll().data())
        left = int((deadline - time.monotonic()) * 1000)
        if b"\n" in reply or left <= 0 or not socket.waitForReadyRead(left):
            break
    reply += bytes(socket.readAll().data())
    socket.abort()
    return HandOff.DELIVERED if reply == ACK else HandOff.NO_ANSWER


@contextlib.contextmanager
def startup_lock(name: str) -> Iterator[bool]:
    """Held while deciding between handing off and listening; yields whether it is held.

    Qt's QLockFile rather than the filelock package: QtCore is loaded already, and importing
    filelock cost 13 ms of a start that has 120 ms in all. A lock whose owner died is taken
    over (QLockFile checks the process id it holds). Best effort: when the lock cannot be had
    (a read-only folder, a file of another user in /tmp), the start goes on unlocked rather
    than not at all.
    """
    from PySide6.QtCore import QLockFile

    where = Path(name).parent if Path(name).is_absolute() else Path(tempfile.gettempdir())
    lock = QLockFile(str(where / f"{Path(name).name}.lock"))
    if not lock.tryLock(int(_LOCK_TIMEOUT_S * 1000)):
        yield False
        return
    try:
        yield True
    finally:
        lock.unlock()


class InstanceServer(QObject):
    """Listens for later `keyfob` starts; `request_received(Request)` for each."""

    request_received = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        # Made by the first `listen`: the app listens once its first window is on screen.
        self.server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytes] = {}

    def _local_server(self) -> QLocalServer:
        if self.server is None:
            from PySide6.QtNetwork import QLocalServer

            server = QLocalServer(self)
            server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
            server.newConnection.connect(self._accept)
            self.server = server
        return self.server

    def listen(self) -> bool:
        """Start listening, replacing a stale socket a crashed instance left behind."""
        server = self._local_server()
        if server.isListening():  # listen_as came first (the vault changed place meanwhile)
            return True
        if server.listen(self.name):
            return True
        # Only reached when hand_off found nobody answering on this name: the socket file
        # is stale (or another user's, which removeServer cannot delete in a sticky /tmp).
        type(server).removeServer(self.name)
        return server.listen(self.name)

    def is_listening(self) -> bool:
        return self.server is not None and self.server.isListening()

    def error_string(self) -> str:
        return self.server.errorString() if self.server is not None else "not started"

    def listen_as(self, name: str) -> bool:
        """Listen under another name from now on: the vault changed (opened elsewhere, or
        moved), and later starts look for the Keyfob of the vault they resolve."""
        if name == self.name:
            return self.is_listening()
        if self.server is not None:
            self.server.close()
        self.name = name
        return self.listen()

    def close(self) -> None:
        if self.server is not None:
            self.server.close()
        connections, self._buffers = list(self._buffers), {}
        for connection in connections:
            connection.disconnected.disconnect()
            connection.abort()
            connection.deleteLater()

    def _accept(self) -> None:
        server = self._local_server()
        while server.hasPendingConnections():
            connection = server.nextPendingConnection()
            self._buffers[connection] = b""
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(lambda c=connection: self._forget(c))

    def _forget(self, connection: QLocalSocket) -> None:
        if self._buffers.pop(connection, None) is not None:
            connection.disconnected.disconnect()
            connection.deleteLater()

    def _read(self, connection: QLocalSocket) -> None:
        data = self._buffers.get(connection)
        if data is None:
            return
        data += bytes(connection.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_REQUEST_BYTES:
                connection.abort()
            else:
                self._buffers[connection] = data
            return
        line = data.split(b"\n", 1)[0]
        self._buffers[connection] = b""
        try:
            request = Request.decode(line)
        except HandOffError:
            connection.abort()
            return
        # Confirm first: the sender exits on "ok" while this instance opens its windows.
        connection.write(ACK)
        connection.flush()
        connection.disconnectFromServer()
        self.request_received.emit(request)
