"""Counters of one running server, for operators and tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class ServerStats:
    # Requests or sockets that hit an unexpected exception (a logged 500 or a 1011 close).
    # Bad input must never get there: the tests hold this at 0.
    unexpected_errors: int = 0
    # Device sockets that have ended: the GC policy's sign that frozen garbage may wait.
    device_sockets_closed: int = 0
