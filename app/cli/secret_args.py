"""URIs that carry secrets, taken in without leaving them in the process list.

Every local user can read a process's arguments (/proc/PID/cmdline, `ps`), so an otpauth://
or keyfob://enroll URI given as an argument is exposed for as long as the command runs,
mostly while it waits for the password. So `keyfob add` and `keyfob push enroll` read URIs
from stdin (`-`), or from a hidden prompt when given none on a terminal. A URI that does
arrive as an argument is moved off the command line: the command warns, then starts itself
again with `-` in the URIs' place and the URIs on its stdin, through a pipe, before it asks
for anything. (The first process's arguments were visible for that moment, and stay in the
shell's history: hence the warning.)
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import os
import sys
from collections.abc import Sequence

from app.cli.errors import CliError
from app.cli.output import note

STDIN = "-"
# What a pipe can be made to hold without a reader (Linux's default pipe-max-size): the URIs
# are all written before the exec, as no process may stay behind holding them.
_PIPE_MAX = 1 << 20


def read_stdin_lines() -> list[str]:
    """Every line of stdin. Bytes that are not UTF-8 are kept (as surrogates) for the
    parsers to refuse by name, never a decoding traceback."""
    return sys.stdin.buffer.read().decode("utf-8", "surrogateescape").splitlines()


def uri_lines(given: Sequence[str], prompt: str) -> list[str]:
    """The URI lines a command was given: its arguments; stdin for `-`, or for nothing when
    stdin is not a terminal (`keyfob scan x.png | keyfob add`); else one URI typed at a
    hidden prompt."""
    if list(given) == [STDIN] or (not given and not sys.stdin.isatty()):
        return read_stdin_lines()
    if not given:
        try:
            return [getpass.getpass(f"{prompt} (not shown): ")]
        except EOFError:
            return []
    return list(given)


def move_off_command_line(uris: Sequence[str], command: Sequence[str], usage: str) -> None:
    """If any of `uris` is an argument of this process, warn and start again as `keyfob
    COMMAND` (which must read the URIs from stdin) with the URIs on stdin. Returns only when
    none is (they came from stdin or a prompt, or `run` was called inside another program).
    `usage` is the way to give them that the warning suggests.
    """
    arguments = set(sys.argv[1:])
    if list(uris) == [STDIN] or not any(uri in arguments for uri in uris):
        return
    note(
        "keyfob: warning: other users of this computer can read a command's arguments, and "
        f"the shell keeps them in its history: give the URI on stdin instead ({usage})"
    )
    data = "".join(f"{uri}\n" for uri in uris).encode("utf-8", "surrogateescape")
    reader = _pipe_holding(data)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(reader, 0)  # the new stdin; dup2 makes it inheritable, the pipe's ends are not
    os.close(reader)
    os.execv(sys.executable, [*_this_program(), *command])  # noqa: S606 - no shell, on purpose


def global_options(vault: str | None, password_file: str | None) -> list[str]:
    """The global options to start again with (--vault, --password-file) as they were given."""
    given = [("--vault", vault), ("--password-file", password_file)]
    return [item for option, value in given if value is not None for item in (option, value)]


def _this_program() -> list[str]:
    """The arguments that start this program again, before its own arguments."""
    if getattr(sys, "frozen", False):  # a bundle: its executable is the program
        return [sys.executable]
    # sys.orig_argv is the interpreter's whole command line (`python /path/keyfob ...` or
    # `python -m app ...`); sys.argv ends with the same arguments after the program's name.
    options = sys.orig_argv[1 : len(sys.orig_argv) - len(sys.argv) + 1]
    return [sys.executable, *options]


def _pipe_holding(data: bytes) -> int:
    """The reading end of a pipe that holds all of `data`, its writing end closed."""
    reader, writer = os.pipe()
    try:
        if len(data) > 65536:
            with contextlib.suppress(OSError):  # the write below says when it does not fit
                fcntl.fcntl(writer, fcntl.F_SETPIPE_SZ, min(len(data), _PIPE_MAX))
        os.set_blocking(writer, False)
        try:
            written = os.write(writer, data)
        except BlockingIOError:
            written = 0
        if written < len(data):
            raise CliError("too many URIs to move off the command line: pass them on stdin (-)")
    except BaseException:
        os.close(reader)
        raise
    finally:
        os.close(writer)
    return reader
