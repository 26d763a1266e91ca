"""Running slow work (the password KDF, QR decoding) off the GUI thread.

The result comes back as a queued signal to a QObject living in the GUI thread, so the
callbacks always run on the GUI thread, whatever thread finished the work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Signal, Slot

T = TypeVar("T")

_RUNNING: set[_Relay] = set()


class _Relay(QObject):
    succeeded = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        on_done: Callable[[Any], None],
        on_error: Callable[[BaseException], None],
        owner: QObject | None,
    ) -> None:
        super().__init__()
        self._on_done = on_done
        self._on_error = on_error
        self._owner = owner
        self.succeeded.connect(self._deliver)
        self.failed.connect(self._fail)

    def _owner_gone(self) -> bool:
        # A window closed meanwhile (say, by a lock) no longer wants the answer.
        return self._owner is not None and not shiboken6.isValid(self._owner)

    @Slot(object)
    def _deliver(self, result: object) -> None:
        _RUNNING.discard(self)
        if not self._owner_gone():
            self._on_done(result)

    @Slot(object)
    def _fail(self, error: BaseException) -> None:
        _RUNNING.discard(self)
        if not self._owner_gone():
            self._on_error(error)


def run_in_thread(
    work: Callable[[], T],
    on_done: Callable[[T], None],
    on_error: Callable[[BaseException], None],
    owner: QObject | None = None,
) -> None:
    """Call `work()` in a new thread; then `on_done(result)` or `on_error(exc)` on this one.

    With an `owner`, the callbacks are skipped if that object was deleted meanwhile.
    """
    relay = _Relay(on_done, on_error, owner)
    _RUNNING.add(relay)

    def run() -> None:
        try:
            result = work()
        except BaseException as error:  # handed to the GUI thread, which decides
            relay.failed.emit(error)
            return
        relay.succeeded.emit(result)

    threading.Thread(target=run, name="keyfob-worker", daemon=True).start()


def running_count() -> int:
    """How many pieces of work have not reported back (tests wait for 0)."""
    return len(_RUNNING)
