"""Which Duo store a server's database gives: the Duo tables of that same SQLite file or
PostgreSQL database (the push store made and migrated them). SQLite: a connection of its
own; PostgreSQL: the push store's pool, so a node keeps one connection limit. The PostgreSQL
driver is imported only for a postgresql database."""

from __future__ import annotations

from app.server.database import Database
from app.server.duo.store import DuoStore
from app.server.store import Store


async def open_duo_store(database: Database, push_store: Store) -> DuoStore:
    if database.kind == "sqlite":
        from app.server.duo.sqlite_store import SQLiteDuoStore

        assert database.path is not None
        return await SQLiteDuoStore.open(database.path)
    from app.server.duo.postgres_store import PostgresDuoStore
    from app.server.postgres_store import PostgresStore

    assert isinstance(push_store, PostgresStore)
    return PostgresDuoStore(push_store)
