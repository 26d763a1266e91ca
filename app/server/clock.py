"""The server's idea of now, injectable so tests of expiry and backoff need not wait."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


class SystemClock:
    """Real time: what production always uses."""

    def now(self) -> float:
        return time.time()
