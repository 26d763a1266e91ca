"""Reading apps' internal SQLite databases straight from bytes.

The database holds secrets, so it never touches the disk: it is deserialized into an
in-memory connection. A progress handler bounds the work any query may do, so a hostile file
(a view with a runaway recursive query, say) cannot hang the app.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager

from app.formats.errors import ImportFormatError

MAGIC = b"SQLite format 3\x00"
MAX_PROGRESS_CALLS = 20_000  # x 1000 virtual-machine steps
MAX_ROWS = 100_000
MAX_VALUE_BYTES = 4 * 1024 * 1024  # no text or blob an authenticator stores comes near this


def is_sqlite(data: bytes) -> bool:
    return data.startswith(MAGIC) and len(data) >= 100


@contextmanager
def open_sqlite(data: bytes) -> Iterator[sqlite3.Connection]:
    """A read-only in-memory connection on the database in `data`; sqlite3.Error on damage."""
    if not is_sqlite(data):
        raise sqlite3.DatabaseError("not an SQLite database")
    image = bytearray(data)
    # Android keeps its databases in WAL mode (header bytes 18/19 = 2); an in-memory copy
    # cannot open a WAL database, and the rollback-journal mode reads the same pages.
    if image[18] == 2 or image[19] == 2:
        image[18] = image[19] = 1
    calls = 0

    def progress() -> int:
        nonlocal calls
        calls += 1
        return 1 if calls > MAX_PROGRESS_CALLS else 0

    with closing(sqlite3.connect(":memory:")) as connection:
        connection.deserialize(bytes(image))
        # A damaged page can hold text that is not UTF-8; sqlite3 would raise mid-query.
        connection.text_factory = lambda raw: raw.decode("utf-8", errors="replace")
        connection.set_progress_handler(progress, 1000)
        # A generated column could otherwise build a gigabyte-sized value in one step.
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        connection.execute("PRAGMA query_only = ON")
        connection.execute("PRAGMA trusted_schema = OFF")
        try:
            yield connection
        except UnicodeDecodeError:
            # sqlite3 decodes SQLite's error messages as UTF-8, and a damaged schema can put
            # other bytes in them.
            raise sqlite3.DatabaseError("the database is damaged") from None


def tables(connection: sqlite3.Connection) -> dict[str, set[str]]:
    """Real tables (not views) and their column names, lower case."""
    names = [
        row[0]
        for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if isinstance(row[0], str)
    ]
    found: dict[str, set[str]] = {}
    for name in names[:200]:
        quoted = name.replace('"', '""')
        columns = connection.execute(f'PRAGMA table_info("{quoted}")').fetchall()
        found[name.lower()] = {str(column[1]).lower() for column in columns}
    return found


def schema_or_none(data: bytes) -> dict[str, set[str]] | None:
    """Tables and columns of the database in `data`, or None when it is not one (sniffing)."""
    if not is_sqlite(data):
        return None
    try:
        with open_sqlite(data) as connection:
            return tables(connection)
    except (sqlite3.Error, ValueError, OverflowError, MemoryError):
        return None


def rows(connection: sqlite3.Connection, table: str, columns: list[str]) -> list[dict[str, object]]:
    """Up to MAX_ROWS rows of `table` as column -> value, for the columns that exist."""
    present = tables(connection).get(table.lower())
    if present is None:
        raise ImportFormatError(f"the database has no '{table}' table")
    wanted = [column for column in columns if column.lower() in present]
    if not wanted:
        return []
    select = ", ".join(f'"{column}"' for column in wanted)
    cursor = connection.execute(f'SELECT {select} FROM "{table}" LIMIT {MAX_ROWS}')  # noqa: S608
    return [dict(zip(wanted, row, strict=True)) for row in cursor.fetchall()]


def read_rows(data: bytes, table: str, columns: list[str]) -> list[dict[str, object]]:
    """The rows of one table of the database in `data` (see `rows`); refused when damaged."""
    try:
        with open_sqlite(data) as connection:
            return rows(connection, table, columns)
    except sqlite3.Error as error:
        raise damaged(error) from None


def raw_row(row: dict[str, object]) -> str:
    """A row as text for the import preview."""
    return " | ".join("" if value is None else str(value) for value in row.values())


def damaged(error: Exception) -> ImportFormatError:
    del error  # sqlite messages can quote file content; say only what the user needs
    return ImportFormatError("the database is damaged or not an SQLite database")
