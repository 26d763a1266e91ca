"""Reaching a PostgreSQL database: connection options, what "unavailable" looks like, the
URL without its password, first contact as one clear line, and the schema migrations.

Shared by the store's pool (postgres_store.py), the listening connection
(postgres_listener.py) and `keyfob-server migrate`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg  # type: ignore[import-untyped]

from app.server.errors import ServerError
from app.server.migrations import (
    ADVISORY_LOCK_KEY,
    POSTGRES,
    POSTGRES_VERSION_TABLE,
    Migration,
    to_apply,
)

log = logging.getLogger("keyfob.server.db")

CONNECT_TIMEOUT: Final = 5.0
COMMAND_TIMEOUT: Final = 10.0
SCHEMA_VERSION: Final = "SELECT COALESCE(MAX(version), 0) FROM keyfob_schema"
_T = TypeVar("_T")

# What "the database cannot be reached now" looks like: refused or dropped connections,
# a server shutting down or starting up, a full server, a timeout. A pooled connection that
# the server dropped while it sat idle can be left mid-message: asyncpg then raises
# InternalClientError ("another operation is in progress") on its next use.
UNAVAILABLE: Final = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
)

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


def reason(exc: BaseException) -> str:
    """What went wrong, in one line with no more than the driver said."""
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def migrate(conn: Connection) -> list[Migration]:
    """Bring the schema up to date, under the advisory lock: nodes starting together take
    turns, and whoever comes second finds nothing left to do."""
    await conn.execute("SELECT pg_advisory_lock($1)", ADVISORY_LOCK_KEY)
    try:
        await conn.execute(POSTGRES_VERSION_TABLE)
        steps = to_apply(int(await conn.fetchval(SCHEMA_VERSION)), POSTGRES)
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


async def opening(url: str, what: Callable[[], Awaitable[_T]]) -> _T:
    """Run a first contact with the database; what can go wrong, as one line."""
    try:
        return await what()
    except ServerError:
        raise
    except asyncpg.InvalidCatalogNameError as exc:
        raise ServerError(f"the database in {redacted(url)} does not exist: create it") from exc
    except (*UNAVAILABLE, asyncpg.PostgresError) as exc:
        raise ServerError(f"cannot use the database {redacted(url)}: {reason(exc)}") from exc
    except ValueError as exc:  # a malformed URL (asyncpg's parser)
        raise ServerError(f"cannot read the database URL {redacted(url)}: {exc}") from exc


async def migrate_only(url: str) -> tuple[list[Migration], int]:
    """`keyfob-server migrate`: one connection, the migrations, nothing else; what was
    applied, and the schema version after."""

    async def run() -> tuple[list[Migration], int]:
        conn = await asyncpg.connect(**connect_options(url, "migrate", "migrate"))
        try:
            applied = await migrate(conn)
            return applied, int(await conn.fetchval(SCHEMA_VERSION))
        finally:
            await conn.close()

    return await opening(url, run)
