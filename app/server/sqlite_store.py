"""The embedded store: one SQLite file (WAL) in the data folder.

Every call runs on one worker thread that owns the connection, so the event loop never
waits on the disk and each operation is one transaction. `BEGIN IMMEDIATE` takes the write
lock up front, which also keeps `keyfob-server apikey ...` in another process safe. The SQL
both stores share and the operations it makes are store_sql.py's; the push rules are
rules.py's: this module reads a user's state and saves what they decide.
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

from app.server import rules, store_sql
from app.server.errors import ServerError, StoreUnavailable
from app.server.migrations import SQLITE, Migration, to_apply
from app.server.notify import LocalNotifier, Notifier
from app.server.rules import CreateKind, FatiguePolicy, UserState
from app.server.store import ChallengeRecord, CreateOutcome, FinishOutcome, StoreHealth
from app.server.store_rows import (
    CHALLENGE_COLUMNS,
    Row,
    challenge_from_row,
    user_state_from_row,
    values,
)
from app.server.store_sql import Ending, SqlStore, Statement, expiry, split_pending, user_save

DB_FILE: Final = "keyfob-server.sqlite3"
_T = TypeVar("_T")
# Bound parameters per statement stay well under SQLite's limit (32766 since 3.32).
_BATCH: Final = 400


def _sql(query: str) -> str:
    """A shared query in SQLite's spelling: numbered parameters are ?1, ?2, ... here."""
    return query.replace("$", "?")


class SQLiteStore(SqlStore):
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

    def notifier(self, node_id: str) -> Notifier:
        return LocalNotifier()

    # -- running queries -------------------------------------------------------------------

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

    async def _select(self, query: str, *args: object) -> list[Row]:
        return await self._run(lambda: self._db.execute(_sql(query), args).fetchall())

    async def _transaction(self, *statements: Statement) -> list[Row] | None:
        def run() -> list[Row] | None:
            with self._write() as db:
                return self._statements_in(db, statements)

        return await self._run(run)

    @staticmethod
    def _statements_in(db: sqlite3.Connection, statements: Sequence[Statement]) -> list[Row] | None:
        rows: list[Row] = []
        for statement in statements:
            cursor = db.execute(_sql(statement.query), statement.args)
            rows = cursor.fetchall()
            if statement.needed and cursor.rowcount < 1:
                return None
        return rows

    # -- devices and users -----------------------------------------------------------------

    def _revoking(self, rp: str, device_id: str, now: int) -> Statement:
        return Statement(store_sql.DEVICE_REVOKE, (now, device_id, rp))

    @staticmethod
    def _user_state(db: sqlite3.Connection, rp: str, user: str) -> UserState:
        row = db.execute(_sql(store_sql.USER_STATE), (rp, user)).fetchone()
        return UserState() if row is None else user_state_from_row(row)

    @staticmethod
    def _save_user(db: sqlite3.Connection, rp: str, user: str, state: UserState) -> None:
        saved = user_save(rp, user, state)
        db.execute(_sql(saved.query), saved.args)

    async def unblock(self, rp: str, user: str) -> None:
        def run() -> None:
            with self._write() as db:
                state = self._user_state(db, rp, user)
                after = rules.unblocked(state)
                if after != state:
                    self._save_user(db, rp, user, after)

        await self._run(run)

    # -- challenges ------------------------------------------------------------------------

    def _finish(
        self, db: sqlite3.Connection, ending: Ending, policy: FatiguePolicy
    ) -> FinishOutcome | None:
        cursor = db.execute(
            _sql(store_sql.CHALLENGE_END),
            (ending.status.value, ending.decided_at, ending.device_id, ending.challenge_id),
        )
        row = db.execute(_sql(store_sql.CHALLENGE), (ending.challenge_id,)).fetchone()
        if row is None:
            return None
        challenge = challenge_from_row(row)
        if cursor.rowcount == 0:
            return FinishOutcome(False, challenge)
        state = self._user_state(db, challenge.rp, challenge.user)
        after = rules.after_end(policy, state, ending.status, ending.decided_at)
        if after != state:
            self._save_user(db, challenge.rp, challenge.user, after)
        return FinishOutcome(True, challenge)

    def _expire(
        self, db: sqlite3.Connection, rows: list[Row], policy: FatiguePolicy
    ) -> list[ChallengeRecord]:
        expired = []
        for row in rows:
            outcome = self._finish(db, expiry(row), policy)
            if outcome is not None and outcome.changed:
                expired.append(outcome.challenge)
        return expired

    async def _end(self, ending: Ending, policy: FatiguePolicy) -> FinishOutcome | None:
        def run() -> FinishOutcome | None:
            with self._write() as db:
                return self._finish(db, ending, policy)

        return await self._run(run)

    async def create_challenge(
        self, challenge: ChallengeRecord, policy: FatiguePolicy
    ) -> CreateOutcome:
        def run() -> CreateOutcome:
            key = (challenge.rp, challenge.user)
            now = challenge.created_at
            with self._write() as db:
                if db.execute(_sql(store_sql.USER_HAS_DEVICE), key).fetchone() is None:
                    return CreateOutcome(CreateKind.NO_DEVICE)
                due, pending_until = split_pending(
                    db.execute(_sql(store_sql.PENDING_OF_USER), key).fetchall(), now
                )
                expired = self._expire(db, due, policy)
                verdict = rules.judge_create(
                    policy,
                    self._user_state(db, *key),
                    now=now,
                    has_device=True,
                    pending_until=pending_until,
                )
                if verdict.state is None:
                    return CreateOutcome(verdict.kind, verdict.retry_at, expired)
                db.execute(_sql(store_sql.CHALLENGE_ADD), values(challenge, CHALLENGE_COLUMNS))
                self._save_user(db, *key, verdict.state)
                return CreateOutcome(CreateKind.CREATED, expired=expired)

        return await self._run(run)

    async def get_challenges(self, challenge_ids: Sequence[str]) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            found: list[ChallengeRecord] = []
            ids = list(challenge_ids)
            for start in range(0, len(ids), _BATCH):
                batch = ids[start : start + _BATCH]
                marks = ", ".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT {CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                    f"WHERE id IN ({marks})",
                    batch,
                ).fetchall()
                found.extend(challenge_from_row(row) for row in rows)
            return found

        return await self._run(run)

    async def expire_due(
        self, now: int, policy: FatiguePolicy, limit: int = 500
    ) -> list[ChallengeRecord]:
        def run() -> list[ChallengeRecord]:
            with self._write() as db:
                return self._expire(
                    db, db.execute(_sql(store_sql.DUE), (now, limit)).fetchall(), policy
                )

        return await self._run(run)

    async def pending_for_users(
        self, users: Sequence[tuple[str, str]], now: int
    ) -> list[ChallengeRecord]:
        wanted = set(users)

        def run() -> list[ChallengeRecord]:
            # Few challenges are pending at any time: read them all and keep the wanted ones.
            rows = self._db.execute(
                f"SELECT {CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE status = 'pending' AND expires_at > ? ORDER BY created_at",
                (now,),
            ).fetchall()
            return [c for c in map(challenge_from_row, rows) if (c.rp, c.user) in wanted]

        return await self._run(run)


def _statements(script: str) -> list[str]:
    """A migration's statements (they hold no `;` of their own); `executescript` would
    commit the transaction that keeps a migration all or nothing."""
    return [part.strip() for part in script.split(";") if part.strip()]
