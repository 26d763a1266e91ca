"""The server's log never carries an API key, an enrollment secret, a device key or a number."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from app.push.canonical import b64u_encode
from app.push.enrollment import parse_enroll_uri
from app.push.messages import Decision
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.conftest import Env
from tests.server.helpers import connected_device, register

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")


async def test_a_whole_flow_logs_no_secret(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    enrollment = await env.rp.enroll("alice@example.com")
    secret = b64u_encode(parse_enroll_uri(enrollment["uri"]).secret)
    device_enrollment = await register(env.http, enrollment["uri"], int(env.clock.now()))
    device = await connected_device(env.http, device_enrollment, env.clock)
    numbers = []
    for decision in (Decision.APPROVE, Decision.DENY):
        created = await env.rp.challenge("alice@example.com")
        numbers.append(created.body["number"])
        await device.event(ChallengeReceived, lambda e, c=created: e.challenge.id == c.body["id"])
        await device.answer(created.body["id"], decision, created.body["number"])
        await device.event(ChallengeResolved, lambda e, c=created: e.challenge_id == c.body["id"])
    await env.rp.call(
        "GET", "/v1/users/alice@example.com/devices", headers={"Authorization": "Bearer kf_bad"}
    )
    await env.rp.call("DELETE", f"/v1/devices/{device_enrollment.device_id}")
    await device.closed()

    assert caplog.records, "the server logs what it does"
    secrets = [env.rp.key or "", secret, b64u_encode(device_enrollment.device_key), "kf_bad"]
    if env.database is not None:
        secrets.append(urlsplit(env.database).password or "")
    for record in caplog.records:
        text = record.getMessage()
        for value in secrets:
            assert value not in text, record.name
        if record.name.startswith("keyfob"):
            args = record.args if isinstance(record.args, tuple) else ()
            assert not any(str(arg) in numbers for arg in args), text
            assert not any(
                f'"{number}"' in text or f"number={number}" in text for number in numbers
            )
    assert any("challenge" in record.getMessage() for record in caplog.records)
