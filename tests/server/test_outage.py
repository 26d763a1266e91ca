"""The database goes away and comes back, under two running nodes.

During the outage every API call that needs the database answers 503 with Retry-After
(never a 500), readiness says so, device sockets already held stay open, and an answer a
device sends meanwhile is kept. Once the database is back everything resumes: no node is
restarted, the held socket gets the next challenge, and the kept answer counts.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import aiohttp
import pytest

from app.push.enrollment import parse_enroll_uri, start_registration
from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.helpers import Device, Reply, Rp, register
from tests.server.nodes import WallClock, api_key, running_nodes
from tests.server.postgres_fixture import running_cluster

pytestmark = pytest.mark.asyncio

USER = "alice@example.com"


def unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply
    assert reply.body["error"] == "unavailable"
    assert int(reply.headers["Retry-After"]) > 0


async def eventually(check: object, timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():  # type: ignore[operator]
            await asyncio.sleep(0.1)


async def test_a_database_outage_is_503_then_resumes(tmp_path: Path) -> None:
    with running_cluster() as cluster:
        database = cluster.url(cluster.create_database())
        key = api_key(database, tmp_path / "cli")
        with running_nodes(2, database, tmp_path) as (a, b):
            async with aiohttp.ClientSession() as http:
                for node in (a, b):
                    await node.ready(http)
                clock = WallClock()
                rp_a, rp_b = Rp(http, a.url, key), Rp(http, b.url, key)
                enrollment = await rp_a.enroll(USER)
                registered = await register(http, enrollment["uri"], int(clock.now()))
                device = Device(registered, clock)
                await device.connect(http, a.ws_url)
                await device.ready()
                socket = device.ws
                spare = await rp_a.enroll("bob@example.com")
                created = await rp_b.challenge(USER)
                await device.event(ChallengeReceived)

                cluster.stop("fast")
                for rp in (rp_a, rp_b):
                    unavailable(await rp.challenge(USER))
                    unavailable(await rp.call("GET", f"/v1/challenges/{created.body['id']}"))
                    unavailable(await rp.call("GET", f"/v1/enrollments/{spare['id']}"))
                    unavailable(await rp.call("POST", "/v1/enrollments", {"user": "carol"}))
                    unavailable(await rp.call("GET", f"/v1/users/{USER}/devices"))
                    ready = await rp.call("GET", "/readyz")
                    assert ready.status == 503
                    assert (ready.body["status"], ready.body["database"]) == ("not_ready", False)
                    assert (await rp.call("GET", "/healthz")).status == 200
                # A device registering, or connecting, is told to come back later.
                registration = start_registration(
                    parse_enroll_uri(spare["uri"]), "Bob's laptop", int(clock.now())
                )
                async with http.post(registration.url, json=registration.body) as reply:
                    assert reply.status == 503
                    assert "Retry-After" in reply.headers
                second = Device(registered, clock)
                await second.connect(http, b.ws_url)
                assert await second.closed() == 1013
                # The user answers meanwhile: the socket stays, the answer waits.
                await device.answer(created.body["id"], Decision.APPROVE, created.body["number"])
                await asyncio.sleep(1.5)
                assert not any(isinstance(e, ChallengeResolved) for e in device.events)
                assert not socket.closed  # type: ignore[union-attr]

                cluster.start()
                resolved = await device.event(ChallengeResolved, timeout=30)
                assert resolved.status is Status.APPROVED

                async def approved() -> bool:
                    reply = await rp_b.call("GET", f"/v1/challenges/{created.body['id']}")
                    return reply.status == 200 and reply.body["status"] == "approved"

                await eventually(approved)
                for node in (a, b):
                    await node.ready(http)
                # The same socket, never reconnected, gets the next challenge made on B.
                following = await rp_b.challenge(USER)
                assert following.status == 201, following
                received = await device.event(
                    ChallengeReceived, lambda e: e.challenge.id == following.body["id"]
                )
                assert received.challenge.id == following.body["id"]
                # The registration refused during the outage did not use the enrollment.
                bob = await register(http, spare["uri"], int(clock.now()), "Bob's laptop")
                assert bob.device_id
                assert device.ws is socket
                assert not socket.closed  # type: ignore[union-attr]
        for node in (a, b):
            log = node.output()
            assert "Traceback" not in log, log
            assert not re.search(r'HTTP/1\.1" 500 ', log), log
