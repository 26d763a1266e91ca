"""When a device reconnects and pings, as the protocol times it, for every transport.

Sans-I/O like the session: the transport (QWebSocket in the app, aiohttp in the CLI) asks
these with whatever monotonic clock it has and does what they answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Final, Literal

# The protocol: both sides ping every 20 s; a peer silent for 20 s after a ping is dropped.
PING_INTERVAL: Final = 20.0
PING_TIMEOUT: Final = 20.0
_JITTER: Final = secrets.SystemRandom()


class Backoff:
    """Reconnection delays: 1 s doubling to 60 s, each drawn in [d/2, d]; reset after ready."""

    def __init__(
        self,
        base: float = 1.0,
        cap: float = 60.0,
        random: Callable[[], float] = _JITTER.random,
    ) -> None:
        self.base = base
        self.cap = cap
        self._random = random
        self.attempts = 0

    def next_delay(self) -> float:
        ceiling = min(self.cap, self.base * 2 ** min(self.attempts, 32))
        self.attempts += 1
        return float(ceiling * (0.5 + 0.5 * self._random()))

    def reset(self) -> None:
        self.attempts = 0


class Heartbeat:
    """When to ping the server and when to give up on a silent one, as the protocol says:
    a ping every `interval` seconds, and the connection dropped when nothing at all (a
    message, a pong, a ping) has come in for `timeout` seconds after a ping.

    Sans-I/O like the session: the transport reports what it hears, asks `tick` at
    `next_due` and does what it answers, with whatever monotonic clock it has.
    """

    def __init__(self, interval: float = PING_INTERVAL, timeout: float = PING_TIMEOUT) -> None:
        self.interval = interval
        self.timeout = timeout
        self._last_heard = 0.0
        self._next_ping = 0.0
        self._ping_sent: float | None = None

    def start(self, now: float) -> None:
        """The socket is open: the first ping is one interval away."""
        self._last_heard = now
        self._next_ping = now + self.interval
        self._ping_sent = None

    def heard(self, now: float) -> None:
        self._last_heard = max(self._last_heard, now)

    @property
    def last_heard(self) -> float:
        return self._last_heard

    def _waiting_since(self) -> float | None:
        """When the unanswered ping went out, if one is unanswered."""
        sent = self._ping_sent
        return sent if sent is not None and self._last_heard < sent else None

    def next_due(self) -> float:
        """The time `tick` has something to do."""
        waiting = self._waiting_since()
        if waiting is None:
            return self._next_ping
        return min(self._next_ping, waiting + self.timeout)

    def tick(self, now: float) -> Literal["ping", "drop"] | None:
        waiting = self._waiting_since()
        if waiting is not None and now >= waiting + self.timeout:
            return "drop"
        if now >= self._next_ping:
            if waiting is None:
                self._ping_sent = now
            self._next_ping = now + self.interval
            return "ping"
        return None
