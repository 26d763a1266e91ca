"""The one clock every code is computed from, with a correction for a wrong system clock."""

from __future__ import annotations

import time
from collections.abc import Callable

DRIFT_WARNING_SECONDS = 15.0


class Clock:
    """System time plus a correction offset (seconds, may be negative).

    The offset is what the user (or a trusted time source such as the push server's
    `server_time`) says the system clock is off by; codes use `now()`, never `time.time()`.
    """

    def __init__(self, offset: float = 0.0, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self.offset = offset

    def now(self) -> float:
        return self._source() + self.offset

    def system_now(self) -> float:
        return self._source()

    @staticmethod
    def drift(reference_time: float, system_time: float) -> float:
        """How far the system clock is behind a reference clock (positive: it is slow)."""
        return reference_time - system_time

    @staticmethod
    def drift_is_worrying(drift: float) -> bool:
        return abs(drift) > DRIFT_WARNING_SECONDS
