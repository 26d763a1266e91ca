"""How one server runs: where, with which data folder, and its limits."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

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
    registration_burst: int = 60
    registrations_per_second: float = 1.0
    failed_auth_burst: int = 100
    failed_auths_per_second: float = 1.0
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
    # Process-wide garbage-collector tuning (gc_policy.py): for the process that is the
    # server (`keyfob-server run`), not for one embedded in another program or a test run.
    manage_gc: bool = False
