"""The push server's rules, apart from HTTP and websocket plumbing.

Enrollment, challenges, responses and expiry are driven from here; the HTTP layer turns
requests into calls, the websocket layer turns device messages into calls, the store keeps
the state and rules.py decides. Refusals are domain errors (errors.py); only the HTTP layer
gives them statuses. Times are whole seconds from the injectable clock.

Several nodes may share one store: this node delivers what it makes to the sockets it holds
at once, and acts on other nodes' notices (notify.py) by reading the rows they name.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
from collections import OrderedDict
from collections.abc import Mapping
from typing import Final
from urllib.parse import quote

from app.push.canonical import (
    TAG_CHALLENGE,
    TAG_HELLO,
    TAG_REGISTER,
    TAG_REGISTERED,
    TAG_RESPONSE,
    TAG_WS_AUTH,
    Ed25519PrivateKey,
    b64u_encode,
    canonical,
    digest,
    load_public_key,
    loads_object,
    public_key_bytes,
    sign,
    verify,
)
from app.push.close_codes import CloseCode
from app.push.errors import ProtocolError
from app.push.messages import (
    PROTOCOL_VERSION,
    Auth,
    ProtocolMessageError,
    Response,
    Status,
    parse_device_message,
)
from app.server import rules
from app.server.clock import Clock
from app.server.config import WS_PATH, Limits
from app.server.errors import (
    AlreadyFinal,
    Backoff,
    BadSignature,
    Blocked,
    ChallengePending,
    EnrollmentExpired,
    EnrollmentUsed,
    NoDevice,
    NotFound,
    StoreUnavailable,
    TooManyChallenges,
    Unauthorized,
    UnknownEnrollment,
    WrongSecret,
)
from app.server.hub import Connection, Hub
from app.server.keys import hash_api_key
from app.server.metrics import Metrics
from app.server.notify import LocalNotifier, Notice, NoticeKind, Notifier
from app.server.rules import CreateKind, FatiguePolicy, RegistrationStep
from app.server.store import (
    ChallengeRecord,
    DeviceRecord,
    EnrollmentRecord,
    FinishOutcome,
    Store,
)
from app.server.validation import ChallengeRequest, EnrollmentRequest, RegistrationRequest

log = logging.getLogger("keyfob.server")

PRUNE_EVERY: Final = 3600.0
# A response that came while the database was unavailable is judged again after these.
JUDGE_RETRY_FIRST: Final = 0.5
JUDGE_RETRY_MAX: Final = 5.0
READY_TIMEOUT: Final = 2.0
# How long this node remembers how a challenge ended, for long polls that catch up with it.
RECENT_ENDS: Final = 10.0


def _new_id(prefix: str) -> str:
    return prefix + secrets.token_urlsafe(16)


def _text(message: Mapping[str, object]) -> str:
    return canonical(message).decode()


def ws_url_for(base_url: str) -> str:
    if base_url.startswith("https://"):
        return "wss://" + base_url[len("https://") :] + WS_PATH
    return "ws://" + base_url.removeprefix("http://") + WS_PATH


def status_body(challenge: ChallengeRecord) -> dict[str, object]:
    """What the RP reads about a challenge: never the number, never `invalid`."""
    body: dict[str, object] = {"id": challenge.id, "status": challenge.status.value}
    if challenge.status is not Status.PENDING:
        if challenge.decided_at is not None:
            body["decided_at"] = challenge.decided_at
        if challenge.device_id is not None:
            body["device_id"] = challenge.device_id
    return body


class AuthRefused(Exception):
    """A device's websocket auth failed: close with `code`."""

    def __init__(
        self, code: int, reason: str, *, failed: bool = True, device_id: str | None = None
    ) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.failed = failed  # counts against the address's failed-auth limit
        self.device_id = device_id  # the known device it claimed, counted on its own first


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
        # Long polls waiting on a pending challenge: one event each, removed when it returns.
        self._waiters: dict[str, set[asyncio.Event]] = {}
        # Challenges that ended lately (final rows, as read or written): a poll woken by an
        # end, or registered just after one, answers from here instead of reading again.
        self._recent_ends: OrderedDict[str, tuple[float, ChallengeRecord]] = OrderedDict()
        self._background: set[asyncio.Task[None]] = set()
        self._last_prune = 0.0
        self._closing = False
        self._resync_wanted = False

    def now(self) -> int:
        return int(self.clock.now())

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
        now = self.now()
        eid = _new_id("e_")
        secret = secrets.token_bytes(32)
        record = EnrollmentRecord(
            id=eid,
            rp=rp,
            user=request.user,
            secret_hash=hashlib.sha256(secret).digest(),
            created_at=now,
            expires_at=now + request.ttl,
        )
        await self.store.add_enrollment(record)
        params = {
            "v": str(PROTOCOL_VERSION),
            "url": base_url,
            "eid": eid,
            "secret": b64u_encode(secret),
            "spk": b64u_encode(self.server_public_key),
            "issuer": rp,
            "user": request.user,
        }
        uri = "keyfob://enroll?" + "&".join(
            f"{name}={quote(value, safe='')}" for name, value in params.items()
        )
        log.info("enrollment %s made for a user of %s", eid, rp)
        return {"id": eid, "uri": uri, "expires_at": record.expires_at}

    async def enrollment_status(self, rp: str, enrollment_id: str) -> dict[str, object]:
        record = await self.store.get_enrollment(enrollment_id)
        if record is None or record.rp != rp:
            raise NotFound("enrollment")
        if record.device_id is not None:
            return {"id": record.id, "status": "completed", "device_id": record.device_id}
        status = "expired" if self.now() >= record.expires_at else "pending"
        return {"id": record.id, "status": status}

    async def register_device(
        self, request: RegistrationRequest, base_url: str
    ) -> tuple[int, dict[str, object]]:
        """Checks in the protocol's order: 404, 401 secret, 409 used, 410, 401 signature."""
        record = await self.store.get_enrollment(request.eid)
        given = hashlib.sha256(request.secret or b"").digest()
        now = self.now()
        step = rules.registration_step(
            found=record is not None,
            secret_ok=record is not None
            and request.secret is not None
            and hmac.compare_digest(given, record.secret_hash),
            used=record is not None and record.device_id is not None,
            expires_at=0 if record is None else record.expires_at,
            now=now,
        )
        if step is RegistrationStep.UNKNOWN:
            raise UnknownEnrollment
        if step is RegistrationStep.MISMATCH:
            raise WrongSecret
        assert record is not None
        if step is RegistrationStep.USED:
            return self._registration_retry(record, request)
        if step is RegistrationStep.EXPIRED:
            raise EnrollmentExpired
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise BadSignature
        device_id = _new_id("d_")
        answer = _text(
            sign(
                self.server_key,
                TAG_REGISTERED,
                {
                    "device_id": device_id,
                    "ws_url": ws_url_for(base_url),
                    "issuer": record.rp,
                    "user": record.user,
                    "server_time": now,
                },
            )
        )
        device = DeviceRecord(
            id=device_id,
            rp=record.rp,
            user=record.user,
            name=request.name,
            public_key=request.device_key,
            enrolled_at=now,
        )
        if not await self.store.complete_enrollment(record.id, device, answer):
            # Another request used it first: answer as to any later request.
            current = await self.store.get_enrollment(record.id)
            assert current is not None
            return self._registration_retry(current, request)
        log.info("device %s enrolled for a user of %s", device_id, record.rp)
        return 201, loads_object(answer)

    def _registration_retry(
        self, record: EnrollmentRecord, request: RegistrationRequest
    ) -> tuple[int, dict[str, object]]:
        """The same key again after a lost answer gets that answer; any other key, 409."""
        if record.device_key is None or record.answer is None:
            raise EnrollmentUsed
        if not hmac.compare_digest(record.device_key, request.device_key):
            raise EnrollmentUsed
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise BadSignature
        return 200, loads_object(record.answer)

    async def create_challenge(self, rp: str, request: ChallengeRequest) -> dict[str, object]:
        """Refusals in the protocol's order: (400 before this), 404, 423, 429 pending,
        429 backoff, 429 too many in a row."""
        arrived = asyncio.get_running_loop().time()
        now = self.now()
        challenge_id = _new_id("c_")
        number = f"{secrets.randbelow(100):02d}" if request.number_matching else None
        message = sign(
            self.server_key,
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
            payload=_text(message),
            payload_hash=digest(TAG_CHALLENGE, message),
        )
        outcome = await self.store.create_challenge(record, self.policy)
        for stale in outcome.expired:
            self._ended_here(stale)
        retry = (outcome.retry_at or now) - now
        if outcome.kind is not CreateKind.CREATED:
            self.metrics.challenges_refused.labels(outcome.kind.value).inc()
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
        self.metrics.challenges_created.inc()
        for conn in self.hub.for_user(rp, request.user):
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

    async def _current(self, rp: str, challenge_id: str) -> ChallengeRecord:
        """A challenge of this RP, expired on the spot if its time is up."""
        challenge = await self.store.get_challenge(challenge_id)
        if challenge is None or challenge.rp != rp:
            raise NotFound("challenge")
        if challenge.status is Status.PENDING and rules.is_due(challenge.expires_at, self.now()):
            outcome = await self._finish(challenge, Status.EXPIRED, challenge.expires_at, None)
            if outcome is not None:
                challenge = outcome.challenge
        return challenge

    async def challenge_status(self, rp: str, challenge_id: str, wait: int) -> dict[str, object]:
        """Long poll: answer once the status is final or `wait` seconds have passed.

        Only a poll on a pending challenge of this site waits, on an event of its own that
        is gone when it returns, however it returns."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        challenge = await self._current(rp, challenge_id)
        if challenge.status is not Status.PENDING or wait <= 0 or self._closing:
            return status_body(challenge)
        event = asyncio.Event()
        waiting = self._waiters.setdefault(challenge_id, set())
        waiting.add(event)
        try:
            while True:
                # An end announced since the read (before the event was in place) or since
                # the wake-up is here; any other wake-up (its expiry, a re-read after a
                # lost listener) reads the row again.
                ended = self._recent_ends.get(challenge_id)
                if ended is not None:
                    return status_body(ended[1])
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing:
                    return status_body(challenge)
                until_expiry = challenge.expires_at - self.clock.now()
                timeout = min(remaining, max(0.05, until_expiry + 0.05))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), timeout)
                event.clear()
                if challenge_id not in self._recent_ends:
                    challenge = await self._current(rp, challenge_id)
                    if challenge.status is not Status.PENDING:
                        return status_body(challenge)
        finally:
            waiting.discard(event)
            if not waiting and self._waiters.get(challenge_id) is waiting:
                del self._waiters[challenge_id]

    def waiting_polls(self) -> dict[str, int]:
        """The long polls waiting now: how many on each challenge."""
        return {challenge_id: len(events) for challenge_id, events in self._waiters.items()}

    async def cancel_challenge(self, rp: str, challenge_id: str) -> dict[str, object]:
        challenge = await self._current(rp, challenge_id)
        outcome = await self._finish(challenge, Status.CANCELLED, self.now(), None)
        if outcome is not None and outcome.changed:
            return status_body(outcome.challenge)
        final = outcome.challenge if outcome is not None else challenge
        raise AlreadyFinal(final.status.value)

    async def list_devices(self, rp: str, user: str) -> list[dict[str, object]]:
        now = self.now()
        devices = await self.store.list_devices(rp, user)
        result: list[dict[str, object]] = []
        for device in devices:
            online = self.hub.is_online(device.id)
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

    async def revoke_device(self, rp: str, device_id: str) -> dict[str, object]:
        device = await self.store.revoke_device(rp, device_id, self.now())
        if device is None:
            raise NotFound("device")
        for conn in self.hub.for_device(device_id):
            conn.close_soon(CloseCode.REVOKED, "device revoked")
        log.info("device %s of %s revoked", device_id, rp)
        return {"device_id": device_id, "revoked": True}

    async def unblock(self, rp: str, user: str) -> dict[str, object]:
        await self.store.unblock(rp, user)
        log.info("pushes unblocked for a user of %s", rp)
        return {"user": user, "blocked": False}

    def shutdown(self) -> None:
        """The server is stopping: long polls answer now instead of holding it up."""
        self._closing = True
        self._wake_all()
        for task in self._background:
            task.cancel()

    def _wake_all(self) -> None:
        for events in self._waiters.values():
            for event in events:
                event.set()

    # -- ending challenges -----------------------------------------------------------------

    async def _finish(
        self,
        challenge: ChallengeRecord,
        status: Status,
        decided_at: int,
        device_id: str | None,
        exclude: Connection | None = None,
    ) -> FinishOutcome | None:
        outcome = await self.store.finish_challenge(
            challenge.id, status, decided_at, device_id, self.policy
        )
        if outcome is not None and outcome.changed:
            self._ended_here(outcome.challenge, exclude)
        return outcome

    def _ended_here(self, challenge: ChallengeRecord, exclude: Connection | None = None) -> None:
        """This node ended a challenge: count it and tell everyone here."""
        self.metrics.challenges_ended.labels(challenge.status.value).inc()
        self._announce(challenge, exclude)
        log.info("challenge %s ended %s", challenge.id, challenge.status.value)

    def _announce(self, challenge: ChallengeRecord, exclude: Connection | None = None) -> None:
        """A challenge ended: take its prompt down on this node's sockets and wake the long
        polls waiting on it here."""
        message = _text({"type": "cancel", "id": challenge.id, "status": challenge.status.value})
        for conn in self.hub.for_user(challenge.rp, challenge.user):
            if conn is exclude:
                conn.mark_ended(challenge.id)
            else:
                conn.end_challenge(challenge.id, message)
        self._remember_end(challenge)
        for event in self._waiters.get(challenge.id, ()):
            event.set()

    def _remember_end(self, challenge: ChallengeRecord) -> None:
        now = asyncio.get_running_loop().time()
        self._recent_ends[challenge.id] = (now, challenge)
        self._recent_ends.move_to_end(challenge.id)
        while self._recent_ends:
            then, _ = next(iter(self._recent_ends.values()))
            if now - then <= RECENT_ENDS:
                break
            self._recent_ends.popitem(last=False)

    async def sweep(self) -> int:
        """Expire what is due (and, now and then, forget what is long over)."""
        now = self.now()
        if self._resync_wanted:
            self._resync_wanted = False
            await self.resync()
        expired = await self.store.expire_due(now, self.policy)
        for challenge in expired:
            self._ended_here(challenge)
        if now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            await self.store.prune(now - self.limits.retention_seconds)
        return len(expired)

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except StoreUnavailable:
                self._resync_wanted = True  # the store logged it; catch up once it is back
            except Exception:
                log.exception("expiring challenges failed; trying again")
            await asyncio.sleep(self.limits.sweep_interval)

    # -- other nodes -----------------------------------------------------------------------

    async def on_notice(self, notice: Notice) -> None:
        """Another node changed something: read the row it names and act on what it says."""
        if notice.origin == self.node_id:
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
        if not len(self.hub):
            return
        arrived = asyncio.get_running_loop().time()
        challenge = await self.store.get_challenge(challenge_id)
        if challenge is None or challenge.status is not Status.PENDING:
            return
        for conn in self.hub.for_user(challenge.rp, challenge.user):
            conn.send_challenge(challenge.id, challenge.payload, since=arrived)

    async def _end_remote(self, challenge_id: str) -> None:
        if not len(self.hub) and challenge_id not in self._waiters:
            return
        challenge = await self.store.get_challenge(challenge_id)
        if challenge is not None and challenge.status is not Status.PENDING:
            self._announce(challenge)

    async def _revoke_remote(self, device_id: str) -> None:
        conns = self.hub.for_device(device_id)
        if not conns:
            return
        device = await self.store.get_device(device_id)
        if device is not None and device.revoked_at is not None:
            for conn in conns:
                conn.close_soon(CloseCode.REVOKED, "device revoked")

    async def resync(self) -> None:
        """Notices may have been missed (the listener was away, the store was down): read
        what is pending for every device held here and what became of the prompts they
        show, and wake every long poll to read its challenge again."""
        now = self.now()
        conns = self.hub.all()
        pending = await self.store.pending_for_users(self.hub.users(), now)
        by_user: dict[tuple[str, str], list[ChallengeRecord]] = {}
        for challenge in pending:
            by_user.setdefault((challenge.rp, challenge.user), []).append(challenge)
        for conn in conns:
            for challenge in by_user.get((conn.rp, conn.user), ()):
                conn.send_challenge(challenge.id, challenge.payload)
        pending_ids = {challenge.id for challenge in pending}
        shown = {cid for conn in conns for cid in conn.open_prompts()} - pending_ids
        if shown:
            for challenge in await self.store.get_challenges(sorted(shown)):
                if challenge.status is not Status.PENDING:
                    self._announce(challenge)
        self._wake_all()

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

    # -- devices ---------------------------------------------------------------------------

    def hello(self) -> tuple[bytes, str]:
        nonce = secrets.token_bytes(32)
        message = sign(
            self.server_key,
            TAG_HELLO,
            {
                "type": "hello",
                "v": PROTOCOL_VERSION,
                "nonce": b64u_encode(nonce),
                "server_time": self.now(),
            },
        )
        return nonce, _text(message)

    async def authenticate_device(self, raw: str, nonce: bytes) -> DeviceRecord:
        """4401 for anything but a valid auth of a known device; 4403 for a revoked one."""
        try:
            message = parse_device_message(raw)
        except ProtocolError as exc:
            raise AuthRefused(CloseCode.AUTH_FAILED, "malformed auth") from exc
        if not isinstance(message, Auth):
            raise AuthRefused(CloseCode.AUTH_FAILED, "expected auth")
        try:
            device = await self.store.get_device(message.device_id)
        except StoreUnavailable as exc:
            # Not the device's fault: no failure counted; it reconnects after its backoff.
            raise AuthRefused(
                CloseCode.TRY_AGAIN_LATER, "database unavailable", failed=False
            ) from exc
        if device is None:
            raise AuthRefused(CloseCode.AUTH_FAILED, "unknown device")
        if not hmac.compare_digest(message.nonce, nonce):
            raise AuthRefused(CloseCode.AUTH_FAILED, "wrong nonce", device_id=device.id)
        if not verify(load_public_key(device.public_key), TAG_WS_AUTH, message.raw):
            raise AuthRefused(CloseCode.AUTH_FAILED, "bad signature", device_id=device.id)
        if device.revoked_at is not None:
            raise AuthRefused(CloseCode.REVOKED, "device revoked", failed=False)
        return device

    async def attach(self, conn: Connection) -> None:
        """An authenticated socket: `ready`, then every pending challenge of its user."""
        now = self.now()
        conn.send(_text({"type": "ready", "server_time": now}))
        self.hub.add(conn)
        try:
            pending = await self.store.pending_challenges(conn.rp, conn.user, now)
        except StoreUnavailable:
            # `ready` promises every pending challenge: come back when they can be read.
            conn.close_soon(CloseCode.TRY_AGAIN_LATER, "database unavailable")
            return
        for challenge in pending:
            conn.send_challenge(challenge.id, challenge.payload)
        with contextlib.suppress(StoreUnavailable):  # last_seen only: not worth an error
            await self.store.touch_device(conn.device_id, now)

    async def detach(self, conn: Connection) -> None:
        # last_seen first: a device listed offline already shows when it was last seen.
        try:
            with contextlib.suppress(StoreUnavailable):  # last_seen only: not worth an error
                await self.store.touch_device(conn.device_id, self.now())
        finally:
            self.hub.remove(conn)

    async def on_device_message(self, conn: Connection, raw: str) -> None:
        try:
            message = parse_device_message(raw)
        except ProtocolMessageError as exc:
            if exc.message_type == "response" and exc.message_id is not None:
                log.info("invalid response from device %s: %s", conn.device_id, exc)
                conn.send(self._result(exc.message_id, Status.INVALID))
            else:
                log.info("ignored a malformed message from device %s", conn.device_id)
            return
        if isinstance(message, Response):
            try:
                status = await self._judge(conn, message)
            except StoreUnavailable:
                self._judge_later(conn, message)
                return
            conn.send(self._result(message.id, status))
        else:
            log.info("ignored a second auth from device %s", conn.device_id)

    def _judge_later(self, conn: Connection, response: Response) -> None:
        """The database is away: keep the socket, and judge the response once it is back
        (the device shows the prompt as sent until its `result` comes)."""

        async def retry() -> None:
            delay = JUDGE_RETRY_FIRST
            while not conn.closing and not self._closing:
                await asyncio.sleep(delay)
                delay = min(JUDGE_RETRY_MAX, delay * 2)
                try:
                    status = await self._judge(conn, response)
                except StoreUnavailable:
                    continue
                conn.send(self._result(response.id, status))
                return

        task = asyncio.get_running_loop().create_task(retry())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    def _result(challenge_id: str, status: Status) -> str:
        return _text({"type": "result", "id": challenge_id, "status": status.value})

    async def _judge(self, conn: Connection, response: Response) -> Status:
        """A response's result: `invalid` if a check fails, else the challenge's status."""
        challenge = await self.store.get_challenge(response.id)
        device = await self.store.get_device(conn.device_id)
        if (
            challenge is None
            or device is None
            or device.revoked_at is not None
            or (challenge.rp, challenge.user) != (device.rp, device.user)
        ):
            log.info("invalid response from device %s: not its challenge", conn.device_id)
            return Status.INVALID
        if not verify(load_public_key(device.public_key), TAG_RESPONSE, response.raw):
            log.info("invalid response from device %s: bad signature", conn.device_id)
            return Status.INVALID
        if not hmac.compare_digest(response.challenge_hash, challenge.payload_hash):
            log.info("invalid response from device %s: wrong challenge_hash", conn.device_id)
            return Status.INVALID
        if challenge.status is not Status.PENDING:
            return challenge.status
        now = self.now()
        if rules.is_due(challenge.expires_at, now):
            status, decided_at, device_id, exclude = (
                Status.EXPIRED,
                challenge.expires_at,
                None,
                None,
            )
        else:
            status, decided_at, device_id, exclude = (
                self._decide(challenge, response),
                now,
                device.id,
                conn,
            )
        outcome = await self._finish(challenge, status, decided_at, device_id, exclude)
        return challenge.status if outcome is None else outcome.challenge.status

    @staticmethod
    def _decide(challenge: ChallengeRecord, response: Response) -> Status:
        return rules.decision_status(
            response.decision, challenge.number_matching, challenge.number, response.number
        )
