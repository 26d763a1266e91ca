"""Several `keyfob-server run` processes on one PostgreSQL database.

Node A holds the device's socket, node B serves the relying party: a challenge made on B
reaches the device on A, the answer on A wakes the long poll on B, a revocation on B closes
the socket on A, and the push rules hold whichever node a request reaches.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import pytest
import pytest_asyncio

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.helpers import Device, Rp, register
from tests.server.nginx_fixture import free_port
from tests.server.nodes import SERVER, Node, WallClock, api_key, node_args, running_nodes
from tests.server.postgres_fixture import PostgresCluster

pytestmark = pytest.mark.asyncio

USER = "alice@example.com"


@dataclass
class TwoNodes:
    a: Node
    b: Node
    http: aiohttp.ClientSession
    rp_a: Rp
    rp_b: Rp
    database: str
    folder: Path
    metrics: tuple[int, int]
    clock: WallClock

    async def device_on(
        self, node: Node, user: str = USER, *, enroll_on: Node | None = None
    ) -> Device:
        """A device of `user` enrolled through `enroll_on` whose socket is on `node`."""
        rp = self.rp_a if (enroll_on or node) is self.a else self.rp_b
        enrollment = await rp.enroll(user)
        registered = await register(self.http, enrollment["uri"], int(self.clock.now()))
        return await self.connect(registered, node)

    async def connect(self, registered: object, node: Node) -> Device:
        device = Device(registered, self.clock)  # type: ignore[arg-type]
        await device.connect(self.http, node.ws_url)
        await device.ready()
        return device

    async def scrape(self, index: int) -> str:
        async with self.http.get(f"http://127.0.0.1:{self.metrics[index]}/metrics") as response:
            assert response.status == 200
            return await response.text()


@pytest_asyncio.fixture
async def nodes(tmp_path: Path, pg_database: str) -> AsyncIterator[TwoNodes]:
    key = api_key(pg_database, tmp_path / "cli")
    metrics = (free_port(), free_port())
    extra = [["--metrics-listen", f"127.0.0.1:{port}"] for port in metrics]
    with running_nodes(2, pg_database, tmp_path, extra) as (a, b):
        async with aiohttp.ClientSession() as http:
            await a.ready(http)
            await b.ready(http)
            yield TwoNodes(
                a,
                b,
                http,
                Rp(http, a.url, key),
                Rp(http, b.url, key),
                pg_database,
                tmp_path,
                metrics,
                WallClock(),
            )
    for node in (a, b):
        assert "Traceback" not in node.output(), node.output()
        assert "unexpected error" not in node.output(), node.output()


def metric(text: str, name: str) -> float:
    for line in text.splitlines():
        if line.split(" ")[0] == name:
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in:\n{text}")


async def test_a_challenge_made_on_b_reaches_a_device_on_a_and_its_answer_wakes_b(
    nodes: TwoNodes,
) -> None:
    on_a = await nodes.device_on(nodes.a)
    # The user's second device holds its socket on B: it gets the prompt too, and is told
    # to take it down when the first answers on A.
    on_b = await nodes.device_on(nodes.b)
    created = await nodes.rp_b.challenge(USER)
    assert created.status == 201, created
    challenge_id = created.body["id"]
    received = await on_a.event(ChallengeReceived)
    assert received.challenge.id == challenge_id
    await on_b.event(ChallengeReceived)

    poll = asyncio.create_task(nodes.rp_b.status(challenge_id, wait=30))
    await asyncio.sleep(0.3)  # the poll is waiting on B
    assert not poll.done()
    await on_a.answer(challenge_id, Decision.APPROVE, created.body["number"])
    assert (await on_a.event(ChallengeResolved)).status is Status.APPROVED
    async with asyncio.timeout(5):  # woken by A's notice, long before its 30 s
        final = await poll
    assert final["status"] == "approved"
    assert final["device_id"] == on_a.enrollment.device_id
    resolved = await on_b.event(ChallengeResolved)
    assert (resolved.status, resolved.via) == (Status.APPROVED, "cancel")

    # Each node counted what it did.
    a, b = await nodes.scrape(0), await nodes.scrape(1)
    assert metric(a, "keyfob_devices_connected") == 1
    assert metric(b, "keyfob_challenges_created_total") == 1
    assert 'keyfob_challenges_ended_total{outcome="approved"} 1.0' in a
    assert metric(a, "keyfob_challenge_delivery_seconds_count") == 1
    assert metric(b, "keyfob_challenge_delivery_seconds_count") == 1
    for text in (a, b):
        assert metric(text, "keyfob_database_errors_total") == 0
        assert metric(text, "keyfob_notification_listener_connected") == 1
    # The metrics are on their own port only.
    assert (await nodes.rp_a.call("GET", "/metrics")).status == 404


async def test_an_answer_on_b_for_a_challenge_made_on_a_ends_the_prompt_on_a(
    nodes: TwoNodes,
) -> None:
    on_a = await nodes.device_on(nodes.a)
    on_b = await nodes.device_on(nodes.b)
    created = await nodes.rp_a.challenge(USER)
    challenge_id = created.body["id"]
    await on_a.event(ChallengeReceived)
    await on_b.event(ChallengeReceived)
    await on_b.answer(challenge_id, Decision.DENY, None)
    resolved = await on_a.event(ChallengeResolved)
    assert (resolved.status, resolved.via) == (Status.DENIED, "cancel")
    assert (await nodes.rp_a.status(challenge_id))["status"] == "denied"
    # The backoff the denial started holds on both nodes.
    for rp in (nodes.rp_a, nodes.rp_b):
        refused = await rp.challenge(USER)
        assert (refused.status, refused.body["error"]) == (429, "backoff")


async def test_simultaneous_creates_on_two_nodes_give_one_201_and_one_429(
    nodes: TwoNodes,
) -> None:
    users = [f"user{i}@example.com" for i in range(12)]
    for user in users:
        enrollment = await nodes.rp_a.enroll(user)
        await register(nodes.http, enrollment["uri"], int(nodes.clock.now()))

    async def both(user: str) -> list[int]:
        replies = await asyncio.gather(nodes.rp_a.challenge(user), nodes.rp_b.challenge(user))
        return sorted(reply.status for reply in replies)

    for _ in range(2):
        assert await asyncio.gather(*(both(user) for user in users)) == [[201, 429]] * len(users)
        conn = await asyncpg.connect(nodes.database)
        try:
            pending = await conn.fetch(
                "SELECT user_name, count(*) AS n FROM challenges WHERE status = 'pending' "
                "GROUP BY user_name"
            )
        finally:
            await conn.close()
        assert {row["user_name"]: row["n"] for row in pending} == dict.fromkeys(users, 1)
        await cancel_pending(nodes)  # through either node, for the next round


async def cancel_pending(nodes: TwoNodes) -> None:
    conn = await asyncpg.connect(nodes.database)
    try:
        ids = [
            r["id"] for r in await conn.fetch("SELECT id FROM challenges WHERE status = 'pending'")
        ]
    finally:
        await conn.close()
    for index, challenge_id in enumerate(ids):
        rp = nodes.rp_a if index % 2 else nodes.rp_b
        assert (await rp.call("DELETE", f"/v1/challenges/{challenge_id}")).status == 200


async def test_the_creation_budget_holds_across_nodes(nodes: TwoNodes) -> None:
    device = await nodes.device_on(nodes.a)
    for index in range(5):
        rp = (nodes.rp_a, nodes.rp_b)[index % 2]
        created = await rp.challenge(USER)
        assert created.status == 201, created
        await device.event(ChallengeReceived, lambda e, c=created: e.challenge.id == c.body["id"])
        assert (await rp.call("DELETE", f"/v1/challenges/{created.body['id']}")).status == 200
    for rp in (nodes.rp_a, nodes.rp_b):
        refused = await rp.challenge(USER)
        assert (refused.status, refused.body["error"]) == (429, "too_many_challenges")


async def test_revoking_on_b_closes_the_socket_on_a(nodes: TwoNodes) -> None:
    device = await nodes.device_on(nodes.a)
    reply = await nodes.rp_b.call("DELETE", f"/v1/devices/{device.enrollment.device_id}")
    assert reply.status == 200
    assert await device.closed() == 4403


async def test_both_nodes_are_ready(nodes: TwoNodes) -> None:
    for rp in (nodes.rp_a, nodes.rp_b):
        reply = await rp.call("GET", "/readyz")
        assert reply.status == 200
        assert reply.body == {"status": "ready", "database": True, "notifications": True}
        assert (await rp.call("GET", "/healthz")).status == 200


def refused_start(args: list[str]) -> str:
    """`keyfob-server run ARGS` must exit 1 at once, with one line saying why."""
    process = subprocess.run(
        [*SERVER, "run", *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert process.returncode == 1, process.stderr
    assert "Traceback" not in process.stderr
    lines = process.stderr.strip().splitlines()
    assert lines[-1].startswith("keyfob-server: error: "), process.stderr
    return lines[-1]


async def test_a_node_with_another_server_key_refuses_to_start(nodes: TwoNodes) -> None:
    from app.push.canonical import (
        b64u_encode,
        new_private_key,
        private_key_to_pem,
        public_key_bytes,
    )

    other = nodes.folder / "other-key.pem"
    key = new_private_key()
    other.write_bytes(private_key_to_pem(key))
    other.chmod(0o600)
    args = node_args(nodes.database, other, nodes.folder / "node9")
    error = refused_start([*args, "--port", str(free_port())])
    assert "is not the one this database was set up with" in error
    assert b64u_encode(public_key_bytes(key)) in error  # which key it has, and which it needs
    # No key file at all: it makes none, and says which key the database expects.
    missing = nodes.folder / "missing" / "server-key.pem"
    args = node_args(nodes.database, missing, nodes.folder / "node9")
    error = refused_start([*args, "--port", str(free_port())])
    assert "there is no server key at" in error
    assert not missing.exists()
    assert urlsplit_password(nodes.database) not in error


def urlsplit_password(url: str) -> str:
    from urllib.parse import urlsplit

    password = urlsplit(url).password
    assert password
    return password


async def test_a_lost_listener_misses_nothing(nodes: TwoNodes, pg_cluster: PostgresCluster) -> None:
    """While A cannot listen, B makes a challenge for A's device and A's long poll's
    challenge is answered on B: both notices are lost to A. Once A listens again it reads
    what is pending for its devices and wakes its polls: nothing is missed."""
    on_a = await nodes.device_on(nodes.a)
    on_b = await nodes.device_on(nodes.b, "bob@example.com")
    bobs = await nodes.rp_a.challenge("bob@example.com")
    await on_b.event(ChallengeReceived)
    poll = asyncio.create_task(nodes.rp_a.status(bobs.body["id"], wait=60))

    database = nodes.database.rsplit("/", 1)[1]
    admin = await asyncpg.connect(pg_cluster.url())
    try:
        # No new connection to the database: A's listener, once cut, cannot come back.
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = $1 AND application_name LIKE '%listen'",
            database,
        )
        async with asyncio.timeout(10):
            while (await nodes.rp_a.call("GET", "/readyz")).status != 503:
                await asyncio.sleep(0.05)
        created = await nodes.rp_b.challenge(USER)  # B's pooled connection still works
        assert created.status == 201, created
        await on_b.answer(bobs.body["id"], Decision.APPROVE, bobs.body["number"])
        assert (await on_b.event(ChallengeResolved)).status is Status.APPROVED
        await asyncio.sleep(0.5)
        assert not any(isinstance(e, ChallengeReceived) for e in on_a.events)
        assert not poll.done()
    finally:
        await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')
        await admin.close()
    received = await on_a.event(ChallengeReceived)
    assert received.challenge.id == created.body["id"]
    async with asyncio.timeout(10):
        assert (await poll)["status"] == "approved"
    await nodes.a.ready(nodes.http)


async def test_an_enrollment_is_used_once_whichever_node_is_asked(nodes: TwoNodes) -> None:
    from app.push.enrollment import parse_enroll_uri, start_registration

    enrollment = await nodes.rp_a.enroll(USER)
    uri = parse_enroll_uri(enrollment["uri"])
    now = int(nodes.clock.now())
    first, second = (start_registration(uri, f"laptop {i}", now) for i in range(2))

    async def post(node_url: str, body: dict[str, object]) -> tuple[int, str]:
        async with nodes.http.post(node_url + "/v1/devices", json=body) as response:
            return response.status, await response.text()

    replies = await asyncio.gather(post(nodes.a.url, first.body), post(nodes.b.url, second.body))
    assert sorted(status for status, _ in replies) == [201, 409]
    # The winner asking again, on the other node, gets its answer again.
    winner = first if replies[0][0] == 201 else second
    other = nodes.b if winner is first else nodes.a
    again = await post(other.url, winner.body)
    assert again == (200, next(text for status, text in replies if status == 201))


async def test_a_fraud_report_on_a_blocks_pushes_on_b(nodes: TwoNodes) -> None:
    device = await nodes.device_on(nodes.a)
    created = await nodes.rp_b.challenge(USER)
    await device.event(ChallengeReceived)
    await device.answer(created.body["id"], Decision.FRAUD, None)
    assert (await device.event(ChallengeResolved)).status is Status.FRAUD
    assert (await nodes.rp_b.challenge(USER)).status == 423
    unblocked = await nodes.rp_a.call("POST", f"/v1/users/{USER}/unblock", {})
    assert unblocked.status == 200
    assert (await nodes.rp_b.challenge(USER)).status == 201
