"""A site's challenges: send one to a user's devices, read how it stands (a long poll),
cancel it.

Whether a challenge may be made is rules.py's call, taken inside the store's one
transaction (so it holds across nodes); refusals come back as domain errors (errors.py),
which only the HTTP layer gives statuses. The signed challenge goes to the user's sockets on
this node at once; other nodes hear of it through the store's notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import NoReturn

from app.push.canonical import TAG_CHALLENGE, digest, sign
from app.push.messages import Status
from app.server import rules
from app.server.challenge_ends import ChallengeEnds
from app.server.errors import (
    AlreadyFinal,
    Backoff,
    Blocked,
    ChallengePending,
    NoDevice,
    NotFound,
    TooManyChallenges,
)
from app.server.node import Node
from app.server.outgoing import message_text, new_id
from app.server.rules import CreateKind
from app.server.store import ChallengeRecord, CreateOutcome
from app.server.validation import ChallengeRequest

log = logging.getLogger("keyfob.server")


def status_body(challenge: ChallengeRecord) -> dict[str, object]:
    """What the RP reads about a challenge: never the number, never `invalid`."""
    body: dict[str, object] = {"id": challenge.id, "status": challenge.status.value}
    if challenge.status is not Status.PENDING:
        if challenge.decided_at is not None:
            body["decided_at"] = challenge.decided_at
        if challenge.device_id is not None:
            body["device_id"] = challenge.device_id
    return body


def _refuse(outcome: CreateOutcome, now: int) -> NoReturn:
    """The refusal a store's verdict stands for, in the protocol's order of checks."""
    retry = (outcome.retry_at or now) - now
    if outcome.kind is CreateKind.NO_DEVICE:
        raise NoDevice
    if outcome.kind is CreateKind.BLOCKED:
        raise Blocked
    if outcome.kind is CreateKind.PENDING:
        raise ChallengePending(retry)
    if outcome.kind is CreateKind.BACKOFF:
        raise Backoff(retry)
    if outcome.kind is CreateKind.TOO_MANY:
        raise TooManyChallenges(retry)
    raise AssertionError(f"no refusal for {outcome.kind}")


class Challenges:
    def __init__(self, node: Node, ends: ChallengeEnds) -> None:
        self.node = node
        self.ends = ends

    async def create(self, rp: str, request: ChallengeRequest) -> dict[str, object]:
        """Refusals in the protocol's order: (400 before this), 404, 423, 429 pending,
        429 backoff, 429 too many in a row."""
        arrived = asyncio.get_running_loop().time()
        now = self.node.now()
        challenge_id = new_id("c_")
        number = f"{secrets.randbelow(100):02d}" if request.number_matching else None
        message = sign(
            self.node.server_key,
            TAG_CHALLENGE,
            {
                "type": "challenge",
                "id": challenge_id,
                "issuer": rp,
                "user": request.user,
                "action": request.action,
                "context": dict(request.context),
                "number_matching": request.number_matching,
                "created_at": now,
                "expires_at": now + request.ttl,
            },
        )
        record = ChallengeRecord(
            id=challenge_id,
            rp=rp,
            user=request.user,
            number=number,
            number_matching=request.number_matching,
            created_at=now,
            expires_at=now + request.ttl,
            status=Status.PENDING,
            payload=message_text(message),
            payload_hash=digest(TAG_CHALLENGE, message),
        )
        outcome = await self.node.store.create_challenge(record, self.node.policy)
        for stale in outcome.expired:
            self.ends.ended_here(stale)
        if outcome.kind is not CreateKind.CREATED:
            self.node.metrics.challenges_refused.labels(outcome.kind.value).inc()
            _refuse(outcome, now)
        self.node.metrics.challenges_created.inc()
        for conn in self.node.hub.for_user(rp, request.user):
            conn.send_challenge(challenge_id, record.payload, since=arrived)
        log.info("challenge %s sent for a user of %s", challenge_id, rp)
        body: dict[str, object] = {
            "id": challenge_id,
            "status": Status.PENDING.value,
            "expires_at": record.expires_at,
        }
        if number is not None:
            body["number"] = number
        return body

    async def current(self, rp: str, challenge_id: str) -> ChallengeRecord:
        """A challenge of this RP, expired on the spot if its time is up."""
        challenge = await self.node.store.get_challenge(challenge_id)
        if challenge is None or challenge.rp != rp:
            raise NotFound("challenge")
        now = self.node.now()
        if challenge.status is Status.PENDING and rules.is_due(challenge.expires_at, now):
            outcome = await self.ends.finish(challenge, Status.EXPIRED, challenge.expires_at, None)
            if outcome is not None:
                challenge = outcome.challenge
        return challenge

    async def status(self, rp: str, challenge_id: str, wait: int) -> dict[str, object]:
        """Long poll: answer once the status is final or `wait` seconds have passed.

        Only a poll on a pending challenge of this site waits, on an event of its own that
        is gone when it returns, however it returns."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        challenge = await self.current(rp, challenge_id)
        if challenge.status is not Status.PENDING or wait <= 0 or self.ends.closing:
            return status_body(challenge)
        with self.ends.waiter(challenge_id) as event:
            while True:
                # An end announced since the read (before the event was in place) or since
                # the wake-up is here; any other wake-up (its expiry, a re-read after a
                # lost listener) reads the row again.
                ended = self.ends.recent(challenge_id)
                if ended is not None:
                    return status_body(ended)
                remaining = deadline - loop.time()
                if remaining <= 0 or self.ends.closing:
                    return status_body(challenge)
                until_expiry = challenge.expires_at - self.node.clock.now()
                timeout = min(remaining, max(0.05, until_expiry + 0.05))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout)
                event.clear()
                if self.ends.recent(challenge_id) is None:
                    challenge = await self.current(rp, challenge_id)
                    if challenge.status is not Status.PENDING:
                        return status_body(challenge)

    async def cancel(self, rp: str, challenge_id: str) -> dict[str, object]:
        challenge = await self.current(rp, challenge_id)
        outcome = await self.ends.finish(challenge, Status.CANCELLED, self.node.now(), None)
        if outcome is not None and outcome.changed:
            return status_body(outcome.challenge)
        final = outcome.challenge if outcome is not None else challenge
        raise AlreadyFinal(final.status.value)
