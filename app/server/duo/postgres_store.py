"""The Duo tables in the server's PostgreSQL database, on the push store's pool.

Sharing the pool keeps one connection limit per node, Duo calls included. A lost or refused
connection is
`StoreUnavailable` (the Duo API answers 503); the pool reconnects by itself. The queries are
sql.py's, their `?` parameters written as PostgreSQL's `$n`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from app.server.duo.sql import Args, DuoSqlStore, Row, Statement
from app.server.errors import StoreUnavailable
from app.server.postgres_connection import UNAVAILABLE

_PARAMETER = re.compile(r"\?")


def _numbered(sql: str) -> str:
    """`?` parameters as `$1, $2, ...` (the Duo queries hold no `?` of their own)."""
    counter = itertools.count(1)
    return _PARAMETER.sub(lambda _: f"${next(counter)}", sql)


def _count(status: str) -> int:
    """The rows a command changed, from its status ("UPDATE 1", "INSERT 0 1")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class PostgresDuoStore(DuoSqlStore):
    """On the push store's pool, which that store opens and closes."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def close(self) -> None:
        """Nothing to close: the pool is the push store's."""

    async def _rows(self, sql: str, args: Args = ()) -> Sequence[Row]:
        try:
            async with self._pool.acquire(timeout=10.0) as conn:
                rows: list[Row] = await conn.fetch(_numbered(sql), *args)
                return rows
        except (*UNAVAILABLE, asyncpg.exceptions.CannotConnectNowError) as exc:
            raise await self._unavailable() from exc

    async def _change(self, statements: Sequence[Statement]) -> int:
        try:
            async with self._pool.acquire(timeout=10.0) as conn, conn.transaction():
                changed = 0
                for sql, args in statements:
                    changed = _count(await conn.execute(_numbered(sql), *args))
                return changed
        except (*UNAVAILABLE, asyncpg.exceptions.CannotConnectNowError) as exc:
            raise await self._unavailable() from exc

    async def _unavailable(self) -> StoreUnavailable:
        # Connections that died with the server would each fail once more: drop them now.
        await self._pool.expire_connections()
        return StoreUnavailable("the database is unavailable; try again shortly")
