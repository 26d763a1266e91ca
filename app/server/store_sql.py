"""What both stores do the same way: the SQL they share, and every operation that is a fixed
list of statements in one transaction, written once over two primitives each store gives.

A store (sqlite_store.py, postgres_store.py) says how SQL runs there (`_select`: a read;
`_transaction`: statements in one write transaction) and keeps for itself what needs its own
dialect: locking a user's row, sending notices, reading many rows at once. Queries number
their parameters `$1, $2, ...` (PostgreSQL's spelling); the SQLite store writes them `?1,
?2, ...`, which SQLite binds the same way.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from app.push.canonical import b64u_decode, b64u_encode
from app.push.messages import Status
from app.server import rules
from app.server.rules import FatiguePolicy, UserState
from app.server.store import (
    ApiKeyInfo,
    ChallengeRecord,
    DeviceRecord,
    EnrollmentRecord,
    FinishOutcome,
    StoreHealth,
)
from app.server.store_rows import (
    API_KEY_COLUMNS,
    CHALLENGE_COLUMNS,
    DEVICE_COLUMNS,
    ENROLLMENT_COLUMNS,
    NEW_ENROLLMENT_COLUMNS,
    USER_COLUMNS,
    Row,
    api_key_from_row,
    challenge_from_row,
    device_from_row,
    enrollment_from_row,
    values,
)

SERVER_KEY: Final = "server_public_key"  # its row in `meta`


def _insert(table: str, columns: str) -> str:
    """An INSERT of these columns, their parameters numbered in the columns' order."""
    marks = ", ".join(f"${n}" for n in range(1, columns.count(",") + 2))
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608


META_VALUE: Final = "SELECT value FROM meta WHERE key = $1"
META_ADD_ONCE: Final = "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
API_KEY_ADD: Final = _insert("api_keys", "key_id, rp, key_hash, created_at")
API_KEY_RP: Final = "SELECT rp FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL"
API_KEYS: Final = f"SELECT {API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, rp"  # noqa: S608
API_KEY_REVOKE: Final = (
    "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL"
)
ENROLLMENT_ADD: Final = _insert("enrollments", NEW_ENROLLMENT_COLUMNS)
ENROLLMENT: Final = f"SELECT {ENROLLMENT_COLUMNS} FROM enrollments WHERE id = $1"  # noqa: S608
# Used once: the enrollment takes the device only while it has none.
ENROLLMENT_USE: Final = (
    "UPDATE enrollments SET device_id = $1, device_key = $2, answer = $3 "
    "WHERE id = $4 AND device_id IS NULL"
)
DEVICE_ADD: Final = _insert("devices", DEVICE_COLUMNS)
DEVICE: Final = f"SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"  # noqa: S608
DEVICE_OF_RP: Final = f"SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1 AND rp = $2"  # noqa: S608
DEVICES_OF_USER: Final = (
    f"SELECT {DEVICE_COLUMNS} FROM devices "  # noqa: S608
    "WHERE rp = $1 AND user_name = $2 AND revoked_at IS NULL ORDER BY enrolled_at, id"
)
DEVICE_REVOKE: Final = (
    "UPDATE devices SET revoked_at = $1 WHERE id = $2 AND rp = $3 AND revoked_at IS NULL"
)
DEVICE_TOUCH: Final = "UPDATE devices SET last_seen = $1 WHERE id = $2"
USER_HAS_DEVICE: Final = (
    "SELECT 1 FROM devices WHERE rp = $1 AND user_name = $2 AND revoked_at IS NULL LIMIT 1"
)
USER_STATE: Final = f"SELECT {USER_COLUMNS} FROM users WHERE rp = $1 AND user_name = $2"  # noqa: S608
USER_SAVE: Final = (
    _insert("users", f"rp, user_name, {USER_COLUMNS}")
    + " ON CONFLICT (rp, user_name) DO UPDATE SET blocked = excluded.blocked, "
    "strikes = excluded.strikes, not_before = excluded.not_before, "
    "create_tat = excluded.create_tat"
)
CHALLENGE: Final = f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = $1"  # noqa: S608
CHALLENGE_ADD: Final = _insert("challenges", CHALLENGE_COLUMNS)
# Pending -> final, once: a challenge that is no longer pending stays as it ended.
CHALLENGE_END: Final = (
    "UPDATE challenges SET status = $1, decided_at = $2, device_id = $3 "
    "WHERE id = $4 AND status = 'pending'"
)
PENDING_OF_USER: Final = (
    "SELECT id, expires_at FROM challenges WHERE rp = $1 AND user_name = $2 AND status = 'pending'"
)
PENDING_SHOWN: Final = (
    f"SELECT {CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
    "WHERE rp = $1 AND user_name = $2 AND status = 'pending' AND expires_at > $3 "
    "ORDER BY created_at"
)
DUE: Final = (
    "SELECT id, expires_at FROM challenges WHERE status = 'pending' AND expires_at <= $1 "
    "ORDER BY expires_at LIMIT $2"
)
NEXT_EXPIRY: Final = "SELECT MIN(expires_at) AS at FROM challenges WHERE status = 'pending'"
PRUNE: Final = (
    "DELETE FROM challenges WHERE status <> 'pending' AND created_at < $1",
    "DELETE FROM enrollments WHERE expires_at < $1",
    "DELETE FROM devices WHERE revoked_at < $1",
)


@dataclass(frozen=True)
class Statement:
    """One statement of a transaction."""

    query: str
    args: tuple[object, ...] = ()
    # An UPDATE or INSERT that must change a row, else the rest must not happen: the
    # transaction ends there (PostgreSQL tells by RETURNING, SQLite by the row count).
    needed: bool = False


@dataclass(frozen=True)
class Ending:
    """A pending challenge to end: how, when, and on which device's answer."""

    challenge_id: str
    status: Status
    decided_at: int
    device_id: str | None = None


def expiry(row: Row) -> Ending:
    """The end of a pending challenge whose time is up (a row of DUE or PENDING_OF_USER)."""
    return Ending(row["id"], Status.EXPIRED, row["expires_at"])


def split_pending(rows: Iterable[Row], now: int) -> tuple[list[Row], int | None]:
    """A user's pending challenges (rows of PENDING_OF_USER): those whose time is up, to
    expire before judging a new one, and when the one still pending expires, if any."""
    due: list[Row] = []
    pending_until: int | None = None
    for row in rows:
        if rules.is_due(row["expires_at"], now):
            due.append(row)
        elif pending_until is None or row["expires_at"] < pending_until:
            pending_until = row["expires_at"]
    return due, pending_until


def user_save(rp: str, user: str, state: UserState) -> Statement:
    return Statement(USER_SAVE, (rp, user, *values(state, USER_COLUMNS)))


class SqlStore(ABC):
    """The `Store` operations that are the same SQL in both databases."""

    health: StoreHealth

    @abstractmethod
    async def _select(self, query: str, *args: object) -> list[Row]:
        """The rows of one read, outside any write transaction."""

    @abstractmethod
    async def _transaction(self, *statements: Statement) -> list[Row] | None:
        """The statements in order in one write transaction: the rows of the last, or None
        when a `needed` one changed nothing (and what comes after it did not run)."""

    @abstractmethod
    async def _end(self, ending: Ending, policy: FatiguePolicy) -> FinishOutcome | None:
        """End one challenge with the push rules' effect on its user, in one transaction."""

    @abstractmethod
    def _revoking(self, rp: str, device_id: str, now: int) -> Statement:
        """The statement that marks a device revoked (and tells other nodes, where any)."""

    async def _select_one(self, query: str, *args: object) -> Row | None:
        rows = await self._select(query, *args)
        return rows[0] if rows else None

    # -- the database itself ---------------------------------------------------------------

    async def ping(self) -> None:
        await self._select("SELECT 1")

    async def recorded_server_key(self) -> bytes | None:
        row = await self._select_one(META_VALUE, SERVER_KEY)
        return None if row is None else b64u_decode(row["value"])

    async def claim_server_key(self, public_key: bytes) -> bytes:
        rows = await self._transaction(
            Statement(META_ADD_ONCE, (SERVER_KEY, b64u_encode(public_key))),
            Statement(META_VALUE, (SERVER_KEY,)),
        )
        assert rows  # the row is there, whoever added it
        return b64u_decode(rows[0]["value"])

    # -- API keys --------------------------------------------------------------------------

    async def add_api_key(self, key_id: str, rp: str, key_hash: bytes, now: int) -> None:
        await self._transaction(Statement(API_KEY_ADD, (key_id, rp, key_hash, now)))

    async def rp_for_api_key(self, key_hash: bytes) -> str | None:
        row = await self._select_one(API_KEY_RP, key_hash)
        return None if row is None else str(row["rp"])

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        return [api_key_from_row(row) for row in await self._select(API_KEYS)]

    async def revoke_api_key(self, key_id: str, now: int) -> bool:
        revoked = await self._transaction(Statement(API_KEY_REVOKE, (now, key_id), needed=True))
        return revoked is not None

    # -- enrollments and devices -----------------------------------------------------------

    async def add_enrollment(self, record: EnrollmentRecord) -> None:
        await self._transaction(Statement(ENROLLMENT_ADD, values(record, NEW_ENROLLMENT_COLUMNS)))

    async def get_enrollment(self, enrollment_id: str) -> EnrollmentRecord | None:
        row = await self._select_one(ENROLLMENT, enrollment_id)
        return None if row is None else enrollment_from_row(row)

    async def complete_enrollment(
        self, enrollment_id: str, device: DeviceRecord, answer: str
    ) -> bool:
        """The enrollment takes the device and the device is added, both or neither."""
        used = (device.id, device.public_key, answer, enrollment_id)
        done = await self._transaction(
            Statement(ENROLLMENT_USE, used, needed=True),
            Statement(DEVICE_ADD, values(device, DEVICE_COLUMNS)),
        )
        return done is not None

    async def get_device(self, device_id: str) -> DeviceRecord | None:
        row = await self._select_one(DEVICE, device_id)
        return None if row is None else device_from_row(row)

    async def list_devices(self, rp: str, user: str) -> list[DeviceRecord]:
        return [device_from_row(row) for row in await self._select(DEVICES_OF_USER, rp, user)]

    async def revoke_device(self, rp: str, device_id: str, now: int) -> DeviceRecord | None:
        rows = await self._transaction(
            self._revoking(rp, device_id, now), Statement(DEVICE_OF_RP, (device_id, rp))
        )
        return device_from_row(rows[0]) if rows else None

    async def touch_device(self, device_id: str, now: int) -> None:
        await self._transaction(Statement(DEVICE_TOUCH, (now, device_id)))

    # -- challenges ------------------------------------------------------------------------

    async def get_challenge(self, challenge_id: str) -> ChallengeRecord | None:
        row = await self._select_one(CHALLENGE, challenge_id)
        return None if row is None else challenge_from_row(row)

    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        policy: FatiguePolicy,
    ) -> FinishOutcome | None:
        return await self._end(Ending(challenge_id, status, decided_at, device_id), policy)

    async def pending_challenges(self, rp: str, user: str, now: int) -> list[ChallengeRecord]:
        return [challenge_from_row(row) for row in await self._select(PENDING_SHOWN, rp, user, now)]

    async def next_expiry(self) -> int | None:
        row = await self._select_one(NEXT_EXPIRY)
        return None if row is None or row["at"] is None else int(row["at"])

    async def prune(self, before: int) -> None:
        await self._transaction(*(Statement(query, (before,)) for query in PRUNE))
