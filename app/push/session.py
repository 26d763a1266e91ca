"""The device side of one push enrollment's websocket, as sans-I/O logic.

The transport (QWebSocket in the app, aiohttp in tests and the CLI) opens the socket, calls
`on_open`, feeds every text message to `on_message`, sends each `Outgoing` it gets back and
acts on the events. Nothing here touches a socket or a timer, so the whole protocol is
tested without either.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Final, Literal

from app.push.canonical import (
    TAG_CHALLENGE,
    TAG_HELLO,
    TAG_RESPONSE,
    TAG_WS_AUTH,
    b64u_encode,
    canonical,
    digest,
    load_public_key,
    sign,
    verify,
)
from app.push.enrollment import PushEnrollment
from app.push.errors import ProtocolError, PushError
from app.push.messages import (
    MAX_MESSAGE_BYTES,
    NUMBER_PATTERN,
    Cancel,
    Challenge,
    Decision,
    Hello,
    Ready,
    Result,
    Status,
    parse_server_message,
)

CLOSE_POLICY: Final = 1008
CLOSE_TOO_BIG: Final = 1009
# The protocol: both sides ping every 20 s; a peer silent for 20 s after a ping is dropped.
PING_INTERVAL: Final = 20.0
PING_TIMEOUT: Final = 20.0
SEEN_LIMIT: Final = 4096
_JITTER: Final = secrets.SystemRandom()


@dataclass(frozen=True)
class Outgoing:
    """Text the transport sends on the socket."""

    text: str


@dataclass(frozen=True)
class Connected:
    """The server accepted our auth (`ready`); drift = server clock - our clock, seconds."""

    server_time: int
    drift: int


@dataclass(frozen=True)
class ChallengeReceived:
    """A verified prompt to show; `local_expires_at` is its end by our own clock."""

    challenge: Challenge
    local_expires_at: int


@dataclass(frozen=True)
class ChallengeResolved:
    """A prompt is over: the server's `result` or `cancel`, or it ran out locally."""

    challenge_id: str
    status: Status
    via: Literal["result", "cancel", "local"]


@dataclass(frozen=True)
class AnswerRejected:
    """The server judged our response `invalid`: it did not count, the prompt stays up."""

    challenge_id: str


@dataclass(frozen=True)
class ChallengeDropped:
    """A challenge was not shown, and why (never a user-facing prompt)."""

    challenge_id: str
    reason: str


@dataclass(frozen=True)
class ProtocolViolation:
    """The server sent something wrong; when `fatal`, close the socket with `close_code`."""

    reason: str
    fatal: bool
    close_code: int = CLOSE_POLICY


Event = (
    Connected
    | ChallengeReceived
    | ChallengeResolved
    | AnswerRejected
    | ChallengeDropped
    | ProtocolViolation
)
Action = Outgoing | Event


class State(Enum):
    CLOSED = "closed"
    AWAIT_HELLO = "await_hello"
    AWAIT_READY = "await_ready"
    READY = "ready"


class DeviceSession:
    """The protocol state of one enrollment; it outlives reconnections.

    Challenge ids already seen are remembered across reconnections, so a pending challenge
    the server delivers again at the next `ready` does not pop up a second prompt.
    """

    def __init__(
        self,
        enrollment: PushEnrollment,
        *,
        seen_limit: int = SEEN_LIMIT,
        backoff: Backoff | None = None,
    ) -> None:
        self.enrollment = enrollment
        # The transport asks it how long to wait before reconnecting; `ready` resets it.
        self.backoff = backoff if backoff is not None else Backoff()
        self._server_key = load_public_key(enrollment.server_key)
        self._private_key = enrollment.private_key
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._seen_limit = seen_limit
        self._pending: dict[str, Challenge] = {}
        # Our response to each prompt answered but not yet resolved, as sent: if the socket
        # drops before the server's `result`, it is sent again at the next `ready`.
        self._answered: dict[str, str] = {}
        self.state = State.CLOSED
        self.server_offset: int | None = None  # server clock - our clock, from the last hello

    # -- connection ------------------------------------------------------------------------

    def on_open(self) -> list[Action]:
        """The socket is open: wait for the server's signed hello."""
        self.state = State.AWAIT_HELLO
        return []

    def on_close(self) -> list[Action]:
        """The socket is gone. Prompts stay answerable once the next connection is ready, and
        answers still waiting for their result are sent again then."""
        self.state = State.CLOSED
        return []

    def server_now(self, now: int) -> int:
        return now + (self.server_offset or 0)

    @property
    def pending(self) -> list[Challenge]:
        return list(self._pending.values())

    # -- incoming --------------------------------------------------------------------------

    def on_message(self, raw: str, now: int) -> list[Action]:
        if len(raw.encode("utf-8", "surrogatepass")) > MAX_MESSAGE_BYTES:
            return [ProtocolViolation("message larger than 64 KiB", True, CLOSE_TOO_BIG)]
        if self.state is State.CLOSED:
            return [ProtocolViolation("message while the session is closed", True)]
        try:
            message = parse_server_message(raw)
        except ProtocolError as exc:
            fatal = self.state is State.AWAIT_HELLO
            return [ProtocolViolation(str(exc), fatal)]
        return self._dispatch(message, now)

    def _dispatch(
        self, message: Hello | Ready | Challenge | Result | Cancel, now: int
    ) -> list[Action]:
        if isinstance(message, Hello):
            return self._on_hello(message, now)
        if self.state is State.AWAIT_HELLO:
            return [ProtocolViolation(f"expected hello, got {type(message).__name__}", True)]
        if isinstance(message, Ready):
            return self._on_ready(message)
        if isinstance(message, Challenge):
            return self._on_challenge(message, now)
        return self._on_end(message)

    def _on_hello(self, hello: Hello, now: int) -> list[Action]:
        if self.state is not State.AWAIT_HELLO:
            return [ProtocolViolation("a second hello on one connection", True)]
        if not verify(self._server_key, TAG_HELLO, hello.raw):
            return [ProtocolViolation("hello is not signed by the pinned server key", True)]
        self.server_offset = hello.server_time - now
        self.state = State.AWAIT_READY
        auth = sign(
            self._private_key,
            TAG_WS_AUTH,
            {
                "type": "auth",
                "device_id": self.enrollment.device_id,
                "nonce": b64u_encode(hello.nonce),
            },
        )
        return [Outgoing(canonical(auth).decode())]

    def _on_ready(self, ready: Ready) -> list[Action]:
        if self.state is not State.AWAIT_READY:
            return [ProtocolViolation("ready out of turn", True)]
        self.state = State.READY
        self.backoff.reset()
        # An answer whose result never came may not have reached the server: send it again.
        # The protocol makes that safe: the first valid response decides, and a replay is
        # answered with the status the challenge already has, which ends the prompt.
        resent: list[Action] = [Outgoing(text) for text in self._answered.values()]
        return [Connected(ready.server_time, self.server_offset or 0), *resent]

    def _remember(self, challenge_id: str) -> None:
        self._seen[challenge_id] = None
        while len(self._seen) > self._seen_limit:
            self._seen.popitem(last=False)

    def _on_challenge(self, challenge: Challenge, now: int) -> list[Action]:
        if self.state is not State.READY:
            return [ChallengeDropped(challenge.id, "challenge before ready")]
        if not verify(self._server_key, TAG_CHALLENGE, challenge.raw):
            return [ChallengeDropped(challenge.id, "not signed by the pinned server key")]
        if challenge.issuer != self.enrollment.issuer or challenge.user != self.enrollment.user:
            return [ChallengeDropped(challenge.id, "for another site or account")]
        if challenge.id in self._seen:
            return [ChallengeDropped(challenge.id, "already seen")]
        self._remember(challenge.id)
        if self.server_now(now) >= challenge.expires_at:
            return [ChallengeDropped(challenge.id, "already expired by the server's clock")]
        self._pending[challenge.id] = challenge
        local_expiry = challenge.expires_at - (self.server_offset or 0)
        return [ChallengeReceived(challenge, local_expiry)]

    def _on_end(self, message: Result | Cancel) -> list[Action]:
        if message.id not in self._pending:
            return []
        if isinstance(message, Result) and message.status is Status.INVALID:
            self._answered.pop(message.id, None)
            return [AnswerRejected(message.id)]
        del self._pending[message.id]
        self._answered.pop(message.id, None)
        via: Literal["result", "cancel"] = "result" if isinstance(message, Result) else "cancel"
        return [ChallengeResolved(message.id, message.status, via)]

    def expire(self, now: int) -> list[Action]:
        """Prompts whose time is up by the server's clock: take them down."""
        over = [c.id for c in self._pending.values() if self.server_now(now) >= c.expires_at]
        for challenge_id in over:
            del self._pending[challenge_id]
            self._answered.pop(challenge_id, None)
        return [ChallengeResolved(cid, Status.EXPIRED, "local") for cid in over]

    # -- outgoing --------------------------------------------------------------------------

    def answer(
        self, challenge_id: str, decision: Decision, number: str | None, now: int
    ) -> Outgoing:
        """The signed response to one prompt. `number` counts only when approving."""
        if self.state is not State.READY:
            raise PushError("Not connected to the push server; try again once it is back.")
        challenge = self._pending.get(challenge_id)
        if challenge is None:
            raise PushError("This sign-in request is over or unknown.")
        if challenge_id in self._answered:
            raise PushError("This sign-in request has already been answered.")
        decision = Decision(decision)
        if decision is not Decision.APPROVE or not challenge.number_matching:
            number = None
        elif number is None or NUMBER_PATTERN.fullmatch(number) is None:
            raise PushError("Type the two-digit number shown on the sign-in page.")
        response = sign(
            self._private_key,
            TAG_RESPONSE,
            {
                "type": "response",
                "id": challenge_id,
                "decision": decision.value,
                "number": number,
                "challenge_hash": b64u_encode(digest(TAG_CHALLENGE, challenge.raw)),
                "ts": int(now),
            },
        )
        sent = canonical(response).decode()
        self._answered[challenge_id] = sent
        return Outgoing(sent)


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
