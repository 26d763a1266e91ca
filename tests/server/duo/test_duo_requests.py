"""Signed requests as Duo's clients make them, and every other request answered in Duo's
error shape: wrong keys, stale dates, other integrations' keys, unknown endpoints, bad
parameters; the rules against push fatigue, as a Duo IdP sees them; the activation page."""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
import io
import json
import time
from collections import defaultdict
from typing import Any

import duo_client.client as duo
import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from app.push.messages import Decision
from app.push.session import ChallengeReceived
from tests.server.duo.conftest import PARAM_NAMES, DuoEnv, Integ, call, raw, refused

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning"),
]
INVALID_SIGNATURE = {
    "http": 401,
    "stat": "FAIL",
    "code": 40103,
    "message": "Invalid signature in request credentials",
}


async def test_ping_is_unsigned_and_check_needs_the_right_secret(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    assert abs((await call(duo_env.client(integ).ping))["time"] - time.time()) < 5
    assert "time" in await call(duo_env.client(integ).check)
    wrong = Integ(integ.ikey, integ.skey[:-1] + ("A" if integ.skey[-1] != "A" else "B"), "x")
    assert await refused(duo_env.client(wrong).check) == INVALID_SIGNATURE
    other = await duo_env.integration("Other Site")
    mixed = Integ(integ.ikey, other.skey, "x")  # another integration's secret key
    assert await refused(duo_env.client(mixed).check) == INVALID_SIGNATURE
    unknown = Integ("DI" + "Z" * 18, integ.skey, "x")
    assert await refused(duo_env.client(unknown).check) == INVALID_SIGNATURE
    status, body = await raw(duo_env, None, "GET", "check", {})
    assert (status, body["code"], body["stat"]) == (401, 40101, "FAIL")


async def test_a_stale_date_is_refused_either_way(duo_env: DuoEnv) -> None:
    client = duo_env.client(await duo_env.integration())
    duo_env.clock.advance(400)  # our clock is ahead: the client's Date is 400 s old
    stale = await refused(client.check)
    assert {k: stale[k] for k in INVALID_SIGNATURE} == INVALID_SIGNATURE
    assert "400 s" in stale["message_detail"]
    duo_env.clock.advance(-800)  # and behind
    assert (await refused(client.check))["code"] == 40103
    duo_env.clock.advance(400 - 200)  # 200 s off is within Duo's 300 s
    assert "time" in await call(client.check)


async def test_a_revoked_integration_is_refused(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    assert "time" in await call(client.check)
    assert duo_env.server.duo is not None
    assert await duo_env.server.duo.store.revoke_integration(integ.ikey, int(time.time()))
    assert await refused(client.check) == INVALID_SIGNATURE


@pytest.mark.parametrize(
    "options",
    [
        {},  # duo_client's default: v5, JSON body
        {"sig_version": 2},  # HMAC-SHA512
        {"sig_version": 2, "digestmod": hashlib.sha1},  # older clients
        {"sig_version": 4},
    ],
    ids=["v5", "v2-sha512", "v2-sha1", "v4"],
)
async def test_every_signature_version_duo_client_sends(
    duo_env: DuoEnv, options: dict[str, Any]
) -> None:
    client = duo_env.client(await duo_env.integration(), **options)
    assert "time" in await call(client.check)  # GET
    assert (await call(client.preauth, username="x y@example.com"))["result"] == "enroll"  # POST


async def test_what_duo_clients_command_line_sends(duo_env: DuoEnv) -> None:
    """`python -m duo_client.client` (DUO.md's check with a private CA) puts each value in
    a list; signed v5 that is a JSON list of one, v2 a form."""
    integ = await duo_env.integration()
    for version in (5, 2):
        client = duo_env.client(integ, sig_version=version)
        params: defaultdict[str, list[str]] = defaultdict(list)
        params["username"].append("cli user")
        response, data = await call(client.api_call, "POST", "/auth/v2/preauth", params)
        assert response.status == 200, data
        assert json.loads(data)["response"]["result"] == "enroll"


async def test_host_signed_with_its_port_as_gos_client_does(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    go_date = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())  # RFC1123Z
    for host in (f"localhost:{duo_env.port}", "localhost"):
        status, body = await raw(
            duo_env, integ, "POST", "preauth", {"username": "gopher"}, host=host, date=go_date
        )
        assert (status, body["stat"], body["response"]["result"]) == (200, "OK", "enroll")
    status, body = await raw(duo_env, integ, "POST", "preauth", {"username": "g"}, host="evil")
    assert (status, body["code"]) == (401, 40103)


async def test_parameters_the_signature_does_not_cover_are_refused(duo_env: DuoEnv) -> None:
    """A form POST (v2) signs its body; a query added on the way is never read."""
    integ = await duo_env.integration()
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    signed = {"factor": "push", "username": "alice", "async": "1"}
    status, body = await raw(
        duo_env, integ, "POST", "auth", signed, unsigned_query="type=Evil%20Corp"
    )
    assert (status, body["code"], body["message_detail"]) == (400, 40002, "query")
    status, body = await raw(duo_env, integ, "POST", "auth", signed)
    assert status == 200
    prompt = await device.event(ChallengeReceived)
    assert prompt.challenge.id == body["response"]["txid"]
    assert prompt.challenge.action == "Sign in"


async def test_unknown_endpoints_methods_and_the_logo(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    not_found = {"stat": "FAIL", "code": 40401, "message": "Resource not found"}
    for endpoint in ("nothing_here", "check/", "", "auth/more"):
        status, body = await raw(duo_env, integ, "GET", endpoint, {})
        assert (status, body) == (404, not_found), endpoint
    for path in ("/auth/v2", "/auth/v1/check", "/auth"):  # a wrong API hostname path
        async with duo_env.http.get(duo_env.base_url + path) as response:
            assert (response.status, await response.json()) == (404, not_found), path
    status, body = await raw(duo_env, integ, "GET", "preauth", {"username": "a"})
    assert (status, body["code"]) == (405, 40501)
    logo = await refused(duo_env.client(integ).logo)
    assert (logo["http"], logo["code"], logo["message_detail"]) == (404, 40401, "Logo not found")


async def test_push_fatigue_rules_answer_deny_with_a_reason(duo_env: DuoEnv) -> None:
    """One pending at a time, then the backoff after a denial: Duo clients get 200 and a
    deny that says how long to wait (never a 429 they cannot read)."""
    client = duo_env.client(await duo_env.integration())
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    first = await call(client.auth, "push", username="alice", async_txn=True)
    prompt = await device.event(ChallengeReceived)
    second = await call(client.auth, "push", username="alice")
    assert second["result"] == "deny"
    assert "already waiting" in second["status_msg"]
    await device.answer(prompt.challenge.id, Decision.DENY, None)
    assert (await call(client.auth_status, first["txid"]))["status"] == "deny"
    later = await call(client.auth, "push", username="alice", async_txn=True)
    status = await call(client.auth_status, later["txid"])
    assert (status["success"], status["status"]) == (False, "deny")
    assert "wait 10 s" in status["status_msg"]
    assert (await call(client.preauth, username="alice"))["result"] == "auth"


async def test_activation_page_and_qr_code(duo_env: DuoEnv) -> None:
    client = duo_env.client(await duo_env.integration())
    enrolled = await call(client.enroll, username="<b>eve</b>", valid_secs=600)
    async with duo_env.http.get(enrolled["activation_url"]) as page:
        html = await page.text()
        assert page.status == 200
        assert page.headers["Cache-Control"] == "no-store"
        assert page.headers["Referrer-Policy"] == "no-referrer"
        assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert "&lt;b&gt;eve&lt;/b&gt;" in html
    assert "<b>eve</b>" not in html
    async with duo_env.http.get(enrolled["activation_barcode"]) as image:
        assert (image.status, image.content_type) == (200, "image/png")
        png = await image.read()
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert [code.text for code in found] == [enrolled["activation_code"]]

    await duo_env.connect(enrolled["activation_code"])
    async with duo_env.http.get(enrolled["activation_url"]) as page:
        assert page.status == 200
        assert "Enrolled" in await page.text()
    async with duo_env.http.get(enrolled["activation_barcode"]) as image:
        assert image.status == 404  # the code is spent: no longer served
    async with duo_env.http.get(duo_env.base_url + "/duo/activate/" + "A" * 32) as page:
        assert page.status == 404

    expiring = await call(client.enroll, username="frank", valid_secs=60)
    duo_env.clock.advance(61)
    async with duo_env.http.get(expiring["activation_url"]) as page:
        assert page.status == 410
        assert expiring["activation_code"] not in await page.text()
    assert await call(client.enroll_status, expiring["user_id"], expiring["activation_code"]) == (
        "invalid"
    )


async def test_secret_keys_are_sealed_at_rest(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    enrolled = await call(duo_env.client(integ).enroll, "grace")
    await asyncio.sleep(0)
    stored = b"".join(path.read_bytes() for path in duo_env.data_dir.glob("keyfob-server.sqlite3*"))
    assert integ.skey.encode() not in stored
    assert enrolled["activation_code"].split("secret=")[1].split("&")[0].encode() not in stored


param_dicts = st.dictionaries(
    st.sampled_from(PARAM_NAMES) | st.text(min_size=1, max_size=8),
    st.sampled_from(["push", "auto", "sms", "1", "zed", "60", "c_x", "t_x"]) | st.text(max_size=40),
    max_size=6,
)
LIVE = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@LIVE
@given(
    st.sampled_from(
        [
            "ping",
            "check",
            "logo",
            "preauth",
            "auth",
            "auth_status",
            "enroll",
            "enroll_status",
            "other",
            "",
            "check/",
            "auth/extra",
        ]
    ),
    st.sampled_from(["GET", "POST", "PUT"]),
    param_dicts,
    st.sampled_from(["signed-v2", "signed-v5", "unsigned", "garbled", "stale"]),
)
async def test_any_request_gets_duos_shape_never_a_500(
    duo_env: DuoEnv, endpoint: str, method: str, params: dict[str, str], how: str
) -> None:
    integ = await duo_env.integration()
    headers: dict[str, str] = {}
    date = None
    if how == "garbled":
        headers["Authorization"] = "Basic " + "x" * 30
    elif how == "stale":
        date = email.utils.formatdate(time.time() - 3600)
    status, body = await raw(
        duo_env,
        None if how in {"unsigned", "garbled"} else integ,
        method,
        endpoint,
        params,
        version=5 if how == "signed-v5" and method != "GET" else 2,
        date=date,
        headers=headers,
    )
    assert status in {200, 400, 401, 404, 405}
    if status == 200:
        assert body["stat"] == "OK"
        assert "response" in body
    else:
        assert body["stat"] == "FAIL"
        assert set(body) <= {"stat", "code", "message", "message_detail"}
        assert body["code"] // 100 == status
    assert duo_env.server.stats.unexpected_errors == 0


@LIVE
@given(
    st.sampled_from(["preauth", "auth", "enroll", "enroll_status", "auth_status", "check"]),
    st.text(max_size=300) | st.sampled_from(['{"username": ["a", "b"]}', "[]", '{"a": {}}']),
    st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
)
async def test_any_signed_body_gets_duos_shape_never_a_500(
    duo_env: DuoEnv, endpoint: str, body: str, content_type: str
) -> None:
    """Whatever body a client signs (v5 signs its SHA-512), the answer is Duo's."""
    integ = await duo_env.integration()
    path, date = "/auth/v2/" + endpoint, email.utils.formatdate()
    host = f"localhost:{duo_env.port}"
    headers = {
        "Date": date,
        "Authorization": duo.sign(integ.ikey, integ.skey, "POST", host, path, date, 5, {}, body),
    }
    if content_type:
        headers["Content-Type"] = content_type
    async with duo_env.http.post(
        duo_env.base_url + path, data=body.encode(), headers=headers
    ) as response:
        status, answer = response.status, await response.json(content_type=None)
    assert status in {200, 400, 401, 405}, answer
    assert answer["stat"] == ("OK" if status == 200 else "FAIL")
    if status != 200:
        assert answer["code"] // 100 == status
    assert duo_env.server.stats.unexpected_errors == 0
