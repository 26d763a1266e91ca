"""What the server keeps, behind one interface: records, outcomes and the `Store` protocol.

Two implementations: SQLite in the data folder (sqlite_store.py, the embedded default) and
PostgreSQL (postgres_store.py, shared by several server nodes). Every operation that must be
atomic (using an enrollment once, creating a challenge after the fatigue checks, moving a
challenge from pending to final) is one call here, so an implementation makes it one
transaction; the rules it applies there are rules.py's, never its own. What the two
have in common (the SQL, reading rows into records) is written once, in store_sql.py and
store_rows.py.

A store raises `StoreUnavailable` when the database cannot be reached, and nothing else for
a lost connection.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.push.messages import Status
from app.server.notify import Notifier
from app.server.rules import CreateKind, FatiguePolicy


@dataclass(frozen=True)
class ApiKeyInfo:
    key_id: str
    rp: str
    created_at: int
    revoked_at: int | None


@dataclass(frozen=True)
class EnrollmentRecord:
    id: str
    rp: str
    user: str
    secret_hash: bytes = field(repr=False)
    created_at: int
    expires_at: int
    device_id: str | None = None
    device_key: bytes | None = None
    answer: str | None = None  # the signed `registered` answer, sent again to a retry


@dataclass(frozen=True)
class DeviceRecord:
    id: str
    rp: str
    user: str
    name: str
    public_key: bytes
    enrolled_at: int
    last_seen: int | None = None
    revoked_at: int | None = None


@dataclass(frozen=True)
class ChallengeRecord:
    id: str
    rp: str
    user: str
    number: str | None = field(repr=False)
    number_matching: bool
    created_at: int
    expires_at: int
    status: Status
    payload: str = field(repr=False)  # the signed challenge message, sent as is
    payload_hash: bytes = field(repr=False)  # SHA-256 of its signed bytes
    decided_at: int | None = None
    device_id: str | None = None


@dataclass(frozen=True)
class CreateOutcome:
    kind: CreateKind
    retry_at: int | None = None  # PENDING: its expiry; BACKOFF, TOO_MANY: when to try again
    expired: list[ChallengeRecord] = field(default_factory=list)  # found stale on the way


@dataclass(frozen=True)
class FinishOutcome:
    changed: bool  # False: it was already final, `challenge` shows how it ended
    challenge: ChallengeRecord


@dataclass
class StoreHealth:
    """How the database has been answering, for /readyz, metrics and logs."""

    errors: int = 0  # operations that failed because the database could not be reached
    down: bool = False  # the last operation failed that way


class Store(Protocol):
    health: StoreHealth

    async def close(self) -> None: ...

    # the database itself
    async def ping(self) -> None:
        """Return when the database answers; `StoreUnavailable` when it does not."""
        ...

    async def claim_server_key(self, public_key: bytes) -> bytes:
        """Record `public_key` as the server key if none is recorded; the recorded one."""
        ...

    async def recorded_server_key(self) -> bytes | None: ...

    def notifier(self, node_id: str) -> Notifier:
        """How this node hears of what other nodes did (a no-op for a one-process store)."""
        ...

    # relying parties' API keys
    async def add_api_key(self, key_id: str, rp: str, key_hash: bytes, now: int) -> None: ...
    async def rp_for_api_key(self, key_hash: bytes) -> str | None: ...
    async def list_api_keys(self) -> list[ApiKeyInfo]: ...
    async def revoke_api_key(self, key_id: str, now: int) -> bool: ...

    # enrollments and devices
    async def add_enrollment(self, record: EnrollmentRecord) -> None: ...
    async def get_enrollment(self, enrollment_id: str) -> EnrollmentRecord | None: ...
    async def complete_enrollment(
        self, enrollment_id: str, device: DeviceRecord, answer: str
    ) -> bool: ...
    async def get_device(self, device_id: str) -> DeviceRecord | None: ...
    async def list_devices(self, rp: str, user: str) -> list[DeviceRecord]: ...
    async def revoke_device(self, rp: str, device_id: str, now: int) -> DeviceRecord | None: ...
    async def touch_device(self, device_id: str, now: int) -> None: ...

    # challenges and the push-fatigue state of each user
    async def create_challenge(
        self, challenge: ChallengeRecord, policy: FatiguePolicy
    ) -> CreateOutcome: ...
    async def get_challenge(self, challenge_id: str) -> ChallengeRecord | None: ...
    async def get_challenges(self, challenge_ids: Sequence[str]) -> list[ChallengeRecord]: ...
    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        policy: FatiguePolicy,
    ) -> FinishOutcome | None: ...
    async def expire_due(
        self, now: int, policy: FatiguePolicy, limit: int = 500
    ) -> list[ChallengeRecord]: ...
    async def pending_challenges(self, rp: str, user: str, now: int) -> list[ChallengeRecord]: ...
    async def pending_for_users(
        self, users: Sequence[tuple[str, str]], now: int
    ) -> list[ChallengeRecord]:
        """Every unexpired pending challenge of these (rp, user) pairs."""
        ...

    async def next_expiry(self) -> int | None: ...
    async def unblock(self, rp: str, user: str) -> None: ...
    async def prune(self, before: int) -> None: ...
