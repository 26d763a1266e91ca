"""A real keyfob-server on 127.0.0.1 for the desktop app's push tests, and the app wired to it.

The server runs on its own asyncio loop in a thread; Qt's event loop stays on the test's
thread. The test waits for the server's work with qtbot.waitUntil, so Qt keeps serving the
websocket meanwhile (a blocking wait would stall, say, the closing handshake of a stop).
The relying party is tests.server.helpers.Rp over aiohttp, on the server's loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import pytest
from pytestqt.qtbot import QtBot

from app.push.enrollment import PushEnrollment
from app.server.app import PushServer
from app.server.config import Limits, ServerConfig
from app.server.validation import ChallengeRequest
from app.ui.push.manager import PushManager
from app.ui.push.transport import ConnectionState, TransportOptions
from app.ui.shell.controller import Controller
from app.ui.shell.push_host import make_push_feature
from app.vault.content import VaultContent
from app.vault.store import Vault
from tests.server.helpers import Device, Reply, Rp, enrolled_device, make_api_key, register
from tests.ui.conftest import WAIT_MS

T = TypeVar("T")
SITE = "Example Site"
ALICE = "alice@example.com"
FAST = Limits(sweep_interval=0.05)
# Quick retries after a server restart; the protocol's keepalive timings otherwise.
TEST_OPTIONS = TransportOptions(backoff_base=0.4, backoff_cap=2.0)
RESULT_MS = 300


class ShiftedClock:
    """Real time plus a shift the test moves: the server's clock, or the device's."""

    def __init__(self, shift: float = 0.0) -> None:
        self.shift = shift

    def now(self) -> float:
        return time.time() + self.shift

    def __call__(self) -> float:
        return self.now()

    def advance(self, seconds: float) -> None:
        self.shift += seconds


class PushServerThread:
    """One server (restartable on the same data folder and port) and its relying party."""

    def __init__(self, qtbot: QtBot, data_dir: Path, clock: ShiftedClock) -> None:
        self.qtbot = qtbot
        self.data_dir = data_dir
        self.clock = clock
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="push-server")
        self.thread.start()
        self.server: PushServer | None = None
        self.port = 0
        self.unexpected_errors = 0
        self.http: aiohttp.ClientSession | None = None
        self.rp: Rp | None = None
        self.devices: list[Device] = []

    # --- running coroutines on the server's loop -------------------------------------------

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def wait(self, future: concurrent.futures.Future[T], timeout: int = WAIT_MS) -> T:
        self.qtbot.waitUntil(future.done, timeout=timeout)
        return future.result()

    def call(self, coro: Coroutine[Any, Any, T], timeout: int = WAIT_MS) -> T:
        return self.wait(self.submit(coro), timeout)

    # --- the server ------------------------------------------------------------------------

    def start(self) -> None:
        async def start() -> None:
            config = ServerConfig(
                data_dir=self.data_dir, host="127.0.0.1", port=self.port, limits=FAST
            )
            server = PushServer(config, clock=self.clock)
            await server.start()
            self.server = server
            assert server.port is not None
            self.port = server.port
            if self.http is None:
                self.http = aiohttp.ClientSession()
            key = self.rp.key if self.rp is not None else await make_api_key(server, SITE)
            self.rp = Rp(self.http, server.base_url, key)

        self.call(start())

    def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            self.call(server.stop())
            self.unexpected_errors += server.stats.unexpected_errors

    def close(self) -> None:
        try:
            for device in self.devices:
                self.call(device.close())
            self.stop()
            if self.http is not None:
                self.call(self.http.close())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)
            self.loop.close()

    @property
    def service(self) -> Any:
        assert self.server is not None
        return self.server.service

    # --- the relying party -----------------------------------------------------------------

    def site(self) -> Rp:
        assert self.rp is not None
        return self.rp

    def enrollment_uri(self, user: str = ALICE) -> str:
        return str(self.call(self.site().enroll(user))["uri"])

    def register(self, user: str = ALICE, name: str = "Test laptop") -> PushEnrollment:
        """Register a device the way the app does, outside the app (to seed a vault)."""
        uri = self.enrollment_uri(user)
        assert self.http is not None
        return self.call(register(self.http, uri, int(time.time()), name))

    def challenge(self, user: str = ALICE, **extra: object) -> dict[str, Any]:
        reply = self.call(self.site().challenge(user, **extra))
        assert reply.status == 201, reply
        return dict(reply.body)

    def duo_challenge(
        self, user: str = ALICE, *, action: str = "Login request", context: dict[str, str]
    ) -> dict[str, Any]:
        """A challenge as the server's Duo Auth API makes one: no number matching, and
        context the RP API refuses (`details`), so through the push service itself."""
        request = ChallengeRequest(
            user=user, action=action, context=context, ttl=60, number_matching=False
        )
        return dict(self.call(self.service.create_challenge(SITE, request)))

    def request(self, method: str, path: str, body: object = None) -> Reply:
        return self.call(self.site().call(method, path, body))

    def long_poll(self, challenge_id: str, wait: int = 20) -> concurrent.futures.Future[Any]:
        return self.submit(self.site().status(challenge_id, wait=wait))

    def other_device(self, user: str = ALICE) -> Device:
        """A second device of the user (an aiohttp client with its own DeviceSession)."""
        assert self.http is not None
        device = self.call(enrolled_device(self.http, self.site(), self.clock, user, "Phone"))
        self.devices.append(device)
        return device


@pytest.fixture(name="push_server")
def push_server_fixture(qtbot: QtBot, tmp_path: Path) -> Iterator[PushServerThread]:
    """The running server; test modules import this function to get the fixture."""
    server = PushServerThread(qtbot, tmp_path / "server", ShiftedClock())
    server.start()
    try:
        yield server
    finally:
        server.close()
    assert server.unexpected_errors == 0


def enroll_in_vault(vault: Vault, *enrollments: PushEnrollment) -> None:
    def change(content: VaultContent) -> None:
        content.push.extend(e.to_dict() for e in enrollments)

    vault.modify(change)


def push_controller(
    make_controller: Callable[..., Controller],
    *,
    now: Callable[[], float] = time.time,
    options: TransportOptions = TEST_OPTIONS,
    **controller_options: object,
) -> Controller:
    """A controller whose push side uses the given device clock and quick timings."""
    controller = make_controller(**controller_options)
    controller.push = make_push_feature(controller, now=now, options=options, result_ms=RESULT_MS)
    return controller


def manager_of(controller: Controller) -> PushManager:
    assert controller.push is not None
    manager = controller.push.manager
    assert manager is not None
    return manager


def wait_connected(qtbot: QtBot, manager: PushManager, count: int = 1) -> None:
    def connected() -> bool:
        states = [manager.status(e.device_id).state for e in manager.enrollments]
        return len(states) == count and all(s is ConnectionState.CONNECTED for s in states)

    qtbot.waitUntil(connected, timeout=WAIT_MS)
