"""Keeping this node's view right while nothing asks: expiring challenges whose time is up,
forgetting what is long over, acting on other nodes' notices, and reading everything again
after notices may have been missed.

A notice only says "look again" (notify.py): each one is acted on by reading the row it
names, so a lost notice costs a re-read (`resync`), never a sign-in.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from app.push.close_codes import CloseCode
from app.push.messages import Status
from app.server.challenge_ends import ChallengeEnds
from app.server.errors import StoreUnavailable
from app.server.node import Node
from app.server.notify import Notice, NoticeKind
from app.server.store import ChallengeRecord

log = logging.getLogger("keyfob.server")

PRUNE_EVERY: Final = 3600.0


class Upkeep:
    def __init__(self, node: Node, ends: ChallengeEnds) -> None:
        self.node = node
        self.ends = ends
        self._last_prune = 0.0
        self._resync_wanted = False  # the store was away: notices may have been missed

    # -- time ------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Expire what is due (and, now and then, forget what is long over)."""
        now = self.node.now()
        if self._resync_wanted:
            self._resync_wanted = False
            await self.resync()
        expired = await self.node.store.expire_due(now, self.node.policy)
        for challenge in expired:
            self.ends.ended_here(challenge)
        if now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            await self.node.store.prune(now - self.node.limits.retention_seconds)
        return len(expired)

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except StoreUnavailable:
                self._resync_wanted = True  # the store logged it; catch up once it is back
            except Exception:
                log.exception("expiring challenges failed; trying again")
            await asyncio.sleep(self.node.limits.sweep_interval)

    # -- other nodes -----------------------------------------------------------------------

    async def on_notice(self, notice: Notice) -> None:
        """Another node changed something: read the row it names and act on what it says."""
        if notice.origin == self.node.node_id:
            return  # done here already, when it was made
        try:
            if notice.kind is NoticeKind.CHALLENGE_CREATED:
                await self._deliver_remote(notice.object_id)
            elif notice.kind is NoticeKind.CHALLENGE_ENDED:
                await self._end_remote(notice.object_id)
            else:
                await self._revoke_remote(notice.object_id)
        except StoreUnavailable:
            self._resync_wanted = True
            raise

    async def _deliver_remote(self, challenge_id: str) -> None:
        if not len(self.node.hub):
            return
        arrived = asyncio.get_running_loop().time()
        challenge = await self.node.store.get_challenge(challenge_id)
        if challenge is None or challenge.status is not Status.PENDING:
            return
        for conn in self.node.hub.for_user(challenge.rp, challenge.user):
            conn.send_challenge(challenge.id, challenge.payload, since=arrived)

    async def _end_remote(self, challenge_id: str) -> None:
        if not len(self.node.hub) and not self.ends.is_awaited(challenge_id):
            return
        challenge = await self.node.store.get_challenge(challenge_id)
        if challenge is not None and challenge.status is not Status.PENDING:
            self.ends.announce(challenge)

    async def _revoke_remote(self, device_id: str) -> None:
        conns = self.node.hub.for_device(device_id)
        if not conns:
            return
        device = await self.node.store.get_device(device_id)
        if device is not None and device.revoked_at is not None:
            for conn in conns:
                conn.close_soon(CloseCode.REVOKED, "device revoked")

    async def resync(self) -> None:
        """Notices may have been missed (the listener was away, the store was down): read
        what is pending for every device held here and what became of the prompts they
        show, and wake every long poll to read its challenge again."""
        now = self.node.now()
        conns = self.node.hub.all()
        pending = await self.node.store.pending_for_users(self.node.hub.users(), now)
        by_user: dict[tuple[str, str], list[ChallengeRecord]] = {}
        for challenge in pending:
            by_user.setdefault((challenge.rp, challenge.user), []).append(challenge)
        for conn in conns:
            for challenge in by_user.get((conn.rp, conn.user), ()):
                conn.send_challenge(challenge.id, challenge.payload)
        pending_ids = {challenge.id for challenge in pending}
        shown = {cid for conn in conns for cid in conn.open_prompts()} - pending_ids
        if shown:
            for challenge in await self.node.store.get_challenges(sorted(shown)):
                if challenge.status is not Status.PENDING:
                    self.ends.announce(challenge)
        self.ends.wake_all()
