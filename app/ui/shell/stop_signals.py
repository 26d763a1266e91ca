"""Quitting cleanly when the session ends: SIGTERM (logout, shutdown, `kill`) and SIGINT
(Ctrl+C in the terminal that started Keyfob) quit as the tray's Quit does.

A clean quit locks the vault, clears a code left on the clipboard, saves the window's place
and removes the single-instance socket, so that the next start does not first try a stale
one. Python runs a signal's handler only when it next runs Python code, and Qt's event loop
waits in C++: the signal module writes each signal's number to a pipe (set_wakeup_fd), a
socket notifier on that pipe wakes the loop, and the handler runs then. Unix only; elsewhere
the signals keep their defaults.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier


def quit_on_signals(quit_app: Callable[[], None], parent: QObject) -> QSocketNotifier | None:
    """Call `quit_app` on SIGTERM or SIGINT; from the main thread, once the loop runs."""
    if sys.platform == "win32":
        return None
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)  # a full pipe must not block the signal's delivery
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    notifier = QSocketNotifier(read_end, QSocketNotifier.Type.Read, parent)

    def drain() -> None:
        # Reading is all: the handler runs as this Python code runs.
        try:
            while os.read(read_end, 512):
                pass
        except BlockingIOError:
            pass

    notifier.activated.connect(drain)

    def handler(number: int, frame: object) -> None:
        quit_app()

    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, handler)
    return notifier
