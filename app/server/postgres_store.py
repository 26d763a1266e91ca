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
reconnects by itself once the database is back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from app.push.canonical import b64u_decode, b64u_encode
from app.push.messages import Status
from app.server import rules
from app.server.errors import ServerError, StoreUnavailable
from app.server.migrations import (
    ADVISORY_LOCK_KEY,
    POSTGRES,
    POSTGRES_VERSION_TABLE,
    Migration,
    to_apply,
)
from app.server.notify import CHANNEL, Notice, NoticeKind, Notifier
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

log = logging.getLogger("keyfob.server.db")

# The pool's connections; with the listener's, 10 per node.
MAX_POOL: Final = 9
CONNECT_TIMEOUT: Final = 5.0
COMMAND_TIMEOUT: Final = 10.0
ACQUIRE_TIMEOUT: Final = 10.0
# Transactions that lose a deadlock or serialization race are run again this many times.
RETRIES: Final = 3
_SERVER_KEY: Final = "server_public_key"
_T = TypeVar("_T")

# What "the database cannot be reached now" looks like: refused or dropped connections,
# a server shutting down or starting up, a full server, a timeout.
UNAVAILABLE: Final = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
)

_CHALLENGE_COLUMNS = (
    "id, rp, user_name, number, number_matching, created_at, expires_at, status, payload, "
    "payload_hash, decided_at, device_id"
)
_DEVICE_COLUMNS = "id, rp, user_name, name, public_key, enrolled_at, last_seen, revoked_at"
_ENROLLMENT_COLUMNS = (
    "id, rp, user_name, secret_hash, created_at, expires_at, device_id, device_key, answer"
)

Record = Any  # asyncpg.Record: read by column name
Connection = Any  # asyncpg.Connection


def redacted(url: str) -> str:
    """The database URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def connect_options(url: str, node_id: str, purpose: str) -> dict[str, Any]:
    """asyncpg.connect / create_pool arguments for one of this node's connections. The
    application name says which node and what for (pg_stat_activity shows it)."""
    return {
        "dsn": url,
        "timeout": CONNECT_TIMEOUT,
        "command_timeout": COMMAND_TIMEOUT,
        "server_settings": {"application_name": f"keyfob-server {node_id} {purpose}"},
    }


def _challenge(row: Record) -> ChallengeRecord:
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


def _device(row: Record) -> DeviceRecord:
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


def _enrollment(row: Record) -> EnrollmentRecord:
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


def _user_state(row: Record) -> UserState:
    return UserState(
        blocked=bool(row["blocked"]),
        strikes=row["strikes"],
        not_before=row["not_before"],
        create_tat=row["create_tat"],
    )


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _notify(conn: Connection, notice: Notice) -> None:
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, notice.encode())


async def migrate(conn: Connection) -> list[Migration]:
    """Bring the schema up to date, under the advisory lock: nodes starting together take
    turns, and whoever comes second finds nothing left to do."""
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(POSTGRES_VERSION_TABLE)
        current = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM keyfob_schema")
        steps = to_apply(int(current), POSTGRES)
        for step in steps:
            async with conn.transaction():
                await conn.execute(step.sql)
                await conn.execute(
                    "INSERT INTO keyfob_schema (version, name) VALUES ($1, $2)",
                    step.version,
                    step.name,
                )
            log.info("database migrated to schema %d (%s)", step.version, step.name)
        return steps
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", ADVISORY_LOCK_KEY)


async def _opening(url: str, what: Callable[[], Awaitable[_T]]) -> _T:
    """Run a first contact with the database; what can go wrong, as one line."""
    try:
        return await what()
    except ServerError:
        raise
    except asyncpg.InvalidCatalogNameError as exc:
        raise ServerError(f"the database in {redacted(url)} does not exist: create it") from exc
    except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
        raise ServerError(f"cannot use the database {redacted(url)}: {_reason(exc)}") from exc
    except ValueError as exc:  # a malformed URL (asyncpg's parser)
        raise ServerError(f"cannot read the database URL {redacted(url)}: {exc}") from exc


async def migrate_only(url: str) -> tuple[list[Migration], int]:
    """`keyfob-server migrate`: one connection, the migrations, nothing else; what was
    applied, and the schema version after."""

    async def run() -> tuple[list[Migration], int]:
        conn = await asyncpg.connect(**connect_options(url, "migrate", "migrate"))
        try:
            applied = await migrate(conn)
            version = await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM keyfob_schema")
            return applied, int(version)
        finally:
            await conn.close()

    return await _opening(url, run)


class PostgresStore:
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

        return cls(await _opening(url, run), url, node_id)

    async def close(self) -> None:
        try:
            await self._pool.close()
        except UNAVAILABLE:
            self._pool.terminate()

    def notifier(self, node_id: str) -> Notifier:
        from app.server.postgres_listener import PostgresListener

        return PostgresListener(connect_options(self.url, node_id, "listen"))

    # -- running queries -------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[Connection]:
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
            log.warning("the database is unavailable (%s); answering 503", _reason(exc))
        return StoreUnavailable("the database is unavailable; try again shortly")

    async def _read(self, fn: Callable[[Connection], Awaitable[_T]]) -> _T:
        async with self._connection() as conn:
            return await fn(conn)

    async def _write(self, fn: Callable[[Connection], Awaitable[_T]]) -> _T:
        """`fn` in one transaction, run again if it lost a deadlock or serialization race."""
        for attempt in range(RETRIES):
            try:
                async with self._connection() as conn, conn.transaction():
                    return await fn(conn)
            except asyncpg.exceptions.TransactionRollbackError:
                if attempt == RETRIES - 1:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the database itself ---------------------------------------------------------------

    async def ping(self) -> None:
        await self._read(lambda conn: conn.fetchval("SELECT 1"))

    async def schema_version(self) -> int:
        async def run(conn: Connection) -> int:
            return int(await conn.fetchval("SELECT COALESCE(MAX(version), 0) FROM keyfob_schema"))

        return await self._read(run)

    async def recorded_server_key(self) -> bytes | None:
        async def run(conn: Connection) -> bytes | None:
            value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", _SERVER_KEY)
            return None if value is None else b64u_decode(value)

        return await self._read(run)

    async def claim_server_key(self, public_key: bytes) -> bytes:
        async def run(conn: Connection) -> bytes:
            await conn.execute(
                "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                _SERVER_KEY,
                b64u_encode(public_key),
            )
            value = await conn.fetchval("SELECT value FROM meta WHERE key = $1", _SERVER_KEY)
            return b64u_decode(value)

        return await self._write(run)

    # -- API keys --------------------------------------------------------------------------

    async def add_api_key(self, key_id: str, rp: str, key_hash: bytes, now: int) -> None:
        async def run(conn: Connection) -> None:
            await conn.execute(
                "INSERT INTO api_keys (key_id, rp, key_hash, created_at) VALUES ($1, $2, $3, $4)",
                key_id,
                rp,
                key_hash,
                now,
            )

        await self._write(run)

    async def rp_for_api_key(self, key_hash: bytes) -> str | None:
        async def run(conn: Connection) -> str | None:
            rp = await conn.fetchval(
                "SELECT rp FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL", key_hash
            )
            return None if rp is None else str(rp)

        return await self._read(run)

    async def list_api_keys(self) -> list[ApiKeyInfo]:
        async def run(conn: Connection) -> list[ApiKeyInfo]:
            rows = await conn.fetch(
                "SELECT key_id, rp, created_at, revoked_at FROM api_keys ORDER BY created_at, rp"
            )
            return [
                ApiKeyInfo(r["key_id"], r["rp"], r["created_at"], r["revoked_at"]) for r in rows
            ]

        return await self._read(run)

    async def revoke_api_key(self, key_id: str, now: int) -> bool:
        async def run(conn: Connection) -> bool:
            done = await conn.fetchval(
                "UPDATE api_keys SET revoked_at = $1 WHERE key_id = $2 AND revoked_at IS NULL "
                "RETURNING key_id",
                now,
                key_id,
            )
            return done is not None

        return await self._write(run)

    # -- enrollments and devices ----------------------------------------------------------

    async def add_enrollment(self, record: EnrollmentRecord) -> None:
        async def run(conn: Connection) -> None:
            await conn.execute(
                "INSERT INTO enrollments (id, rp, user_name, secret_hash, created_at, "
                "expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
                record.id,
                record.rp,
                record.user,
                record.secret_hash,
                record.created_at,
                record.expires_at,
            )

        await self._write(run)

    async def get_enrollment(self, enrollment_id: str) -> EnrollmentRecord | None:
        async def run(conn: Connection) -> EnrollmentRecord | None:
            row = await conn.fetchrow(
                f"SELECT {_ENROLLMENT_COLUMNS} FROM enrollments WHERE id = $1",  # noqa: S608
                enrollment_id,
            )
            return None if row is None else _enrollment(row)

        return await self._read(run)

    async def complete_enrollment(
        self, enrollment_id: str, device: DeviceRecord, answer: str
    ) -> bool:
        async def run(conn: Connection) -> bool:
            used = await conn.fetchval(
                "UPDATE enrollments SET device_id = $1, device_key = $2, answer = $3 "
                "WHERE id = $4 AND device_id IS NULL RETURNING id",
                device.id,
                device.public_key,
                answer,
                enrollment_id,
            )
            if used is None:
                return False
            await conn.execute(
                f"INSERT INTO devices ({_DEVICE_COLUMNS}) "  # noqa: S608
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                device.id,
                device.rp,
                device.user,
                device.name,
                device.public_key,
                device.enrolled_at,
                device.last_seen,
                device.revoked_at,
            )
            return True

        return await self._write(run)

    async def get_device(self, device_id: str) -> DeviceRecord | None:
        async def run(conn: Connection) -> DeviceRecord | None:
            row = await conn.fetchrow(
                f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = $1",  # noqa: S608
                device_id,
            )
            return None if row is None else _device(row)

        return await self._read(run)

    async def list_devices(self, rp: str, user: str) -> list[DeviceRecord]:
        async def run(conn: Connection) -> list[DeviceRecord]:
            rows = await conn.fetch(
                f"SELECT {_DEVICE_COLUMNS} FROM devices "  # noqa: S608
                "WHERE rp = $1 AND user_name = $2 AND revoked_at IS NULL "
                "ORDER BY enrolled_at, id",
                rp,
                user,
            )
            return [_device(row) for row in rows]

        return await self._read(run)

    async def revoke_device(self, rp: str, device_id: str, now: int) -> DeviceRecord | None:
        async def run(conn: Connection) -> DeviceRecord | None:
            revoked = await conn.fetchval(
                "UPDATE devices SET revoked_at = $1 "
                "WHERE id = $2 AND rp = $3 AND revoked_at IS NULL RETURNING id",
                now,
                device_id,
                rp,
            )
            if revoked is not None:
                await _notify(conn, Notice(NoticeKind.DEVICE_REVOKED, self.node_id, device_id))
            row = await conn.fetchrow(
                f"SELECT {_DEVICE_COLUMNS} FROM devices WHERE id = $1 AND rp = $2",  # noqa: S608
                device_id,
                rp,
            )
            return None if row is None else _device(row)

        return await self._write(run)

    async def touch_device(self, device_id: str, now: int) -> None:
        async def run(conn: Connection) -> None:
            await conn.execute("UPDATE devices SET last_seen = $1 WHERE id = $2", now, device_id)

        await self._write(run)

    # -- challenges ------------------------------------------------------------------------

    @staticmethod
    async def _lock_user(conn: Connection, rp: str, user: str) -> UserState:
        """The user's state, locked until the transaction ends (made if it was not there)."""
        query = (
            "SELECT blocked, strikes, not_before, create_tat FROM users "
            "WHERE rp = $1 AND user_name = $2 FOR UPDATE"
        )
        row = await conn.fetchrow(query, rp, user)
        if row is None:
            await conn.execute(
                "INSERT INTO users (rp, user_name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                rp,
                user,
            )
            row = await conn.fetchrow(query, rp, user)
        return _user_state(row)

    @staticmethod
    async def _save_user(conn: Connection, rp: str, user: str, state: UserState) -> None:
        await conn.execute(
            "UPDATE users SET blocked = $3, strikes = $4, not_before = $5, create_tat = $6 "
            "WHERE rp = $1 AND user_name = $2",
            rp,
            user,
            state.blocked,
            state.strikes,
            state.not_before,
            state.create_tat,
        )

    async def _finish(
        self,
        conn: Connection,
        challenge_id: str,
        status: Status,
        *,
        decided_at: int,
        device_id: str | None,
        policy: FatiguePolicy,
        locked: UserState | None = None,
    ) -> tuple[FinishOutcome | None, UserState | None]:
        """Move one challenge from pending to `status`, inside the caller's transaction:
        how it went, and the user's state after it. The user's row is locked before the
        challenge's (the order create takes them in), so two transactions never wait on
        each other in a circle; `locked` is that state when the caller holds the lock.
        Each step is one statement: this is on the path of every answer."""
        if locked is None:
            row = await conn.fetchrow(
                "SELECT u.blocked, u.strikes, u.not_before, u.create_tat FROM users u "
                "JOIN challenges c ON c.rp = u.rp AND c.user_name = u.user_name "
                "WHERE c.id = $1 FOR UPDATE OF u",
                challenge_id,
            )
            if row is None:  # no such challenge (every challenge is made with its user's row)
                return None, None
            state = _user_state(row)
        else:
            state = locked
        after = rules.after_end(policy, state, status, decided_at)
        notice = Notice(NoticeKind.CHALLENGE_ENDED, self.node_id, challenge_id)
        # Pending -> final, the user's new state and the notice, all or nothing; when it
        # was no longer pending, none of them.
        row = await conn.fetchrow(
            "WITH done AS (UPDATE challenges SET status = $1, decided_at = $2, device_id = $3 "  # noqa: S608
            f"    WHERE id = $4 AND status = 'pending' RETURNING {_CHALLENGE_COLUMNS}), "
            " saved AS (UPDATE users SET blocked = $5, strikes = $6, not_before = $7, "
            "    create_tat = $8 FROM done "
            "    WHERE users.rp = done.rp AND users.user_name = done.user_name), "
            " told AS (SELECT pg_notify($9, $10) FROM done) "
            "SELECT done.*, (SELECT count(*) FROM told) AS told FROM done",
            status.value,
            decided_at,
            device_id,
            challenge_id,
            after.blocked,
            after.strikes,
            after.not_before,
            after.create_tat,
            CHANNEL,
            notice.encode(),
        )
        if row is None:
            row = await conn.fetchrow(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = $1",  # noqa: S608
                challenge_id,
            )
            return (None if row is None else FinishOutcome(False, _challenge(row))), state
        return FinishOutcome(True, _challenge(row)), after

    async def create_challenge(
        self, challenge: ChallengeRecord, policy: FatiguePolicy
    ) -> CreateOutcome:
        key = (challenge.rp, challenge.user)
        now = challenge.created_at

        async def run(conn: Connection) -> CreateOutcome:
            device = await conn.fetchval(
                "SELECT 1 FROM devices WHERE rp = $1 AND user_name = $2 "
                "AND revoked_at IS NULL LIMIT 1",
                *key,
            )
            if device is None:
                return CreateOutcome(CreateKind.NO_DEVICE)
            state = await self._lock_user(conn, *key)
            expired = []
            pending_until = None
            pending = await conn.fetch(
                "SELECT id, expires_at FROM challenges "
                "WHERE rp = $1 AND user_name = $2 AND status = 'pending'",
                *key,
            )
            for row in pending:
                if not rules.is_due(row["expires_at"], now):
                    pending_until = min(pending_until or row["expires_at"], row["expires_at"])
                    continue
                outcome, after = await self._finish(
                    conn,
                    row["id"],
                    Status.EXPIRED,
                    decided_at=row["expires_at"],
                    device_id=None,
                    policy=policy,
                    locked=state,
                )
                if outcome is not None and outcome.changed:
                    expired.append(outcome.challenge)
                state = after or state
            verdict = rules.judge_create(
                policy, state, now=now, has_device=True, pending_until=pending_until
            )
            if verdict.state is None:
                return CreateOutcome(verdict.kind, verdict.retry_at, expired)
            saved = verdict.state
            notice = Notice(NoticeKind.CHALLENGE_CREATED, self.node_id, challenge.id)
            # The challenge, the user's new state and the notice in one statement.
            await conn.execute(
                f"WITH made AS (INSERT INTO challenges ({_CHALLENGE_COLUMNS}) "  # noqa: S608
                "    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)), "
                " saved AS (UPDATE users SET blocked = $13, strikes = $14, not_before = $15, "
                "    create_tat = $16 WHERE rp = $2 AND user_name = $3) "
                "SELECT pg_notify($17, $18)",
                challenge.id,
                challenge.rp,
                challenge.user,
                challenge.number,
                challenge.number_matching,
                challenge.created_at,
                challenge.expires_at,
                challenge.status.value,
                challenge.payload,
                challenge.payload_hash,
                challenge.decided_at,
                challenge.device_id,
                saved.blocked,
                saved.strikes,
                saved.not_before,
                saved.create_tat,
                CHANNEL,
                notice.encode(),
            )
            return CreateOutcome(CreateKind.CREATED, expired=expired)

        return await self._write(run)

    async def get_challenge(self, challenge_id: str) -> ChallengeRecord | None:
        async def run(conn: Connection) -> ChallengeRecord | None:
            row = await conn.fetchrow(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges WHERE id = $1",  # noqa: S608
                challenge_id,
            )
            return None if row is None else _challenge(row)

        return await self._read(run)

    async def get_challenges(self, challenge_ids: Sequence[str]) -> list[ChallengeRecord]:
        async def run(conn: Connection) -> list[ChallengeRecord]:
            rows = await conn.fetch(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE id = ANY($1::text[])",
                list(challenge_ids),
            )
            return [_challenge(row) for row in rows]

        return await self._read(run)

    async def finish_challenge(
        self,
        challenge_id: str,
        status: Status,
        decided_at: int,
        device_id: str | None,
        policy: FatiguePolicy,
    ) -> FinishOutcome | None:
        async def run(conn: Connection) -> FinishOutcome | None:
            outcome, _ = await self._finish(
                conn,
                challenge_id,
                status,
                decided_at=decided_at,
                device_id=device_id,
                policy=policy,
            )
            return outcome

        return await self._write(run)

    async def expire_due(
        self, now: int, policy: FatiguePolicy, limit: int = 500
    ) -> list[ChallengeRecord]:
        async def due(conn: Connection) -> list[Record]:
            return list(
                await conn.fetch(
                    "SELECT id, expires_at FROM challenges WHERE status = 'pending' "
                    "AND expires_at <= $1 ORDER BY expires_at LIMIT $2",
                    now,
                    limit,
                )
            )

        expired = []
        # One transaction each: a short lock per user, and nodes sweeping at the same time
        # just find the other's work done.
        for row in await self._read(due):

            async def run(conn: Connection, row: Record = row) -> FinishOutcome | None:
                outcome, _ = await self._finish(
                    conn,
                    row["id"],
                    Status.EXPIRED,
                    decided_at=row["expires_at"],
                    device_id=None,
                    policy=policy,
                )
                return outcome

            outcome = await self._write(run)
            if outcome is not None and outcome.changed:
                expired.append(outcome.challenge)
        return expired

    async def pending_challenges(self, rp: str, user: str, now: int) -> list[ChallengeRecord]:
        async def run(conn: Connection) -> list[ChallengeRecord]:
            rows = await conn.fetch(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE rp = $1 AND user_name = $2 AND status = 'pending' AND expires_at > $3 "
                "ORDER BY created_at",
                rp,
                user,
                now,
            )
            return [_challenge(row) for row in rows]

        return await self._read(run)

    async def pending_for_users(
        self, users: Sequence[tuple[str, str]], now: int
    ) -> list[ChallengeRecord]:
        if not users:
            return []

        async def run(conn: Connection) -> list[ChallengeRecord]:
            rows = await conn.fetch(
                f"SELECT {_CHALLENGE_COLUMNS} FROM challenges "  # noqa: S608
                "WHERE status = 'pending' AND expires_at > $1 AND (rp, user_name) IN "
                "(SELECT * FROM unnest($2::text[], $3::text[])) ORDER BY created_at",
                now,
                [rp for rp, _ in users],
                [user for _, user in users],
            )
            return [_challenge(row) for row in rows]

        return await self._read(run)

    async def next_expiry(self) -> int | None:
        async def run(conn: Connection) -> int | None:
            at = await conn.fetchval(
                "SELECT MIN(expires_at) FROM challenges WHERE status = 'pending'"
            )
            return None if at is None else int(at)

        return await self._read(run)

    async def unblock(self, rp: str, user: str) -> None:
        async def run(conn: Connection) -> None:
            exists = await conn.fetchval(
                "SELECT 1 FROM users WHERE rp = $1 AND user_name = $2", rp, user
            )
            if exists is None:
                return  # nothing was ever recorded, so nothing is blocked
            state = await self._lock_user(conn, rp, user)
            after = rules.unblocked(state)
            if after != state:
                await self._save_user(conn, rp, user, after)

        await self._write(run)

    async def prune(self, before: int) -> None:
        async def run(conn: Connection) -> None:
            await conn.execute(
                "DELETE FROM challenges WHERE status <> 'pending' AND created_at < $1", before
            )
            await conn.execute("DELETE FROM enrollments WHERE expires_at < $1", before)
            await conn.execute("DELETE FROM devices WHERE revoked_at < $1", before)

        await self._write(run)
