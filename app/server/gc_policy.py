"""Short garbage-collector pauses for a server that holds thousands of long-lived sockets.

CPython's cyclic collector walks every tracked object in a full (generation 2) collection.
With 10,000 device sockets that is over a million objects and a pause of half a second or
more, which every challenge in flight waits out (measured by tests/bench/push.py). The
objects of an established socket live as long as the socket, so this policy freezes what
survives (`gc.freeze`: the collector skips it from then on) every second, right after a
young-generation collection has cleared the short-lived garbage; each collection then only
walks the last second's survivors.

Frozen objects are still freed by reference counting. Only reference cycles that become
garbage after being frozen wait: for a full collection, run when sockets have closed since
the last one and at most once per `full_interval` (an hour by default), so a server with
steady devices never pauses and one with churn reclaims its cycles hourly.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Callable
from typing import Final

from app.server.stats import ServerStats

log = logging.getLogger("keyfob.server")

FREEZE_INTERVAL: Final = 1.0
FULL_INTERVAL: Final = 3600.0


class GcPolicy:
    def __init__(
        self,
        stats: ServerStats,
        *,
        freeze_interval: float = FREEZE_INTERVAL,
        full_interval: float = FULL_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stats = stats
        self.freeze_interval = freeze_interval
        self.full_interval = full_interval
        self._clock = clock
        self._last_full = clock()
        self._closed_at_full = stats.device_sockets_closed
        self.full_collections = 0

    def tick(self) -> None:
        now = self._clock()
        churned = self.stats.device_sockets_closed != self._closed_at_full
        if churned and now - self._last_full >= self.full_interval:
            started = time.perf_counter()
            gc.unfreeze()
            found = gc.collect()
            self._last_full = now
            self._closed_at_full = self.stats.device_sockets_closed
            self.full_collections += 1
            log.info(
                "full garbage collection: %d objects freed in %.0f ms",
                found,
                (time.perf_counter() - started) * 1000,
            )
        else:
            gc.collect(1)
        gc.freeze()

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.freeze_interval)
            self.tick()

    @staticmethod
    def release() -> None:
        """Give the frozen objects back to the collector (the server is stopping)."""
        gc.unfreeze()
