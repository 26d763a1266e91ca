"""What the server says and decides on a device's socket: the signed hello, the auth, the
`ready` with every pending challenge, and the judging of the device's responses.

websocket.py carries the frames; this module owns their meaning. A response is judged
against the store's row (the device's own challenge, its signature, the challenge's hash)
and ends the challenge through ChallengeEnds, so every node's prompts and polls hear of it.
When the database is away, the socket stays: the response is judged again once it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import secrets
from typing import Final

from app.push.canonical import (
    TAG_HELLO,
    TAG_RESPONSE,
    TAG_WS_AUTH,
    b64u_encode,
    load_public_key,
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
from app.server.challenge_ends import ChallengeEnds
from app.server.errors import StoreUnavailable
from app.server.hub import Connection
from app.server.node import Node
from app.server.outgoing import message_text, ready_text, result_text
from app.server.store import DeviceRecord

log = logging.getLogger("keyfob.server")

# A response that came while the database was unavailable is judged again after these.
JUDGE_RETRY_FIRST: Final = 0.5
JUDGE_RETRY_MAX: Final = 5.0


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


class DeviceChannel:
    def __init__(self, node: Node, ends: ChallengeEnds) -> None:
        self.node = node
        self.ends = ends
        self._retries: set[asyncio.Task[None]] = set()  # responses waiting for the database
        self._closing = False

    def hello(self) -> tuple[bytes, str]:
        nonce = secrets.token_bytes(32)
        message = sign(
            self.node.server_key,
            TAG_HELLO,
            {
                "type": "hello",
                "v": PROTOCOL_VERSION,
                "nonce": b64u_encode(nonce),
                "server_time": self.node.now(),
            },
        )
        return nonce, message_text(message)

    async def authenticate(self, raw: str, nonce: bytes) -> DeviceRecord:
        """4401 for anything but a valid auth of a known device; 4403 for a revoked one."""
        try:
            message = parse_device_message(raw)
        except ProtocolError as exc:
            raise AuthRefused(CloseCode.AUTH_FAILED, "malformed auth") from exc
        if not isinstance(message, Auth):
            raise AuthRefused(CloseCode.AUTH_FAILED, "expected auth")
        try:
            device = await self.node.store.get_device(message.device_id)
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
        now = self.node.now()
        conn.send(ready_text(now))
        self.node.hub.add(conn)
        try:
            pending = await self.node.store.pending_challenges(conn.rp, conn.user, now)
        except StoreUnavailable:
            # `ready` promises every pending challenge: come back when they can be read.
            conn.close_soon(CloseCode.TRY_AGAIN_LATER, "database unavailable")
            return
        for challenge in pending:
            conn.send_challenge(challenge.id, challenge.payload)
        with contextlib.suppress(StoreUnavailable):  # last_seen only: not worth an error
            await self.node.store.touch_device(conn.device_id, now)

    async def detach(self, conn: Connection) -> None:
        # last_seen first: a device listed offline already shows when it was last seen.
        try:
            with contextlib.suppress(StoreUnavailable):  # last_seen only: not worth an error
                await self.node.store.touch_device(conn.device_id, self.node.now())
        finally:
            self.node.hub.remove(conn)

    async def on_message(self, conn: Connection, raw: str) -> None:
        try:
            message = parse_device_message(raw)
        except ProtocolMessageError as exc:
            if exc.message_type == "response" and exc.message_id is not None:
                log.info("invalid response from device %s: %s", conn.device_id, exc)
                conn.send(result_text(exc.message_id, Status.INVALID))
            else:
                log.info("ignored a malformed message from device %s", conn.device_id)
            return
        if isinstance(message, Response):
            try:
                status = await self._judge(conn, message)
            except StoreUnavailable:
                self._judge_later(conn, message)
                return
            conn.send(result_text(message.id, status))
        else:
            log.info("ignored a second auth from device %s", conn.device_id)

    def shutdown(self) -> None:
        """The server is stopping: responses still waiting for the database are dropped
        (their devices show the prompt as sent, and see it again after reconnecting)."""
        self._closing = True
        for task in self._retries:
            task.cancel()

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
                conn.send(result_text(response.id, status))
                return

        task = asyncio.get_running_loop().create_task(retry())
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _judge(self, conn: Connection, response: Response) -> Status:
        """A response's result: `invalid` if a check fails, else the challenge's status."""
        challenge = await self.node.store.get_challenge(response.id)
        device = await self.node.store.get_device(conn.device_id)
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
        now = self.node.now()
        if rules.is_due(challenge.expires_at, now):
            outcome = await self.ends.finish(challenge, Status.EXPIRED, challenge.expires_at, None)
        else:
            status = rules.decision_status(
                response.decision, challenge.number_matching, challenge.number, response.number
            )
            # The answering socket knows how it ended: it gets its `result`, no `cancel`.
            outcome = await self.ends.finish(challenge, status, now, device.id, conn)
        return challenge.status if outcome is None else outcome.challenge.status
