"""The schema is made and upgraded by the server itself, once, however many start together;
`keyfob-server migrate` does only that; a newer schema is refused, not misread.
And `--database` / $KEYFOB_SERVER_DATABASE as an operator meets them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest

from app.server.migrations import POSTGRES, SQLITE
from app.server.postgres_connection import migrate_only
from tests.server.nginx_fixture import free_port
from tests.server.nodes import SERVER, Node, api_key, cli, node_args

LATEST_PG = POSTGRES[-1].version
LATEST_SQLITE = SQLITE[-1].version


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("keyfob-server: error: "), result.stderr
    return lines[-1]


async def applied_versions(database: str) -> list[int]:
    conn = await asyncpg.connect(database)
    try:
        return [r["version"] for r in await conn.fetch("SELECT version FROM keyfob_schema")]
    finally:
        await conn.close()


def test_migrate_makes_the_schema_once(pg_database: str) -> None:
    first = cli("migrate", "--database", pg_database)
    assert first.returncode == 0, first.stderr
    assert f"applied migration 1 ({POSTGRES[0].name})" in first.stderr
    assert f"schema version {LATEST_PG}" in first.stderr
    again = cli("migrate", "--database", pg_database)
    assert again.returncode == 0, again.stderr
    assert "already up to date" in again.stderr
    assert "applied migration" not in again.stderr
    assert asyncio.run(applied_versions(pg_database)) == [m.version for m in POSTGRES]
    password = urlsplit(pg_database).password
    assert password
    assert password not in first.stderr + again.stderr


def test_migrations_started_together_apply_once(pg_database: str) -> None:
    processes = [
        subprocess.Popen(
            [*SERVER, "migrate", "--database", pg_database],
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]

    async def in_process() -> list[object]:
        return await asyncio.gather(*(migrate_only(pg_database) for _ in range(4)))

    results = asyncio.run(in_process())
    outputs = [p.communicate(timeout=60)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 4, outputs
    applied = sum("applied migration 1 " in out for out in outputs)
    applied += sum(1 for steps, _ in results if steps)  # type: ignore[misc]
    assert applied == 1  # exactly one of the eight did the work
    assert asyncio.run(applied_versions(pg_database)) == [m.version for m in POSTGRES]


@pytest.mark.asyncio
async def test_two_nodes_starting_together_on_a_new_database(
    tmp_path: Path, pg_database: str
) -> None:
    key_file = tmp_path / "server-key.pem"
    nodes = [
        Node(f"node{i}", node_args(pg_database, key_file, tmp_path / f"n{i}"), free_port())
        for i in range(2)
    ]
    try:
        # One makes the key file and migrates; the other waits for the migration lock and
        # finds the key (whole: it is linked into place only once written).
        for node in nodes:
            node.wait_for("listening on")
        async with aiohttp.ClientSession() as http:
            for node in nodes:
                await node.ready(http)
    finally:
        for node in nodes:
            node.stop()
    keys = {line.split("spk=")[1].split(",")[0] for n in nodes for line in n.log if "spk=" in line}
    assert len(keys) == 1
    assert await applied_versions(pg_database) == [m.version for m in POSTGRES]


def test_a_database_of_a_newer_server_is_refused(tmp_path: Path, pg_database: str) -> None:
    assert cli("migrate", "--database", pg_database).returncode == 0

    async def from_the_future() -> None:
        conn = await asyncpg.connect(pg_database)
        try:
            await conn.execute("INSERT INTO keyfob_schema (version, name) VALUES (99, 'future')")
        finally:
            await conn.close()

    asyncio.run(from_the_future())
    for args in (
        ["migrate"],
        ["apikey", "list"],
        ["run", "--port", "0", "--data-dir", str(tmp_path)],
    ):
        error = one_line_error(cli(*args, "--database", pg_database))
        assert "schema version 99" in error
        assert "upgrade keyfob-server" in error


def test_an_unreachable_or_missing_database_is_one_line(tmp_path: Path, pg_database: str) -> None:
    nowhere = f"postgresql://keyfob:s3cretpassword@127.0.0.1:{free_port()}/keyfob"
    error = one_line_error(cli("apikey", "list", "--database", nowhere))
    assert "cannot use the database postgresql://keyfob@127.0.0.1:" in error
    assert "s3cretpassword" not in error
    missing = pg_database.rsplit("/", 1)[0] + "/no_such_database"
    error = one_line_error(cli("migrate", "--database", missing))
    assert "does not exist" in error
    for bad in ("mysql://db/x", "sqlite:", "postgresql://db:port/x"):
        usage = cli("apikey", "list", "--database", bad)
        assert usage.returncode == 2, usage
        assert "Traceback" not in usage.stderr


def test_the_database_comes_from_the_environment_too(tmp_path: Path, pg_database: str) -> None:
    env = {**os.environ, "KEYFOB_SERVER_DATABASE": pg_database}
    made = subprocess.run(
        [*SERVER, "apikey", "create", "Env Site", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    listed = cli("apikey", "list", "--database", pg_database)
    assert "Env Site" in listed.stdout
    assert not (tmp_path / "keyfob-server.sqlite3").exists()  # nothing went to SQLite
    assert api_key(pg_database, tmp_path, "Other Site").startswith("kf_")


# -- SQLite ------------------------------------------------------------------------------------


def first_release_file(path: Path) -> None:
    """A database as the first release left it: schema 1, a blocked user, a pending
    challenge."""
    db = sqlite3.connect(path)
    db.executescript(SQLITE[0].sql)
    db.execute("INSERT INTO meta (key, value) VALUES ('schema', '1')")
    db.execute(
        "INSERT INTO users (rp, user_name, blocked, strikes, not_before) VALUES (?,?,?,?,?)",
        ("Site", "alice", 1, 2, 1234),
    )
    db.execute(
        "INSERT INTO challenges (id, rp, user_name, number, number_matching, created_at, "
        "expires_at, status, payload, payload_hash) VALUES (?,?,?,?,?,?,?,?,?,?)",
        ("c_old", "Site", "alice", "42", 1, 1, 2, "pending", "{}", b"h"),
    )
    db.commit()
    db.close()


def test_an_sqlite_file_of_the_first_release_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first_release_file(path)
    url = f"sqlite:///{path}"
    processes = [
        subprocess.Popen([*SERVER, "migrate", "--database", url], stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=60)[1] for p in processes]
    assert [p.returncode for p in processes] == [0] * 3, outputs
    assert sum(f"applied migration {LATEST_SQLITE} " in out for out in outputs) == 1
    db = sqlite3.connect(path)
    try:
        assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == (
            str(LATEST_SQLITE),
        )
        assert db.execute(
            "SELECT blocked, strikes, not_before, create_tat FROM users"
        ).fetchall() == [(1, 2, 1234, 0)]
        assert db.execute("SELECT id, status FROM challenges").fetchall() == [("c_old", "pending")]
        # "One pending challenge per user" now holds in the file itself.
        with pytest.raises(sqlite3.IntegrityError):
            db.execute(
                "INSERT INTO challenges (id, rp, user_name, number, number_matching, "
                "created_at, expires_at, status, payload, payload_hash) "
                "VALUES ('c_2', 'Site', 'alice', NULL, 0, 1, 2, 'pending', '{}', x'00')"
            )
    finally:
        db.close()
    again = cli("migrate", "--database", url)
    assert "already up to date" in again.stderr


def test_an_sqlite_file_of_a_newer_server_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    first_release_file(path)
    db = sqlite3.connect(path)
    db.execute("UPDATE meta SET value = '99' WHERE key = 'schema'")
    db.commit()
    db.close()
    error = one_line_error(cli("apikey", "list", "--database", f"sqlite:///{path}"))
    assert "schema version 99" in error
    assert "upgrade keyfob-server" in error
