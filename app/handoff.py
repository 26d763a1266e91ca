"""One Keyfob per user and vault, the part that runs before Qt: handing a start to the one running.

A browser opens an otpauth:// or keyfob:// link by starting `keyfob LINK`. The link holds a
secret, and /proc/PID/cmdline shows a process's arguments to every local user for as long as
it lives. So app/__main__.py calls `desktop_start` before it imports anything of Qt:

- When a Keyfob runs for this vault, the request (the links, whether to come to the front)
  goes to it at once over its local socket, and this process exits: a few milliseconds
  after Python started, instead of the second or so that importing Qt takes.
- When none runs, the process starts itself again without the links in its arguments (the
  same program and interpreter options, `exec`, so the process id stays) and passes them
  through a pipe it inherits. A pipe rather than the environment: /proc/PID/environ is only
  readable by the user, but children inherit the environment, and a pipe is read once and
  gone. The number of the pipe's descriptor is all the environment carries.

The running instance listens with Qt's QLocalServer (app/ui/shell/single_instance.py), which on
Unix is a stream socket at a path: this module names that path for both sides (so they
cannot disagree) and speaks the framing both use, one JSON line each way. On Windows a
QLocalServer is a named pipe: there the Qt client in app/ui/shell/single_instance.py hands off,
after Qt has loaded, as before.

The channel must reach only this user's own process: on Linux the socket lives in
$XDG_RUNTIME_DIR (private to the user); elsewhere in the temporary folder with owner-only
permissions, and a client refuses a socket file someone else owns rather than hand a secret
to it. Nothing sent or received is logged. Only the standard library (and the vault's path
rules) is used here, so that this runs before anything heavy loads.
"""

from __future__ import annotations

import os
import sys
import time
import zlib
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from app.core.errors import KeyfobError
from app.data_files import APP_ID

LINK_PREFIXES = ("otpauth://", "otpauth-migration://", "keyfob://")
MAX_REQUEST_BYTES = 256 * 1024
HAND_OFF_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 1.0
ACK = b"ok\n"
# The descriptor of the pipe a restart passes the links through (a number, no secret).
LINKS_FD_ENV = "KEYFOB_LINKS_FD"
NO_ANSWER_MESSAGE = (
    "keyfob: Keyfob already runs for this vault but does not answer; "
    "close it (or end its process) and start again."
)


class HandOffError(KeyfobError):
    """What another process sent the running Keyfob is not a hand-off request."""


def is_link(text: str) -> bool:
    return text.lower().startswith(LINK_PREFIXES)


# Named tuples, not dataclasses: a link clicked while Keyfob runs starts a process that only
# runs this module, and dataclasses (with the inspect module it loads) was a quarter of it.
class DesktopArguments(NamedTuple):
    """What the desktop app is started with: `keyfob [--vault PATH] [--minimized] [LINK...]`."""

    vault: str | None
    uris: list[str]
    minimized: bool = False
    self_test: bool = False


def parse_arguments(argv: list[str]) -> DesktopArguments:
    """The desktop's arguments; anything else (Qt's own options) is left alone.

    Read by hand rather than with argparse: three options and links do not need it, and
    argparse (with the gettext, locale and shutil it loads to build a parser) cost 3 ms of
    every start, the hand-off of a clicked link included. `--vault` without a file name
    ends the start with exit code 2, as argparse did.
    """
    vault: str | None = None
    links: list[str] = []
    minimized = self_test = False
    position = 0
    while position < len(argv):
        arg = argv[position]
        position += 1
        if arg == "--vault":
            if position == len(argv):
                print("keyfob: --vault needs the vault file's name", file=sys.stderr)
                raise SystemExit(2)
            vault = argv[position]
            position += 1
        elif arg.startswith("--vault="):
            vault = arg.removeprefix("--vault=")
        elif arg == "--minimized":
            minimized = True
        elif arg == "--self-test":
            self_test = True
        elif is_link(arg):
            links.append(arg)
    return DesktopArguments(vault, links, minimized, self_test)


class Request(NamedTuple):
    """What a second `keyfob` asks of the running one."""

    links: tuple[str, ...] = ()
    # False for `keyfob --minimized` (autostart) finding Keyfob already running.
    show: bool = True
    # The Wayland activation token the launcher gave the second process, passed on so the
    # compositor lets the running instance raise its window.
    activation_token: str = ""

    def encode(self) -> bytes:
        fields = {"links": list(self.links), "show": self.show, "token": self.activation_token}
        import json  # only with a Keyfob to hand to: a first start does not load it

        return json.dumps(fields).encode() + b"\n"

    @classmethod
    def decode(cls, data: bytes) -> Request:
        """Read one request line; HandOffError for anything else (never echoing it)."""
        import json

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


def _temp_folder() -> Path:
    # As Qt's QDir::tempPath on Unix: $TMPDIR, else /tmp.
    return Path(os.path.normpath(os.environ.get("TMPDIR") or "/tmp"))  # noqa: S108


def server_name(vault_path: Path) -> str:
    """The local server's name for this user and vault: a socket path, but on Windows a pipe
    name. A full path on Unix, so that Qt's server and the client here use the same file."""
    if hasattr(os, "getuid"):
        user = str(os.getuid())  # who, without getpass (and the termios it loads)
    else:
        import getpass

        try:
            user = getpass.getuser()
        except (KeyError, OSError):
            user = "user"
    where = str(vault_path.expanduser().resolve())
    # A checksum, not a cryptographic hash: the name only tells one user's vaults apart (a
    # collision would send a link to that user's other Keyfob, nothing more), and hashlib
    # costs 2.7 ms (it loads OpenSSL) of every start and every hand-off; zlib is loaded.
    key = f"{user}\0{where}".encode("utf-8", "surrogateescape")
    digest = f"{zlib.crc32(key):08x}{zlib.adler32(key):08x}"
    name = f"{APP_ID}-{digest}"
    if sys.platform == "win32":
        return name
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if sys.platform.startswith("linux") and runtime and Path(runtime).is_dir():
        # In Flatpak each instance has its own runtime folder; app/ID is the one they share.
        shared = Path(runtime) / "app" / os.environ.get("FLATPAK_ID", "")
        folder = shared if os.environ.get("FLATPAK_ID") and shared.is_dir() else Path(runtime)
        return str(folder / f"{name}.socket")
    return str(_temp_folder() / name)


def socket_file(name: str) -> Path | None:
    """Where the server's socket is on disk; None on Windows (a named pipe)."""
    if sys.platform == "win32":
        return None
    path = Path(name)
    return path if path.is_absolute() else _temp_folder() / name


def owned_by_someone_else(name: str) -> bool:
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


def early_hand_off_supported() -> bool:
    """Whether this platform's QLocalServer is a Unix socket the standard library can reach."""
    # Every Unix Python has AF_UNIX; asking the socket module would load it for nothing.
    return sys.platform != "win32"


def hand_off(name: str, request: Request, timeout_s: float = HAND_OFF_TIMEOUT_S) -> HandOff:
    """Give the request to the instance listening on `name` (a Unix socket), if there is one.

    Blocking; for the platforms where `early_hand_off_supported()`.
    """
    path = socket_file(name)
    if path is None or not path.exists() or owned_by_someone_else(name):
        return HandOff.NO_SERVER  # no file: nobody listens (the usual first start)
    import socket  # only with a socket file to try: a first start does not pay for it

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
        connection.settimeout(min(timeout_s, CONNECT_TIMEOUT_S))
        try:
            connection.connect(str(path))
        except OSError:  # no file, or a stale one nobody listens on
            return HandOff.NO_SERVER
        deadline = time.monotonic() + timeout_s
        reply = b""
        try:
            connection.settimeout(timeout_s)
            connection.sendall(request.encode())
            # The answer may come with the server closing: what was read before still counts.
            while b"\n" not in reply and len(reply) <= len(ACK):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                connection.settimeout(left)
                chunk = connection.recv(64)
                if not chunk:
                    break
                reply += chunk
        except OSError:
            pass  # reset or timed out: whatever came so far decides
    return HandOff.DELIVERED if reply == ACK else HandOff.NO_ANSWER


def take_passed_links() -> list[str]:
    """The links a restart (`restart_without_links`) passed this process, read once."""
    number = os.environ.pop(LINKS_FD_ENV, None)
    if number is None:
        return []
    try:
        fd = int(number)
    except ValueError:
        return []
    if fd <= 2:  # never stdin/stdout/stderr, whatever the environment says
        return []
    import json

    try:
        with os.fdopen(fd, "rb") as pipe:
            data = pipe.read(MAX_REQUEST_BYTES + 1)
        links = json.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return []
    if not isinstance(links, list):
        return []
    return [link for link in links if isinstance(link, str) and is_link(link)]


def _own_command(arguments: list[str]) -> list[str] | None:
    """The command that started this process, with `arguments` instead of its own."""
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is the app
        return [sys.executable, *arguments]
    given = sys.argv[1:]
    original = list(getattr(sys, "orig_argv", []))
    # orig_argv is the interpreter, its options and the script (or -m app), then sys.argv[1:].
    if not original or not sys.executable or original[len(original) - len(given) :] != given:
        return None
    return [*original[: len(original) - len(given)], *arguments]


def _pipe_holding(payload: bytes) -> int | None:
    """The read end of a pipe that already holds all of `payload`; None when it cannot."""
    read_end, write_end = os.pipe()
    try:
        if len(payload) > 65536:
            import fcntl

            # Linux's default pipe holds 64 KiB; an unprivileged process may ask for 1 MiB.
            set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
            if set_size is not None:
                fcntl.fcntl(write_end, set_size, min(len(payload), 1 << 20))
        # Written before the exec, so the pipe must take it all without a reader.
        os.set_blocking(write_end, False)
        if os.write(write_end, payload) != len(payload):
            raise BlockingIOError
    except (OSError, ImportError):
        os.close(read_end)
        return None
    finally:
        os.close(write_end)
    return read_end


def restart_without_links() -> None:
    """Become this same program started without the link arguments; the links go by pipe.

    Returns only when that cannot be done (Windows, an unusual start, a link too big for a
    pipe): the caller then goes on with the links still in its arguments, as before.
    """
    links = [arg for arg in sys.argv[1:] if is_link(arg)]
    if not links or sys.platform == "win32":
        return
    command = _own_command([arg for arg in sys.argv[1:] if not is_link(arg)])
    if command is None:
        return
    import json

    read_end = _pipe_holding(json.dumps(links).encode())
    if read_end is None:
        return
    os.set_inheritable(read_end, True)
    os.environ[LINKS_FD_ENV] = str(read_end)
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execv(sys.executable, command)  # noqa: S606 - this very program, started again
    except OSError:
        del os.environ[LINKS_FD_ENV]
        os.close(read_end)


def desktop_start(args: list[str], *, own_arguments: bool) -> list[str] | int:
    """What a desktop start does before Qt loads: hand off to a running Keyfob, or get ready.

    Returns an exit code when this start is over (the running Keyfob took it, or does not
    answer), else the arguments to start the app with: `args` plus the links a restart
    passed by pipe. `own_arguments`: `args` are this process's own (sys.argv), so links
    among them are visible to other users and call for a restart without them.
    """
    args = [*args, *take_passed_links()]
    arguments = parse_arguments(args)
    if arguments.self_test or not early_hand_off_supported():
        return args
    from app.vault.paths import resolve_vault_path

    name = server_name(resolve_vault_path(arguments.vault))
    request = Request(
        tuple(arguments.uris),
        show=not arguments.minimized,
        activation_token=os.environ.get("XDG_ACTIVATION_TOKEN", ""),
    )
    outcome = hand_off(name, request)
    if outcome is HandOff.DELIVERED:
        return 0
    if outcome is HandOff.NO_ANSWER:
        print(NO_ANSWER_MESSAGE, file=sys.stderr)
        return 1
    if own_arguments:
        restart_without_links()
    return args
