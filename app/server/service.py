"""The push server's rules, apart from HTTP and websocket plumbing.

Enrollment, challenges, responses, expiry and push-fatigue rules live here; the HTTP layer
turns requests into calls, the websocket layer turns device messages into calls, and the
store keeps the state. Times are whole seconds from the injectable clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets
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
from app.push.errors import ProtocolError
from app.push.messages import (
    PROTOCOL_VERSION,
    Auth,
    Decision,
    ProtocolMessageError,
    Response,
    Status,
    parse_device_message,
)
from app.server.clock import Clock
from app.server.config import WS_PATH, Limits
from app.server.errors import ApiError, too_many
from app.server.hub import Connection, Hub
from app.server.keys import hash_api_key
from app.server.store import (
    ChallengeRecord,
    CreateKind,
    DeviceRecord,
    EnrollmentRecord,
    FinishOutcome,
    Store,
)
from app.server.validation import ChallengeRequest, EnrollmentRequest, RegistrationRequest, no_such

log = logging.getLogger("keyfob.server")

BACKOFF_BASE: Final = 10
BACKOFF_CAP: Final = 3600
CLOSE_AUTH_FAILED: Final = 4401
CLOSE_REVOKED: Final = 4403
PRUNE_EVERY: Final = 3600.0


def backoff_seconds(strikes: int) -> int:
    """10 s after the first bad ending, doubling with each one after, up to an hour."""
    if strikes <= 0:
        return 0
    return int(min(BACKOFF_CAP, BACKOFF_BASE * 2 ** min(strikes - 1, 16)))


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

    def __init__(self, code: int, reason: str, *, failed: bool = True) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.failed = failed  # counts against the address's failed-auth limit


class PushService:
    def __init__(
        self,
        store: Store,
        server_key: Ed25519PrivateKey,
        clock: Clock,
        hub: Hub,
        limits: Limits,
    ) -> None:
        self.store = store
        self.server_key = server_key
        self.server_public_key = public_key_bytes(server_key)
        self.clock = clock
        self.hub = hub
        self.limits = limits
        self._waiters: dict[str, asyncio.Event] = {}
        self._last_prune = 0.0
        self._closing = False

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
            raise ApiError(
                401,
                "unauthorized",
                "Send a valid API key as `Authorization: Bearer <key>` "
                "(make one with `keyfob-server apikey create NAME`).",
                headers={"WWW-Authenticate": 'Bearer realm="keyfob-server"'},
            )
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
            raise no_such("enrollment")
        if record.device_id is not None:
            return {"id": record.id, "status": "completed", "device_id": record.device_id}
        status = "expired" if self.now() >= record.expires_at else "pending"
        return {"id": record.id, "status": status}

    async def register_device(
        self, request: RegistrationRequest, base_url: str
    ) -> tuple[int, dict[str, object]]:
        """Checks in the protocol's order: 404, 401 secret, 409 used, 410, 401 signature."""
        record = await self.store.get_enrollment(request.eid)
        if record is None:
            raise ApiError(404, "not_found", "No such enrollment; ask the site for a new code.")
        given = hashlib.sha256(request.secret or b"").digest()
        if request.secret is None or not hmac.compare_digest(given, record.secret_hash):
            raise ApiError(401, "wrong_secret", "The enrollment secret is wrong.")
        if record.device_id is not None:
            return self._registration_retry(record, request)
        now = self.now()
        if now >= record.expires_at:
            raise ApiError(410, "expired", "This enrollment has expired; ask for a new code.")
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise ApiError(401, "bad_signature", "The registration is not signed by device_key.")
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
            raise ApiError(409, "already_used", "This enrollment has already been used.")
        if not hmac.compare_digest(record.device_key, request.device_key):
            raise ApiError(409, "already_used", "This enrollment has already been used.")
        if not verify(load_public_key(request.device_key), TAG_REGISTER, request.raw):
            raise ApiError(401, "bad_signature", "The registration is not signed by device_key.")
        return 200, loads_object(record.answer)

    async def create_challenge(self, rp: str, request: ChallengeRequest) -> dict[str, object]:
        """Refusals in the protocol's order: (400 before this), 404, 423, 429, 429."""
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
        outcome = await self.store.create_challenge(record, backoff_seconds)
        for stale in outcome.expired:
            self._announce(stale, None)
        retry = (outcome.retry_at or now) - now
        if outcome.kind is CreateKind.NO_DEVICE:
            raise ApiError(404, "no_device", "This user has no enrolled device; enroll one first.")
        if outcome.kind is CreateKind.BLOCKED:
            raise ApiError(
                423,
                "blocked",
                "Pushes to this user are blocked after a sign-in was reported as fraud; "
                "call POST /v1/users/{user}/unblock once it is sorted out.",
            )
        if outcome.kind is CreateKind.PENDING:
            raise too_many("challenge_pending", "This user already has a pending challenge.", retry)
        if outcome.kind is CreateKind.BACKOFF:
            raise too_many(
                "backoff",
                "Too many unanswered or refused pushes for this user; offer a code meanwhile.",
                retry,
            )
        for conn in self.hub.for_user(rp, request.user):
            conn.send_challenge(challenge_id, record.payload)
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
            raise no_such("challenge")
        if challenge.status is Status.PENDING and self.now() >= challenge.expires_at:
            outcome = await self._finish(challenge, Status.EXPIRED, challenge.expires_at, None)
            if outcome is not None:
                challenge = outcome.challenge
        return challenge

    async def challenge_status(self, rp: str, challenge_id: str, wait: int) -> dict[str, object]:
        """Long poll: answer once the status is final or `wait` seconds have passed."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            # Take the event before reading, so an ending between the two is not missed.
            event = self._waiters.setdefault(challenge_id, asyncio.Event())
            challenge = await self._current(rp, challenge_id)
            remaining = deadline - loop.time()
            if challenge.status is not Status.PENDING or remaining <= 0 or self._closing:
                return status_body(challenge)
            until_expiry = challenge.expires_at - self.clock.now()
            timeout = min(remaining, max(0.05, until_expiry + 0.05))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), timeout)

    async def cancel_challenge(self, rp: str, challenge_id: str) -> dict[str, object]:
        challenge = await self._current(rp, challenge_id)
        outcome = await self._finish(challenge, Status.CANCELLED, self.now(), None)
        if outcome is not None and outcome.changed:
            return status_body(outcome.challenge)
        final = outcome.challenge if outcome is not None else challenge
        raise ApiError(
            409,
            "already_final",
            f"The challenge has already ended ({final.status.value}).",
            extra={"status": final.status.value},
        )

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
            raise no_such("device")
        for conn in self.hub.for_device(device_id):
            conn.close_soon(CLOSE_REVOKED, "device revoked")
        log.info("device %s of %s revoked", device_id, rp)
        return {"device_id": device_id, "revoked": True}

    async def unblock(self, rp: str, user: str) -> dict[str, object]:
        await self.store.unblock(rp, user)
        log.info("pushes unblocked for a user of %s", rp)
        return {"user": user, "blocked": False}

    def shutdown(self) -> None:
        """The server is stopping: long polls answer now instead of holding it up."""
        self._closing = True
        for event in self._waiters.values():
            event.set()
        self._waiters.clear()

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
            challenge.id, status, decided_at, device_id, backoff_seconds
        )
        if outcome is not None and outcome.changed:
            self._announce(outcome.challenge, exclude)
        return outcome

    def _announce(self, challenge: ChallengeRecord, exclude: Connection | None) -> None:
        """A challenge ended: take its prompt down everywhere and wake its long polls."""
        message = _text({"type": "cancel", "id": challenge.id, "status": challenge.status.value})
        for conn in self.hub.for_user(challenge.rp, challenge.user):
            if conn is exclude:
                conn.sent_challenges.add(challenge.id)
            else:
                conn.end_challenge(challenge.id, message)
        event = self._waiters.pop(challenge.id, None)
        if event is not None:
            event.set()
        log.info("challenge %s ended %s", challenge.id, challenge.status.value)

    async def sweep(self) -> int:
        """Expire what is due (and, now and then, forget what is long over)."""
        now = self.now()
        expired = await self.store.expire_due(now, backoff_seconds)
        for challenge in expired:
            self._announce(challenge, None)
        if now - self._last_prune >= PRUNE_EVERY:
            self._last_prune = now
            await self.store.prune(now - self.limits.retention_seconds)
        return len(expired)

    async def run_sweeper(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("expiring challenges failed; trying again")
            await asyncio.sleep(self.limits.sweep_interval)

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
            raise AuthRefused(CLOSE_AUTH_FAILED, "malformed auth") from exc
        if not isinstance(message, Auth):
            raise AuthRefused(CLOSE_AUTH_FAILED, "expected auth")
        device = await self.store.get_device(message.device_id)
        if device is None:
            raise AuthRefused(CLOSE_AUTH_FAILED, "unknown device")
        if not hmac.compare_digest(message.nonce, nonce):
            raise AuthRefused(CLOSE_AUTH_FAILED, "wrong nonce")
        if not verify(load_public_key(device.public_key), TAG_WS_AUTH, message.raw):
            raise AuthRefused(CLOSE_AUTH_FAILED, "bad signature")
        if device.revoked_at is not None:
            raise AuthRefused(CLOSE_REVOKED, "device revoked", failed=False)
        return device

    async def attach(self, conn: Connection) -> None:
        """An authenticated socket: `ready`, then every pending challenge of its user."""
        now = self.now()
        conn.send(_text({"type": "ready", "server_time": now}))
        self.hub.add(conn)
        for challenge in await self.store.pending_challenges(conn.rp, conn.user, now):
            conn.send_challenge(challenge.id, challenge.payload)
        await self.store.touch_device(conn.device_id, now)

    async def detach(self, conn: Connection) -> None:
        self.hub.remove(conn)
        await self.store.touch_device(conn.device_id, self.now())

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
            status = await self._judge(conn, message)
            conn.send(self._result(message.id, status))
        else:
            log.info("ignored a second auth from device %s", conn.device_id)

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
        if now >= challenge.expires_at:
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
        if response.decision is Decision.DENY:
            return Status.DENIED
        if response.decision is Decision.FRAUD:
            return Status.FRAUD
        if not challenge.number_matching:
            return Status.APPROVED
        expected = (challenge.number or "").encode()
        given = (response.number or "").encode("utf-8", "surrogatepass")
        if response.number is None or not hmac.compare_digest(given, expected):
            return Status.WRONG_NUMBER
        return Status.APPROVED
