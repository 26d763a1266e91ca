"""The Duo Auth API end to end: Duo's own Python client (duo_client from PyPI) over HTTPS
to a real keyfob-server, and a real Keyfob device (DeviceSession over a websocket) answering.
On SQLite and on a real PostgreSQL."""

from __future__ import annotations

import asyncio
import html
import io
import re
import time
from urllib.parse import urlencode

import pytest
import zxingcpp
from PIL import Image

from app.push.enrollment import parse_enroll_uri, start_registration
from app.push.messages import DETAILS_FIELD, Decision
from app.push.session import ChallengeReceived
from app.server.duo import service as duo_service
from tests.server.duo.conftest import DuoEnv, call, refused
from tests.server.helpers import Device

STORES = ("sqlite", "postgresql")
pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning"),
]


_answered: dict[int, set[str]] = {}


async def answer_next(device: Device, decision: Decision) -> ChallengeReceived:
    """The device answers the first prompt it has not answered yet (with no number: a Duo
    push has none)."""
    done = _answered.setdefault(id(device), set())
    prompt = await device.event(ChallengeReceived, lambda e: e.challenge.id not in done)
    done.add(prompt.challenge.id)
    assert prompt.challenge.number_matching is False
    await device.answer(prompt.challenge.id, decision, None)
    return prompt


async def test_preauth_enrolled_unenrolled_and_blocked(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    device = await duo_env.device_for(await duo_env.rp(), "alice", "Alice's laptop")

    enrolled = await call(client.preauth, username="alice")
    assert enrolled["result"] == "auth"
    assert enrolled["devices"] == [
        {
            "device": device.enrollment.device_id,
            "type": "phone",
            "name": "Alice's laptop",
            "display_name": "Alice's laptop",
            "capabilities": ["auto", "push"],
        }
    ]

    unenrolled = await call(client.preauth, username="bob")
    assert unenrolled["result"] == "enroll"
    portal = unenrolled["enroll_portal_url"]
    assert portal.startswith(duo_env.base_url + "/duo/activate/")
    async with duo_env.http.get(portal) as page:
        assert page.status == 200
        assert "bob" in await page.text()

    # "It wasn't me" blocks pushes: preauth then says deny.
    txid = (await call(client.auth, "push", username="alice", device="auto", async_txn=True))[
        "txid"
    ]
    await answer_next(device, Decision.FRAUD)
    status = await call(client.auth_status, txid)
    assert (status["success"], status["status"]) == (False, "fraud")
    blocked = await call(client.preauth, username="alice")
    assert blocked["result"] == "deny"
    assert "blocked" in blocked["status_msg"]
    refused_push = await call(client.auth, "push", username="alice", device="auto")
    assert (refused_push["result"], refused_push["status"]) == ("deny", "deny")
    assert refused_push["status_msg"] == blocked["status_msg"]
    assert len([e for e in device.events if isinstance(e, ChallengeReceived)]) == 1


@pytest.mark.parametrize(
    ("decision", "status", "message"),
    [
        (Decision.APPROVE, "allow", "Success. Logging you in..."),
        (Decision.DENY, "deny", "Login request denied."),
        (Decision.FRAUD, "fraud", "Login request reported as fraudulent."),
    ],
)
async def test_async_auth_answered(
    duo_env: DuoEnv, decision: Decision, status: str, message: str
) -> None:
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    started = await call(
        client.auth,
        "push",
        username="alice",
        device=device.enrollment.device_id,
        async_txn=True,
        type="Mail Login request",
        ipaddr="203.0.113.7",
        pushinfo=urlencode({"from": "webmail"}),
    )
    prompt = await answer_next(device, decision)
    assert prompt.challenge.id == started["txid"]
    assert prompt.challenge.action == "Mail Login request"
    assert prompt.challenge.context == {"ip": "203.0.113.7", DETAILS_FIELD: "from: webmail"}
    assert prompt.challenge.issuer == "Example Site"
    assert prompt.challenge.expires_at - prompt.challenge.created_at == 60
    result = await call(client.auth_status, started["txid"])
    assert result == {
        "waiting": False,
        "success": status == "allow",
        "status": status,
        "status_msg": message,
    }


async def test_async_auth_waits_then_times_out(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    started = await call(client.auth, "auto", username="alice", async_txn=True)
    await device.event(ChallengeReceived)
    poll = asyncio.create_task(call(client.auth_status, started["txid"]))
    await asyncio.sleep(0.3)
    assert not poll.done()  # a long poll: it waits for the answer
    duo_env.clock.advance(61)  # nobody answers within Duo's 60 s
    result = await asyncio.wait_for(poll, 10)
    assert result == {
        "waiting": False,
        "success": False,
        "status": "timeout",
        "status_msg": "Login timed out.",
    }


async def test_auth_status_says_pushed_while_the_push_waits(
    duo_env: DuoEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """auth_status long-polls for 25 s, then answers `waiting`/`pushed` (shortened to 1 s
    here), and the IdP asks again."""
    monkeypatch.setattr(duo_service, "STATUS_WAIT", 1)
    client = duo_env.client(await duo_env.integration())
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    started = await call(client.auth, "push", username="alice", async_txn=True)
    await device.event(ChallengeReceived)
    assert await call(client.auth_status, started["txid"]) == {
        "waiting": True,
        "success": False,
        "status": "pushed",
        "status_msg": "Pushed a login request to your device...",
    }
    monkeypatch.undo()  # a full long poll again: the answer ends it, however slow the machine
    await answer_next(device, Decision.APPROVE)
    assert (await call(client.auth_status, started["txid"]))["status"] == "allow"


async def test_sync_auth_waits_up_to_60_s_then_says_timeout(duo_env: DuoEnv) -> None:
    client = duo_env.client(await duo_env.integration())
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    sync = asyncio.create_task(call(client.auth, "push", username="alice", device="auto"))
    await device.event(ChallengeReceived)
    duo_env.clock.advance(59)
    # Sweeps come every 0.05 s and the wait reads the challenge again at least every
    # second: in 1.5 s, anything that ended the push before its time would have.
    await asyncio.sleep(1.5)
    assert not sync.done()  # still waiting for the device
    duo_env.clock.advance(2)  # nobody answered within Duo's 60 s
    assert await asyncio.wait_for(sync, 10) == {
        "result": "deny",
        "status": "timeout",
        "status_msg": "Login timed out.",
    }


async def test_sync_auth_answers_once_the_device_does(duo_env: DuoEnv) -> None:
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    sync = asyncio.create_task(call(client.auth, "push", username="alice", device="auto"))
    await answer_next(device, Decision.APPROVE)
    assert await asyncio.wait_for(sync, 10) == {
        "result": "allow",
        "status": "allow",
        "status_msg": "Success. Logging you in...",
    }


async def test_enroll_then_register_then_enroll_status_and_authentiks_call(
    duo_env: DuoEnv,
) -> None:
    """authentik's Duo stage: enroll(username), show the barcode, poll enroll_status; at
    sign-in a synchronous auth("auto", user_id=..., device="auto") with its pushinfo."""
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    enrolled = await call(client.enroll, "carol")
    assert enrolled["username"] == "carol"
    assert enrolled["activation_code"].startswith("keyfob://enroll?")
    assert enrolled["activation_barcode"].startswith(duo_env.base_url + "/duo/qr/")
    assert re.fullmatch(r"DU[A-Z0-9]{18}", enrolled["user_id"])
    status = await call(client.enroll_status, enrolled["user_id"], enrolled["activation_code"])
    assert status == "waiting"
    device = await duo_env.connect(enrolled["activation_code"])
    status = await call(client.enroll_status, enrolled["user_id"], enrolled["activation_code"])
    assert status == "success"
    assert await call(
        client.enroll_status, "DUAAAAAAAAAAAAAAAAAA", enrolled["activation_code"]
    ) == ("invalid")
    other = await call(client.enroll, "dan")
    for wrong_code in (other["activation_code"], "keyfob://enroll?v=1&eid=e_nothing", "123"):
        assert await call(client.enroll_status, enrolled["user_id"], wrong_code) == "invalid"

    pushinfo = urlencode({"Domain": "auth.example.com", "Application": "Grafana"})
    sync = asyncio.create_task(
        call(
            client.auth,
            "auto",
            user_id=enrolled["user_id"],
            ipaddr="198.51.100.4",
            type="authentik Login request",
            display_username="carol",
            device="auto",
            pushinfo=pushinfo,
        )
    )
    prompt = await answer_next(device, Decision.APPROVE)
    assert prompt.challenge.user == "carol"
    assert prompt.challenge.action == "authentik Login request"
    assert prompt.challenge.context[DETAILS_FIELD] == (
        "Domain: auth.example.com · Application: Grafana"
    )
    assert (await asyncio.wait_for(sync, 10))["result"] == "allow"


async def test_authelias_calls(duo_env: DuoEnv) -> None:
    """Authelia: preauth(username), then a synchronous auth with factor=push, the device id
    preauth gave and pushinfo "target%20url=...", signed v2 (form) like Go's SignedCall."""
    integ = await duo_env.integration()
    client = duo_env.client(integ, sig_version=2)
    device = await duo_env.device_for(await duo_env.rp(), "dave")
    devices = (await call(client.preauth, username="dave"))["devices"]
    chosen = devices[0]["device"]
    sync = asyncio.create_task(
        call(
            client.auth,
            "push",
            username="dave",
            ipaddr="192.0.2.9",
            device=chosen,
            pushinfo="target%20url=https://wiki.example.com/",
        )
    )
    prompt = await answer_next(device, Decision.DENY)
    assert prompt.challenge.context[DETAILS_FIELD] == "target url: https://wiki.example.com/"
    assert await asyncio.wait_for(sync, 10) == {
        "result": "deny",
        "status": "deny",
        "status_msg": "Login request denied.",
    }


async def test_preauths_enroll_portal_url_enrolls_one_device_once(duo_env: DuoEnv) -> None:
    """Authelia's self-enrollment: the user opens preauth's enroll_portal_url, scans the QR
    code (or opens the link) with Keyfob; the code then works for no one else."""
    client = duo_env.client(await duo_env.integration())
    portal = (await call(client.preauth, username="bob"))["enroll_portal_url"]
    async with duo_env.http.get(portal) as page:
        assert page.status == 200
        text = await page.text()
    link = re.search(r'href="(keyfob://enroll\?[^"]+)"', text)
    image = re.search(r'src="(/duo/qr/[^"]+\.png)"', text)
    assert link
    assert image
    code = html.unescape(link.group(1))
    async with duo_env.http.get(duo_env.base_url + image.group(1)) as png:
        assert png.status == 200
        found = zxingcpp.read_barcodes(Image.open(io.BytesIO(await png.read())))
    assert [symbol.text for symbol in found] == [code]

    laptop = await duo_env.connect(code, "Bob's laptop")
    again = start_registration(parse_enroll_uri(code), "Mallory's laptop", int(time.time()))
    async with duo_env.http.post(again.url, json=again.body) as reply:
        assert reply.status == 409  # used: no second device from the same link
    async with duo_env.http.get(portal) as page:
        assert page.status == 200
        text = await page.text()
    assert "Enrolled" in text
    assert "keyfob://" not in text
    async with duo_env.http.get(duo_env.base_url + image.group(1)) as png:
        assert png.status == 404
    devices = (await call(client.preauth, username="bob"))["devices"]
    assert [d["device"] for d in devices] == [laptop.enrollment.device_id]


async def test_unsupported_factors_get_duos_invalid_factor_error(duo_env: DuoEnv) -> None:
    client = duo_env.client(await duo_env.integration())
    device = await duo_env.device_for(await duo_env.rp(), "alice")
    tries = {"sms": {"device": "auto"}, "phone": {"device": "auto"}, "passcode": {"passcode": "1"}}
    for factor, extra in tries.items():
        assert await refused(client.auth, factor, username="alice", **extra) == {
            "http": 400,
            "stat": "FAIL",
            "code": 40002,
            "message": "Invalid request parameters",
            "message_detail": "factor",
        }
    assert not [e for e in device.events if isinstance(e, ChallengeReceived)]


async def test_one_integration_never_sees_another_sites_users(duo_env: DuoEnv) -> None:
    ours = duo_env.client(await duo_env.integration("Example Site"))
    theirs = duo_env.client(await duo_env.integration("Other Site"))
    device = await duo_env.device_for(await duo_env.rp("Example Site"), "alice")
    assert (await call(ours.preauth, username="alice"))["result"] == "auth"
    assert (await call(theirs.preauth, username="alice"))["result"] == "enroll"
    wrong_user = {
        "http": 400,
        "stat": "FAIL",
        "code": 40002,
        "message": "Invalid request parameters",
    }
    assert await refused(theirs.auth, "push", username="alice", async_txn=True) == {
        **wrong_user,
        "message_detail": "username",
    }
    started = await call(ours.auth, "push", username="alice", async_txn=True)
    await device.event(ChallengeReceived)
    assert await refused(theirs.auth_status, started["txid"]) == {
        **wrong_user,
        "message_detail": "txid",
    }
    enrolled = await call(ours.enroll, "erin")
    assert await call(theirs.enroll_status, enrolled["user_id"], enrolled["activation_code"]) == (
        "invalid"
    )
    assert await refused(theirs.preauth, user_id=enrolled["user_id"]) == {
        **wrong_user,
        "message_detail": "user_id",
    }
