"""The push server's operations in one place, apart from HTTP and websocket plumbing.

The HTTP layer, the device websocket, site hooks (the demo) and other APIs mapped onto
Keyfob's (Duo's) call `PushService`; each call is carried out by the part that owns it:

- enrollments.py: enrollment URIs and device registration;
- challenges.py: a site's challenges (create, long-poll status, cancel);
- devices.py: a site's devices and users (list, revoke, unblock);
- device_channel.py: hello, auth and responses on a device's socket;
- challenge_ends.py: how an ended challenge reaches this node's sockets and polls;
- upkeep.py: expiry, pruning, and other nodes' notices.

The store keeps the state and rules.py decides. Refusals are domain errors (errors.py);
only the HTTP layer gives them statuses. Times are whole seconds from the injectable clock.
"""

from __future__ import annotations

import asyncio
from typing import Final

from app.push.canonical import Ed25519PrivateKey, public_key_bytes
from app.server.challenge_ends import ChallengeEnds
from app.server.challenges import Challenges
from app.server.clock import Clock
from app.server.config import Limits
from app.server.device_channel import DeviceChannel
from app.server.devices import Devices
from app.server.enrollments import Enrollments
from app.server.errors import StoreUnavailable, Unauthorized
from app.server.hub import Connection, Hub
from app.server.keys import hash_api_key
from app.server.metrics import Metrics
from app.server.node import Node
from app.server.notify import LocalNotifier, Notice, Notifier
from app.server.rules import FatiguePolicy
from app.server.store import DeviceRecord, Store
from app.server.upkeep import Upkeep
from app.server.validation import ChallengeRequest, EnrollmentRequest, RegistrationRequest

READY_TIMEOUT: Final = 2.0


class PushService:
    def __init__(
        self,
        store: Store,
        server_key: Ed25519PrivateKey,
        clock: Clock,
        hub: Hub,
        limits: Limits,
        *,
        policy: FatiguePolicy | None = None,
        metrics: Metrics | None = None,
        notifier: Notifier | None = None,
        node_id: str = "local",
    ) -> None:
        self.store = store
        self.server_key = server_key
        self.server_public_key = public_key_bytes(server_key)
        self.clock = clock
        self.hub = hub
        self.limits = limits
        self.policy = policy or FatiguePolicy()
        self.metrics = metrics or Metrics()
        self.notifier: Notifier = notifier or LocalNotifier()
        self.node_id = node_id
        # Every part reads these from one place (each field has its own type: mypy checks
        # the order).
        node = self.node = Node(
            store, server_key, clock, hub, limits, self.policy, self.metrics, node_id
        )
        self.ends = ChallengeEnds(node)
        self.enrollments = Enrollments(node)
        self.challenges = Challenges(node, self.ends)
        self.devices = Devices(node)
        self.channel = DeviceChannel(node, self.ends)
        self.upkeep = Upkeep(node, self.ends)

    def now(self) -> int:
        return self.node.now()

    # -- relying parties -------------------------------------------------------------------

    async def authenticate(self, authorization: str | None) -> str:
        """The RP (API key NAME) behind an `Authorization: Bearer` header, or 401."""
        scheme, _, token = (authorization or "").strip().partition(" ")
        token = token.strip()
        rp = None
        if scheme.lower() == "bearer" and token and len(token) <= 256:
            rp = await self.store.rp_for_api_key(hash_api_key(token))
        if rp is None:
            raise Unauthorized
        return rp

    async def create_enrollment(
        self, rp: str, request: EnrollmentRequest, base_url: str
    ) -> dict[str, object]:
        return await self.enrollments.create(rp, request, base_url)

    async def enrollment_status(self, rp: str, enrollment_id: str) -> dict[str, object]:
        return await self.enrollments.status(rp, enrollment_id)

    async def register_device(
        self, request: RegistrationRequest, base_url: str
    ) -> tuple[int, dict[str, object]]:
        return await self.enrollments.register(request, base_url)

    async def create_challenge(self, rp: str, request: ChallengeRequest) -> dict[str, object]:
        return await self.challenges.create(rp, request)

    async def challenge_status(self, rp: str, challenge_id: str, wait: int) -> dict[str, object]:
        return await self.challenges.status(rp, challenge_id, wait)

    async def cancel_challenge(self, rp: str, challenge_id: str) -> dict[str, object]:
        return await self.challenges.cancel(rp, challenge_id)

    def waiting_polls(self) -> dict[str, int]:
        """The long polls waiting now: how many on each challenge."""
        return self.ends.waiting_polls()

    async def list_devices(self, rp: str, user: str) -> list[dict[str, object]]:
        return await self.devices.listing(rp, user)

    async def revoke_device(self, rp: str, device_id: str) -> dict[str, object]:
        return await self.devices.revoke(rp, device_id)

    async def unblock(self, rp: str, user: str) -> dict[str, object]:
        return await self.devices.unblock(rp, user)

    # -- the node --------------------------------------------------------------------------

    async def readiness(self) -> dict[str, bool]:
        """What /readyz reports: the database answers, and notices can arrive."""
        try:
            # A probe that hangs is as bad as one that fails: load balancers time out.
            async with asyncio.timeout(READY_TIMEOUT):
                await self.store.ping()
            database = True
        except (StoreUnavailable, TimeoutError):
            database = False
        return {"database": database, "notifications": self.notifier.connected}

    def shutdown(self) -> None:
        """The server is stopping: long polls answer now instead of holding it up."""
        self.ends.shutdown()
        self.channel.shutdown()

    async def sweep(self) -> int:
        return await self.upkeep.sweep()

    async def run_sweeper(self) -> None:
        await self.upkeep.run_sweeper()

    async def on_notice(self, notice: Notice) -> None:
        await self.upkeep.on_notice(notice)

    async def resync(self) -> None:
        await self.upkeep.resync()

    # -- devices ---------------------------------------------------------------------------

    def hello(self) -> tuple[bytes, str]:
        return self.channel.hello()

    async def authenticate_device(self, raw: str, nonce: bytes) -> DeviceRecord:
        return await self.channel.authenticate(raw, nonce)

    async def attach(self, conn: Connection) -> None:
        await self.channel.attach(conn)

    async def detach(self, conn: Connection) -> None:
        await self.channel.detach(conn)

    async def on_device_message(self, conn: Connection, raw: str) -> None:
        await self.channel.on_message(conn, raw)
