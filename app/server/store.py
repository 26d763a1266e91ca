"""What the server keeps, behind one interface: records, outcomes and the `Store` protocol.

The embedded implementation is SQLite (sqlite_store.py). Every operation that must be atomic
(using an enrollment once, creating a challenge after the fatigue checks, moving a challenge
from pending to final) is one call here, so an implementation makes it one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from app.push.messages import Status

# Seconds a user waits after `strikes` consecutive bad endings (denied, expired, wrong number).
BackoffPolicy = Callable[[int], int]


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


class CreateKind(Enum):
    CREATED = "created"
    NO_DEVICE = "no_device"
    BLOCKED = "blocked"
    PENDING = "pending"
    BACKOFF = "backoff"


@dataclass(frozen=True)
class CreateOutcome:
    kind: CreateKind
    retry_at: int | None = None  # PENDING: its expiry; BACKOFF: when pushes may resume
    expired: list[ChallengeRecord] = field(default_factory=list)  # found stale on the way


@dataclass(frozen=True)
class FinishOutcome:
    changed: bool  # False: it was already final, `challenge` shows how it ended
    challenge: ChallengeRecord


class Store(Protocol):
    async def close(self) -> None: ...

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
        self, challenge: ChallengeRecord, backoff: BackoffPolicy
    ) -> CreateOutcome: ...
    async def get_challenge(self, challenge_id: str) -> ChallengeRecord | None: ...
    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        backoff: BackoffPolicy,
    ) -> FinishOutcome | None: ...
    async def expire_due(
        self, now: int, backoff: BackoffPolicy, limit: int = 500
    ) -> list[ChallengeRecord]: ...
    async def pending_challenges(self, rp: str, user: str, now: int) -> list[ChallengeRecord]: ...
    async def next_expiry(self) -> int | None: ...
    async def unblock(self, rp: str, user: str) -> None: ...
    async def prune(self, before: int) -> None: ...
