"""The device websocket: hello, auth, close codes, size limit, keepalive, per-address limits."""

from __future__ import annotations

import asyncio
import json

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.push.canonical import (
    TAG_HELLO,
    TAG_WS_AUTH,
    b64u_decode,
    b64u_encode,
    load_public_key,
    new_private_key,
    sign,
    verify,
)
from app.push.enrollment import PushEnrollment
from app.push.session import ChallengeReceived
from app.server.config import Limits
from tests.server.conftest import Env
from tests.server.helpers import Device, connected_device, enrolled_device, register

pytestmark = pytest.mark.asyncio
# Against both stores: the rules and the protocol must not depend on the database.
STORES = ("sqlite", "postgresql")

USER = "alice@example.com"


async def enrollment_for(env: Env, user: str = USER) -> PushEnrollment:
    enrollment = await env.rp.enroll(user)
    return await register(env.http, enrollment["uri"], int(env.clock.now()))


async def open_raw(env: Env, **kwargs: object) -> aiohttp.ClientWebSocketResponse:
    url = env.base_url.replace("http://", "ws://") + "/v1/ws"
    return await env.http.ws_connect(url, **kwargs)  # type: ignore[arg-type]


async def hello_of(ws: aiohttp.ClientWebSocketResponse) -> dict[str, object]:
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.TEXT
    return dict(json.loads(msg.data))


async def close_code(ws: aiohttp.ClientWebSocketResponse) -> int | None:
    async with asyncio.timeout(10):
        while True:
            msg = await ws.receive()
            if msg.type in {
                aiohttp.WSMsgType.CLOSE,
                aiohttp.WSMsgType.CLOSED,
                aiohttp.WSMsgType.CLOSING,
            }:
                return ws.close_code
            assert msg.type is not aiohttp.WSMsgType.ERROR, msg


def auth_for(enrollment: PushEnrollment, nonce: str, key=None) -> str:  # type: ignore[no-untyped-def]
    message = {"type": "auth", "device_id": enrollment.device_id, "nonce": nonce}
    return json.dumps(sign(key or enrollment.private_key, TAG_WS_AUTH, message))


async def test_hello_is_signed_by_the_server_key(env: Env) -> None:
    ws = await open_raw(env)
    hello = await hello_of(ws)
    assert set(hello) == {"type", "v", "nonce", "server_time", "sig"}
    assert hello["type"] == "hello"
    assert hello["v"] == 1
    assert hello["server_time"] == int(env.clock.now())
    assert len(b64u_decode(hello["nonce"], 32)) == 32
    assert verify(load_public_key(env.server.service.server_public_key), TAG_HELLO, hello)
    other = await hello_of(await open_raw(env))
    assert other["nonce"] != hello["nonce"]


async def test_good_auth_gets_ready(env: Env) -> None:
    enrollment = await enrollment_for(env)
    ws = await open_raw(env)
    hello = await hello_of(ws)
    await ws.send_str(auth_for(enrollment, str(hello["nonce"])))
    ready = json.loads((await ws.receive(timeout=10)).data)
    assert ready == {"type": "ready", "server_time": int(env.clock.now())}


@pytest.mark.parametrize(
    "fault", ["signature", "nonce", "unknown", "malformed", "binary", "response"]
)
async def test_bad_auth_closes_4401(env: Env, fault: str) -> None:
    enrollment = await enrollment_for(env)
    ws = await open_raw(env)
    nonce = str((await hello_of(ws))["nonce"])
    if fault == "signature":
        await ws.send_str(auth_for(enrollment, nonce, key=new_private_key()))
    elif fault == "nonce":
        await ws.send_str(auth_for(enrollment, b64u_encode(b"\x00" * 32)))
    elif fault == "unknown":
        fake = {"type": "auth", "device_id": "d_unknown", "nonce": nonce}
        await ws.send_str(json.dumps(sign(enrollment.private_key, TAG_WS_AUTH, fake)))
    elif fault == "malformed":
        await ws.send_str("{auth please}")
    elif fault == "binary":
        await ws.send_bytes(b"\x00")
    else:
        await ws.send_str(json.dumps({"type": "response", "id": "c_1"}))
    assert await close_code(ws) == 4401


@pytest.mark.parametrize("limits", [Limits(sweep_interval=0.05, auth_timeout=0.3)])
async def test_late_auth_closes_4401(env: Env) -> None:
    ws = await open_raw(env)
    await hello_of(ws)
    assert await close_code(ws) == 4401


async def test_a_revoked_device_gets_4403_only_with_a_valid_signature(env: Env) -> None:
    enrollment = await enrollment_for(env)
    await env.rp.call("DELETE", f"/v1/devices/{enrollment.device_id}")
    ws = await open_raw(env)
    nonce = str((await hello_of(ws))["nonce"])
    await ws.send_str(auth_for(enrollment, nonce, key=new_private_key()))
    assert await close_code(ws) == 4401
    ws = await open_raw(env)
    nonce = str((await hello_of(ws))["nonce"])
    await ws.send_str(auth_for(enrollment, nonce))
    assert await close_code(ws) == 4403


async def test_pending_challenges_come_after_ready(env: Env) -> None:
    enrollment = await enrollment_for(env)
    created = await env.rp.challenge(USER)
    assert created.status == 201
    device = await connected_device(env.http, enrollment, env.clock)
    await device.event(ChallengeReceived)
    assert [m["type"] for m in device.raw] == ["hello", "ready", "challenge"]


async def test_a_message_over_64_kib_closes_1009(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    padding = 64 * 1024 - len('{"type":"x","pad":""}')
    await device.send_raw(json.dumps({"type": "x", "pad": "a" * padding}, separators=(",", ":")))
    created = await env.rp.challenge(USER)  # exactly 64 KiB was fine: the socket still works
    await device.event(ChallengeReceived, lambda e: e.challenge.id == created.body["id"])
    await device.send_raw("a" * (64 * 1024 + 1))
    assert await device.closed() == 1009


async def test_an_oversized_auth_closes_1009(env: Env) -> None:
    ws = await open_raw(env)
    await hello_of(ws)
    await ws.send_str("a" * (64 * 1024 + 1))
    assert await close_code(ws) == 1009


async def test_binary_after_ready_closes_1003(env: Env) -> None:
    device = await enrolled_device(env.http, env.rp, env.clock)
    assert device.ws is not None
    await device.ws.send_bytes(b"{}")
    assert await device.closed() == 1003


@pytest.mark.parametrize(
    "limits", [Limits(sweep_interval=0.05, ping_interval=0.1, ping_timeout=0.1)]
)
async def test_pings_and_a_silent_peer_is_dropped(env: Env) -> None:
    enrollment = await enrollment_for(env)
    # A peer that answers pings stays, ping after ping.
    lively = await open_raw(env, autoping=False)
    nonce = str((await hello_of(lively))["nonce"])
    await lively.send_str(auth_for(enrollment, nonce))
    pings = 0
    while pings < 4:
        msg = await lively.receive(timeout=10)
        if msg.type is aiohttp.WSMsgType.PING:
            pings += 1
            await lively.pong(msg.data)
    assert not lively.closed
    # A peer that never answers is dropped.
    silent = await open_raw(env, autoping=False)
    nonce = str((await hello_of(silent))["nonce"])
    await silent.send_str(auth_for(enrollment, nonce))
    assert await close_code(silent) == 1001


@pytest.mark.parametrize("limits", [Limits(sweep_interval=0.05, sockets_per_ip=3)])
async def test_too_many_sockets_from_one_address_get_429(env: Env) -> None:
    sockets = [await open_raw(env) for _ in range(3)]
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await open_raw(env)
    assert refused.value.status == 429
    assert refused.value.headers is not None
    assert int(refused.value.headers["Retry-After"]) >= 1
    await sockets[0].close()

    async def reopen() -> aiohttp.ClientWebSocketResponse:
        while True:
            try:
                return await open_raw(env)
            except aiohttp.WSServerHandshakeError:
                await asyncio.sleep(0.02)

    async with asyncio.timeout(10):
        assert await hello_of(await reopen())


NOISY = Limits(
    sweep_interval=0.05,
    failed_auth_burst=2,
    failed_auths_per_second=0.001,
    subject_failure_burst=3,
    subject_failures_per_second=0.001,
    slowdown_cap=0.05,
)


async def fail_auth(env: Env, text: str) -> None:
    ws = await open_raw(env)
    await hello_of(ws)
    await ws.send_str(text)
    assert await close_code(ws) == 4401


@pytest.mark.parametrize("limits", [NOISY])
async def test_failed_auths_slow_an_address_but_never_lock_out_a_valid_device(env: Env) -> None:
    enrollment = await enrollment_for(env)
    for _ in range(2):
        await fail_auth(env, "{}")
    assert env.server.device_sockets.slowed_handshakes == 0
    # The address is over its budget: more noise is slowed down, still answered...
    await fail_auth(env, "{}")
    assert env.server.device_sockets.slowed_handshakes == 1
    # ...and a device of that address with a valid signature connects all the same.
    device = await connected_device(env.http, enrollment, env.clock)
    created = await env.rp.challenge(USER)
    await device.event(ChallengeReceived, lambda e: e.challenge.id == created.body["id"])


@pytest.mark.parametrize("limits", [NOISY])
async def test_a_device_with_a_stale_key_uses_its_own_budget_first(env: Env) -> None:
    enrollment = await enrollment_for(env)
    stale = new_private_key()
    for _ in range(3):  # within that device's own budget: the address stays quiet
        ws = await open_raw(env)
        nonce = str((await hello_of(ws))["nonce"])
        await ws.send_str(auth_for(enrollment, nonce, key=stale))
        assert await close_code(ws) == 4401
    await fail_auth(env, "{}")
    assert env.server.device_sockets.slowed_handshakes == 0
    await connected_device(env.http, enrollment, env.clock)
    assert env.server.device_sockets.slowed_handshakes == 0


async def test_an_upgrade_from_a_web_page_is_refused(env: Env) -> None:
    enrollment = await enrollment_for(env)
    for origin in ("https://evil.example", env.base_url, "null"):
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await open_raw(env, origin=origin)
        assert refused.value.status == 403
    await connected_device(env.http, enrollment, env.clock)


async def test_the_default_limits_allow_a_thousand_sockets_per_address() -> None:
    assert Limits().sockets_per_ip >= 1000


async def test_three_hundred_sockets_from_one_address_all_get_the_challenge(env: Env) -> None:
    enrollment = await enrollment_for(env)
    sockets = [Device(enrollment, env.clock) for _ in range(300)]
    # aiohttp's client holds 100 connections per session unless told otherwise.
    async with (
        aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http,
        asyncio.timeout(60),
    ):
        await asyncio.gather(*(s.connect(http) for s in sockets))
        await asyncio.gather(*(s.ready() for s in sockets))
        created = await env.rp.challenge(USER)
        received = await asyncio.gather(*(s.event(ChallengeReceived) for s in sockets))
        assert {r.challenge.id for r in received} == {created.body["id"]}
        await asyncio.gather(*(s.close() for s in sockets))


async def test_a_plain_get_of_the_websocket_path_is_400(env: Env) -> None:
    reply = await env.rp.call("GET", "/v1/ws")
    assert reply.status == 400


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.one_of(
        st.text(max_size=300),
        st.builds(
            lambda fields: json.dumps({"type": "response", **fields}),
            st.dictionaries(
                st.sampled_from(["id", "decision", "number", "challenge_hash", "ts", "sig"]),
                st.none() | st.integers() | st.text(max_size=30) | st.booleans(),
            ),
        ),
    )
)
async def test_any_text_after_ready_is_ignored_or_answered_invalid(env: Env, raw: str) -> None:
    device = getattr(env, "fuzz_device", None)
    if device is None:
        device = await enrolled_device(env.http, env.rp, env.clock)
        env.fuzz_device = device  # type: ignore[attr-defined]
    before = len(device.raw)
    await device.send_raw(raw)
    await device.send_raw(json.dumps({"type": "response", "id": "c_probe"}))  # answered invalid
    reply = await device.until(
        lambda: next((m for m in device.raw[before:] if m.get("id") == "c_probe"), None), 10
    )
    assert reply["status"] == "invalid"
    assert env.server.stats.unexpected_errors == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.text(max_size=300))
@pytest.mark.parametrize("limits", [Limits(sweep_interval=0.05, failed_auth_burst=10_000)])
async def test_any_text_instead_of_auth_closes_4401(env: Env, raw: str) -> None:
    ws = await open_raw(env)
    await hello_of(ws)
    await ws.send_str(raw)
    assert await close_code(ws) == 4401
    assert env.server.stats.unexpected_errors == 0
