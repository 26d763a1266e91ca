"""Counting connections before any handler runs: per peer address and in total.

aiohttp hands every accepted connection to a request handler, which buffers and parses
whatever the peer sends; one client opening tens of thousands of connections would use up
the file descriptors before any per-request limit is reached. `GatedSite` listens like
aiohttp's TCPSite, but each connection first meets `ConnectionGate`: over the peer's share or
the total, it gets a canned refusal and is closed, and aiohttp never sees it.

Behind a reverse proxy every connection comes from the proxy: a trusted proxy's connections
count only towards the total (the per-client limits then use the forwarded address).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from aiohttp import web

from app.server.client_address import TrustedProxies, limit_key
from app.server.ratelimit import ConnectionCounts

log = logging.getLogger("keyfob.server.connections")

RETRY_AFTER: Final = 5
# File descriptors kept back from the connection total: the database, logs, the listener.
RESERVED_FDS: Final = 64


def _refusal(status: str, code: str, message: str) -> bytes:
    body = json.dumps({"error": code, "message": message}).encode()
    head = (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\n"
        f"Retry-After: {RETRY_AFTER}\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("ascii") + body


_TOO_MANY_FROM_PEER: Final = _refusal(
    "429 Too Many Requests",
    "too_many_connections",
    "Too many open connections from this address.",
)
_FULL: Final = _refusal(
    "503 Service Unavailable", "server_full", "The server has too many open connections."
)


def descriptor_ceiling(wanted: int) -> int:
    """`wanted`, lowered to what the open-file limit allows (minus a reserve)."""
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != resource.RLIM_INFINITY:
            return max(1, min(wanted, soft - RESERVED_FDS))
    return wanted


@dataclass
class ConnectionGate:
    per_peer: int
    total: int
    trusted: TrustedProxies = field(default_factory=TrustedProxies)
    open: int = 0
    refused: int = 0
    counts: ConnectionCounts = field(init=False)

    def __post_init__(self) -> None:
        self.counts = ConnectionCounts(self.per_peer)

    def admit(self, peer: str | None) -> tuple[bool, str | None, bytes]:
        """(admitted, key to release with, refusal to send when not admitted)."""
        if self.open >= self.total:
            self.refused += 1
            return False, None, _FULL
        key: str | None = None
        if peer is not None and not self.trusted.trusts(peer):
            key = limit_key(peer)
            if not self.counts.try_open(key):
                self.refused += 1
                return False, None, _TOO_MANY_FROM_PEER
        self.open += 1
        return True, key, b""

    def release(self, key: str | None) -> None:
        self.open -= 1
        if key is not None:
            self.counts.close(key)

    def protocol_factory(self, inner: Callable[[], asyncio.Protocol]) -> Callable[[], _Gated]:
        return lambda: _Gated(self, inner)


class _Gated(asyncio.Protocol):
    """Stands in front of aiohttp's protocol: admits the connection or refuses it, then
    passes every event through."""

    __slots__ = ("_factory", "_gate", "_inner", "_key")

    def __init__(self, gate: ConnectionGate, factory: Callable[[], asyncio.Protocol]) -> None:
        self._gate = gate
        self._factory = factory
        self._inner: asyncio.Protocol | None = None
        self._key: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer and isinstance(peer[0], str) else None
        admitted, key, refusal = self._gate.admit(host)
        if not admitted:
            if isinstance(transport, asyncio.WriteTransport):
                transport.write(refusal)
            transport.close()
            return
        self._key = key
        self._inner = self._factory()
        self._inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        inner, self._inner = self._inner, None
        if inner is not None:
            self._gate.release(self._key)
            inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()


class GatedSite(web.BaseSite):
    """aiohttp's TCPSite, with every connection passing the gate first."""

    __slots__ = ("_gate", "_handshake_timeout", "_host", "_port", "_reuse_address")

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        gate: ConnectionGate,
        *,
        ssl_context: ssl.SSLContext | None = None,
        backlog: int = 128,
        reuse_address: bool = True,
        handshake_timeout: float = 10.0,
    ) -> None:
        super().__init__(runner, ssl_context=ssl_context, backlog=backlog)
        self._host = host
        self._port = port
        self._gate = gate
        self._reuse_address = reuse_address
        # A TLS handshake happens before the gate and aiohttp see the connection: it gets
        # its own deadline (asyncio's default is a minute).
        self._handshake_timeout = handshake_timeout

    @property
    def name(self) -> str:
        scheme = "https" if self._ssl_context else "http"
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{scheme}://{host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self._gate.protocol_factory(server),
            self._host,
            self._port,
            ssl=self._ssl_context,
            backlog=self._backlog,
            reuse_address=self._reuse_address,
            family=socket.AF_UNSPEC,
            ssl_handshake_timeout=self._handshake_timeout if self._ssl_context else None,
        )
