"""The Duo tables in the server's SQLite file, on a connection and worker thread of their own.

The push store made and migrated the file (WAL); this second connection reads and writes
only the Duo tables (and reads a user's block from `users`). Writes take the write lock up
front (`BEGIN IMMEDIATE`) and wait for the push store's, as two processes on one file do;
reads never wait in WAL mode. The queries are sql.py's.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from app.server.duo.sql import Args, DuoSqlStore, Row, Statement
from app.server.errors import ServerError, StoreUnavailable

_T = TypeVar("_T")


class SQLiteDuoStore(DuoSqlStore):
    def __init__(self, conn: sqlite3.Connection, executor: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._executor = executor

    @classmethod
    async def open(cls, path: Path) -> SQLiteDuoStore:
        executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="keyfob-duo-sqlite")

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout=10000")
            return conn

        try:
            conn = await asyncio.get_running_loop().run_in_executor(executor, connect)
        except sqlite3.Error as exc:
            executor.shutdown(wait=False)
            raise ServerError(f"cannot open the database {path}: {exc}") from exc
        return cls(conn, executor)

    async def close(self) -> None:
        await self._run(self._conn.close)
        self._executor.shutdown(wait=True)

    async def _run(self, fn: Callable[..., _T], *args: object) -> _T:
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._executor, functools.partial(fn, *args))
        except sqlite3.OperationalError as exc:
            raise StoreUnavailable(f"the database is unavailable: {exc}") from exc

    async def _rows(self, sql: str, args: Args = ()) -> Sequence[Row]:
        rows: list[Row] = await self._run(lambda: self._conn.execute(sql, args).fetchall())
        return rows

    async def _change(self, statements: Sequence[Statement]) -> int:
        def run() -> int:
            db = self._conn
            db.execute("BEGIN IMMEDIATE")
            try:
                changed = 0
                for sql, args in statements:
                    changed = db.execute(sql, args).rowcount
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return changed

        return await self._run(run)
