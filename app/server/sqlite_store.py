"""The embedded store: one SQLite file (WAL) in the data folder.

Every call runs on one worker thread that owns the connection, so the event loop never
waits on the disk and each operation is one transaction. `BEGIN IMMEDIATE` takes the write
lock up front, which also keeps `keyfob-server apikey ...` in another process safe.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar

from app.push.messages import Status
from app.server.errors import ServerError
from app.server.store import (
    ApiKeyInfo,
    BackoffPolicy,
    ChallengeRecord,
    CreateKind,
    CreateOutcome,
    DeviceRecord,
    EnrollmentRecord,
    FinishOutcome,
)

DB_FILE: Final = "keyfob-server.sqlite3"
SCHEMA_VERSION: Final = 1
_T = TypeVar("_T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    key_hash BLOB NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE IF NOT EXISTS enrollments (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    secret_hash BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    device_id TEXT,
    device_key BLOB,
    answer TEXT
);
CREATE TABLE IF NOT EXISTS devices (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    name TEXT NOT NULL,
    public_key BLOB NOT NULL,
    enrolled_at INTEGER NOT NULL,
    last_seen INTEGER,
    revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS devices_by_user ON devices (rp, user_name);
CREATE TABLE IF NOT EXISTS challenges (
    id TEXT PRIMARY KEY,
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    number TEXT,
    number_matching INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    payload TEXT NOT NULL,
    payload_hash BLOB NOT NULL,
    decided_at INTEGER,
    device_id TEXT
);
CREATE INDEX IF NOT EXISTS challenges_pending_by_user
    ON challenges (rp, user_name) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS challenges_pending_by_expiry
    ON challenges (expires_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS challenges_by_age ON challenges (created_at);
CREATE TABLE IF NOT EXISTS users (
    rp TEXT NOT NULL,
    user_name TEXT NOT NULL,
    blocked INTEGER NOT NULL DEFAULT 0,
    strikes INTEGER NOT NULL DEFAULT 0,
    not_before INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rp, user_name)
);
"""

_CHALLENGE_COLUMNS = (
    "id, rp, user_name, number, number_matching, created_at, expires_at, status, payload, "
    "payload_hash, decided_at, device_id"
)
_DEVICE_COLUMNS = "id, rp, user_name, name, public_key, enrolled_at, last_seen, revoked_at"
_ENROLLMENT_COLUMNS = (
    "id, rp, user_name, secret_hash, created_at, expires_at, device_id, device_key, answer"
)
_STRIKES = frozenset({Status.DENIED, Status.EXPIRED, Status.WRONG_NUMBER})


def _challenge(row: sqlite3.Row) -> ChallengeRecord:
    return ChallengeRecord(
        id=row["id"],
        rp=row["rp"],
        user=row["user_name"],
        number=row["number"],
        number_matching=bool(row["number_matching"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        status=Status(row["status"]),
        payload=row["payload"],
        payload_hash=bytes(row["payload_hash"]),
        decided_at=row["decided_at"],
        device_id=row["device_id"],
    )


def _device(row: sqlite3.Row) -> DeviceRecord:
    return DeviceRecord(
        id=row["id"],
        rp=row["rp"],
        user=row["user_name"],
        name=row["name"],
        public_key=bytes(row["public_key"]),
        enrolled_at=row["enrolled_at"],
        last_seen=row["last_seen"],
        revoked_at=row["revoked_at"],
    )


def _enrollment(row: sqlite3.Row) -> EnrollmentRecord:
    key = row["device_key"]
    return EnrollmentRecord(
        id=row["id"],
        rp=row["rp"],
        user=row["user_name"],
        secret_hash=bytes(row["secret_hash"]),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        device_id=row["device_id"],
        device_key=None if key is None else bytes(key),
        answer=row["answer"],
    )


class SQLiteStore:
    """`Store` on SQLite; open it with `await SQLiteStore.open(data_dir)`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyfob-sqlite")
        self._conn: sqlite3.Connection | None = None

    @classmethod
    async def open(cls, data_dir: Path) -> SQLiteStore:
        store = cls(data_dir / DB_FILE)
        try:
            await store._run(store._open)
        except BaseException:
            store._executor.shutdown(wait=False)
            raise
        return store

    def _open(self) -> None:
        try:
            fresh = not self.path.exists()
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=10.0
            )
            if fresh and os.name == "posix":
                os.chmod(self.path, 0o600)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            conn.executescript(_SCHEMA)
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if row is None:
                conn.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
            elif row["value"] != str(SCHEMA_VERSION):
                raise ServerError(
                    f"the database {self.path} is of schema {row['value']}, newer than this "
                    "keyfob-server understands; upgrade keyfob-server"
                )
        except sqlite3.Error as exc:
            raise ServerError(f"cannot open the database {self.path}: {exc}") from exc
        self._conn = conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        assert self._conn is not None
        self._conn.close()
        self._conn = None

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, functools.partial(fn, *args))

    @property
    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ServerError("the database is closed")
        return self._conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    # -- API keys --------------------------------------------------------------------------

    async def add_api_key(self, key_id: str, rp: str, key_hash: bytes, now: int) -> None:
        def run() -> None:
            with self._write() as db:
                db.execute(
                    "INSERT INTO api_keys (key_id, rp, key_hash, created_at) VALUES (?, ?, ?, ?)",
                    (key_id, rp, key_hash, now),
                )

        await self._run(run)

    async def rp_for_api_key(self, key_hash: bytes) -> str | None:
        def run() -> str | None:
            row = self._db.execute(
                "SELECT rp FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL", (key_hash,)
            ).fetchone()
            return None if row is None else str(row["rp"])

        return await self._run(run)

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        def run() -> list[ApiKeyInfo]:
            rows = self._db.execute(
                "SELECT key_id, rp, created_at, revoked_at FROM api_keys ORDER BY created_at, rp"
            ).fetchall()
            return [
                ApiKeyInfo(r["key_id"], r["rp"], r["created_at"], r["revoked_at"]) for r in rows
            ]

        return await self._run(run)

    async def revoke_api_key(self, key_id: str, now: int) -> bool:
        def run() -> bool:
            with self._write() as db:
                cursor = db.execute(
                    "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                    (now, key_id),
                )
                return cursor.rowcount > 0

        return await self._run(run)

    # -- enrollments and devices ----------------------------------------------------------

    async def add_enrollment(self, record: EnrollmentRecord) -> None:
        def run() -> None:
            with self._write() as db:
                db.execute(
                    "INSERT INTO enrollments (id, rp, user_name, secret_hash, created_at, "
                    "expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        record.id,
                        record.rp,
                        record.user,
                        record.secret_hash,
                        record.created_at,
                        record.expires_at,
                    ),
                )

        await self._run(run)

    async def get_enrollment(self, enrollment_id: str) -> EnrollmentRecord | None:
        def run() -> EnrollmentRecord | None:
            row = self._db.execute(
                f"SELECT {_ENROLLMENT_COLUMNS} FROM enrollments WHERE id = ?",  # noqa: S608
                (enrollment_id,),
            ).fetchone()
            return None if row is None else _enrollment(row)

        return await self._run(run)

    async def complete_enrollment(
        self, enrollment_id: str, device: DeviceRecord, answer: str
    ) -> bool:
        def run() -> bool:
            with self._write() as db:
                cursor = db.execute(
                    "UPDATE enrollments SET device_id = ?, device_key = ?, answer = ? "
                    "WHERE id = ? AND device_id IS NULL",
                    (device.id, device.public_key, answer, enrollment_id),
                )
                if cursor.rowcount == 0:
                    return False
                db.execute(
                    f"INSERT INTO devices ({_DEVICE_COLUMNS}) "  # noqa: S608
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        device.id,
                        device.rp,
                        device.user,
                        device.name,
                        device.public_key,
                        device.enrolled_at,
                        device.last_seen,
                        device.revoked_at,
                    ),
                )
                return True

        return await self._run(run)

    async def get_device(self, device_id: str) -> DeviceRecord | None:
        def run() -> DeviceRecord | None:
            row = self._db.execute(
                f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = ?",  # noqa: S608
                (device_id,),
            ).fetchone()
            return None if row is None else _device(row)

        return await self._run(run)

    async def list_devices(self, rp: str, user: str) -> list[DeviceRecord]:
        def run() -> list[DeviceRecord]:
            rows = self._db.execute(
                f"SELECT {_DEVICE_COLUMNS} FROM devices "  # noqa: S608
                "WHERE rp = ? AND user_name = ? AND revoked_at IS NULL ORDER BY enrolled_at, id",
                (rp, user),
            ).fetchall()
            return [_device(row) for row in rows]

        return await self._run(run)

    async def revoke_device(self, rp: str, device_id: str, now: int) -> DeviceRecord | None:
        def run() -> DeviceRecord | None:
            with self._write() as db:
                db.execute(
                    "UPDATE devices SET revoked_at = ? "
                    "WHERE id = ? AND rp = ? AND revoked_at IS NULL",
                    (now, device_id, rp),
                )
                row = db.execute(
                    f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = ? AND rp = ?",  # noqa: S608
                    (device_id, rp),
                ).fetchone()
                return None if row is None else _device(row)

        return await self._run(run)

    async def touch_device(self, device_id: str, now: int) -> None:
        def run() -> None:
            with self._write() as db:
                db.execute("UPDATE devices SET last_seen = ? WHERE id = ?", (now, device_id))

        await self._run(run)

    # -- challenges ------------------------------------------------------------------------

    def _finish(
        self,
        db: sqlite3.Connection,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        *,
        backoff: BackoffPolicy,
    ) -> FinishOutcome | None:
        cursor = db.execute(
            "UPDATE challenges SET status = ?, decided_at = ?, device_id = ? "
            "WHERE id = ? AND status = 'pending'",
            (status.value, decided_at, device_id, challenge_id),
        )
        row = db.execute(
            f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = ?",  # noqa: S608
            (challenge_id,),
        ).fetchone()
        if row is None:
            return None
        challenge = _challenge(row)
        if cursor.rowcount == 0:
            return FinishOutcome(False, challenge)
        key = (challenge.rp, challenge.user)
        db.execute("INSERT OR IGNORE INTO users (rp, user_name) VALUES (?, ?)", key)
        if status is Status.APPROVED:
            db.execute(
                "UPDATE users SET strikes = 0, not_before = 0 WHERE rp = ? AND user_name = ?", key
            )
        elif status is Status.FRAUD:
            db.execute("UPDATE users SET blocked = 1 WHERE rp = ? AND user_name = ?", key)
        elif status in _STRIKES:
            strikes = db.execute(
                "SELECT strikes FROM users WHERE rp = ? AND user_name = ?", key
            ).fetchone()["strikes"]
            strikes += 1
            db.execute(
                "UPDATE users SET strikes = ?, not_before = ? WHERE rp = ? AND user_name = ?",
                (strikes, decided_at + backoff(strikes), *key),
            )
        return FinishOutcome(True, challenge)

    def _expire_stale(
        self, db: sqlite3.Connection, rows: list[sqlite3.Row], backoff: BackoffPolicy
    ) -> list[ChallengeRecord]:
        expired = []
        for row in rows:
            outcome = self._finish(
                db, row["id"], Status.EXPIRED, row["expires_at"], None, backoff=backoff
            )
            if outcome is not None and outcome.changed:
                expired.append(outcome.challenge)
        return expired

    async def create_challenge(
        self, challenge: ChallengeRecord, backoff: BackoffPolicy
    ) -> CreateOutcome:
        def run() -> CreateOutcome:
            key = (challenge.rp, challenge.user)
            now = challenge.created_at
            with self._write() as db:
                device = db.execute(
                    "SELECT 1 FROM devices WHERE rp = ? AND user_name = ? "
                    "AND revoked_at IS NULL LIMIT 1",
                    key,
                ).fetchone()
                if device is None:
                    return CreateOutcome(CreateKind.NO_DEVICE)
                stale = db.execute(
                    "SELECT id, expires_at FROM challenges WHERE rp = ? AND user_name = ? "
                    "AND status = 'pending' AND expires_at <= ?",
                    (*key, now),
                ).fetchall()
                expired = self._expire_stale(db, stale, backoff)
                state = db.execute(
                    "SELECT blocked, not_before FROM users WHERE rp = ? AND user_name = ?", key
                ).fetchone()
                if state is not None and state["blocked"]:
                    return CreateOutcome(CreateKind.BLOCKED, expired=expired)
                pending = db.execute(
                    "SELECT MIN(expires_at) AS at FROM challenges "
                    "WHERE rp = ? AND user_name = ? AND status = 'pending'",
                    key,
                ).fetchone()
                if pending["at"] is not None:
                    return CreateOutcome(CreateKind.PENDING, pending["at"], expired)
                if state is not None and state["not_before"] > now:
                    return CreateOutcome(CreateKind.BACKOFF, state["not_before"], expired)
                db.execute(
                    f"INSERT INTO challenges ({_CHALLENGE_COLUMNS}) "  # noqa: S608
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        challenge.id,
                        challenge.rp,
                        challenge.user,
                        challenge.number,
                        int(challenge.number_matching),
                        challenge.created_at,
                        challenge.expires_at,
                        challenge.status.value,
                        challenge.payload,
                        challenge.payload_hash,
                        challenge.decided_at,
                        challenge.device_id,
                    ),
                )
                return CreateOutcome(CreateKind.CREATED, expired=expired)

        return await self._run(run)

    async def get_challenge(self, challenge_id: str) -> ChallengeRecord | None:
        def run() -> ChallengeRecord | None:
            row = self._db.execute(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = ?",  # noqa: S608
                (challenge_id,),
            ).fetchone()
            return None if row is None else _challenge(row)

        return await self._run(run)

    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        backoff: BackoffPolicy,
    ) -> FinishOutcome | None:
        def run() -> FinishOutcome | None:
            with self._write() as db:
                return self._finish(
                    db, challenge_id, status, decided_at, device_id, backoff=backoff
                )

        return await self._run(run)

    async def expire_due(
        self, now: int, backoff: BackoffPolicy, limit: int = 500
    ) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            with self._write() as db:
                rows = db.execute(
                    "SELECT id, expires_at FROM challenges WHERE status = 'pending' "
                    "AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                    (now, limit),
                ).fetchall()
                return self._expire_stale(db, rows, backoff)

        return await self._run(run)

    async def pending_challenges(self, rp: str, user: str, now: int) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            rows = self._db.execute(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE rp = ? AND user_name = ? AND status = 'pending' AND expires_at > ? "
                "ORDER BY created_at",
                (rp, user, now),
            ).fetchall()
            return [_challenge(row) for row in rows]

        return await self._run(run)

    async def next_expiry(self) -> int | None:
        def run() -> int | None:
            row = self._db.execute(
                "SELECT MIN(expires_at) AS at FROM challenges WHERE status = 'pending'"
            ).fetchone()
            return None if row["at"] is None else int(row["at"])

        return await self._run(run)

    async def unblock(self, rp: str, user: str) -> None:
        def run() -> None:
            with self._write() as db:
                db.execute(
                    "UPDATE users SET blocked = 0 WHERE rp = ? AND user_name = ?", (rp, user)
                )

        await self._run(run)

    async def prune(self, before: int) -> None:
        def run() -> None:
            with self._write() as db:
                db.execute(
                    "DELETE FROM challenges WHERE status != 'pending' AND created_at < ?",
                    (before,),
                )
                db.execute("DELETE FROM enrollments WHERE expires_at < ?", (before,))
                db.execute("DELETE FROM devices WHERE revoked_at < ?", (before,))

        await self._run(run)
