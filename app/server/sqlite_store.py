"""The embedded store: one SQLite file (WAL) in the data folder.

Every call runs on one worker thread that owns the connection, so the event loop never
waits on the disk and each operation is one transaction. `BEGIN IMMEDIATE` takes the write
lock up front, which also keeps `keyfob-server apikey ...` in another process safe. The push
rules are rules.py's: this module reads a user's state and saves what they decide.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Final, TypeVar

from app.push.canonical import b64u_decode, b64u_encode
from app.push.messages import Status
from app.server import rules
from app.server.errors import ServerError, StoreUnavailable
from app.server.migrations import SQLITE, Migration, to_apply
from app.server.notify import LocalNotifier, Notifier
from app.server.rules import CreateKind, FatiguePolicy, UserState
from app.server.store import (
    ApiKeyInfo,
    ChallengeRecord,
    CreateOutcome,
    DeviceRecord,
    EnrollmentRecord,
    FinishOutcome,
    StoreHealth,
)

DB_FILE: Final = "keyfob-server.sqlite3"
_T = TypeVar("_T")
_SERVER_KEY: Final = "server_public_key"
# Bound parameters per statement stay well under SQLite's limit (32766 since 3.32).
_BATCH: Final = 400

_CHALLENGE_COLUMNS = (
    "id, rp, user_name, number, number_matching, created_at, expires_at, status, payload, "
    "payload_hash, decided_at, device_id"
)
_DEVICE_COLUMNS = "id, rp, user_name, name, public_key, enrolled_at, last_seen, revoked_at"
_ENROLLMENT_COLUMNS = (
    "id, rp, user_name, secret_hash, created_at, expires_at, device_id, device_key, answer"
)


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
        self.health = StoreHealth()
        self.migrated: list[Migration] = []  # what opening it applied

    @classmethod
    async def open(cls, data_dir: Path) -> SQLiteStore:
        """The store in a data folder (its usual place)."""
        return await cls.open_file(data_dir / DB_FILE)

    @classmethod
    async def open_file(cls, path: Path) -> SQLiteStore:
        """The store in one file (`--database sqlite:///PATH`), made and migrated if need be."""
        store = cls(path)
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
        except sqlite3.Error as exc:
            raise ServerError(f"cannot open the database {self.path}: {exc}") from exc
        try:
            if fresh and os.name == "posix":
                os.chmod(self.path, 0o600)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=10000")
            self._conn = conn
            self.migrated = self._migrate()
        except BaseException as exc:
            self._conn = None
            conn.close()
            if isinstance(exc, sqlite3.Error):
                raise ServerError(f"cannot open the database {self.path}: {exc}") from exc
            raise

    def _migrate(self) -> list[Migration]:
        """Apply what is missing, each migration in its own write transaction (which also
        serialises two processes opening the same file)."""
        applied: list[Migration] = []
        while True:
            with self._write() as db:
                steps = to_apply(self._schema_version(db), SQLITE)
                if not steps:
                    return applied
                step = steps[0]
                for statement in _statements(step.sql):
                    db.execute(statement)
                db.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema', ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (str(step.version),),
                )
                applied.append(step)

    @staticmethod
    def _schema_version(db: sqlite3.Connection) -> int:
        has_meta = db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        if has_meta is None:
            return 0
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            # The first release made its tables before it recorded the version: a file
            # with tables and no version is one that release left half made.
            return 0
        return int(row["value"])

    async def schema_version(self) -> int:
        return await self._run(lambda: self._schema_version(self._db))

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
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args))
        except sqlite3.OperationalError as exc:
            # Locked by another process past the busy timeout, or the disk went away.
            self.health.errors += 1
            raise StoreUnavailable(f"the database {self.path} is unavailable: {exc}") from exc

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

    # -- the database itself ---------------------------------------------------------------

    async def ping(self) -> None:
        await self._run(lambda: self._db.execute("SELECT 1").fetchone())

    async def recorded_server_key(self) -> bytes | None:
        def run() -> bytes | None:
            row = self._db.execute(
                "SELECT value FROM meta WHERE key = ?", (_SERVER_KEY,)
            ).fetchone()
            return None if row is None else b64u_decode(row["value"])

        return await self._run(run)

    async def claim_server_key(self, public_key: bytes) -> bytes:
        def run() -> bytes:
            with self._write() as db:
                db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                    (_SERVER_KEY, b64u_encode(public_key)),
                )
                row = db.execute("SELECT value FROM meta WHERE key = ?", (_SERVER_KEY,)).fetchone()
                return b64u_decode(row["value"])

        return await self._run(run)

    def notifier(self, node_id: str) -> Notifier:
        return LocalNotifier()

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

    @staticmethod
    def _user_state(db: sqlite3.Connection, rp: str, user: str) -> UserState:
        row = db.execute(
            "SELECT blocked, strikes, not_before, create_tat FROM users "
            "WHERE rp = ? AND user_name = ?",
            (rp, user),
        ).fetchone()
        if row is None:
            return UserState()
        return UserState(
            blocked=bool(row["blocked"]),
            strikes=row["strikes"],
            not_before=row["not_before"],
            create_tat=row["create_tat"],
        )

    @staticmethod
    def _save_user(db: sqlite3.Connection, rp: str, user: str, state: UserState) -> None:
        db.execute(
            "INSERT INTO users (rp, user_name, blocked, strikes, not_before, create_tat) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (rp, user_name) DO UPDATE SET "
            "blocked = excluded.blocked, strikes = excluded.strikes, "
            "not_before = excluded.not_before, create_tat = excluded.create_tat",
            (rp, user, int(state.blocked), state.strikes, state.not_before, state.create_tat),
        )

    def _finish(
        self,
        db: sqlite3.Connection,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        *,
        policy: FatiguePolicy,
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
        state = self._user_state(db, challenge.rp, challenge.user)
        after = rules.after_end(policy, state, status, decided_at)
        if after != state:
            self._save_user(db, challenge.rp, challenge.user, after)
        return FinishOutcome(True, challenge)

    def _expire_stale(
        self, db: sqlite3.Connection, rows: list[sqlite3.Row], policy: FatiguePolicy
    ) -> list[ChallengeRecord]:
        expired = []
        for row in rows:
            outcome = self._finish(
                db, row["id"], Status.EXPIRED, row["expires_at"], None, policy=policy
            )
            if outcome is not None and outcome.changed:
                expired.append(outcome.challenge)
        return expired

    async def create_challenge(
        self, challenge: ChallengeRecord, policy: FatiguePolicy
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
                expired = self._expire_stale(db, stale, policy)
                pending = db.execute(
                    "SELECT MIN(expires_at) AS at FROM challenges "
                    "WHERE rp = ? AND user_name = ? AND status = 'pending'",
                    key,
                ).fetchone()
                verdict = rules.judge_create(
                    policy,
                    self._user_state(db, *key),
                    now=now,
                    has_device=True,
                    pending_until=pending["at"],
                )
                if verdict.state is None:
                    return CreateOutcome(verdict.kind, verdict.retry_at, expired)
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
                self._save_user(db, *key, verdict.state)
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

    async def get_challenges(self, challenge_ids: Sequence[str]) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            found: list[ChallengeRecord] = []
            ids = list(challenge_ids)
            for start in range(0, len(ids), _BATCH):
                batch = ids[start : start + _BATCH]
                marks = ", ".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                    f"WHERE id IN ({marks})",
                    batch,
                ).fetchall()
                found.extend(_challenge(row) for row in rows)
            return found

        return await self._run(run)

    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        policy: FatiguePolicy,
    ) -> FinishOutcome | None:
        def run() -> FinishOutcome | None:
            with self._write() as db:
                return self._finish(db, challenge_id, status, decided_at, device_id, policy=policy)

        return await self._run(run)

    async def expire_due(
        self, now: int, policy: FatiguePolicy, limit: int = 500
    ) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            with self._write() as db:
                rows = db.execute(
                    "SELECT id, expires_at FROM challenges WHERE status = 'pending' "
                    "AND expires_at <= ? ORDER BY expires_at LIMIT ?",
                    (now, limit),
                ).fetchall()
                return self._expire_stale(db, rows, policy)

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

    async def pending_for_users(
        self, users: Sequence[tuple[str, str]], now: int
    ) -> list[ChallengeRecord]:
        wanted = set(users)

        def run() -> list[ChallengeRecord]:
            # Few challenges are pending at any time: read them all and keep the wanted ones.
            rows = self._db.execute(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE status = 'pending' AND expires_at > ? ORDER BY created_at",
                (now,),
            ).fetchall()
            return [c for c in map(_challenge, rows) if (c.rp, c.user) in wanted]

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
                state = self._user_state(db, rp, user)
                after = rules.unblocked(state)
                if after != state:
                    self._save_user(db, rp, user, after)

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


def _statements(script: str) -> list[str]:
    """A migration's statements (they hold no `;` of their own); `executescript` would
    commit the transaction that keeps a migration all or nothing."""
    return [part.strip() for part in script.split(";") if part.strip()]
