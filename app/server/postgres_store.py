"""The shared store: PostgreSQL (asyncpg), for several server nodes on one database.

Each node holds a pool of at most `MAX_POOL` connections plus one listening connection
(postgres_listener.py), so at most 10 per node. Every rule holds across nodes because each
operation that applies one is one transaction that first locks the user's row in `users`
(`SELECT ... FOR UPDATE`): two nodes creating a challenge for one user at the same instant
take turns, and the second sees the first's pending challenge. A unique partial index holds
"one pending challenge per user" in the database itself as well.

Every change another node must act on sends a notice (`pg_notify`) inside its transaction,
so it is delivered exactly when the change is committed, and never for a rolled-back one.

A lost or refused connection becomes `StoreUnavailable` (the API answers 503); the pool
reconnects by itself once the database is back. The SQL both stores share and the
operations it makes are store_sql.py's; connecting and migrating, postgres_connection.py's.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar

import asyncpg  # type: ignore[import-untyped]

from app.server import rules, store_sql
from app.server.errors import StoreUnavailable
from app.server.notify import CHANNEL, Notice, NoticeKind, Notifier
from app.server.postgres_connection import (
    SCHEMA_VERSION,
    UNAVAILABLE,
    Connection,
    connect_options,
    migrate,
    opening,
    reason,
)
from app.server.rules import CreateKind, FatiguePolicy, UserState
from app.server.store import ChallengeRecord, CreateOutcome, FinishOutcome, StoreHealth
from app.server.store_rows import (
    CHALLENGE_COLUMNS,
    USER_COLUMNS,
    Row,
    challenge_from_row,
    user_state_from_row,
    values,
)
from app.server.store_sql import Ending, SqlStore, Statement, expiry, split_pending, user_save

log = logging.getLogger("keyfob.server.db")

# The pool's connections; with the listener's, 10 per node.
MAX_POOL: Final = 9
ACQUIRE_TIMEOUT: Final = 10.0
# Transactions that lose a deadlock or serialization race are run again this many times.
RETRIES: Final = 3
_T = TypeVar("_T")

# The user's row, locked until the transaction ends.
_LOCK_USER: Final = store_sql.USER_STATE + " FOR UPDATE"
# A challenge's user, locked, found from the challenge (every challenge has its user's row).
_LOCK_USER_OF: Final = (
    "SELECT u.blocked, u.strikes, u.not_before, u.create_tat FROM users u "
    "JOIN challenges c ON c.rp = u.rp AND c.user_name = u.user_name "
    "WHERE c.id = $1 FOR UPDATE OF u"
)
# Pending -> final, the user's new state and the notice, all or nothing; when it was no
# longer pending, none of them. One statement: this is on the path of every answer.
_END_AND_SAVE: Final = (
    f"WITH done AS ({store_sql.CHALLENGE_END} RETURNING {CHALLENGE_COLUMNS}), "  # noqa: S608
    " saved AS (UPDATE users SET blocked = $5, strikes = $6, not_before = $7, "
    "    create_tat = $8 FROM done "
    "    WHERE users.rp = done.rp AND users.user_name = done.user_name), "
    " told AS (SELECT pg_notify($9, $10) FROM done) "
    "SELECT done.*, (SELECT count(*) FROM told) AS told FROM done"
)
# The challenge, the user's new state and the notice in one statement.
_ADD_AND_SAVE: Final = (
    f"WITH made AS ({store_sql.CHALLENGE_ADD}), "  # noqa: S608
    " saved AS (UPDATE users SET blocked = $13, strikes = $14, not_before = $15, "
    "    create_tat = $16 WHERE rp = $2 AND user_name = $3) "
    "SELECT pg_notify($17, $18)"
)


class PostgresStore(SqlStore):
    """`Store` on PostgreSQL; open it with `await PostgresStore.open(url, node_id=...)`."""

    def __init__(self, pool: Any, url: str, node_id: str) -> None:
        self._pool = pool
        self.url = url
        self.node_id = node_id
        self.health = StoreHealth()

    @classmethod
    async def open(
        cls, url: str, *, node_id: str, max_connections: int = MAX_POOL, migrate_now: bool = True
    ) -> PostgresStore:
        async def run() -> Any:
            pool = await asyncpg.create_pool(
                # No connection kept open by force: asyncpg would log a traceback for each
                # failed reconnection while the database is down; one is made when needed.
                min_size=0,
                max_size=max_connections,
                max_inactive_connection_lifetime=300.0,
                **connect_options(url, node_id, "pool"),
            )
            try:
                if migrate_now:
                    async with pool.acquire() as conn:
                        await migrate(conn)
            except BaseException:
                await pool.close()
                raise
            return pool

        return cls(await opening(url, run), url, node_id)

    async def close(self) -> None:
        try:
            await self._pool.close()
        except UNAVAILABLE:
            self._pool.terminate()

    def notifier(self, node_id: str) -> Notifier:
        from app.server.postgres_listener import PostgresListener

        return PostgresListener(connect_options(self.url, node_id, "listen"))

    async def schema_version(self) -> int:
        async def run(conn: Connection) -> int:
            return int(await conn.fetchval(SCHEMA_VERSION))

        return await self._read(run)

    # -- running queries -------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def connection(self) -> AsyncIterator[Connection]:
        """A connection of the node's pool, which the Duo tables share (one limit per node);
        any sign of the database being away is StoreUnavailable (503), counted in `health`."""
        try:
            # Any refusal to give a connection (the server down, starting, full, the
            # database closed to connections) means: not now.
            conn = await self._pool.acquire(timeout=ACQUIRE_TIMEOUT)
        except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
            raise await self._unavailable(exc) from exc
        try:
            yield conn
        except UNAVAILABLE as exc:
            raise await self._unavailable(exc) from exc
        finally:
            with contextlib.suppress(*UNAVAILABLE):
                await self._pool.release(conn)
        if self.health.down:
            self.health.down = False
            log.warning("the database is reachable again")

    async def _unavailable(self, exc: BaseException) -> StoreUnavailable:
        self.health.errors += 1
        # Connections that died with the server would each fail once more: drop them all
        # now, so the first requests after a restart do not pay for it.
        await self._pool.expire_connections()
        if not self.health.down:
            self.health.down = True
            log.warning("the database is unavailable (%s); answering 503", reason(exc))
        return StoreUnavailable("the database is unavailable; try again shortly")

    async def _read(self, fn: Callable[[Connection], Awaitable[_T]]) -> _T:
        async with self.connection() as conn:
            return await fn(conn)

    async def _write(self, fn: Callable[[Connection], Awaitable[_T]]) -> _T:
        """`fn` in one transaction, run again if it lost a deadlock or serialization race."""
        for attempt in range(RETRIES):
            try:
                async with self.connection() as conn, conn.transaction():
                    return await fn(conn)
            except asyncpg.exceptions.TransactionRollbackError:
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _select(self, query: str, *args: object) -> list[Row]:
        return await self._read(lambda conn: conn.fetch(query, *args))

    async def _transaction(self, *statements: Statement) -> list[Row] | None:
        async def run(conn: Connection) -> list[Row] | None:
            rows: list[Row] = []
            for statement in statements:
                if not statement.needed:
                    rows = await conn.fetch(statement.query, *statement.args)
                elif await conn.fetchval(f"{statement.query} RETURNING 1", *statement.args):
                    rows = []
                else:
                    return None
            return rows

        return await self._write(run)

    # -- devices and users -----------------------------------------------------------------

    def _revoking(self, rp: str, device_id: str, now: int) -> Statement:
        notice = Notice(NoticeKind.DEVICE_REVOKED, self.node_id, device_id)
        return Statement(
            f"WITH revoked AS ({store_sql.DEVICE_REVOKE} RETURNING id) "  # noqa: S608
            "SELECT pg_notify($4, $5) FROM revoked",
            (now, device_id, rp, CHANNEL, notice.encode()),
        )

    @staticmethod
    async def _lock_user(conn: Connection, rp: str, user: str) -> UserState:
        """The user's state, locked until the transaction ends (made if it was not there)."""
        row = await conn.fetchrow(_LOCK_USER, rp, user)
        if row is None:
            await conn.execute(
                "INSERT INTO users (rp, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                rp,
                user,
            )
            row = await conn.fetchrow(_LOCK_USER, rp, user)
        return user_state_from_row(row)

    async def unblock(self, rp: str, user: str) -> None:
        async def run(conn: Connection) -> None:
            if await conn.fetchrow(store_sql.USER_STATE, rp, user) is None:
                return  # nothing was ever recorded, so nothing is blocked
            state = await self._lock_user(conn, rp, user)
            after = rules.unblocked(state)
            if after != state:
                saved = user_save(rp, user, after)
                await conn.execute(saved.query, *saved.args)

        await self._write(run)

    # -- challenges ------------------------------------------------------------------------

    async def _finish(
        self,
        conn: Connection,
        ending: Ending,
        policy: FatiguePolicy,
        locked: UserState | None = None,
    ) -> tuple[FinishOutcome | None, UserState | None]:
        """Move one challenge from pending to its end, inside the caller's transaction:
        how it went, and the user's state after it. The user's row is locked before the
        challenge's (the order create takes them in), so two transactions never wait on
        each other in a circle; `locked` is that state when the caller holds the lock."""
        if locked is None:
            row = await conn.fetchrow(_LOCK_USER_OF, ending.challenge_id)
            if row is None:  # no such challenge (every challenge is made with its user's row)
                return None, None
            state = user_state_from_row(row)
        else:
            state = locked
        after = rules.after_end(policy, state, ending.status, ending.decided_at)
        notice = Notice(NoticeKind.CHALLENGE_ENDED, self.node_id, ending.challenge_id)
        row = await conn.fetchrow(
            _END_AND_SAVE,
            ending.status.value,
            ending.decided_at,
            ending.device_id,
            ending.challenge_id,
            *values(after, USER_COLUMNS),
            CHANNEL,
            notice.encode(),
        )
        if row is None:
            row = await conn.fetchrow(store_sql.CHALLENGE, ending.challenge_id)
            return (None if row is None else FinishOutcome(False, challenge_from_row(row))), state
        return FinishOutcome(True, challenge_from_row(row)), after

    async def _end(self, ending: Ending, policy: FatiguePolicy) -> FinishOutcome | None:
        async def run(conn: Connection) -> FinishOutcome | None:
            outcome, _ = await self._finish(conn, ending, policy)
            return outcome

        return await self._write(run)

    async def create_challenge(
        self, challenge: ChallengeRecord, policy: FatiguePolicy
    ) -> CreateOutcome:
        key = (challenge.rp, challenge.user)
        now = challenge.created_at

        async def run(conn: Connection) -> CreateOutcome:
            if await conn.fetchval(store_sql.USER_HAS_DEVICE, *key) is None:
                return CreateOutcome(CreateKind.NO_DEVICE)
            state = await self._lock_user(conn, *key)
            due, pending_until = split_pending(
                await conn.fetch(store_sql.PENDING_OF_USER, *key), now
            )
            expired = []
            for row in due:
                outcome, after = await self._finish(conn, expiry(row), policy, locked=state)
                if outcome is not None and outcome.changed:
                    expired.append(outcome.challenge)
                state = after or state
            verdict = rules.judge_create(
                policy, state, now=now, has_device=True, pending_until=pending_until
            )
            if verdict.state is None:
                return CreateOutcome(verdict.kind, verdict.retry_at, expired)
            notice = Notice(NoticeKind.CHALLENGE_CREATED, self.node_id, challenge.id)
            await conn.execute(
                _ADD_AND_SAVE,
                *values(challenge, CHALLENGE_COLUMNS),
                *values(verdict.state, USER_COLUMNS),
                CHANNEL,
                notice.encode(),
            )
            return CreateOutcome(CreateKind.CREATED, expired=expired)

        return await self._write(run)

    async def get_challenges(self, challenge_ids: Sequence[str]) -> list[ChallengeRecord]:
        rows = await self._select(
            f"SELECT {CHALLENGE_COLUMNS} FROM challenges WHERE id = ANY($1::text[])",  # noqa: S608
            list(challenge_ids),
        )
        return [challenge_from_row(row) for row in rows]

    async def expire_due(
        self, now: int, policy: FatiguePolicy, limit: int = 500
    ) -> list[ChallengeRecord]:
        expired = []
        # One transaction each: a short lock per user, and nodes sweeping at the same time
        # just find the other's work done.
        for row in await self._select(store_sql.DUE, now, limit):
            outcome = await self._end(expiry(row), policy)
            if outcome is not None and outcome.changed:
                expired.append(outcome.challenge)
        return expired

    async def pending_for_users(
        self, users: Sequence[tuple[str, str]], now: int
    ) -> list[ChallengeRecord]:
        if not users:
            return []
        rows = await self._select(
            f"SELECT {CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
            "WHERE status = 'pending' AND expires_at > $1 AND (rp, user_name) IN "
            "(SELECT * FROM unnest($2::text[], $3::text[])) ORDER BY created_at",
            now,
            [rp for rp, _ in users],
            [user for _, user in users],
        )
        return [challenge_from_row(row) for row in rows]
