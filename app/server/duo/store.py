"""What the Duo API keeps (schema.py's tables), behind one interface for both stores.

The Duo tables live in the server's own database (SQLite file or PostgreSQL), made by its
migrations, but are read and written through connections of their own (sqlite_store.py,
postgres_store.py here), so the push store's interface stays as it is. Pushes themselves are
ordinary challenges of the push service: only what Duo adds is here. A store raises
`StoreUnavailable` when the database cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Integration:
    ikey: str
    rp: str
    skey_sealed: bytes = field(repr=False)
    key_id: str  # the Duo key that sealed skey_sealed
    created_at: int
    revoked_at: int | None = None


@dataclass(frozen=True)
class DuoEnrollment:
    token_hash: bytes = field(repr=False)  # SHA-256 of the token in the activation links
    rp: str
    user: str
    enrollment_id: str  # the push service's enrollment
    code_hash: bytes = field(repr=False)  # SHA-256 of the activation code
    code_sealed: bytes = field(repr=False)
    expires_at: int


@dataclass(frozen=True)
class Refusal:
    """An `auth` the push rules refused: what `auth_status` says of its txid."""

    txid: str
    rp: str
    status: str
    status_msg: str
    created_at: int


@dataclass(frozen=True)
class Standing:
    """A user's push state as the push rules left it (the `users` table)."""

    blocked: bool = False
    not_before: int = 0


class DuoStore(Protocol):
    async def close(self) -> None: ...

    # integrations
    async def add_integration(self, integration: Integration) -> None: ...
    async def get_integration(self, ikey: str) -> Integration | None: ...
    async def list_integrations(self) -> list[Integration]: ...
    async def revoke_integration(self, ikey: str, now: int) -> bool: ...
    async def active_key_ids(self) -> set[str]:
        """The Duo keys that sealed the integrations still in use."""
        ...

    # users
    async def remember_user(self, rp: str, user_id: str, user: str) -> None: ...
    async def user_for_id(self, rp: str, user_id: str) -> str | None: ...
    async def standing(self, rp: str, user: str) -> Standing: ...

    # enrollments and refused pushes; adding one also forgets those over before `prune_before`
    async def add_enrollment(self, enrollment: DuoEnrollment, prune_before: int) -> None: ...
    async def enrollment_by_token(self, token_hash: bytes) -> DuoEnrollment | None: ...
    async def enrollment_by_code(self, rp: str, code_hash: bytes) -> DuoEnrollment | None: ...
    async def add_refusal(self, refusal: Refusal, prune_before: int) -> None: ...
    async def get_refusal(self, rp: str, txid: str) -> Refusal | None: ...
