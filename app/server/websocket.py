"""The device websocket: hello, auth within the deadline, ready, then messages both ways.

Close codes: 4401 bad, unknown or late auth; 4403 revoked device; 1009 a message over
64 KiB (aiohttp's reader enforces it); 1003 a binary message; 1001 a peer silent after a ping.

Upgrades that carry an `Origin` header come from a web page (browsers always send one, the
app and the CLI never do) and are refused: no site may drive a device's socket. Failed auths
never lock an address out: they are counted per (address, device) and per address, and an
address over its budget only gets its hello later, so a device with a valid signature behind
a noisy NAT still connects.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Final

from aiohttp import WSMsgType, web

from app.push.close_codes import CloseCode
from app.server.config import Limits
from app.server.device_channel import AuthRefused
from app.server.errors import ApiError, too_many
from app.server.hub import Connection
from app.server.ratelimit import ConnectionCounts, FailureCounts
from app.server.request_context import request_limit_key
from app.server.service import PushService
from app.server.stats import ServerStats

log = logging.getLogger("keyfob.server.ws")

FULL_RETRY_AFTER: Final = 5


@dataclass
class _Activity:
    last_rx: float = 0.0


@dataclass
class DeviceSockets:
    service: PushService
    limits: Limits
    stats: ServerStats
    counts: ConnectionCounts = field(init=False)
    failed_auths: FailureCounts = field(init=False)
    sockets: set[web.WebSocketResponse] = field(default_factory=set)
    slowed_handshakes: int = 0  # hellos held back because the address was over its budget

    def __post_init__(self) -> None:
        self.counts = ConnectionCounts(self.limits.sockets_per_ip)
        self.failed_auths = FailureCounts(
            self.limits.subject_failure_burst,
            self.limits.subject_failures_per_second,
            self.limits.failed_auth_burst,
            self.limits.failed_auths_per_second,
        )

    async def handle(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(
            max_msg_size=self.limits.max_message_bytes + 1,  # aiohttp refuses size >= limit
            autoping=False,
            compress=False,
            timeout=5.0,
        )
        if not ws.can_prepare(request).ok:
            raise ApiError(
                400, "not_websocket", "This is the device websocket; open it as a websocket."
            )
        if "Origin" in request.headers:
            raise ApiError(
                403,
                "browser_origin",
                "The device websocket is for the Keyfob app, not for web pages.",
            )
        address = request_limit_key(request)
        if not self.counts.try_open(address):
            raise too_many(
                "too_many_connections",
                "Too many open device connections from this address.",
                FULL_RETRY_AFTER,
            )
        try:
            wait = self.failed_auths.address_delay(address)
            if wait > 0:
                # Unauthenticated noise from this address: slow it down, refuse nobody.
                self.slowed_handshakes += 1
                await asyncio.sleep(min(wait, self.limits.slowdown_cap))
            await ws.prepare(request)
            self.sockets.add(ws)
            await self._session(ws, address)
        except ConnectionError:
            pass
        except Exception:
            self.stats.unexpected_errors += 1
            log.exception("unexpected error on a device socket")
            with contextlib.suppress(Exception):
                await ws.close(code=CloseCode.INTERNAL_ERROR, message=b"internal error")
        finally:
            self.sockets.discard(ws)
            self.counts.close(address)
            self.stats.device_sockets_closed += 1
        return ws

    async def _receive_auth(self, ws: web.WebSocketResponse, address: str) -> str | None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.limits.auth_timeout
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                msg = await ws.receive(timeout=remaining)
            except TimeoutError:
                self.failed_auths.failed(address)
                await ws.close(code=CloseCode.AUTH_FAILED, message=b"auth timeout")
                return None
            if msg.type is WSMsgType.TEXT:
                return str(msg.data)
            if msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is WSMsgType.BINARY:
                self.failed_auths.failed(address)
                await ws.close(code=CloseCode.AUTH_FAILED, message=b"expected auth")
                return None
            elif msg.type is not WSMsgType.PONG:
                return None  # closed, closing, or an error aiohttp has already closed on

    async def _session(self, ws: web.WebSocketResponse, address: str) -> None:
        nonce, hello = self.service.hello()
        await ws.send_str(hello)
        raw = await self._receive_auth(ws, address)
        if raw is None:
            return
        try:
            device = await self.service.authenticate_device(raw, nonce)
        except AuthRefused as refused:
            if refused.failed:
                self.failed_auths.failed(address, refused.device_id)
            log.info("device socket from %s refused: %s", address, refused.reason)
            await ws.close(code=refused.code, message=refused.reason.encode())
            return

        async def send(text: str) -> None:
            if not ws.closed:
                with contextlib.suppress(ConnectionError):
                    await ws.send_str(text)

        async def close(code: int, reason: str) -> None:
            await ws.close(code=code, message=reason.encode())

        conn = Connection(
            device_id=device.id,
            rp=device.rp,
            user=device.user,
            send_text=send,
            close_socket=close,
            queue_size=self.limits.send_queue,
        )
        activity = _Activity(asyncio.get_running_loop().time())
        writer = asyncio.create_task(conn.run_writer())
        pinger = asyncio.create_task(self._keepalive(ws, activity))
        try:
            await self.service.attach(conn)
            log.info("device %s connected", device.id)
            await self._read(ws, conn, activity)
        finally:
            conn.closing = True
            conn.stop_writer()
            pinger.cancel()
            await self.service.detach(conn)
            try:
                await asyncio.wait_for(writer, 5.0)
            except (TimeoutError, ConnectionError):
                writer.cancel()
            log.info("device %s disconnected", device.id)

    async def _read(self, ws: web.WebSocketResponse, conn: Connection, activity: _Activity) -> None:
        loop = asyncio.get_running_loop()
        while True:
            msg = await ws.receive()
            activity.last_rx = loop.time()
            if msg.type is WSMsgType.TEXT:
                await self.service.on_device_message(conn, str(msg.data))
            elif msg.type is WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await ws.close(code=CloseCode.UNSUPPORTED_DATA, message=b"text messages only")
                return
            elif msg.type is not WSMsgType.PONG:
                return

    async def _keepalive(self, ws: web.WebSocketResponse, activity: _Activity) -> None:
        try:
            await self._ping_loop(ws, activity)
        except Exception:
            self.stats.unexpected_errors += 1
            log.exception("keepalive of a device socket failed")

    async def _ping_loop(self, ws: web.WebSocketResponse, activity: _Activity) -> None:
        """Ping every interval; a peer that has said nothing since the last ping is dropped."""
        loop = asyncio.get_running_loop()
        outstanding: float | None = None
        while not ws.closed:
            await asyncio.sleep(self.limits.ping_interval)
            now = loop.time()
            if (
                outstanding is not None
                and activity.last_rx < outstanding
                and now - outstanding >= self.limits.ping_timeout
            ):
                log.info("dropping a silent device socket")
                await ws.close(code=CloseCode.GOING_AWAY, message=b"no answer to ping")
                return
            if outstanding is None or activity.last_rx >= outstanding:
                outstanding = now
                with contextlib.suppress(ConnectionError):
                    await ws.ping()

    async def close_all(
        self, code: int = CloseCode.GOING_AWAY, reason: bytes = b"restarting"
    ) -> None:
        async def close(ws: web.WebSocketResponse) -> None:
            with contextlib.suppress(Exception):
                await ws.close(code=code, message=reason)

        await asyncio.gather(*(close(ws) for ws in list(self.sockets)))
