"""A real keyfob-server over HTTPS on loopback, with a test CA, for Duo's real client.

duo_client trusts only the CA file it is given and matches the host name against the
certificate's DNS names (never an IP address), so the server's certificate is for
"localhost", issued by a throw-away CA (trustme), and `--public-url` is
https://localhost:PORT. The server's clock is a manual one that starts at the real time:
duo_client dates its requests with the real clock, and a test moves the server's on to make a
push time out or a date stale.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlencode

import aiohttp
import duo_client
import duo_client.client as duo
import pytest
import pytest_asyncio
import trustme

from app.server.app import PushServer
from app.server.config import ServerConfig
from app.server.duo.credentials import (
    DUO_KEY_FILE,
    load_or_create_duo_key,
    new_integration_key,
    new_secret_key,
)
from app.server.duo.store import Integration
from tests.server.conftest import FAST
from tests.server.helpers import (
    Device,
    ManualClock,
    Reply,
    Rp,
    connected_device,
    make_api_key,
    register,
)
from tests.server.nginx_fixture import free_port

T = TypeVar("T")


# The parameters the Duo endpoints read, for tests that draw requests made of them.
PARAM_NAMES = [
    "username",
    "user_id",
    "factor",
    "device",
    "async",
    "type",
    "pushinfo",
    "ipaddr",
    "display_username",
    "txid",
    "valid_secs",
    "activation_code",
]


@dataclass(frozen=True)
class Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    folder = tmp_path_factory.mktemp("duo-tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("localhost")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "cert.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    leaf.private_key_pem.write_to_path(str(key_file))
    cert_file.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    return Tls(ca_file, cert_file, key_file)


@dataclass
class Integ:
    """An integration's credentials, as an IdP holds them."""

    ikey: str
    skey: str
    site: str


@dataclass
class DuoEnv:
    server: PushServer
    clock: ManualClock
    http: aiohttp.ClientSession
    tls: Tls
    port: int
    data_dir: Path

    @property
    def host(self) -> str:
        return "localhost"

    @property
    def base_url(self) -> str:
        return self.server.base_url

    async def integration(self, site: str = "Example Site") -> Integ:
        """What `keyfob-server duo create` makes, made in this process."""
        assert self.server.duo is not None
        key = load_or_create_duo_key(self.data_dir / DUO_KEY_FILE)
        ikey, skey = new_integration_key(), new_secret_key()
        record = Integration(ikey, site, key.seal(ikey, skey), key.key_id, int(time.time()))
        await self.server.duo.store.add_integration(record)
        return Integ(ikey, skey, site)

    def client(self, integ: Integ, **options: Any) -> duo_client.Auth:
        """Duo's own Python client, as authentik makes one (plus our port and CA)."""
        return duo_client.Auth(
            integ.ikey,
            integ.skey,
            self.host,
            port=self.port,
            ca_certs=str(self.tls.ca_file),
            **options,
        )

    async def rp(self, site: str = "Example Site") -> Rp:
        return Rp(self.http, self.base_url, await make_api_key(self.server, site))

    async def device_for(self, rp: Rp, user: str, name: str = "Test laptop") -> Device:
        """A Keyfob enrolled for `user` through the site's own API, connected."""
        enrollment = await rp.enroll(user)
        return await self.connect(enrollment["uri"], name)

    async def connect(self, uri: str, name: str = "Test laptop") -> Device:
        enrollment = await register(self.http, uri, int(self.clock.now()), name)
        return await connected_device(self.http, enrollment, self.clock)


async def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """duo_client blocks: run it on a thread while the server runs on this loop."""
    return await asyncio.to_thread(fn, *args, **kwargs)


async def refused(fn: Callable[..., object], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """A call duo_client raised on: the HTTP status and Duo's error body."""
    with pytest.raises(RuntimeError) as caught:
        await call(fn, *args, **kwargs)
    error: Any = caught.value
    body = error.data if isinstance(error.data, dict) else json.loads(error.data)
    return {"http": error.status, **body}


def https_config(data_dir: Path, port: int, tls: Tls, database: str | None) -> ServerConfig:
    """A server on 127.0.0.1:`port`, over HTTPS with the test CA's "localhost" certificate."""
    return ServerConfig(
        data_dir=data_dir,
        host="127.0.0.1",
        port=port,
        public_url=f"https://localhost:{port}",
        tls_cert=tls.cert_file,
        tls_key=tls.key_file,
        limits=FAST,
        database=database,
    )


@pytest_asyncio.fixture
async def duo_env(tmp_path: Path, tls: Tls, database: str | None) -> AsyncIterator[DuoEnv]:
    port = free_port()
    clock = ManualClock(start=time.time())
    config = https_config(tmp_path / "data", port, tls, database)
    server = PushServer(config, clock=clock)
    await server.start()
    connector = aiohttp.TCPConnector(ssl=tls.context())
    async with aiohttp.ClientSession(connector=connector) as http:
        try:
            yield DuoEnv(server, clock, http, tls, port, tmp_path / "data")
        finally:
            await server.stop()
    assert server.stats.unexpected_errors == 0


async def signed_reply(
    env: DuoEnv,
    integ: Integ | None,
    method: str,
    endpoint: str,
    params: dict[str, str],
    *,
    version: int = 2,
    host: str | None = None,
    date: str | None = None,
    headers: dict[str, str] | None = None,
    unsigned_query: str = "",
) -> Reply:
    """A request signed with duo_client's own `sign` (as any Duo client does), sent as is;
    the answer with its headers."""
    path = "/auth/v2/" + endpoint
    date = date or email.utils.formatdate()
    host = host or f"localhost:{env.port}"
    sent = dict(headers or {})
    body: str | None = None
    query = ""
    if version == 2:
        normal = duo.normalize_params(params)
        if integ is not None:
            sent["Authorization"] = duo.sign(
                integ.ikey, integ.skey, method, host, path, date, 2, normal
            )
        encoded = urlencode(normal, doseq=True)
        if method == "POST":
            body, sent["Content-Type"] = encoded, "application/x-www-form-urlencoded"
        else:
            query = "?" + encoded if encoded else ""
    else:
        body = duo.Client.canon_json(params)
        if integ is not None:
            sent["Authorization"] = duo.sign(
                integ.ikey, integ.skey, method, host, path, date, 5, {}, body=body
            )
        sent["Content-Type"] = "application/json"
    sent["Date"] = date
    if unsigned_query:
        query = (query + "&" if query else "?") + unsigned_query
    async with env.http.request(
        method, env.base_url + path + query, data=body, headers=sent
    ) as response:
        text = await response.text()
        return Reply(response.status, json.loads(text), dict(response.headers))


async def raw(
    env: DuoEnv,
    integ: Integ | None,
    method: str,
    endpoint: str,
    params: dict[str, str],
    **options: Any,
) -> tuple[int, Any]:
    """`signed_reply`'s status and body."""
    reply = await signed_reply(env, integ, method, endpoint, params, **options)
    return reply.status, reply.body
