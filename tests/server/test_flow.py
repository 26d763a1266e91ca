"""The core flows end to end: enroll, challenge, approve with the number, long poll."""

from __future__ import annotations

import asyncio

import pytest

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.conftest import Env
from tests.server.helpers import connected_device, register

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")


async def test_approve_with_the_right_number_end_to_end(env: Env) -> None:
    enrollment = await env.rp.enroll("alice@example.com")
    device_enrollment = await register(env.http, enrollment["uri"], int(env.clock.now()))
    assert device_enrollment.issuer == "Example Site"
    assert device_enrollment.user == "alice@example.com"
    status = await env.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body == {
        "id": enrollment["id"],
        "status": "completed",
        "device_id": device_enrollment.device_id,
    }

    device = await connected_device(env.http, device_enrollment, env.clock)
    created = await env.rp.challenge(
        "alice@example.com",
        action="Sign in",
        context={"app": "Webmail", "ip": "203.0.113.7", "location": "Lyon, FR"},
    )
    assert created.status == 201
    assert created.body["status"] == "pending"
    number = created.body["number"]
    assert len(number) == 2
    assert number.isdigit()

    received = await device.event(ChallengeReceived)
    challenge = received.challenge
    assert challenge.id == created.body["id"]
    assert challenge.context == {"app": "Webmail", "ip": "203.0.113.7", "location": "Lyon, FR"}
    assert challenge.number_matching is True
    assert "number" not in device.raw[-1]  # the number never reaches the device

    poll = asyncio.create_task(env.rp.status(challenge.id, wait=30))
    assert (await env.rp.status(challenge.id))["status"] == "pending"
    assert not poll.done()  # the long poll is waiting when the answer arrives
    await device.answer(challenge.id, Decision.APPROVE, number)
    resolved = await device.event(ChallengeResolved)
    assert resolved.status is Status.APPROVED
    assert resolved.via == "result"

    final = await asyncio.wait_for(poll, 10)
    assert final["status"] == "approved"
    assert final["device_id"] == device_enrollment.device_id
    assert final["decided_at"] == int(env.clock.now())
    await device.close()
