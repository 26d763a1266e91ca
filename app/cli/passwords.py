"""Where the CLI gets passwords: a file, the environment, or a no-echo prompt.

Order: `--password-file FILE` (its first line, at most 4 KiB), then `KEYFOB_PASSWORD_FILE`,
then a prompt on the terminal. Without a terminal (scripts, pipes) a prompt is impossible, so
we say how to give one instead of hanging or reading the password from stdin.
"""

from __future__ import annotations

import getpass
import os
import shlex
import stat
from pathlib import Path

from app.cli.errors import CliError
from app.cli.output import note, printable

PASSWORD_FILE_ENV = "KEYFOB_PASSWORD_FILE"  # noqa: S105 - the name of a variable, not a password
PASSWORD_FILE_LIMIT = 4096  # bytes read from a password file: a first line longer is refused
UTF8_BOM = b"\xef\xbb\xbf"


def read_password_file(path: str | Path) -> str:
    """The first line of the file: without a UTF-8 BOM (Windows editors write one) and
    without its line ending (\\n or \\r\\n). Warns when other users can read the file."""
    name = printable(str(path))
    try:
        with Path(path).open("rb") as file:
            mode = os.fstat(file.fileno()).st_mode
            # A bounded read: a password is short, and `--password-file /dev/zero` or a
            # huge file must not fill the memory.
            data = file.read(PASSWORD_FILE_LIMIT + 1)
    except FileNotFoundError:
        raise CliError(f"password file not found: {name}") from None
    except OSError as error:
        raise CliError(f"cannot read password file {name}: {_reason(error)}") from None
    # Only a regular file is kept on disk for others to read: a pipe (`<(pass show ...)`)
    # or a device has modes that say nothing of the password.
    if stat.S_ISREG(mode) and mode & (stat.S_IRGRP | stat.S_IROTH):
        note(
            f"keyfob: warning: other users can read the password file {name}: "
            f"make it private with chmod 600 {shlex.quote(name)}"
        )
    first, newline, _ = data.removeprefix(UTF8_BOM).partition(b"\n")
    if not newline and len(data) > PASSWORD_FILE_LIMIT:
        raise CliError(
            f"password file {name} has no line ending in its first "
            f"{PASSWORD_FILE_LIMIT // 1024} KiB: put the password on its first line"
        )
    try:
        password = first.removesuffix(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        raise CliError(f"cannot read password file {name}: its first line is not UTF-8") from None
    if not password:
        raise CliError(f"password file {name} is empty: put the password on its first line")
    return password


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__


def has_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def prompt(label: str) -> str:
    if not has_terminal():
        raise CliError(
            f"no terminal to ask for the {label.lower()}: "
            f"use --password-file FILE or set {PASSWORD_FILE_ENV}"
        )
    try:
        return getpass.getpass(f"{label}: ")
    except EOFError:
        raise CliError(f"no {label.lower()} given") from None


def current_password(password_file: str | None) -> str:
    source = password_file or os.environ.get(PASSWORD_FILE_ENV)
    if source:
        return read_password_file(source)
    return prompt("Password")


def new_password(password_file: str | None, *, label: str = "New password") -> str:
    """A new password: from the file when given, else asked twice on the terminal."""
    if password_file:
        return read_password_file(password_file)
    first = prompt(label)
    if not first:
        raise CliError("the password must not be empty")
    if prompt(f"{label} (again)") != first:
        raise CliError("the two passwords differ: nothing was changed")
    return first
