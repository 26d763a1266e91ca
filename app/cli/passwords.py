"""Where the CLI gets passwords: a file, the environment, or a no-echo prompt.

Order: `--password-file FILE` (first line), then `KEYFOB_PASSWORD_FILE`, then a prompt on the
terminal. Without a terminal (scripts, pipes) a prompt is impossible, so we say how to give one
instead of hanging or reading the password from stdin.
"""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from app.cli.errors import CliError

PASSWORD_FILE_ENV = "KEYFOB_PASSWORD_FILE"  # noqa: S105 - the name of a variable, not a password


def read_password_file(path: str | Path) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CliError(f"password file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"cannot read password file {path}: {_reason(error)}") from None
    lines = text.splitlines()
    password = lines[0] if lines else ""
    if not password:
        raise CliError(f"password file {path} is empty: put the password on its first line")
    return password


def _reason(error: Exception) -> str:
    return error.strerror if isinstance(error, OSError) and error.strerror else type(error).__name__


def _has_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def prompt(label: str) -> str:
    if not _has_terminal():
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
