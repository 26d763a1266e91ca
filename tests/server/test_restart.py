"""Everything survives a restart on the same data folder."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import aiohttp
import pytest

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from app.server.keys import SERVER_KEY_FILE
from tests.server.conftest import server_for
from tests.server.helpers import (
    ManualClock,
    Rp,
    connected_device,
    enrolled_device,
    make_api_key,
    register,
)

pytestmark = pytest.mark.asyncio
STORES = ("sqlite", "postgresql")


async def test_restart_keeps_keys_devices_challenges_backoff_and_blocks(
    tmp_path: Path, database: str | None
) -> None:
    data = tmp_path / "data"
    clock = ManualClock()
    server = server_for(data, clock, database=database)
    await server.start()
    port = server.port
    assert port is not None
    spk = server.service.server_public_key
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        alice = await enrolled_device(http, rp, clock, user="alice")
        bob = await enrolled_device(http, rp, clock, user="bob")
        carol_enrollment = await register(http, (await rp.enroll("carol"))["uri"], int(clock.now()))

        denied = await rp.challenge("alice")
        await alice.event(ChallengeReceived)
        await alice.answer(denied.body["id"], Decision.DENY, None)
        await alice.event(ChallengeResolved)
        fraud = await rp.challenge("bob")
        await bob.event(ChallengeReceived)
        await bob.answer(fraud.body["id"], Decision.FRAUD, None)
        await bob.event(ChallengeResolved)
        pending = await rp.challenge("carol", ttl=300)  # carol's device is offline
        assert pending.status == 201

        await server.stop()
        assert await alice.closed() == 1001

        clock.advance(2)
        server = server_for(data, clock, port=port, database=database)
        await server.start()
        try:
            assert server.service.server_public_key == spk
            assert (await rp.challenge("alice")).body["error"] == "backoff"
            assert (await rp.challenge("bob")).status == 423
            listed = (await rp.call("GET", "/v1/users/alice/devices")).body
            assert [d["device_id"] for d in listed] == [alice.enrollment.device_id]

            again = await connected_device(http, alice.enrollment, clock)
            assert again.raw[-1]["type"] == "ready"
            carol = await connected_device(http, carol_enrollment, clock)
            received = await carol.event(ChallengeReceived)
            assert received.challenge.id == pending.body["id"]
            await carol.answer(received.challenge.id, Decision.APPROVE, pending.body["number"])
            assert (await carol.event(ChallengeResolved)).status is Status.APPROVED
            assert (await rp.status(pending.body["id"]))["status"] == "approved"
        finally:
            await server.stop()
    assert server.stats.unexpected_errors == 0


async def test_the_server_key_file_is_private(tmp_path: Path) -> None:
    server = server_for(tmp_path / "data", ManualClock())
    await server.start()
    await server.stop()
    mode = os.stat(tmp_path / "data" / SERVER_KEY_FILE).st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700


async def test_stopping_answers_long_polls_at_once(tmp_path: Path, database: str | None) -> None:
    import asyncio

    clock = ManualClock()
    server = server_for(tmp_path / "data", clock, database=database)
    await server.start()
    async with aiohttp.ClientSession() as http:
        rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
        device = await enrolled_device(http, rp, clock)
        created = await rp.challenge("alice@example.com")
        poll = asyncio.create_task(rp.status(created.body["id"], wait=60))
        assert (await rp.status(created.body["id"]))["status"] == "pending"
        async with asyncio.timeout(4):  # well under aiohttp's 5 s grace for handlers
            await server.stop()
            assert (await poll)["status"] == "pending"
        assert await device.closed() == 1001
