"""The Duo tables in the server's PostgreSQL database, on the push store's connections.

Sharing them keeps one connection limit per node, Duo calls included, and one account of the
database's health: a lost or refused connection is StoreUnavailable (the Duo API answers
503) exactly as for the push API. The queries are sql.py's, their `?` parameters written as
PostgreSQL's `$n`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from app.server.duo.sql import Args, DuoSqlStore, Row, Statement
from app.server.postgres_store import PostgresStore

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
    """On the push store's connections: its pool, its outage handling and health."""

    def __init__(self, push_store: PostgresStore) -> None:
        self._push_store = push_store

    async def close(self) -> None:
        """Nothing to close: the pool is the push store's."""

    async def _rows(self, sql: str, args: Args = ()) -> Sequence[Row]:
        async with self._push_store.connection() as conn:
            rows: list[Row] = await conn.fetch(_numbered(sql), *args)
            return rows

    async def _change(self, statements: Sequence[Statement]) -> int:
        async with self._push_store.connection() as conn, conn.transaction():
            changed = 0
            for sql, args in statements:
                changed = _count(await conn.execute(_numbered(sql), *args))
            return changed
