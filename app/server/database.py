"""Which store a server uses: `--database URL` (or $KEYFOB_SERVER_DATABASE), read once.

- `postgresql://user:password@host:port/db` (or `postgres://`), libpq style: parameters
  such as `?sslmode=verify-full` are honoured (asyncpg reads them). Several nodes share it.
- `sqlite:///ABSOLUTE/PATH` (four slashes work too) or `sqlite:RELATIVE/PATH`: one SQLite
  file, for one node.
- none: SQLite in the data folder, as a server with no set-up has always done.

The PostgreSQL driver is imported only when a postgresql URL is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal
from urllib.parse import unquote, urlsplit

from app.server.errors import ServerError
from app.server.migrations import Migration
from app.server.sqlite_store import DB_FILE, SQLiteStore
from app.server.store import Store

ENV_VAR: Final = "KEYFOB_SERVER_DATABASE"
_POSTGRES_SCHEMES: Final = frozenset({"postgresql", "postgres"})


class DatabaseUrlError(ServerError):
    """A --database value that names no database this server can use."""


@dataclass(frozen=True)
class Database:
    kind: Literal["sqlite", "postgresql"]
    url: str | None = None  # postgresql: the URL as given (it may hold a password)
    path: Path | None = None  # sqlite: the file

    def describe(self) -> str:
        """For logs and messages: never the password."""
        if self.kind == "sqlite":
            return f"SQLite {self.path}"
        from app.server.postgres_connection import redacted

        assert self.url is not None
        return f"PostgreSQL {redacted(self.url)}"


def parse_database_url(text: str) -> Database:
    """The database a URL names; `DatabaseUrlError` saying what to write instead."""
    scheme, sep, rest = text.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise DatabaseUrlError(
            "give a database URL: postgresql://user:password@host:port/db or sqlite:///PATH"
        )
    if scheme in _POSTGRES_SCHEMES:
        try:
            _ = urlsplit(text).port  # reading the port checks it is a number in range
        except ValueError as exc:
            raise DatabaseUrlError(f"cannot read the database URL: {exc}") from exc
        if not rest.startswith("//"):
            raise DatabaseUrlError("write a PostgreSQL URL as postgresql://user@host:port/db")
        return Database("postgresql", url=text)
    if scheme == "sqlite":
        if rest.startswith("//"):
            try:
                parts = urlsplit(text)
            except ValueError as exc:
                raise DatabaseUrlError(f"cannot read the database URL: {exc}") from exc
            if parts.netloc or parts.query or parts.fragment:
                raise DatabaseUrlError(
                    "write an SQLite URL as sqlite:///ABSOLUTE/PATH or sqlite:RELATIVE/PATH"
                )
            # sqlite:///var/x and sqlite:////var/x (SQLAlchemy's spelling) are both /var/x.
            path = unquote(parts.path)
            path = "/" + path.lstrip("/") if path.strip("/") else ""
        else:
            path = unquote(rest)
        if not path or path.endswith("/"):
            raise DatabaseUrlError(
                "an SQLite URL names a file: sqlite:///var/lib/keyfob/db.sqlite3"
            )
        return Database("sqlite", path=Path(path))
    raise DatabaseUrlError(
        f"unknown database kind {scheme!r}: use postgresql://... or sqlite:///PATH"
    )


def default_database(data_dir: Path) -> Database:
    return Database("sqlite", path=data_dir / DB_FILE)


async def open_store(
    database: Database, *, node_id: str, max_connections: int | None = None
) -> Store:
    """The store, its schema migrated to this server's version."""
    if database.kind == "sqlite":
        assert database.path is not None
        return await SQLiteStore.open_file(database.path)
    from app.server.postgres_store import MAX_POOL, PostgresStore

    assert database.url is not None
    return await PostgresStore.open(
        database.url, node_id=node_id, max_connections=max_connections or MAX_POOL
    )


async def migrate(database: Database) -> tuple[list[Migration], int]:
    """`keyfob-server migrate`: the migrations applied now, and the schema version after."""
    if database.kind == "sqlite":
        assert database.path is not None
        store = await SQLiteStore.open_file(database.path)
        try:
            return store.migrated, await store.schema_version()
        finally:
            await store.close()
    from app.server.postgres_connection import migrate_only

    assert database.url is not None
    return await migrate_only(database.url)
