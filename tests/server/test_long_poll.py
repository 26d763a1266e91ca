"""Long polls: only a poll on a pending challenge of the asking site waits, and whatever
ends it (an answer, its wait, a client gone, a 404), it leaves nothing behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest

from app.push.messages import Decision
from app.push.session import ChallengeReceived
from tests.server.conftest import Env
from tests.server.helpers import enrolled_device

pytestmark = pytest.mark.asyncio
STORES = ("sqlite", "postgresql")
USER = "alice@example.com"


async def until(check: Callable[[], bool], timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not check():
            await asyncio.sleep(0.02)


async def test_reads_that_do_not_wait_leave_no_waiter(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    other = await env.rp_named("Other Site")
    created = await env.rp.challenge(USER)
    challenge_id = created.body["id"]
    service = env.server.service

    for _ in range(3):
        assert (await env.rp.call("GET", "/v1/challenges/c_nope?wait=5")).status == 404
        # Another site's challenge does not exist for it, and is not waited on either.
        assert (await other.call("GET", f"/v1/challenges/{challenge_id}?wait=5")).status == 404
        assert (await env.rp.status(challenge_id, wait=0))["status"] == "pending"
    assert service.waiting_polls() == {}

    await device.event(ChallengeReceived)
    await device.answer(challenge_id, Decision.APPROVE, created.body["number"])
    assert (await env.rp.status(challenge_id, wait=30))["status"] == "approved"
    for _ in range(3):
        assert (await env.rp.status(challenge_id, wait=30))["status"] == "approved"
    assert service.waiting_polls() == {}


async def test_a_poll_waits_while_pending_and_leaves_when_answered(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    created = await env.rp.challenge(USER)
    challenge_id = created.body["id"]
    service = env.server.service
    polls = [asyncio.create_task(env.rp.status(challenge_id, wait=30)) for _ in range(2)]
    await until(lambda: service.waiting_polls() == {challenge_id: 2})
    await device.event(ChallengeReceived)
    await device.answer(challenge_id, Decision.DENY, None)
    for poll in polls:
        assert (await asyncio.wait_for(poll, 10))["status"] == "denied"
    assert service.waiting_polls() == {}


async def test_a_poll_that_times_out_or_loses_its_client_leaves_nothing(env: Env) -> None:
    await enrolled_device(env.http, env.rp, env.clock)
    created = await env.rp.challenge(USER)
    challenge_id = created.body["id"]
    service = env.server.service
    assert (await env.rp.status(challenge_id, wait=1))["status"] == "pending"
    assert service.waiting_polls() == {}

    async with aiohttp.ClientSession() as gone:
        headers = {"Authorization": f"Bearer {env.rp.key}"}
        url = f"{env.base_url}/v1/challenges/{challenge_id}?wait=2"
        request = asyncio.create_task(gone.get(url, headers=headers))
        await until(lambda: service.waiting_polls() == {challenge_id: 1})
        request.cancel()
    # The client is gone; the poll ends at its wait, at the latest, and takes its event.
    await until(lambda: service.waiting_polls() == {})
