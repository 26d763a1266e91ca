"""A relying party and devices that speak to the real server over real sockets.

The device side is app.push (DeviceSession, registration) over aiohttp's websocket client,
which is what the desktop app does over QWebSocket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import aiohttp

from app.push.enrollment import (
    PushEnrollment,
    finish_registration,
    parse_enroll_uri,
    start_registration,
)
from app.push.messages import Decision
from app.push.session import DeviceSession, Event, Outgoing
from app.server.app import PushServer
from app.server.keys import new_api_key

DEADLINE = 10.0
E = TypeVar("E")


class ManualClock:
    """The server's clock in tests: time moves only when the test says so."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


async def make_api_key(server: PushServer, name: str) -> str:
    made = new_api_key()
    await server.service.store.add_api_key(made.key_id, name, made.key_hash, 0)
    return made.key


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


class Rp:
    """A relying party calling the HTTP API with its API key."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, key: str | None) -> None:
        self.http = http
        self.base_url = base_url
        self.key = key

    async def call(
        self,
        method: str,
        path: str,
        body: object = None,
        *,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = {"Authorization": f"Bearer {self.key}"} if self.key else {}
        sent.update(headers or {})
        kwargs: dict[str, Any] = {"headers": sent}
        if raw is not None:
            kwargs["data"] = raw
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.base_url + path, **kwargs) as response:
            text = await response.text()
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
            return Reply(response.status, parsed, dict(response.headers))

    async def enroll(self, user: str, **extra: object) -> dict[str, Any]:
        reply = await self.call("POST", "/v1/enrollments", {"user": user, **extra})
        assert reply.status == 201, reply
        return dict(reply.body)

    async def challenge(self, user: str, **extra: object) -> Reply:
        return await self.call("POST", "/v1/challenges", {"user": user, **extra})

    async def status(self, challenge_id: str, wait: int = 0) -> dict[str, Any]:
        reply = await self.call("GET", f"/v1/challenges/{challenge_id}?wait={wait}")
        assert reply.status == 200, reply
        return dict(reply.body)


async def register(
    http: aiohttp.ClientSession, uri: str, now: int, name: str = "Test laptop"
) -> PushEnrollment:
    registration = start_registration(parse_enroll_uri(uri), name, now)
    async with http.post(registration.url, json=registration.body) as response:
        assert response.status == 201, await response.text()
        return finish_registration(registration, await response.text(), now)


@dataclass
class Device:
    """One websocket of one enrollment, driven by a real DeviceSession."""

    enrollment: PushEnrollment
    clock: ManualClock
    session: DeviceSession = field(init=False)
    events: list[Event] = field(default_factory=list)
    raw: list[dict[str, Any]] = field(default_factory=list)
    ws: aiohttp.ClientWebSocketResponse | None = None
    _changed: asyncio.Event = field(default_factory=asyncio.Event)
    _reader: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.session = DeviceSession(self.enrollment)

    async def connect(self, http: aiohttp.ClientSession, url: str | None = None) -> None:
        self.ws = await http.ws_connect(url or self.enrollment.ws_url, max_msg_size=1 << 20)
        self.session.on_open()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type is not aiohttp.WSMsgType.TEXT:
                continue
            with contextlib.suppress(ValueError):
                self.raw.append(json.loads(msg.data))
            for action in self.session.on_message(msg.data, int(self.clock.now())):
                if isinstance(action, Outgoing):
                    await self.ws.send_str(action.text)
                else:
                    self.events.append(action)
            self._changed.set()
        self.session.on_close()
        self._changed.set()

    async def until(self, check: Callable[[], E | None], timeout: float) -> E:
        async with asyncio.timeout(timeout):
            while True:
                found = check()
                if found is not None:
                    return found
                self._changed.clear()
                await self._changed.wait()

    async def event(
        self, kind: type[E], where: Callable[[E], bool] = lambda _: True, timeout: float = DEADLINE
    ) -> E:
        def check() -> E | None:
            return next((e for e in self.events if isinstance(e, kind) and where(e)), None)

        return await self.until(check, timeout)

    async def message(
        self, where: Callable[[dict[str, Any]], bool], timeout: float = DEADLINE
    ) -> dict[str, Any]:
        return await self.until(lambda: next((m for m in self.raw if where(m)), None), timeout)

    async def ready(self) -> None:
        from app.push.session import Connected

        await self.event(Connected)

    async def answer(self, challenge_id: str, decision: Decision, number: str | None) -> None:
        assert self.ws is not None
        outgoing = self.session.answer(challenge_id, decision, number, int(self.clock.now()))
        await self.ws.send_str(outgoing.text)

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(text)

    async def closed(self, timeout: float = DEADLINE) -> int | None:
        assert self._reader is not None
        assert self.ws is not None
        async with asyncio.timeout(timeout):
            await self._reader
        return self.ws.close_code

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._reader is not None:
            await self._reader


async def connected_device(
    http: aiohttp.ClientSession, enrollment: PushEnrollment, clock: ManualClock
) -> Device:
    device = Device(enrollment, clock)
    await device.connect(http)
    await device.ready()
    return device


async def enrolled_device(
    http: aiohttp.ClientSession,
    rp: Rp,
    clock: ManualClock,
    user: str = "alice@example.com",
    name: str = "Test laptop",
) -> Device:
    enrollment = await rp.enroll(user)
    return await connected_device(
        http, await register(http, enrollment["uri"], int(clock.now()), name), clock
    )
