"""Per-address limits: token buckets for rates, counters for open sockets, and the
two-level count of failed authentications."""

from __future__ import annotations

import time
from collections.abc import Callable


class TokenBuckets:
    """One bucket per key: `burst` tokens, refilled at `per_second`."""

    def __init__(
        self,
        burst: int,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.burst = float(burst)
        self.per_second = per_second
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def _level(self, key: str, now: float) -> float:
        tokens, then = self._buckets.get(key, (self.burst, now))
        return min(self.burst, tokens + (now - then) * self.per_second)

    def retry_after(self, key: str) -> float:
        """0 when a token is there; else seconds until one is."""
        level = self._level(key, self._clock())
        if level >= 1.0:
            return 0.0
        return (1.0 - level) / self.per_second if self.per_second > 0 else 3600.0

    def take(self, key: str) -> float:
        """Use a token: 0 when there was one, else seconds until there is (nothing used)."""
        now = self._clock()
        level = self._level(key, now)
        if level < 1.0:
            return (1.0 - level) / self.per_second if self.per_second > 0 else 3600.0
        self._buckets[key] = (level - 1.0, now)
        if len(self._buckets) > self._max_keys:
            self._forget_full(now)
        return 0.0

    def _forget_full(self, now: float) -> None:
        # A full bucket is the same as no bucket: dropping them bounds the memory.
        for key in [k for k in self._buckets if self._level(k, now) >= self.burst]:
            del self._buckets[key]


class FailureCounts:
    """Failed authentications, counted per (address, subject) and per address.

    The subject is what the attempt claimed to be (a device id, an enrollment id). A device
    with a stale key, retrying now and then, uses up only its own (address, subject) budget;
    failures that name no known subject (garbage, unknown ids, timeouts), and those beyond a
    subject's budget, use up the address's. An exhausted budget only slows the attempts it
    covers (`delay`): it never refuses one that carries a valid signature, so one noisy
    client cannot lock out the other devices behind its address (a whole office behind NAT).
    """

    def __init__(
        self,
        subject_burst: int,
        subject_per_second: float,
        address_burst: int,
        address_per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.subjects = TokenBuckets(subject_burst, subject_per_second, clock=clock)
        self.addresses = TokenBuckets(address_burst, address_per_second, clock=clock)

    @staticmethod
    def _subject_key(address: str, subject: str) -> str:
        return f"{address}\n{subject}"

    def failed(self, address: str, subject: str | None = None) -> None:
        """Count one failure; `subject` when it named something that exists."""
        if subject is not None and self.subjects.take(self._subject_key(address, subject)) == 0:
            return
        self.addresses.take(address)

    def address_delay(self, address: str) -> float:
        """Seconds the address's failures ask to wait (0 while it is within its budget)."""
        return self.addresses.retry_after(address)

    def delay(self, address: str, subject: str | None = None) -> float:
        """Seconds to wait before judging an attempt: the longer of the two budgets' waits."""
        wait = self.address_delay(address)
        if subject is not None:
            wait = max(wait, self.subjects.retry_after(self._subject_key(address, subject)))
        return wait


class ConnectionCounts:
    """Open sockets per address, with a ceiling."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._counts: dict[str, int] = {}

    def try_open(self, key: str) -> bool:
        count = self._counts.get(key, 0)
        if count >= self.limit:
            return False
        self._counts[key] = count + 1
        return True

    def close(self, key: str) -> None:
        count = self._counts.get(key, 0) - 1
        if count > 0:
            self._counts[key] = count
        else:
            self._counts.pop(key, None)

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)
