"""--tls-cert/--tls-key: https for the API and wss for devices, with the URLs to match."""

from __future__ import annotations

import datetime
import ssl
from pathlib import Path

import aiohttp
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.push.enrollment import finish_registration, parse_enroll_uri, start_registration
from app.push.session import Connected
from app.server.app import PushServer
from app.server.config import ServerConfig
from tests.server.conftest import FAST
from tests.server.helpers import Device, ManualClock, Rp, make_api_key

pytestmark = pytest.mark.asyncio


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_and_wss(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    clock = ManualClock()
    config = ServerConfig(
        data_dir=tmp_path / "data",
        host="localhost",
        port=0,
        tls_cert=cert,
        tls_key=key,
        limits=FAST,
    )
    server = PushServer(config, clock=clock)
    await server.start()
    trust = ssl.create_default_context(cafile=str(cert))
    try:
        assert server.base_url.startswith("https://localhost:")
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(ssl=trust)) as http:
            rp = Rp(http, server.base_url, await make_api_key(server, "Example Site"))
            uri = parse_enroll_uri((await rp.enroll("alice"))["uri"])
            assert uri.url == server.base_url
            registration = start_registration(uri, "Laptop", 1)
            async with http.post(registration.url, json=registration.body) as response:
                assert response.status == 201
                enrollment = finish_registration(registration, await response.text(), 1)
            assert enrollment.ws_url == server.base_url.replace("https://", "wss://") + "/v1/ws"
            device = Device(enrollment, clock)
            await device.connect(http)
            await device.event(Connected)
            await device.close()
    finally:
        await server.stop()


async def test_a_tls_handshake_that_never_comes_is_closed_at_the_deadline(tmp_path: Path) -> None:
    import asyncio
    import contextlib

    from app.server.config import Limits

    cert, key = self_signed(tmp_path)
    config = ServerConfig(
        data_dir=tmp_path / "data",
        host="127.0.0.1",
        port=0,
        tls_cert=cert,
        tls_key=key,
        limits=Limits(sweep_interval=0.05, keepalive_timeout=0.5),
    )
    async with PushServer(config) as server:
        assert server.port is not None
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"\x16\x03\x01")  # the first bytes of a ClientHello, and no more
        async with asyncio.timeout(10):
            with contextlib.suppress(ConnectionResetError):  # closed either way
                assert await reader.read() == b""
        writer.close()
