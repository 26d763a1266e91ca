"""A site's devices and users: list a user's devices, revoke one, unblock a user's pushes.

Everything is scoped to the site (the RP): a device id of another site is "not found".
Revoking closes the device's sockets on this node at once; other nodes close theirs on the
store's notice.
"""

from __future__ import annotations

import logging

from app.push.close_codes import CloseCode
from app.server.errors import NotFound
from app.server.node import Node

log = logging.getLogger("keyfob.server")


class Devices:
    def __init__(self, node: Node) -> None:
        self.node = node

    async def listing(self, rp: str, user: str) -> list[dict[str, object]]:
        """The user's devices; one with a socket on this node was last seen now."""
        now = self.node.now()
        # Who is online before the store is read: a device that leaves meanwhile wrote its
        # last_seen before it left the hub (DeviceChannel.detach), so the read shows it. The
        # other way round, it could be listed offline with the time it connected.
        online_here = {conn.device_id for conn in self.node.hub.for_user(rp, user)}
        result: list[dict[str, object]] = []
        for device in await self.node.store.list_devices(rp, user):
            online = device.id in online_here
            result.append(
                {
                    "device_id": device.id,
                    "name": device.name,
                    "online": online,
                    "enrolled_at": device.enrolled_at,
                    "last_seen": now if online else device.last_seen,
                }
            )
        return result

    async def revoke(self, rp: str, device_id: str) -> dict[str, object]:
        device = await self.node.store.revoke_device(rp, device_id, self.node.now())
        if device is None:
            raise NotFound("device")
        for conn in self.node.hub.for_device(device_id):
            conn.close_soon(CloseCode.REVOKED, "device revoked")
        log.info("device %s of %s revoked", device_id, rp)
        return {"device_id": device_id, "revoked": True}

    async def unblock(self, rp: str, user: str) -> dict[str, object]:
        await self.node.store.unblock(rp, user)
        log.info("pushes unblocked for a user of %s", rp)
        return {"user": user, "blocked": False}
