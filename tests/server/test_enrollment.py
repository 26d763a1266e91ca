"""Device registration: every answer, in the protocol's order of checks."""

from __future__ import annotations

from typing import Any

import pytest

from app.push.canonical import b64u_encode
from app.push.enrollment import parse_enroll_uri, start_registration
from app.server.config import Limits
from tests.server.conftest import FAST, Env
from tests.server.helpers import Reply

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")


async def post_device(env: Env, body: object, **kwargs: Any) -> Reply:
    anonymous = env.rp.__class__(env.http, env.base_url, None)
    return await anonymous.call("POST", "/v1/devices", body, **kwargs)


async def fresh(env: Env, ttl: int = 600) -> tuple[dict[str, Any], dict[str, object]]:
    enrollment = await env.rp.enroll("alice@example.com", ttl=ttl)
    registration = start_registration(parse_enroll_uri(enrollment["uri"]), "Laptop", 1)
    return enrollment, registration.body


async def test_the_uri_names_this_server_and_its_key(env: Env) -> None:
    enrollment = await env.rp.enroll("alice@example.com")
    uri = parse_enroll_uri(enrollment["uri"])
    assert uri.url == env.base_url
    assert uri.server_key == env.server.service.server_public_key
    assert uri.issuer == "Example Site"
    assert uri.user == "alice@example.com"
    assert uri.eid == enrollment["id"]
    assert enrollment["expires_at"] == int(env.clock.now()) + 600


async def test_registration_answers_201_then_the_same_200_to_a_retry(env: Env) -> None:
    enrollment, body = await fresh(env)
    first = await post_device(env, body)
    assert first.status == 201
    assert set(first.body) == {"device_id", "ws_url", "issuer", "user", "server_time", "sig"}
    assert first.body["ws_url"] == env.base_url.replace("http://", "ws://") + "/v1/ws"
    env.clock.advance(5)
    again = await post_device(env, body)
    assert again.status == 200
    assert again.body == first.body
    status = await env.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body["status"] == "completed"


async def test_another_key_gets_409(env: Env) -> None:
    enrollment, body = await fresh(env)
    assert (await post_device(env, body)).status == 201
    other = start_registration(parse_enroll_uri(enrollment["uri"]), "Other", 1).body
    reply = await post_device(env, other)
    assert reply.status == 409
    assert reply.body["error"] == "already_used"


async def test_expired_410_and_the_enrollment_reads_expired(env: Env) -> None:
    enrollment, body = await fresh(env, ttl=60)
    env.clock.advance(60)
    reply = await post_device(env, body)
    assert reply.status == 410
    status = await env.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body == {"id": enrollment["id"], "status": "expired"}


async def test_pending_before_use(env: Env) -> None:
    enrollment, _ = await fresh(env)
    status = await env.rp.call("GET", f"/v1/enrollments/{enrollment['id']}")
    assert status.body == {"id": enrollment["id"], "status": "pending"}


async def test_wrong_secret_401_and_the_enrollment_stays_usable(env: Env) -> None:
    _, body = await fresh(env)
    reply = await post_device(env, {**body, "secret": b64u_encode(b"\x07" * 32)})
    assert reply.status == 401
    assert reply.body["error"] == "wrong_secret"
    assert (await post_device(env, body)).status == 201


async def test_bad_signature_401_and_the_enrollment_stays_usable(env: Env) -> None:
    _, body = await fresh(env)
    reply = await post_device(env, {**body, "name": "Changed after signing"})
    assert reply.status == 401
    assert reply.body["error"] == "bad_signature"
    assert (await post_device(env, body)).status == 201


@pytest.mark.parametrize(
    "secret", ["not-b64!", b64u_encode(b"short"), "flip-the-last-char", "A" * 43 + "="]
)
async def test_a_secret_of_the_wrong_shape_is_a_wrong_secret(env: Env, secret: str) -> None:
    _, body = await fresh(env)
    assert isinstance(body["secret"], str)
    if secret == "flip-the-last-char":
        last = body["secret"][-1]
        secret = body["secret"][:-1] + ("B" if last != "B" else "C")  # not canonical base64url
    reply = await post_device(env, {**body, "secret": secret})
    assert reply.status == 401
    assert reply.body["error"] == "wrong_secret"


@pytest.mark.parametrize("sig", ["AAAA", b64u_encode(b"s" * 63), "tampered"])
async def test_a_signature_of_the_wrong_shape_is_a_bad_signature(env: Env, sig: str) -> None:
    _, body = await fresh(env)
    if sig == "tampered":
        original = str(body["sig"])
        sig = original[:-1] + ("B" if original[-1] != "B" else "C")
    reply = await post_device(env, {**body, "sig": sig})
    assert reply.status == 401
    assert reply.body["error"] == "bad_signature"
    assert (await post_device(env, body)).status == 201


async def test_unknown_eid_404(env: Env) -> None:
    _, body = await fresh(env)
    reply = await post_device(env, {**body, "eid": "e_unknown"})
    assert reply.status == 404


async def test_check_order(env: Env) -> None:
    # wrong secret beats used, expired and bad signature
    enrollment, body = await fresh(env, ttl=60)
    assert (await post_device(env, body)).status == 201
    other = start_registration(parse_enroll_uri(enrollment["uri"]), "Other", 1).body
    env.clock.advance(100)
    wrong = {**other, "secret": b64u_encode(b"\x07" * 32)}
    assert (await post_device(env, wrong)).status == 401
    # used beats expired; the same key after expiry still gets its answer
    assert (await post_device(env, other)).status == 409
    assert (await post_device(env, body)).status == 200
    # expired beats bad signature
    _, late = await fresh(env, ttl=60)
    env.clock.advance(60)
    assert (await post_device(env, {**late, "name": "tampered"})).status == 410
    # malformed beats unknown eid
    assert (await post_device(env, {**late, "eid": "e_x", "ts": "now"})).status == 400


@pytest.mark.parametrize(
    "change",
    [
        {"eid": 5},
        {"eid": ""},
        {"device_key": b64u_encode(b"k" * 31)},
        {"name": ""},
        {"name": "x" * 201},
        {"name": "a\x00b"},
        {"ts": "2024"},
        {"ts": True},
        {"secret": 5},
        {"secret": ""},
        {"sig": None},
        {"extra": 1},
    ],
)
async def test_malformed_bodies_400(env: Env, change: dict[str, object]) -> None:
    _, body = await fresh(env)
    reply = await post_device(env, {**body, **change})
    assert reply.status == 400
    assert set(reply.body) == {"error", "message"}


@pytest.mark.parametrize("missing", ["eid", "secret", "device_key", "name", "ts", "sig"])
async def test_missing_fields_400(env: Env, missing: str) -> None:
    _, body = await fresh(env)
    reply = await post_device(env, {k: v for k, v in body.items() if k != missing})
    assert reply.status == 400
    assert reply.body["error"] == "missing_field"


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [
        (b"{", "application/json"),
        (b"[]", "application/json"),
        (b'{"eid": 1.5}', "application/json"),
        (b"\xff", "application/json"),
        (b"{}", "text/plain"),
        (b"{}", "application/json; charset=latin-1"),
        (b"x" * 70000, "application/json"),
    ],
)
async def test_unreadable_bodies_400(env: Env, raw: bytes, content_type: str) -> None:
    reply = await post_device(env, None, raw=raw, headers={"Content-Type": content_type})
    assert reply.status == 400, reply


@pytest.mark.parametrize(
    "limits",
    [
        Limits(
            sweep_interval=FAST.sweep_interval,
            registration_burst=3,
            registrations_per_second=0.001,
            slowdown_cap=0.05,
        )
    ],
)
async def test_failed_registrations_are_limited_per_address_and_valid_ones_go_through(
    env: Env,
) -> None:
    _, body = await fresh(env)
    statuses = [(await post_device(env, {**body, "eid": "e_x"})).status for _ in range(3)]
    assert statuses == [404, 404, 404]
    reply = await post_device(env, {**body, "eid": "e_y"})
    assert reply.status == 429
    assert int(reply.headers["Retry-After"]) >= 1
    assert reply.body["error"] == "rate_limited"
    # A registration with the right secret and signature is never refused for the others.
    assert (await post_device(env, body)).status == 201
    _, other = await fresh(env)
    assert (await post_device(env, other)).status == 201


@pytest.mark.parametrize(
    "limits", [Limits(sweep_interval=FAST.sweep_interval, registration_burst=3)]
)
async def test_many_valid_registrations_from_one_address_all_go_through(env: Env) -> None:
    # An office behind one NAT enrolling everybody at once: successes use no budget.
    for _ in range(8):
        _, body = await fresh(env)
        assert (await post_device(env, body)).status == 201


@pytest.mark.parametrize(
    "limits",
    [
        Limits(
            sweep_interval=FAST.sweep_interval,
            subject_failure_burst=2,
            subject_failures_per_second=0.001,
            registration_burst=100,
            slowdown_cap=0.05,
        )
    ],
)
async def test_wrong_secrets_for_one_enrollment_are_limited_without_touching_others(
    env: Env,
) -> None:
    _, body = await fresh(env)
    wrong = {**body, "secret": "A" * 43}
    assert [(await post_device(env, wrong)).status for _ in range(2)] == [401, 401]
    assert (await post_device(env, wrong)).status == 429
    _, other = await fresh(env)
    assert (await post_device(env, {**other, "secret": "A" * 43})).status == 401
    assert (await post_device(env, other)).status == 201
    assert (await post_device(env, body)).status == 201


async def test_two_keys_racing_for_one_enrollment_one_wins(env: Env) -> None:
    import asyncio

    enrollment = await env.rp.enroll("alice@example.com")
    uri = parse_enroll_uri(enrollment["uri"])
    bodies = [start_registration(uri, f"Device {i}", 1).body for i in range(8)]
    replies = await asyncio.gather(*(post_device(env, body) for body in bodies))
    assert sorted(reply.status for reply in replies) == [201] + [409] * 7
    listed = (await env.rp.call("GET", "/v1/users/alice@example.com/devices")).body
    assert len(listed) == 1
