"""How one server runs: where, with which data folder, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.server.client_address import TrustedProxies

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
WS_PATH: Final = "/v1/ws"


@dataclass(frozen=True)
class Limits:
    """Sizes, deadlines and rate limits. The defaults are the production values."""

    max_body_bytes: int = 64 * 1024
    max_message_bytes: int = 64 * 1024
    auth_timeout: float = 10.0
    ping_interval: float = 20.0
    ping_timeout: float = 20.0
    # NATs put many devices behind one address: at least 1000 sockets per IP must work.
    sockets_per_ip: int = 4096
    # Failed registrations and device auths per address (garbage, unknown ids, and what one
    # enrollment or device fails beyond its own budget below); a valid one is never refused.
    registration_burst: int = 60
    registrations_per_second: float = 1.0
    failed_auth_burst: int = 100
    failed_auths_per_second: float = 1.0
    # Failures per (address, enrollment or device id): a device with a stale key retrying.
    subject_failure_burst: int = 10
    subject_failures_per_second: float = 0.1
    # The longest an attempt from a noisy address waits before it is judged.
    slowdown_cap: float = 2.0
    # Connections, before any handler runs: per peer address (a trusted proxy counts only in
    # the total) and in all. Above sockets_per_ip, so a full NAT still gets its HTTP calls.
    connections_per_ip: int = 5000
    max_connections: int = 60_000
    # An idle keep-alive connection, or one still sending its request head, is closed after
    # this long (aiohttp's default is an hour); a body must arrive within body_timeout.
    # Above the 15 s that common HTTP clients (aiohttp's among them) keep an idle connection
    # for, so they drop it before we close it under them.
    keepalive_timeout: float = 20.0
    body_timeout: float = 15.0
    sweep_interval: float = 1.0
    send_queue: int = 256
    # Final challenges and used or expired enrollments are kept this long, then pruned.
    retention_seconds: int = 7 * 24 * 3600


@dataclass(frozen=True)
class ServerConfig:
    data_dir: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    public_url: str | None = None  # the base URL devices and RPs reach us at, e.g. behind TLS
    tls_cert: Path | None = None
    tls_key: Path | None = None
    limits: Limits = field(default_factory=Limits)
    # Peers whose X-Forwarded-For / Forwarded say who the client is (--trusted-proxy).
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)
    # Process-wide garbage-collector tuning (gc_policy.py): for the process that is the
    # server (`keyfob-server run`), not for one embedded in another program or a test run.
    manage_gc: bool = False
    # Where the state lives (--database): postgresql://... shared by several nodes, or
    # sqlite:///PATH; None is SQLite in the data folder.
    database: str | None = None
    # The signing key every device pins (--server-key); None is server-key.pem in data_dir.
    server_key: Path | None = None
    # The key that seals Duo integrations' secret keys (--duo-key), the same file on every
    # node; None is duo-key in data_dir.
    duo_key: Path | None = None
    # Serve Prometheus metrics at http://HOST:PORT/metrics (--metrics-listen); off if None.
    metrics_listen: tuple[str, int] | None = None
