"""Losing a node: two `keyfob-server run` processes behind a real nginx (the site we ship),
and the one holding a device's socket is killed with SIGKILL. The device reconnects through
nginx to the other node within 10 s and gets the challenge made meanwhile; nothing is lost.
"""

from __future__ import annotations

import asyncio
import ssl
import time
from pathlib import Path

import aiohttp
import pytest

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.helpers import Device, Rp, register
from tests.server.nginx_fixture import free_port, running_nginx
from tests.server.nodes import Node, WallClock, api_key, running_nodes

pytestmark = pytest.mark.asyncio

USER = "alice@example.com"
RECONNECT_WITHIN = 10.0


async def holder_of(device_id: str, nodes: list[Node], timeout: float = 10.0) -> Node:
    """The node whose log says it holds the device's socket."""
    async with asyncio.timeout(timeout):
        while True:
            for node in nodes:
                if any(f"device {device_id} connected" in line for line in node.log):
                    return node
            await asyncio.sleep(0.05)


async def reconnect(device: Device, http: aiohttp.ClientSession, deadline: float) -> int:
    """What the app does after a dropped socket: try again with a growing delay (the app's
    starts at 1 s; shorter here, the deadline is the point). The number of tries."""
    delay, tries = 0.25, 0
    while True:
        tries += 1
        try:
            await device.connect(http)
            await device.ready()
            return tries
        except (aiohttp.ClientError, TimeoutError):
            assert time.monotonic() < deadline, "the device could not reconnect in time"
            await asyncio.sleep(delay)
            delay = min(2.0, delay * 2)


async def test_kill_9_of_the_node_holding_a_device(tmp_path: Path, pg_database: str) -> None:
    key = api_key(pg_database, tmp_path / "cli")
    ports = [free_port(), free_port()]
    with running_nginx(tmp_path / "nginx", [f"127.0.0.1:{port}" for port in ports]) as nginx:
        extra = ["--public-url", nginx.url, "--trusted-proxy", "127.0.0.1"]
        with running_nodes(2, pg_database, tmp_path, [extra, extra], ports=ports) as nodes:
            trust = ssl.create_default_context(cafile=str(nginx.cert))
            async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust)) as http:
                for node in nodes:
                    await node.ready(http)
                clock = WallClock()
                rp = Rp(http, nginx.url, key)  # the site reaches the nodes through nginx too
                enrollment = await rp.enroll(USER)
                registered = await register(http, enrollment["uri"], int(clock.now()))
                assert registered.ws_url.startswith(f"wss://localhost:{nginx.https_port}/")
                device = Device(registered, clock)
                await device.connect(http)
                await device.ready()
                holder = await holder_of(registered.device_id, nodes)
                survivor = nodes[1] if holder is nodes[0] else nodes[0]

                # A challenge answered before the loss stays answered.
                before = await rp.challenge(USER)
                await device.event(ChallengeReceived)
                await device.answer(before.body["id"], Decision.APPROVE, before.body["number"])
                await device.event(ChallengeResolved)

                holder.kill()
                killed_at = time.monotonic()
                await device.closed()
                # Made while the device has no socket (nginx sends it to the survivor).
                meanwhile = await rp.challenge(USER)
                assert meanwhile.status == 201, meanwhile
                poll = asyncio.create_task(rp.status(meanwhile.body["id"], wait=30))

                await reconnect(device, http, killed_at + RECONNECT_WITHIN)
                received = await device.event(
                    ChallengeReceived, lambda e: e.challenge.id == meanwhile.body["id"]
                )
                assert time.monotonic() - killed_at < RECONNECT_WITHIN
                assert await holder_of(registered.device_id, [survivor]) is survivor

                await device.answer(
                    received.challenge.id, Decision.APPROVE, meanwhile.body["number"]
                )
                resolved = await device.event(
                    ChallengeResolved, lambda e: e.challenge_id == meanwhile.body["id"]
                )
                assert resolved.status is Status.APPROVED
                async with asyncio.timeout(10):
                    assert (await poll)["status"] == "approved"
                assert (await rp.status(before.body["id"]))["status"] == "approved"
                listed = (await rp.call("GET", f"/v1/users/{USER}/devices")).body
                assert [(d["device_id"], d["online"]) for d in listed] == [
                    (registered.device_id, True)
                ]
        assert "Traceback" not in survivor.output(), survivor.output()
