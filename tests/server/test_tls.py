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
