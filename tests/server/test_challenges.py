"""Challenges: every way one ends, every refusal, and the push-fatigue rules."""

from __future__ import annotations

import asyncio
import json

import pytest
import pytest_asyncio

from app.push.canonical import TAG_RESPONSE, b64u_encode, new_private_key, sign
from app.push.messages import Decision, Status
from app.push.session import AnswerRejected, ChallengeReceived, ChallengeResolved
from app.server.config import Limits
from tests.server.conftest import Env
from tests.server.helpers import Device, enrolled_device

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")

USER = "alice@example.com"


async def started(env: Env, device: Device, **extra: object) -> tuple[str, str | None]:
    created = await env.rp.challenge(USER, **extra)
    assert created.status == 201, created
    challenge_id = created.body["id"]
    await device.event(ChallengeReceived, lambda e: e.challenge.id == challenge_id)
    return challenge_id, created.body.get("number")


def other_number(number: str | None) -> str:
    assert number is not None
    return f"{(int(number) + 1) % 100:02d}"


async def result_for(device: Device, challenge_id: str, nth: int = 1) -> str:
    """The status of the nth `result` the device got for a challenge."""

    def check() -> str | None:
        results = [
            m for m in device.raw if m.get("type") == "result" and m.get("id") == challenge_id
        ]
        return str(results[nth - 1]["status"]) if len(results) >= nth else None

    return await device.until(check, 10)


@pytest_asyncio.fixture
async def alice(env: Env) -> Device:
    return await enrolled_device(env.http, env.rp, env.clock)


async def test_deny(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    await alice.answer(challenge_id, Decision.DENY, None)
    assert (await alice.event(ChallengeResolved)).status is Status.DENIED
    assert (await env.rp.status(challenge_id))["status"] == "denied"


async def test_wrong_number_ends_the_challenge(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice)
    await alice.answer(challenge_id, Decision.APPROVE, other_number(number))
    assert (await alice.event(ChallengeResolved)).status is Status.WRONG_NUMBER
    # The right number afterwards changes nothing: no guessing.
    response = sign_response(alice, challenge_id, "approve", number)
    await alice.send_raw(response)
    assert await result_for(alice, challenge_id, 2) == "wrong_number"
    final = await env.rp.status(challenge_id)
    assert final["status"] == "wrong_number"
    assert final["device_id"] == alice.enrollment.device_id


def sign_response(
    device: Device,
    challenge_id: str,
    decision: str,
    number: str | None,
    *,
    key=None,  # type: ignore[no-untyped-def]
    challenge_hash: str | None = None,
) -> str:
    """A response built by hand, to forge or replay what a DeviceSession would not."""
    from app.push.canonical import TAG_CHALLENGE, digest

    challenge = next(
        m for m in device.raw if m.get("type") == "challenge" and m["id"] == challenge_id
    )
    message = {
        "type": "response",
        "id": challenge_id,
        "decision": decision,
        "number": number,
        "challenge_hash": challenge_hash or b64u_encode(digest(TAG_CHALLENGE, challenge)),
        "ts": 0,
    }
    return json.dumps(sign(key or device.enrollment.private_key, TAG_RESPONSE, message))


async def test_a_forged_signature_is_invalid_and_changes_nothing(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice)
    await alice.send_raw(
        sign_response(alice, challenge_id, "approve", number, key=new_private_key())
    )
    assert await result_for(alice, challenge_id) == "invalid"
    assert (await env.rp.status(challenge_id))["status"] == "pending"
    await alice.answer(challenge_id, Decision.APPROVE, number)
    assert (await alice.event(ChallengeResolved)).status is Status.APPROVED


async def test_a_tampered_challenge_hash_is_invalid(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice)
    forged = sign_response(
        alice, challenge_id, "approve", number, challenge_hash=b64u_encode(b"\x00" * 32)
    )
    await alice.send_raw(forged)
    assert await result_for(alice, challenge_id) == "invalid"
    assert (await env.rp.status(challenge_id))["status"] == "pending"


async def test_the_session_shows_an_invalid_result_as_rejected(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice)
    await alice.send_raw(
        sign_response(alice, challenge_id, "approve", number, key=new_private_key())
    )
    await alice.event(AnswerRejected)


async def test_a_replayed_response_reads_the_final_status(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    response = sign_response(alice, challenge_id, "deny", None)
    await alice.send_raw(response)
    assert await result_for(alice, challenge_id) == "denied"
    approve = sign_response(alice, challenge_id, "approve", "00")
    await alice.send_raw(approve)
    assert await result_for(alice, challenge_id, 2) == "denied"
    await alice.send_raw(response)
    assert await result_for(alice, challenge_id, 3) == "denied"
    assert (await env.rp.status(challenge_id))["status"] == "denied"


async def test_malformed_responses_get_invalid(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    good = json.loads(sign_response(alice, challenge_id, "deny", None))
    await alice.send_raw(json.dumps({**good, "decision": "maybe"}))
    assert await result_for(alice, challenge_id) == "invalid"
    await alice.send_raw(json.dumps({**good, "challenge_hash": 5}))
    assert await result_for(alice, challenge_id, 2) == "invalid"
    await alice.send_raw(json.dumps({**good, "ts": 1.5}))  # floats are not protocol JSON
    assert await result_for(alice, challenge_id, 3) == "invalid"
    await alice.send_raw(json.dumps({**good, "id": "c_nonexistent"}))
    assert await alice.message(lambda m: m.get("id") == "c_nonexistent") == {
        "type": "result",
        "id": "c_nonexistent",
        "status": "invalid",
    }
    # Garbage is ignored and the socket keeps working.
    await alice.send_raw("not json")
    await alice.send_raw('{"type": "what"}')
    await alice.answer(challenge_id, Decision.DENY, None)
    assert (await alice.event(ChallengeResolved)).status is Status.DENIED


async def test_expiry_sends_cancel_and_reads_expired(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice, ttl=30)
    env.clock.advance(30)
    resolved = await alice.event(ChallengeResolved)
    assert resolved == ChallengeResolved(challenge_id, Status.EXPIRED, "cancel")
    final = await env.rp.status(challenge_id)
    assert final == {"id": challenge_id, "status": "expired", "decided_at": final["decided_at"]}
    assert final["decided_at"] == int(env.clock.now())
    # A late response reads the final status.
    await alice.send_raw(sign_response(alice, challenge_id, "approve", number))
    assert await result_for(alice, challenge_id) == "expired"


@pytest.mark.parametrize("limits", [Limits(sweep_interval=3600)])  # the sweeper sleeps
async def test_a_response_after_expiry_before_the_sweep_is_expired(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice, ttl=30)
    env.clock.advance(31)
    await alice.send_raw(sign_response(alice, challenge_id, "approve", number))
    assert await result_for(alice, challenge_id) == "expired"
    assert (await env.rp.status(challenge_id))["status"] == "expired"


async def test_long_poll_wakes_at_expiry(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice, ttl=30)
    poll = asyncio.create_task(env.rp.status(challenge_id, wait=60))
    assert (await env.rp.status(challenge_id))["status"] == "pending"
    assert not poll.done()
    env.clock.advance(30)
    assert (await asyncio.wait_for(poll, 10))["status"] == "expired"


async def test_long_poll_returns_pending_after_wait(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    assert (await env.rp.status(challenge_id, wait=1)) == {"id": challenge_id, "status": "pending"}


async def test_rp_cancel(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    reply = await env.rp.call("DELETE", f"/v1/challenges/{challenge_id}")
    assert reply.status == 200
    assert reply.body["status"] == "cancelled"
    assert reply.body["id"] == challenge_id
    resolved = await alice.event(ChallengeResolved)
    assert resolved == ChallengeResolved(challenge_id, Status.CANCELLED, "cancel")
    again = await env.rp.call("DELETE", f"/v1/challenges/{challenge_id}")
    assert again.status == 409
    assert again.body["status"] == "cancelled"
    # cancelled leaves no backoff
    assert (await env.rp.challenge(USER)).status == 201


async def test_deleting_a_decided_challenge_is_409_with_its_status(env: Env, alice: Device) -> None:
    challenge_id, number = await started(env, alice)
    await alice.answer(challenge_id, Decision.APPROVE, number)
    await alice.event(ChallengeResolved)
    reply = await env.rp.call("DELETE", f"/v1/challenges/{challenge_id}")
    assert reply.status == 409
    assert reply.body["status"] == "approved"
    assert reply.body["error"]


async def test_without_number_matching(env: Env, alice: Device) -> None:
    created = await env.rp.challenge(USER, number_matching=False)
    assert "number" not in created.body
    received = await alice.event(ChallengeReceived)
    assert received.challenge.number_matching is False
    await alice.answer(created.body["id"], Decision.APPROVE, None)
    assert (await alice.event(ChallengeResolved)).status is Status.APPROVED


async def test_a_second_pending_challenge_is_429_until_its_expiry(env: Env, alice: Device) -> None:
    first, _ = await started(env, alice, ttl=100)
    env.clock.advance(40)
    second = await env.rp.challenge(USER)
    assert second.status == 429
    assert second.headers["Retry-After"] == "60"
    assert second.body["error"] == "challenge_pending"
    assert (await env.rp.status(first))["status"] == "pending"


async def test_backoff_after_deny_doubles_and_approval_resets(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    env.clock.advance(3)
    await alice.answer(challenge_id, Decision.DENY, None)
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == challenge_id)
    env.clock.advance(4)
    refused = await env.rp.challenge(USER)
    assert refused.status == 429
    assert refused.body["error"] == "backoff"
    assert refused.headers["Retry-After"] == "6"  # 10 s counted from the denial
    env.clock.advance(6)
    second, number = await started(env, alice)
    await alice.answer(second, Decision.APPROVE, other_number(number))
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == second)
    assert (await env.rp.challenge(USER)).headers["Retry-After"] == "20"
    env.clock.advance(20)
    third, _ = await started(env, alice, ttl=30)
    env.clock.advance(30)  # expired: counts from its expiry
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == third)
    assert (await env.rp.challenge(USER)).headers["Retry-After"] == "40"
    env.clock.advance(40)
    fourth, number = await started(env, alice)
    await alice.answer(fourth, Decision.APPROVE, number)
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == fourth)
    assert (await env.rp.challenge(USER)).status == 201  # approval reset it


async def test_backoff_caps_at_an_hour(env: Env, alice: Device) -> None:
    for _ in range(11):
        challenge_id, _ = await started(env, alice)
        await alice.answer(challenge_id, Decision.DENY, None)
        await alice.event(ChallengeResolved, lambda e, c=challenge_id: e.challenge_id == c)
        env.clock.advance(3600)
    challenge_id, _ = await started(env, alice)
    await alice.answer(challenge_id, Decision.DENY, None)
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == challenge_id)
    assert (await env.rp.challenge(USER)).headers["Retry-After"] == "3600"


async def test_fraud_blocks_until_unblock(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    await alice.answer(challenge_id, Decision.FRAUD, None)
    assert (await alice.event(ChallengeResolved)).status is Status.FRAUD
    env.clock.advance(7200)
    blocked = await env.rp.challenge(USER)
    assert blocked.status == 423
    assert blocked.body["error"] == "blocked"
    unblock = await env.rp.call("POST", f"/v1/users/{USER}/unblock", {})
    assert unblock.status == 200
    assert unblock.body == {"user": USER, "blocked": False}
    assert (await env.rp.challenge(USER)).status == 201


async def test_unblock_answers_200_when_nothing_was_blocked(env: Env) -> None:
    reply = await env.rp.call("POST", "/v1/users/nobody/unblock", raw=b"")
    assert reply.status == 200
    assert reply.body == {"user": "nobody", "blocked": False}
    bad = await env.rp.call("POST", "/v1/users/nobody/unblock", {"force": True})
    assert bad.status == 400


async def test_fraud_leaves_the_backoff_as_it_is(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    await alice.answer(challenge_id, Decision.DENY, None)
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == challenge_id)
    env.clock.advance(10)
    second, _ = await started(env, alice)
    await alice.answer(second, Decision.FRAUD, None)
    await alice.event(ChallengeResolved, lambda e: e.challenge_id == second)
    await env.rp.call("POST", f"/v1/users/{USER}/unblock", {})
    assert (
        await env.rp.challenge(USER)
    ).status == 201  # the 10 s wait had passed, fraud added none


async def test_no_device_404_and_refusal_order(env: Env, alice: Device) -> None:
    assert (await env.rp.challenge("bob@example.com")).status == 404
    assert (await env.rp.challenge("bob@example.com", ttl=5)).status == 400  # 400 before 404
    challenge_id, _ = await started(env, alice)
    await alice.answer(challenge_id, Decision.FRAUD, None)
    await alice.event(ChallengeResolved)
    assert (await env.rp.challenge(USER)).status == 423  # 423 before backoff


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"user": ""},
        {"user": "u" * 257},
        {"user": 5},
        {"user": USER, "action": ""},
        {"user": USER, "action": "a" * 201},
        {"user": USER, "context": {"device": "x"}},
        {"user": USER, "context": {"app": "x" * 201}},
        {"user": USER, "context": {"app": ["x"]}},
        {"user": USER, "context": "x"},
        {"user": USER, "ttl": 29},
        {"user": USER, "ttl": 301},
        {"user": USER, "ttl": "60"},
        {"user": USER, "number_matching": "yes"},
        {"user": USER, "extra": 1},
    ],
)
async def test_bad_challenge_requests_400(env: Env, alice: Device, body: dict[str, object]) -> None:
    reply = await env.rp.call("POST", "/v1/challenges", body)
    assert reply.status == 400, reply
    assert set(reply.body) == {"error", "message"}


async def test_defaults_and_limits_are_accepted(env: Env, alice: Device) -> None:
    created = await env.rp.challenge(
        USER, context={"app": "a" * 200, "ip": "", "user_agent": "UA"}, ttl=300, action="x" * 200
    )
    assert created.status == 201
    assert created.body["expires_at"] == int(env.clock.now()) + 300
    received = await alice.event(ChallengeReceived)
    assert received.challenge.action == "x" * 200
    await env.rp.call("DELETE", f"/v1/challenges/{created.body['id']}")
    default = await env.rp.challenge(USER)
    received = await alice.event(ChallengeReceived, lambda e: e.challenge.id == default.body["id"])
    assert received.challenge.action == "Sign in"
    assert received.challenge.context == {}
    assert default.body["expires_at"] == int(env.clock.now()) + 120


async def test_optional_fields_sent_as_null_read_as_absent(env: Env, alice: Device) -> None:
    created = await env.rp.challenge(
        USER, action=None, ttl=None, number_matching=None, context={"app": "Mail", "ip": None}
    )
    assert created.status == 201
    assert created.body["expires_at"] == int(env.clock.now()) + 120
    received = await alice.event(ChallengeReceived)
    assert received.challenge.action == "Sign in"
    assert received.challenge.context == {"app": "Mail"}
    assert received.challenge.number_matching is True


async def test_wait_parameter(env: Env, alice: Device) -> None:
    challenge_id, _ = await started(env, alice)
    for bad in ("-1", "x", "1.5", ""):
        reply = await env.rp.call("GET", f"/v1/challenges/{challenge_id}?wait={bad}")
        assert reply.status == 400, bad
    await alice.answer(challenge_id, Decision.DENY, None)
    reply = await env.rp.call("GET", f"/v1/challenges/{challenge_id}?wait=999999999999999999999")
    assert reply.status == 200
    assert reply.body["status"] == "denied"


async def test_unknown_challenge_404(env: Env) -> None:
    assert (await env.rp.call("GET", "/v1/challenges/c_nope")).status == 404
    assert (await env.rp.call("GET", "/v1/challenges/has%20space")).status == 404
    assert (await env.rp.call("DELETE", "/v1/challenges/c_nope")).status == 404


async def test_create_and_cancel_in_a_loop_is_limited(env: Env, alice: Device) -> None:
    """Cancelled challenges count: a site (or whoever drives its sign-in page) cannot push
    prompt after prompt by cancelling each one before it ends in a backoff."""
    made = []
    for _ in range(5):
        challenge_id, _ = await started(env, alice)
        made.append(challenge_id)
        assert (await env.rp.call("DELETE", f"/v1/challenges/{challenge_id}")).status == 200
    refused = await env.rp.challenge(USER)
    assert refused.status == 429
    assert refused.body["error"] == "too_many_challenges"
    assert refused.headers["Retry-After"] == "60"
    env.clock.advance(30)
    assert (await env.rp.challenge(USER)).headers["Retry-After"] == "30"
    env.clock.advance(30)
    sixth, _ = await started(env, alice)
    prompts = [m["id"] for m in alice.raw if m.get("type") == "challenge"]
    assert prompts == [*made, sixth]  # the refused ones never reached the device
