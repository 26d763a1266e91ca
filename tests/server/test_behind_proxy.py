"""keyfob-server behind the nginx site we ship, as --trusted-proxy: the per-address limits
see each client's own address, so one abusive client is limited and another is not.

Clients connect from distinct loopback addresses (127.0.0.2, 127.0.0.3) so nginx's
$remote_addr differs; the server only ever sees connections from nginx (127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from app.push.canonical import new_private_key, public_key_bytes
from app.push.enrollment import (
    EnrollmentUri,
    finish_registration,
    parse_enroll_uri,
    start_registration,
)
from app.push.session import ChallengeReceived
from app.server.app import PushServer
from app.server.client_address import TrustedProxies
from app.server.config import Limits, ServerConfig
from tests.server.helpers import Device, ManualClock, Rp, make_api_key
from tests.server.nginx_fixture import (
    SITE,
    Nginx,
    check_config,
    free_port,
    make_certificate,
    render_site,
    running_nginx,
)

LIMITS = Limits(
    sweep_interval=0.05,
    registration_burst=3,
    registrations_per_second=0.001,
    failed_auth_burst=3,
    failed_auths_per_second=0.001,
    slowdown_cap=0.05,
    # nginx holds several connections to the node: as a trusted proxy it is exempt.
    connections_per_ip=2,
)


@dataclass
class Proxied:
    server: PushServer
    nginx: Nginx
    clock: ManualClock
    trust: ssl.SSLContext
    api_key: str

    def client(self, source: str) -> aiohttp.ClientSession:
        """A client whose connections to nginx come from `source`."""
        connector = aiohttp.TCPConnector(ssl=self.trust, local_addr=(source, 0), limit=0)
        return aiohttp.ClientSession(connector=connector)


@pytest_asyncio.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[Proxied]:
    clock = ManualClock()
    node_port = free_port()
    with running_nginx(tmp_path / "nginx", [f"127.0.0.1:{node_port}"]) as nginx:
        config = ServerConfig(
            data_dir=tmp_path / "data",
            host="127.0.0.1",
            port=node_port,
            public_url=nginx.url,
            trusted_proxies=TrustedProxies.parse(["127.0.0.1"]),
            limits=LIMITS,
        )
        server = PushServer(config, clock=clock)
        await server.start()
        try:
            trust = ssl.create_default_context(cafile=str(nginx.cert))
            key = await make_api_key(server, "Example Site")
            yield Proxied(server, nginx, clock, trust, key)
        finally:
            await server.stop()
    assert server.stats.unexpected_errors == 0
    # Everything really went through nginx.
    assert (tmp_path / "nginx" / "access.log").read_text().count("127.0.0.") > 0


async def bad_registration(http: aiohttp.ClientSession, url: str, spoof: str) -> int:
    """A well-formed registration for an enrollment that does not exist (404)."""
    made_up = EnrollmentUri(
        url=url,
        eid="e_nosuchenrollment",
        secret=bytes(32),
        server_key=public_key_bytes(new_private_key()),
        issuer="Example Site",
        user="nobody",
    )
    body = start_registration(made_up, "x", 1).body
    # The client's own X-Forwarded-For is kept on the left by nginx, where nobody reads it.
    headers = {"X-Forwarded-For": spoof}
    async with http.post(url + "/v1/devices", json=body, headers=headers) as response:
        return response.status


@pytest.mark.asyncio
async def test_one_abusive_address_is_limited_and_another_is_not(proxied: Proxied) -> None:
    url = proxied.nginx.url
    async with proxied.client("127.0.0.2") as abuser, proxied.client("127.0.0.3") as other:
        statuses = [await bad_registration(abuser, url, f"198.51.100.{n}") for n in range(1, 6)]
        assert statuses == [404, 404, 404, 429, 429]
        # The other address through the same proxy still gets the real answer...
        assert await bad_registration(other, url, "198.51.100.1") == 404
        # ...and enrolls, connects its device through nginx (wss) and gets its prompt.
        rp = Rp(other, url, proxied.api_key)
        uri = parse_enroll_uri((await rp.enroll("bob@example.com"))["uri"])
        assert uri.url == url  # from --public-url, not from anything in the request
        registration = start_registration(uri, "Laptop", 1)
        async with other.post(registration.url, json=registration.body) as response:
            assert response.status == 201, await response.text()
            answer = await response.text()
        enrollment = finish_registration(registration, answer, 1)
        assert enrollment.ws_url == url.replace("https://", "wss://") + "/v1/ws"
        device = Device(enrollment, proxied.clock)
        await device.connect(other)
        await device.ready()
        created = await rp.challenge("bob@example.com")
        assert created.status == 201
        await device.event(ChallengeReceived, lambda e: e.challenge.id == created.body["id"])
        await device.close()
        # The abuser, too, enrolls with a valid registration: never refused for its noise.
        rp_abuser = Rp(abuser, url, proxied.api_key)
        uri = parse_enroll_uri((await rp_abuser.enroll("eve@example.com"))["uri"])
        registration = start_registration(uri, "Laptop", 1)
        async with abuser.post(registration.url, json=registration.body) as response:
            assert response.status == 201


@pytest.mark.asyncio
async def test_the_proxy_is_exempt_from_the_per_address_connection_cap(
    proxied: Proxied,
) -> None:
    # Five clients, five concurrent long polls: nginx opens a connection to the node for
    # each, all from 127.0.0.1, over the node's per-address cap of 2.
    url = proxied.nginx.url
    async with proxied.client("127.0.0.4") as http:
        rp = Rp(http, url, proxied.api_key)
        uri = parse_enroll_uri((await rp.enroll("carol@example.com"))["uri"])
        registration = start_registration(uri, "Laptop", 1)
        async with http.post(registration.url, json=registration.body) as response:
            assert response.status == 201
        created = await rp.challenge("carol@example.com")
        assert created.status == 201

        async def poll(source: str) -> tuple[int, str]:
            async with (
                proxied.client(source) as client,
                client.get(
                    f"{url}/v1/challenges/{created.body['id']}?wait=1",
                    headers={"Authorization": f"Bearer {proxied.api_key}"},
                ) as response,
            ):
                return response.status, (await response.json())["status"]

        statuses = await asyncio.gather(*(poll(f"127.0.0.{n}") for n in range(10, 15)))
        assert statuses == [(200, "pending")] * 5
    gate = proxied.server.gate
    assert gate is not None
    assert gate.refused == 0


@pytest.mark.asyncio
async def test_failed_device_auths_slow_only_the_address_they_come_from(
    proxied: Proxied,
) -> None:
    ws_url = proxied.nginx.url.replace("https://", "wss://") + "/v1/ws"
    sockets = proxied.server.device_sockets

    async def garbage_auth(http: aiohttp.ClientSession) -> int | None:
        async with http.ws_connect(ws_url, headers={"X-Forwarded-For": "203.0.113.9"}) as ws:
            await ws.receive(timeout=10)  # hello
            await ws.send_str("{}")
            while (await ws.receive(timeout=10)).type is not aiohttp.WSMsgType.CLOSE:
                pass
            return ws.close_code

    async with proxied.client("127.0.0.2") as abuser, proxied.client("127.0.0.3") as other:
        for _ in range(LIMITS.failed_auth_burst):
            assert await garbage_auth(abuser) == 4401
        assert sockets.slowed_handshakes == 0
        assert await garbage_auth(other) == 4401  # another address: not slowed
        assert sockets.slowed_handshakes == 0
        for _ in range(LIMITS.failed_auth_burst):
            assert await garbage_auth(other) == 4401
        assert sockets.slowed_handshakes == 1  # its own budget ran out, at its last attempt
        before = sockets.slowed_handshakes
        assert await garbage_auth(abuser) == 4401  # the abuser is over its budget: slowed
        assert sockets.slowed_handshakes == before + 1


def test_the_shipped_site_passes_nginx_t(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path / "tls")
    site = render_site(["127.0.0.1:8765", "127.0.0.1:8766"], free_port(), free_port(), cert, key)
    result = check_config(tmp_path / "nginx", site)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr
    shipped = SITE.read_text()
    for needed in (
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_read_timeout 75s;",
        "ssl_certificate ",
    ):
        assert needed in shipped
