"""A `keyfob` process on a terminal of its own (a pseudo-terminal), as a person runs it.

The password prompt reads /dev/tty, so a test that answers it, or acts while the command waits
there, needs a real controlling terminal: stdin and stdout are the terminal, stderr a pipe
(read once the process ended). Waits poll with a deadline; nothing sleeps.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

DEADLINE = 60.0


# Run before the command, in its process (after setsid()): stdin, the terminal, becomes its
# controlling terminal, then the command replaces this little program (same process).
_TAKE_TERMINAL = (
    "import fcntl, os, sys, termios; fcntl.ioctl(0, termios.TIOCSCTTY, 0); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class Terminal:
    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        self._master, slave = os.openpty()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _TAKE_TERMINAL, *argv],
                stdin=slave,
                stdout=slave,
                stderr=subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        finally:
            os.close(slave)
        self.screen = ""
        self._stderr: str | None = None

    def expect(self, text: str, deadline: float = DEADLINE) -> None:
        """Wait until `text` has been shown on the terminal."""
        end = time.monotonic() + deadline
        while text not in self.screen:
            left = end - time.monotonic()
            if left <= 0 or not self._read(left):
                raise AssertionError(f"{text!r} never shown; the screen:\n{self.screen}")

    def type(self, text: str) -> None:
        os.write(self._master, text.encode())

    def wait(self, deadline: float = DEADLINE) -> int:
        """The exit code, once the screen and stderr are read to their end."""
        end = time.monotonic() + deadline
        while (left := end - time.monotonic()) > 0 and self._read(left):
            pass
        code = self.proc.wait(timeout=max(0.1, end - time.monotonic()))
        self._collect_stderr()
        return code

    @property
    def stderr(self) -> str:
        """What the command wrote on stderr (known once it ended)."""
        return self._stderr or ""

    def _collect_stderr(self) -> None:
        if self._stderr is None and self.proc.stderr is not None:
            self._stderr = self.proc.stderr.read().decode(errors="replace")
            self.proc.stderr.close()

    def group_command_lines(self) -> list[bytes]:
        """/proc/PID/cmdline of every live process in the command's process group: what any
        local user can read."""
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                # "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
                pgrp = int(stat.rpartition(")")[2].split()[2])
                if pgrp == self.proc.pid:
                    found.append((entry / "cmdline").read_bytes())
            except (OSError, ValueError, IndexError):
                continue  # gone meanwhile
        return found

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._collect_stderr()
        os.close(self._master)

    def _read(self, timeout: float) -> bool:
        """Read what the terminal shows within `timeout`; False once it is closed."""
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return self.proc.poll() is None or self._drain()
        try:
            chunk = os.read(self._master, 4096)
        except OSError:  # EIO: every process holding the terminal has ended
            return False
        if not chunk:
            return False
        self.screen += chunk.decode(errors="replace")
        return True

    def _drain(self) -> bool:
        ready, _, _ = select.select([self._master], [], [], 0)
        return bool(ready)
