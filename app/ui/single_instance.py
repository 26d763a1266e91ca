"""One Keyfob per user and vault: a second start hands its links to the one running.

A browser opens an otpauth:// or keyfob:// link by starting `keyfob LINK`. That process asks
the running Keyfob (a QLocalServer named after the user and the vault) to take the link and
come to the front, waits for its "ok", and exits; nothing of it reaches the screen. Only when
nobody answers does it start the app and listen itself.

The links carry secrets, so the channel must reach only this user's own process. On Linux
the socket lives in $XDG_RUNTIME_DIR (private to the user); elsewhere in the temporary
folder with owner-only permissions, and a client refuses a socket file someone else owns
rather than hand a secret to it. Nothing received is logged.

A server that crashed leaves its socket file behind; connecting to it fails, and the new
instance removes it before listening. A file lock around "connect, else listen" keeps two
instances started at the same moment from both becoming the server.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QDir, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.data_files import APP_ID
from app.ui.errors import HandOffError

LINK_PREFIXES = ("otpauth://", "otpauth-migration://", "keyfob://")
MAX_REQUEST_BYTES = 256 * 1024
HAND_OFF_TIMEOUT_MS = 5000
_ACK = b"ok\n"
_LOCK_TIMEOUT_S = 15.0


def is_link(text: str) -> bool:
    return text.lower().startswith(LINK_PREFIXES)


@dataclass(frozen=True)
class Request:
    """What a second `keyfob` asks of the running one."""

    links: tuple[str, ...] = ()
    # False for `keyfob --minimized` (autostart) finding Keyfob already running.
    show: bool = True
    # The Wayland activation token the launcher gave the second process, passed on so the
    # compositor lets the running instance raise its window.
    activation_token: str = ""

    def encode(self) -> bytes:
        fields = {"links": list(self.links), "show": self.show, "token": self.activation_token}
        return json.dumps(fields).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Request:
        """Read one request line; HandOffError for anything else (never echoing it)."""
        try:
            fields = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise HandOffError("The hand-off request is not JSON text.") from None
        if not isinstance(fields, dict):
            raise HandOffError("The hand-off request is not a JSON object.")
        links = fields.get("links", [])
        show = fields.get("show", True)
        token = fields.get("token", "")
        if not isinstance(links, list) or not all(isinstance(link, str) for link in links):
            raise HandOffError("The hand-off request's links are not a list of text.")
        if not isinstance(show, bool) or not isinstance(token, str):
            raise HandOffError("The hand-off request's fields have the wrong types.")
        return cls(tuple(link for link in links if is_link(link)), show, token)


def server_name(vault_path: Path) -> str:
    """The local server's name for this user and vault (a socket path on Linux)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    where = str(vault_path.expanduser().resolve())
    digest = hashlib.sha256(f"{user}\0{where}".encode()).hexdigest()[:16]
    name = f"{APP_ID}-{digest}"
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and runtime and Path(runtime).is_dir():
        # In Flatpak each instance has its own runtime folder; app/ID is the one they share.
        shared = Path(runtime) / "app" / os.environ.get("FLATPAK_ID", "")
        folder = shared if os.environ.get("FLATPAK_ID") and shared.is_dir() else Path(runtime)
        return str(folder / f"{name}.socket")
    return name


def socket_file(name: str) -> Path | None:
    """Where the server's socket is on disk; None on Windows (a named pipe)."""
    if sys.platform == "win32":
        return None
    path = Path(name)
    return path if path.is_absolute() else Path(QDir.tempPath()) / name


def _owned_by_someone_else(name: str) -> bool:
    path = socket_file(name)
    if path is None or not hasattr(os, "getuid"):
        return False
    try:
        return path.lstat().st_uid != os.getuid()
    except OSError:
        return False


class HandOff(Enum):
    DELIVERED = "delivered"  # the running instance took the request
    NO_SERVER = "no server"  # nobody listens (or only a stale socket): start the app
    NO_ANSWER = "no answer"  # something listens but did not confirm in time


def hand_off(name: str, request: Request, timeout_ms: int = HAND_OFF_TIMEOUT_MS) -> HandOff:
    """Give the request to the instance listening on `name`, if there is one.

    Blocking, and usable before a QApplication exists: the second process needs nothing
    else of Qt.
    """
    if _owned_by_someone_else(name):
        return HandOff.NO_SERVER
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
    return HandOff.DELIVERED if reply == _ACK else HandOff.NO_ANSWER


@contextlib.contextmanager
def startup_lock(name: str) -> Iterator[bool]:
    """Held while deciding between handing off and listening; yields whether it is held.

    Best effort: when the lock cannot be had (a read-only folder, a file of another user
    in /tmp), the start goes on unlocked rather than not at all.
    """
    from filelock import FileLock, Timeout

    where = Path(name).parent if Path(name).is_absolute() else Path(tempfile.gettempdir())
    lock = FileLock(str(where / f"{Path(name).name}.lock"), timeout=_LOCK_TIMEOUT_S)
    try:
        lock.acquire()
    except (Timeout, OSError):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


class InstanceServer(QObject):
    """Listens for later `keyfob` starts; `request_received(Request)` for each."""

    request_received = Signal(object)

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self.server.newConnection.connect(self._accept)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening, replacing a stale socket a crashed instance left behind."""
        if self.server.listen(self.name):
            return True
        # Only reached when hand_off found nobody answering on this name: the socket file
        # is stale (or another user's, which removeServer cannot delete in a sticky /tmp).
        QLocalServer.removeServer(self.name)
        return self.server.listen(self.name)

    def close(self) -> None:
        self.server.close()
        connections, self._buffers = list(self._buffers), {}
        for connection in connections:
            connection.disconnected.disconnect()
            connection.abort()
            connection.deleteLater()

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            connection = self.server.nextPendingConnection()
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
        connection.write(_ACK)
        connection.flush()
        connection.disconnectFromServer()
        self.request_received.emit(request)
