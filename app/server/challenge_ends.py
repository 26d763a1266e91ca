"""How the end of a challenge reaches this node: its prompt comes down on the user's sockets
here, the long polls waiting on it wake, and the metrics count it.

A challenge ends in the store (pending -> final, once). When this node ended it, `finish`
(or `ended_here`, for ends the store reports on the way) tells everyone here; when another
node did, its notice leads to `announce` alone, since that node counted it. Ends are kept
for a few seconds, so a long poll woken by one, or registered just after one, answers from
here instead of reading the row again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Iterator
from typing import Final

from app.push.messages import Status
from app.server.hub import Connection
from app.server.node import Node
from app.server.outgoing import cancel_text
from app.server.store import ChallengeRecord, FinishOutcome

log = logging.getLogger("keyfob.server")

# How long this node remembers how a challenge ended, for long polls that catch up with it.
RECENT_ENDS: Final = 10.0


class ChallengeEnds:
    def __init__(self, node: Node) -> None:
        self.node = node
        # The server is stopping: long polls answer at once instead of holding it up.
        self.closing = False
        # Long polls waiting on a pending challenge: one event each, removed when it returns.
        self._waiters: dict[str, set[asyncio.Event]] = {}
        self._recent: OrderedDict[str, tuple[float, ChallengeRecord]] = OrderedDict()

    async def finish(
        self,
        challenge: ChallengeRecord,
        status: Status,
        decided_at: int,
        device_id: str | None,
        exclude: Connection | None = None,
    ) -> FinishOutcome | None:
        """End a pending challenge in the store; if this call ended it, tell this node.
        `exclude` is the socket that answered it: it knows, and gets no `cancel`."""
        outcome = await self.node.store.finish_challenge(
            challenge.id, status, decided_at, device_id, self.node.policy
        )
        if outcome is not None and outcome.changed:
            self.ended_here(outcome.challenge, exclude)
        return outcome

    def ended_here(self, challenge: ChallengeRecord, exclude: Connection | None = None) -> None:
        """This node ended a challenge: count it and tell everyone here."""
        self.node.metrics.challenges_ended.labels(challenge.status.value).inc()
        self.announce(challenge, exclude)
        log.info("challenge %s ended %s", challenge.id, challenge.status.value)

    def announce(self, challenge: ChallengeRecord, exclude: Connection | None = None) -> None:
        """A challenge ended: take its prompt down on this node's sockets and wake the long
        polls waiting on it here."""
        message = cancel_text(challenge.id, challenge.status)
        for conn in self.node.hub.for_user(challenge.rp, challenge.user):
            if conn is exclude:
                conn.mark_ended(challenge.id)
            else:
                conn.end_challenge(challenge.id, message)
        self._remember(challenge)
        for event in self._waiters.get(challenge.id, ()):
            event.set()

    def _remember(self, challenge: ChallengeRecord) -> None:
        now = asyncio.get_running_loop().time()
        self._recent[challenge.id] = (now, challenge)
        self._recent.move_to_end(challenge.id)
        while self._recent:
            then, _ = next(iter(self._recent.values()))
            if now - then <= RECENT_ENDS:
                break
            self._recent.popitem(last=False)

    def recent(self, challenge_id: str) -> ChallengeRecord | None:
        """How the challenge ended, if it ended here (or was announced) lately."""
        ended = self._recent.get(challenge_id)
        return None if ended is None else ended[1]

    @contextlib.contextmanager
    def waiter(self, challenge_id: str) -> Iterator[asyncio.Event]:
        """An event set when the challenge's end is announced here (or everything is woken),
        gone again however the waiting ends."""
        event = asyncio.Event()
        waiting = self._waiters.setdefault(challenge_id, set())
        waiting.add(event)
        try:
            yield event
        finally:
            waiting.discard(event)
            if not waiting and self._waiters.get(challenge_id) is waiting:
                del self._waiters[challenge_id]

    def is_awaited(self, challenge_id: str) -> bool:
        return challenge_id in self._waiters

    def waiting_polls(self) -> dict[str, int]:
        """The long polls waiting now: how many on each challenge."""
        return {challenge_id: len(events) for challenge_id, events in self._waiters.items()}

    def wake_all(self) -> None:
        """Every long poll reads its challenge again (or answers, when closing)."""
        for events in self._waiters.values():
            for event in events:
                event.set()

    def shutdown(self) -> None:
        self.closing = True
        self.wake_all()
