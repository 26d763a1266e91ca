"""The device side of one push enrollment's websocket, as sans-I/O logic.

The transport (QWebSocket in the app, aiohttp in tests and the CLI) opens the socket, calls
`on_open`, feeds every text message to `on_message`, sends each `Outgoing` it gets back and
acts on the events. Nothing here touches a socket or a timer, so the whole protocol is
tested without either. Problems come with a kind (an enum): a transport decides what to tell
the user by the kind, never by the words of a message, which are for logs and may change.
When to ping and reconnect is app.push.keepalive.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum, StrEnum
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
from app.push.close_codes import CloseCode
from app.push.enrollment import PushEnrollment
from app.push.errors import ProtocolError, PushError
from app.push.keepalive import Backoff
from app.push.messages import (
    MAX_MESSAGE_BYTES,
    NUMBER_PATTERN,
    Challenge,
    Decision,
    Ending,
    Hello,
    Ready,
    Result,
    ServerMessage,
    Status,
    parse_server_message,
)

SEEN_LIMIT: Final = 4096

# How a request decided by the user ended; a `cancel` carrying one of these means another
# device of the same user answered it.
DECIDED_STATUSES = frozenset({Status.APPROVED, Status.DENIED, Status.FRAUD, Status.WRONG_NUMBER})


class ViolationKind(Enum):
    """What the server did wrong."""

    TOO_BIG = "too_big"  # a message over 64 KiB
    WHILE_CLOSED = "while_closed"  # a message after the session closed
    MALFORMED = "malformed"  # a message that does not parse
    OUT_OF_TURN = "out_of_turn"  # a message the handshake does not expect now
    BAD_SIGNATURE = "bad_signature"  # a hello not signed by the pinned server key

    @property
    def close_code(self) -> CloseCode:
        """The code to close with when the violation is fatal."""
        return CloseCode.TOO_BIG if self is ViolationKind.TOO_BIG else CloseCode.POLICY_VIOLATION


class DropReason(StrEnum):
    """Why a challenge was not shown; the value reads as words in a log."""

    BEFORE_READY = "challenge before ready"
    BAD_SIGNATURE = "not signed by the pinned server key"
    OTHER_ENROLLMENT = "for another site or account"
    ALREADY_SEEN = "already seen"
    EXPIRED = "already expired by the server's clock"


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

    @property
    def elsewhere(self) -> bool:
        """Whether another device of the user decided it."""
        return self.via == "cancel" and self.status in DECIDED_STATUSES


@dataclass(frozen=True)
class AnswerRejected:
    """The server judged our response `invalid`: it did not count, the prompt stays up."""

    challenge_id: str


@dataclass(frozen=True)
class ChallengeDropped:
    """A challenge was not shown, and why (never a user-facing prompt)."""

    challenge_id: str
    reason: DropReason


@dataclass(frozen=True)
class ProtocolViolation:
    """The server sent something wrong; when `fatal`, close the socket with `close_code`.

    `detail` says what, in words for a log or a terminal; decide by `kind`.
    """

    kind: ViolationKind
    detail: str
    fatal: bool

    @property
    def close_code(self) -> CloseCode:
        return self.kind.close_code


Event = (
    Connected
    | ChallengeReceived
    | ChallengeResolved
    | AnswerRejected
    | ChallengeDropped
    | ProtocolViolation
)
Action = Outgoing | Event


def _fatal(kind: ViolationKind, detail: str) -> list[Action]:
    return [ProtocolViolation(kind, detail, fatal=True)]


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
            return _fatal(ViolationKind.TOO_BIG, "message larger than 64 KiB")
        if self.state is State.CLOSED:
            return _fatal(ViolationKind.WHILE_CLOSED, "message while the session is closed")
        try:
            message = parse_server_message(raw)
        except ProtocolError as exc:
            fatal = self.state is State.AWAIT_HELLO
            return [ProtocolViolation(ViolationKind.MALFORMED, str(exc), fatal)]
        return self._dispatch(message, now)

    def _dispatch(self, message: ServerMessage, now: int) -> list[Action]:
        if isinstance(message, Hello):
            return self._on_hello(message, now)
        if self.state is State.AWAIT_HELLO:
            return _fatal(
                ViolationKind.OUT_OF_TURN, f"expected hello, got {type(message).__name__}"
            )
        if isinstance(message, Ready):
            return self._on_ready(message)
        if isinstance(message, Challenge):
            return self._on_challenge(message, now)
        return self._on_end(message)

    def _on_hello(self, hello: Hello, now: int) -> list[Action]:
        if self.state is not State.AWAIT_HELLO:
            return _fatal(ViolationKind.OUT_OF_TURN, "a second hello on one connection")
        if not verify(self._server_key, TAG_HELLO, hello.raw):
            return _fatal(
                ViolationKind.BAD_SIGNATURE, "hello is not signed by the pinned server key"
            )
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
            return _fatal(ViolationKind.OUT_OF_TURN, "ready out of turn")
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
            return [ChallengeDropped(challenge.id, DropReason.BEFORE_READY)]
        if not verify(self._server_key, TAG_CHALLENGE, challenge.raw):
            return [ChallengeDropped(challenge.id, DropReason.BAD_SIGNATURE)]
        if challenge.issuer != self.enrollment.issuer or challenge.user != self.enrollment.user:
            return [ChallengeDropped(challenge.id, DropReason.OTHER_ENROLLMENT)]
        if challenge.id in self._seen:
            return [ChallengeDropped(challenge.id, DropReason.ALREADY_SEEN)]
        self._remember(challenge.id)
        if self.server_now(now) >= challenge.expires_at:
            return [ChallengeDropped(challenge.id, DropReason.EXPIRED)]
        self._pending[challenge.id] = challenge
        local_expiry = challenge.expires_at - (self.server_offset or 0)
        return [ChallengeReceived(challenge, local_expiry)]

    def _on_end(self, message: Ending) -> list[Action]:
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
