"""The Duo API while PostgreSQL is away: every call that needs the database answers Duo's
503 (50301, with Retry-After), never a 500, and everything works again once the database is
back, without a restart.

A real PostgreSQL cluster of this test's own (it is stopped and started), the integration
made by `keyfob-server duo create --database`, the real server over HTTPS, Duo's own
client, and a Keyfob device on its websocket. The Duo tables are read on the push store's
pool, so the first thing every signed call does (find the integration) goes through it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.push.messages import Decision
from app.push.session import ChallengeReceived
from app.server.app import PushServer
from tests.server.duo.conftest import (
    DuoEnv,
    Integ,
    Tls,
    call,
    https_config,
    refused,
    signed_reply,
)
from tests.server.helpers import ManualClock
from tests.server.nginx_fixture import free_port
from tests.server.postgres_fixture import running_cluster
from tests.server.test_cli import run

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning"),
]

UNAVAILABLE = {
    "http": 503,
    "stat": "FAIL",
    "code": 50301,
    "message": "Service unavailable",
    "message_detail": "database",
}


async def eventually(check: Callable[[], Awaitable[bool]], timeout: float = 30.0) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.1)


async def test_a_database_outage_is_duos_503_then_resumes(
    tmp_path: Path, tls: Tls, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with running_cluster() as cluster:
        database = cluster.url(cluster.create_database())
        data_dir, port = tmp_path / "data", free_port()
        made = run(
            "duo",
            "create",
            "Example Site",
            "--public-url",
            f"https://localhost:{port}",
            "--database",
            database,
            "--data-dir",
            str(data_dir),
            "--json",
        )
        assert made.returncode == 0, made.stderr
        keys = json.loads(made.stdout)
        integ = Integ(keys["ikey"], keys["skey"], "Example Site")
        config = https_config(data_dir, port, tls, database)
        clock = ManualClock(start=time.time())
        server = PushServer(config, clock=clock)
        await server.start()
        try:
            async with aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=tls.context())
            ) as http:
                env = DuoEnv(server, clock, http, tls, port, data_dir)
                await outage(env, integ, cluster.stop, cluster.start)
        finally:
            await server.stop()
        assert server.stats.unexpected_errors == 0
    texts = [record.getMessage() for record in caplog.records]
    assert not [text for text in texts if '" 500 ' in text], texts
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


async def outage(
    env: DuoEnv, integ: Integ, stop: Callable[[], None], start: Callable[[], None]
) -> None:
    client = env.client(integ)
    enrolled = await call(client.enroll, "alice")
    device = await env.connect(enrolled["activation_code"])
    waiting = await call(client.auth, "push", username="alice", async_txn=True)
    prompt = await device.event(ChallengeReceived)
    spare = await call(client.enroll, "bob")

    await asyncio.to_thread(stop)
    calls: list[tuple[Callable[..., object], tuple[Any, ...], dict[str, Any]]] = [
        (client.check, (), {}),
        (client.preauth, (), {"username": "alice"}),
        (client.auth, ("push",), {"username": "alice", "async_txn": True}),
        (client.auth, ("auto",), {"user_id": enrolled["user_id"], "device": "auto"}),
        (client.auth_status, (waiting["txid"],), {}),
        (client.enroll, ("carol",), {}),
        (client.enroll_status, (spare["user_id"], spare["activation_code"]), {}),
    ]
    for fn, args, kwargs in calls:
        assert await refused(fn, *args, **kwargs) == UNAVAILABLE, fn
    for version in (2, 5):  # what the client is told: come back after Retry-After
        reply = await signed_reply(
            env, integ, "POST", "preauth", {"username": "a"}, version=version
        )
        assert (reply.status, reply.body["code"]) == (503, 50301)
        assert int(reply.headers["Retry-After"]) > 0
    assert "time" in await call(client.ping)  # unsigned: it needs no database
    async with env.http.get(spare["activation_url"]) as page:  # a person reads this one
        assert (page.status, page.content_type) == (503, "text/html")
        assert "Reload this page in a moment" in await page.text()
        assert int(page.headers["Retry-After"]) > 0
    async with env.http.get(spare["activation_barcode"]) as image:
        assert image.status == 503
    # The user approves meanwhile: the answer waits for the database.
    await device.answer(prompt.challenge.id, Decision.APPROVE, None)

    await asyncio.to_thread(start)

    async def back() -> bool:
        try:
            await call(client.check)
        except RuntimeError as exc:
            if getattr(exc, "status", None) != 503:
                raise
            return False
        return True

    await eventually(back)
    # The kept answer counted, the same server and socket carry on, nothing was lost.
    assert (await call(client.auth_status, waiting["txid"]))["status"] == "allow"
    assert (await call(client.preauth, username="alice"))["result"] == "auth"
    sync = asyncio.create_task(call(client.auth, "auto", user_id=enrolled["user_id"]))
    following = await device.event(
        ChallengeReceived, lambda e: e.challenge.id != prompt.challenge.id
    )
    await device.answer(following.challenge.id, Decision.APPROVE, None)
    assert (await asyncio.wait_for(sync, 10))["result"] == "allow"
    assert await call(client.enroll_status, spare["user_id"], spare["activation_code"]) == (
        "waiting"
    )
    bob = await env.connect(spare["activation_code"], "Bob's laptop")
    assert bob.enrollment.user == "bob"
    assert await call(client.enroll_status, spare["user_id"], spare["activation_code"]) == (
        "success"
    )
