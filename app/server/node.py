"""What every part of the push service works with on this server node: the store, the
server key, the clock, the device sockets held here, the push rules' numbers, the limits
and the metrics, and the node's name among the nodes that share the store.

PushService makes one and hands it to each of its parts (enrollments.py, challenges.py,
devices.py, device_channel.py, challenge_ends.py, upkeep.py), so they all read one clock and
one store, and none is built from a long list of the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.push.canonical import Ed25519PrivateKey
from app.server.clock import Clock
from app.server.config import Limits
from app.server.hub import Hub
from app.server.metrics import Metrics
from app.server.rules import FatiguePolicy
from app.server.store import Store


@dataclass(frozen=True)
class Node:
    store: Store
    server_key: Ed25519PrivateKey
    clock: Clock
    hub: Hub
    limits: Limits
    policy: FatiguePolicy
    metrics: Metrics
    node_id: str  # names this process in notices to the other nodes

    def now(self) -> int:
        """Protocol and store times are whole Unix seconds."""
        return int(self.clock.now())
