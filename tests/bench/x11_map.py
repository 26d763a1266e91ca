"""Timing how long a program takes to map its first window on an X server.

The same method for every program (Keyfob, a bare PySide6 window, KeePassXC), from outside
it: an X client listens on the root window for MapNotify (SubstructureNotify), the program
is started, and the time from just before its start to the first map of a top-level window
that is not override-redirect (no tooltip or menu) is its start time. The X client speaks
XCB through ctypes (libxcb ships with Qt's system libraries), so the bench needs no
package of its own.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import select
import subprocess
import time
from collections.abc import Iterator

_CW_EVENT_MASK = 1 << 11
_SUBSTRUCTURE_NOTIFY = 1 << 19
_MAP_NOTIFY = 19


class _MapNotify(ctypes.Structure):
    _fields_ = [
        ("response_type", ctypes.c_uint8),
        ("pad0", ctypes.c_uint8),
        ("sequence", ctypes.c_uint16),
        ("event", ctypes.c_uint32),
        ("window", ctypes.c_uint32),
        ("override_redirect", ctypes.c_uint8),
    ]


class _ScreenIterator(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.POINTER(ctypes.c_uint32)),
        ("rem", ctypes.c_int),
        ("index", ctypes.c_int),
    ]


def _xcb() -> ctypes.CDLL:
    name = ctypes.util.find_library("xcb") or "libxcb.so.1"
    xcb = ctypes.CDLL(name)
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_get_setup.restype = ctypes.c_void_p
    xcb.xcb_get_setup.argtypes = [ctypes.c_void_p]
    xcb.xcb_setup_roots_iterator.restype = _ScreenIterator
    xcb.xcb_setup_roots_iterator.argtypes = [ctypes.c_void_p]
    xcb.xcb_change_window_attributes.restype = ctypes.c_uint
    xcb.xcb_change_window_attributes.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_uint32,
        ctypes.POINTER(ctypes.c_uint32),
    ]
    xcb.xcb_flush.argtypes = [ctypes.c_void_p]
    xcb.xcb_get_file_descriptor.argtypes = [ctypes.c_void_p]
    xcb.xcb_poll_for_event.restype = ctypes.c_void_p
    xcb.xcb_poll_for_event.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    return xcb


class MapWatcher:
    """Listens for windows mapped on `display`; `wait_for_map(deadline)` returns the moment
    (time.perf_counter()) the next top-level window was mapped."""

    def __init__(self, display: str) -> None:
        self._xcb = _xcb()
        self._libc = ctypes.CDLL(ctypes.util.find_library("c"))
        self._libc.free.argtypes = [ctypes.c_void_p]
        self._connection = self._xcb.xcb_connect(display.encode(), None)
        if not self._connection or self._xcb.xcb_connection_has_error(self._connection):
            raise RuntimeError(f"cannot connect to the X server {display}")
        root = self._xcb.xcb_setup_roots_iterator(self._xcb.xcb_get_setup(self._connection))
        mask = (ctypes.c_uint32 * 1)(_SUBSTRUCTURE_NOTIFY)
        self._xcb.xcb_change_window_attributes(self._connection, root.data[0], _CW_EVENT_MASK, mask)
        self._xcb.xcb_flush(self._connection)
        self._fd = self._xcb.xcb_get_file_descriptor(self._connection)

    def drain(self) -> None:
        while self._next_map() is not None:
            pass

    def _next_map(self) -> float | None:
        while True:
            event = self._xcb.xcb_poll_for_event(self._connection)
            if not event:
                return None
            notify = _MapNotify.from_address(event)
            mapped = (notify.response_type & 0x7F) == _MAP_NOTIFY and not notify.override_redirect
            self._libc.free(event)
            if mapped:
                return time.perf_counter()

    def wait_for_map(self, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        while True:
            moment = self._next_map()
            if moment is not None:
                return moment
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            select.select([self._fd], [], [], left)

    def close(self) -> None:
        self._xcb.xcb_disconnect(self._connection)


def time_to_map(
    watcher: MapWatcher, command: list[str], env: dict[str, str], timeout: float = 30.0
) -> float:
    """Seconds from starting `command` to its first top-level window mapped; the process is
    then ended."""
    watcher.drain()
    began = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        mapped = watcher.wait_for_map(timeout)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if mapped is None:
        raise RuntimeError(f"{command[0]} mapped no window within {timeout:.0f} s")
    return mapped - began


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb (no window manager, as the maps are to be seen directly)."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as numbers:
        number = numbers.readline().strip()
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


_BARE_WINDOW = """
from PySide6.QtWidgets import QApplication, QWidget
app = QApplication([])
window = QWidget()
window.resize(520, 460)
window.show()
app.exec()
"""


def interleaved_maps(
    commands: dict[str, list[str]], temp: str, runs: int = 9, env: dict[str, str] | None = None
) -> dict[str, float]:
    """Median milliseconds to the first window mapped of each command, on one private Xvfb,
    the commands interleaved run by run (so a busy moment hits all alike). KeePassXC is
    added as "keepassxc" when it is installed."""
    import shutil
    import statistics

    commands = dict(commands)
    keepassxc = shutil.which("keepassxc")
    if keepassxc is not None:
        commands["keepassxc"] = [keepassxc]
    with xvfb() as display:
        base = {
            **(os.environ if env is None else env),
            "DISPLAY": display,
            "QT_QPA_PLATFORM": "xcb",
            "HOME": temp,
            "XDG_CONFIG_HOME": f"{temp}/config",
            "XDG_DATA_HOME": f"{temp}/data",
            "XDG_STATE_HOME": f"{temp}/state",
            "XDG_CACHE_HOME": f"{temp}/cache",
            "XDG_RUNTIME_DIR": temp,
        }
        # KeePassXC would wait on the user's bus; Keyfob's quick unlock needs the bench's.
        kept = {key: value for key, value in base.items() if key != "DBUS_SESSION_BUS_ADDRESS"}
        watcher = MapWatcher(display)
        times: dict[str, list[float]] = {name: [] for name in commands}
        try:
            for _ in range(runs):
                for name, command in commands.items():
                    times[name].append(
                        time_to_map(watcher, command, kept if name == "keepassxc" else base)
                    )
        finally:
            watcher.close()
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def versus_keepassxc(
    name: str, median: dict[str, float], key: str = "keyfob"
) -> tuple[str, str, str]:
    """The row for `median[key]`, as a multiple of KeePassXC's start in the same run."""
    if "keepassxc" not in median:
        return (name, f"{median[key]:.0f} ms", "KeePassXC absent: apt install keepassxc")
    ratio = median[key] / median["keepassxc"]
    return (name, f"{median[key]:.0f} ms = {ratio:.2f}x KeePassXC", "<= 1.0x KeePassXC")


def start_rows(
    keyfob: list[str], temp: str, runs: int = 9, python: str | None = None
) -> list[tuple[str, str, str]]:
    """Keyfob's start against a bare PySide6 window (run by `python`, the bench's own by
    default) and KeePassXC; medians."""
    import sys

    bare = [python or sys.executable, "-c", _BARE_WINDOW]
    median = interleaved_maps({"keyfob": keyfob, "bare": bare}, temp, runs)
    rows = [versus_keepassxc("start to unlock window mapped (Xvfb)", median)]
    if "keepassxc" in median:
        rows.append(("  KeePassXC, window mapped", f"{median['keepassxc']:.0f} ms", "(same run)"))
    rows.append(("  bare PySide6 window mapped", f"{median['bare']:.0f} ms", "(same run)"))
    return rows
