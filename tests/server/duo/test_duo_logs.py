"""The server's log never carries a Duo secret key, an activation link's token or an
activation code, through a whole Duo flow."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

import pytest

from app.push.enrollment import parse_enroll_uri
from app.push.messages import Decision
from app.push.session import ChallengeReceived
from tests.server.duo.conftest import DuoEnv, call

pytestmark = [
    pytest.mark.asyncio,
    pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning"),
]


async def test_a_duo_flow_logs_no_secret(duo_env: DuoEnv, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    integ = await duo_env.integration()
    client = duo_env.client(integ)
    enrolled = await call(client.enroll, "alice")
    for link in (enrolled["activation_url"], enrolled["activation_barcode"]):
        async with duo_env.http.get(link) as response:
            assert response.status == 200
    device = await duo_env.connect(enrolled["activation_code"])
    started = await call(client.auth, "push", username="alice", async_txn=True)
    prompt = await device.event(ChallengeReceived)
    await device.answer(prompt.challenge.id, Decision.APPROVE, None)
    assert (await call(client.auth_status, started["txid"]))["success"]

    token = urlsplit(enrolled["activation_url"]).path.rsplit("/", 1)[1]
    secret = parse_enroll_uri(enrolled["activation_code"]).secret.hex()
    texts = [record.getMessage() for record in caplog.records]
    assert any("/duo/activate/" in text for text in texts), "requests are logged"
    for text in texts:
        for value in (integ.skey, token, enrolled["activation_code"], secret):
            assert value not in text
