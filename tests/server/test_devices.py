"""Devices and relying parties: listing, revoking, scoping per RP, several sockets, API keys."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import quote

import pytest

from app.push.messages import Decision, Status
from app.push.session import ChallengeReceived, ChallengeResolved
from tests.server.conftest import Env
from tests.server.helpers import Device, Rp, connected_device, enrolled_device, register

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")

USER = "alice@example.com"


async def test_list_devices(env: Env) -> None:
    assert (await env.rp.call("GET", f"/v1/users/{USER}/devices")).body == []
    laptop = await enrolled_device(env.http, env.rp, env.clock, name="Laptop")
    enrolled_at = int(env.clock.now())
    env.clock.advance(50)
    desktop_enrollment = await env.rp.enroll(USER)
    desktop = await register(env.http, desktop_enrollment["uri"], int(env.clock.now()), "Desktop")
    env.clock.advance(10)
    listed = (await env.rp.call("GET", f"/v1/users/{quote(USER)}/devices")).body
    assert listed == [
        {
            "device_id": laptop.enrollment.device_id,
            "name": "Laptop",
            "online": True,
            "enrolled_at": enrolled_at,
            "last_seen": int(env.clock.now()),
        },
        {
            "device_id": desktop.device_id,
            "name": "Desktop",
            "online": False,
            "enrolled_at": enrolled_at + 50,
            "last_seen": None,
        },
    ]
    env.clock.advance(5)
    await laptop.close()

    async def offline() -> list[dict[str, object]] | None:
        body = (await env.rp.call("GET", f"/v1/users/{USER}/devices")).body
        return None if body[0]["online"] else body

    listed = await poll(offline)
    assert listed[0]["last_seen"] == int(env.clock.now())


async def poll(check):  # type: ignore[no-untyped-def]
    """Ask the server until the answer shows what the test waits for (it cannot push it)."""
    import asyncio

    async with asyncio.timeout(10):
        while (found := await check()) is None:
            await asyncio.sleep(0.02)
    return found


async def test_user_names_with_slashes_and_unicode_in_the_path(env: Env) -> None:
    user = "team/ops ünï+1@example.com"
    device = await enrolled_device(env.http, env.rp, env.clock, user=user)
    listed = (await env.rp.call("GET", f"/v1/users/{quote(user, safe='')}/devices")).body
    assert [d["device_id"] for d in listed] == [device.enrollment.device_id]
    reply = await env.rp.call("POST", f"/v1/users/{quote(user, safe='')}/unblock", {})
    assert reply.body == {"user": user, "blocked": False}
    too_long = quote("u" * 257, safe="")
    assert (await env.rp.call("GET", f"/v1/users/{too_long}/devices")).status == 400


async def test_revoke_closes_with_4403_and_unlists(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    reply = await env.rp.call("DELETE", f"/v1/devices/{device.enrollment.device_id}")
    assert reply.status == 200
    assert reply.body == {"device_id": device.enrollment.device_id, "revoked": True}
    assert await device.closed() == 4403
    assert (await env.rp.call("GET", f"/v1/users/{USER}/devices")).body == []
    again = Device(device.enrollment, env.clock)
    await again.connect(env.http)
    assert await again.closed() == 4403
    assert (await env.rp.challenge(USER)).status == 404


async def test_other_rps_devices_and_challenges_are_404(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    created = await env.rp.challenge(USER)
    other = await env.rp_named("Other Site")
    device_id = device.enrollment.device_id
    assert (await other.call("DELETE", f"/v1/devices/{device_id}")).status == 404
    assert (await other.call("GET", f"/v1/challenges/{created.body['id']}")).status == 404
    assert (await other.call("DELETE", f"/v1/challenges/{created.body['id']}")).status == 404
    assert (await other.call("GET", f"/v1/users/{USER}/devices")).body == []
    assert (await other.challenge(USER)).status == 404  # users are scoped per RP
    assert (await other.call("DELETE", "/v1/devices/d_unknown")).status == 404
    enrollment = await env.rp.enroll(USER)
    assert (await other.call("GET", f"/v1/enrollments/{enrollment['id']}")).status == 404
    assert (await env.rp.call("GET", f"/v1/challenges/{created.body['id']}")).status == 200


async def test_keys_with_the_same_name_are_the_same_rp(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    rotated = await env.rp_named("Example Site")
    listed = (await rotated.call("GET", f"/v1/users/{USER}/devices")).body
    assert [d["device_id"] for d in listed] == [device.enrollment.device_id]


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer kf_wrong",
        "Basic dXNlcjpwYXNz",
        "bearer  ",
        "Bearer " + "x" * 300,
    ],
)
async def test_unauthenticated_rp_calls_are_401(env: Env, authorization: str | None) -> None:
    anonymous = Rp(env.http, env.base_url, None)
    headers = {} if authorization is None else {"Authorization": authorization}
    for method, path in [
        ("POST", "/v1/enrollments"),
        ("GET", "/v1/enrollments/e_x"),
        ("POST", "/v1/challenges"),
        ("GET", "/v1/challenges/c_x"),
        ("DELETE", "/v1/challenges/c_x"),
        ("GET", "/v1/users/u/devices"),
        ("DELETE", "/v1/devices/d_x"),
        ("POST", "/v1/users/u/unblock"),
    ]:
        reply = await anonymous.call(method, path, {"user": "u"}, headers=headers)
        assert reply.status == 401, (method, path)
        assert reply.body["error"] == "unauthorized"
        assert reply.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_revoked_api_key_is_refused_at_once(env: Env) -> None:
    other = await env.rp_named("Other Site")
    assert (await other.call("GET", "/v1/users/u/devices")).status == 200
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.server",
            "apikey",
            "revoke",
            other.key or "",
            "--data-dir",
            str(env.data_dir),
            *(["--database", env.database] if env.database else []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (await other.call("GET", "/v1/users/u/devices")).status == 401
    assert (await env.rp.call("GET", "/v1/users/u/devices")).status == 200


async def test_several_sockets_of_one_device_all_get_every_message(env: Env) -> None:
    first = await enrolled_device(env.http, env.rp, env.clock)
    second = await connected_device(env.http, first.enrollment, env.clock)
    created = await env.rp.challenge(USER)
    challenge_id = created.body["id"]
    for socket in (first, second):
        await socket.event(ChallengeReceived, lambda e: e.challenge.id == challenge_id)
    await first.answer(challenge_id, Decision.APPROVE, created.body["number"])
    assert (await first.event(ChallengeResolved)).via == "result"
    resolved = await second.event(ChallengeResolved)
    assert resolved == ChallengeResolved(challenge_id, Status.APPROVED, "cancel")


async def test_other_devices_get_cancel_when_one_answers(env: Env) -> None:
    laptop = await enrolled_device(env.http, env.rp, env.clock, name="Laptop")
    desktop = await enrolled_device(env.http, env.rp, env.clock, name="Desktop")
    bob = await enrolled_device(env.http, env.rp, env.clock, user="bob@example.com")
    created = await env.rp.challenge(USER)
    challenge_id = created.body["id"]
    await laptop.event(ChallengeReceived)
    await desktop.event(ChallengeReceived)
    await desktop.answer(challenge_id, Decision.DENY, None)
    assert (await desktop.event(ChallengeResolved)).via == "result"
    resolved = await laptop.event(ChallengeResolved)
    assert resolved == ChallengeResolved(challenge_id, Status.DENIED, "cancel")
    status = await env.rp.status(challenge_id)
    assert status["device_id"] == desktop.enrollment.device_id
    # Bob's device heard nothing of Alice's challenge.
    assert not any(m.get("id") == challenge_id for m in bob.raw)


async def test_first_valid_response_wins(env: Env) -> None:
    laptop = await enrolled_device(env.http, env.rp, env.clock, name="Laptop")
    desktop = await enrolled_device(env.http, env.rp, env.clock, name="Desktop")
    created = await env.rp.challenge(USER)
    challenge_id, number = created.body["id"], created.body["number"]
    await laptop.event(ChallengeReceived)
    await desktop.event(ChallengeReceived)
    await laptop.answer(challenge_id, Decision.APPROVE, number)
    await desktop.answer(challenge_id, Decision.FRAUD, None)
    statuses = {
        (await laptop.message(lambda m: m.get("type") in {"result", "cancel"}))["status"],
        (await desktop.message(lambda m: m.get("type") in {"result", "cancel"}))["status"],
    }
    final = (await env.rp.status(challenge_id))["status"]
    assert statuses == {final}
    assert final in {"approved", "fraud"}
