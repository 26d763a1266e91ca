"""The server facing a hostile network: held connections, connection floods, the Host
header, what it says about itself, and what it refuses to start without."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from app.push.enrollment import parse_enroll_uri, start_registration
from app.server.app import PushServer
from app.server.client_address import TrustedProxies
from app.server.config import Limits, ServerConfig
from app.server.connection_gate import ConnectionGate
from app.server.errors import ServerError
from tests.server.conftest import Env
from tests.server.test_cli import one_line_error, run

DEADLINE = 10.0


async def raw_connection(
    env: Env, source: str = "127.0.0.1"
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    assert env.server.port is not None
    return await asyncio.open_connection("127.0.0.1", env.server.port, local_addr=(source, 0))


async def closed_by_server(reader: asyncio.StreamReader, timeout: float = DEADLINE) -> bytes:
    """Everything the server sent until it closed the connection (fails after `timeout`)."""
    received = b""
    async with asyncio.timeout(timeout):
        while True:
            try:
                chunk = await reader.read(4096)
            except ConnectionResetError:
                return received
            if not chunk:
                return received
            received += chunk


async def get_healthz(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bytes:
    """One keep-alive request on a raw connection: the status line and headers."""
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    async with asyncio.timeout(DEADLINE):
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        await reader.readexactly(length)
    return head


HELD = Limits(sweep_interval=0.05, keepalive_timeout=0.5, body_timeout=0.5)


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [HELD])
async def test_half_a_request_line_is_closed_at_the_deadline(env: Env) -> None:
    reader, writer = await raw_connection(env)
    writer.write(b"GET /heal")
    await writer.drain()
    assert await closed_by_server(reader) == b""


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [HELD])
async def test_headers_trickled_a_byte_at_a_time_are_closed_at_the_deadline(env: Env) -> None:
    reader, writer = await raw_connection(env)

    async def trickle() -> None:
        for byte in b"GET /healthz HTTP/1.1\r\nX-Slow: " + b"a" * 10_000:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)

    dripping = asyncio.create_task(trickle())
    try:
        assert await closed_by_server(reader) == b""
    finally:
        dripping.cancel()
        with pytest.raises((asyncio.CancelledError, ConnectionError)):
            await dripping


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [HELD])
async def test_an_idle_keep_alive_connection_is_closed_at_the_deadline(env: Env) -> None:
    reader, writer = await raw_connection(env)
    assert b" 200 " in await get_healthz(reader, writer)
    assert await closed_by_server(reader) == b""


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [HELD])
async def test_a_body_that_never_arrives_gets_408(env: Env) -> None:
    reader, writer = await raw_connection(env)
    writer.write(
        b"POST /v1/enrollments HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Authorization: Bearer " + env.rp.key.encode() + b"\r\nContent-Length: 100\r\n\r\n{"
    )
    await writer.drain()
    answer = await closed_by_server(reader, timeout=30)
    assert answer.startswith(b"HTTP/1.1 408 "), answer


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [Limits(sweep_interval=0.05, connections_per_ip=3)])
async def test_one_address_gets_its_share_of_connections_and_others_still_get_in(
    env: Env,
) -> None:
    held = [await raw_connection(env, "127.0.0.2") for _ in range(3)]
    for reader, writer in held:
        assert b" 200 " in await get_healthz(reader, writer)
    reader, _writer = await raw_connection(env, "127.0.0.2")
    refused = await closed_by_server(reader)
    assert refused.startswith(b"HTTP/1.1 429 "), refused
    assert b"Retry-After: " in refused
    assert json.loads(refused.split(b"\r\n\r\n", 1)[1])["error"] == "too_many_connections"
    # Another address is not affected...
    other = await raw_connection(env, "127.0.0.3")
    assert b" 200 " in await get_healthz(*other)
    # ...and the first gets a connection again as soon as it closes one.
    held[0][1].close()
    async with asyncio.timeout(DEADLINE):
        while True:
            reader, writer = await raw_connection(env, "127.0.0.2")
            try:
                if b" 200 " in await get_healthz(reader, writer):
                    break
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            await asyncio.sleep(0.02)  # the server has not seen the close yet


@pytest.mark.asyncio
@pytest.mark.parametrize("limits", [Limits(sweep_interval=0.05, max_connections=4)])
async def test_connections_are_capped_in_total(env: Env) -> None:
    # The fixture's own client session holds keep-alive connections: count what is open.
    gate = env.server.gate
    assert gate is not None
    held = []
    while gate.open < 4:
        held.append(await raw_connection(env, f"127.0.0.{len(held) + 10}"))
        assert b" 200 " in await get_healthz(*held[-1])
    reader, _writer = await raw_connection(env, "127.0.0.99")
    refused = await closed_by_server(reader)
    assert refused.startswith(b"HTTP/1.1 503 "), refused


@pytest.mark.asyncio
async def test_responses_do_not_name_the_server_software(env: Env) -> None:
    for method, path in (("GET", "/healthz"), ("GET", "/nowhere"), ("POST", "/v1/challenges")):
        reply = await env.rp.call(method, path, {})
        assert "Server" not in reply.headers, (path, reply.headers)
    reader, writer = await raw_connection(env)
    writer.write(
        b"GET /v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    async with asyncio.timeout(DEADLINE):
        head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101 ")
    assert b"\r\nserver:" not in head.lower()
    writer.close()


@pytest.mark.asyncio
async def test_urls_handed_out_never_come_from_the_host_header(env: Env) -> None:
    spoofed = {"Host": "evil.example:8443", "X-Forwarded-Host": "evil.example"}
    enrollment = await env.rp.call(
        "POST", "/v1/enrollments", {"user": "alice@example.com"}, headers=spoofed
    )
    assert enrollment.status == 201
    uri = parse_enroll_uri(enrollment.body["uri"])
    assert uri.url == env.base_url
    registration = start_registration(uri, "Laptop", 1)
    async with env.http.post(registration.url, json=registration.body, headers=spoofed) as response:
        assert response.status == 201
        assert (await response.json())["ws_url"] == env.base_url.replace("http", "ws") + "/v1/ws"
    document = (await env.rp.call("GET", "/openapi.json", headers=spoofed)).body
    assert document["servers"] == [{"url": env.base_url}]


def _config(tmp_path: Path, **kwargs: object) -> ServerConfig:
    return ServerConfig(data_dir=tmp_path / "data", port=0, **kwargs)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_off_loopback_the_public_url_is_required(tmp_path: Path) -> None:
    server = PushServer(_config(tmp_path, host="0.0.0.0"))
    with pytest.raises(ServerError, match="--public-url"):
        await server.start()
    await server.stop()


def test_the_command_line_refuses_to_listen_off_loopback_without_a_public_url(
    tmp_path: Path,
) -> None:
    result = run("run", "--host", "0.0.0.0", "--port", "0", "--data-dir", str(tmp_path))
    assert "--public-url" in one_line_error(result)
    bad = run("run", "--trusted-proxy", "proxy.example", "--data-dir", str(tmp_path))
    assert bad.returncode == 2
    assert "--trusted-proxy" in bad.stderr


@pytest.mark.parametrize(
    ("trusted", "warned"), [(TrustedProxies(), True), (TrustedProxies.parse(["10.0.0.1"]), False)]
)
@pytest.mark.asyncio
async def test_plain_http_off_loopback_without_a_proxy_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, trusted: TrustedProxies, warned: bool
) -> None:
    config = _config(
        tmp_path, host="0.0.0.0", public_url="https://push.example.com", trusted_proxies=trusted
    )
    with caplog.at_level(logging.WARNING, logger="keyfob.server"):
        async with PushServer(config) as server:
            assert server.base_url == "https://push.example.com"
    warnings = [r for r in caplog.records if "without TLS" in r.getMessage()]
    assert bool(warnings) is warned


@pytest.mark.asyncio
async def test_a_loopback_server_warns_about_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="keyfob.server"):
        async with PushServer(_config(tmp_path, host="127.0.0.1")):
            pass
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


@pytest.mark.asyncio
async def test_a_peer_without_an_ip_address_counts_in_the_total_only() -> None:
    # Unix sockets and odd transports have no (host, port) peer.
    gate = ConnectionGate(per_peer=1, total=2)
    assert gate.admit(None)[0]
    assert gate.admit(None)[0]
    assert not gate.admit(None)[0]
