"""/healthz, /readyz and the metrics port of one server, on either store."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from app.push.messages import Decision
from app.push.session import ChallengeReceived, ChallengeResolved
from app.server.app import PushServer
from app.server.config import ServerConfig
from app.server.errors import ServerError
from tests.server.conftest import FAST
from tests.server.helpers import ManualClock, Rp, enrolled_device, make_api_key
from tests.server.nginx_fixture import free_port

pytestmark = pytest.mark.asyncio
STORES = ("sqlite", "postgresql")


@pytest_asyncio.fixture
async def served(tmp_path: Path, database: str | None) -> AsyncIterator[tuple[PushServer, int]]:
    port = free_port()
    config = ServerConfig(
        data_dir=tmp_path / "data",
        limits=FAST,
        port=0,
        database=database,
        metrics_listen=("127.0.0.1", port),
    )
    server = PushServer(config, clock=ManualClock())
    await server.start()
    try:
        yield server, port
    finally:
        await server.stop()
    assert server.stats.unexpected_errors == 0


async def scrape(http: aiohttp.ClientSession, port: int) -> dict[str, float]:
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


async def test_ready_and_counted(served: tuple[PushServer, int]) -> None:
    server, port = served
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        async with asyncio.timeout(10):  # PostgreSQL: until the listener is in place
            while (ready := await rp.call("GET", "/readyz")).status != 200:
                await asyncio.sleep(0.05)
        assert ready.body == {"status": "ready", "database": True, "notifications": True}
        assert (await rp.call("GET", "/healthz")).body == {"status": "ok"}

        before = await scrape(http, port)
        assert before["keyfob_devices_connected"] == 0
        assert before["keyfob_challenges_created_total"] == 0
        device = await enrolled_device(http, rp, server.clock)  # type: ignore[arg-type]
        created = await rp.challenge("alice@example.com")
        await device.event(ChallengeReceived)
        refused = await rp.challenge("alice@example.com")
        assert refused.status == 429
        await device.answer(created.body["id"], Decision.APPROVE, created.body["number"])
        await device.event(ChallengeResolved)
        after = await scrape(http, port)
        assert after["keyfob_devices_connected"] == 1
        assert after["keyfob_challenges_created_total"] == 1
        assert after['keyfob_challenges_ended_total{outcome="approved"}'] == 1
        assert after['keyfob_challenges_refused_total{reason="pending"}'] == 1
        assert after["keyfob_challenge_delivery_seconds_count"] == 1
        assert after["keyfob_database_errors_total"] == 0
        assert after["keyfob_notification_listener_connected"] == 1
        # Nothing about who: no site, user or device in any line.
        async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
            text = await response.text()
        for private in ("alice", "Example Site", device.enrollment.device_id):
            assert private not in text
        await device.close()


async def test_a_metrics_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = ServerConfig(data_dir=tmp_path, port=0, metrics_listen=("127.0.0.1", port))
        server = PushServer(config, clock=ManualClock())
        with pytest.raises(ServerError, match=f"cannot serve metrics on 127.0.0.1:{port}"):
            await server.start()
        assert server.app is None  # nothing left running
