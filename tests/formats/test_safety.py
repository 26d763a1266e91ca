"""Hostile files: entity expansion, runaway SQLite, absurd KDF costs, secrets in messages."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from app.formats import _crypto, _javaser, _sqlite, registry
from app.formats._prefs import parse_prefs
from app.formats.errors import ImportFormatError
from tests.formats import samples as s
from tests.formats.fixtures_table import fixtures

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE map [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>
<map><string name="com.authy.storage.tokens.authenticator.key">&d;</string></map>"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE map [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<map><string name="tokenOrder">&x;</string></map>"""


@pytest.mark.parametrize("data", [LAUGHS, EXTERNAL])
def test_xml_with_a_document_type_is_refused(data: bytes) -> None:
    assert parse_prefs(data) is None
    assert registry.claimants(data, "prefs.xml") == []
    for name in ("authy", "freeotp", "battlenet", "totpauthenticator"):
        with pytest.raises(ImportFormatError):
            registry.by_name(name).read(data, "pw")


def test_shared_prefs_reads_strings_and_scalars() -> None:
    data = s.shared_prefs(
        {"a": "x & <y>"},
        '    <int name="n" value="7" />\n    <set name="s"><string>z</string></set>\n',
    )
    assert parse_prefs(data) == {"a": "x & <y>", "n": "7"}


def test_sqlite_views_are_not_read_and_runaway_queries_stop(tmp_path: Path) -> None:
    path = tmp_path / "hostile.db"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE real (x);
            CREATE VIEW accounts AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
                SELECT i AS name, i AS username, i AS oath_secret_key, 0 AS account_type FROM n;
            """
        )
    connection.close()
    data = path.read_bytes()
    assert registry.claimants(data, "PhoneFactor") == []
    with pytest.raises(ImportFormatError, match="no 'accounts' table"):
        registry.by_name("microsoft").read(data, None)
    started = time.monotonic()
    with _sqlite.open_sqlite(data) as connection, pytest.raises(sqlite3.OperationalError):
        connection.execute("SELECT count(*) FROM accounts").fetchall()
    assert time.monotonic() - started < 30


def test_sqlite_giant_generated_values_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "PhoneFactor"
    with sqlite3.connect(path) as connection:
        connection.executescript(
            """
            CREATE TABLE accounts (name TEXT, username TEXT, account_type INTEGER,
                oath_secret_key TEXT GENERATED ALWAYS AS (zeroblob(500000000)) VIRTUAL);
            INSERT INTO accounts (name, username, account_type) VALUES ('a', 'b', 0);
            """
        )
    connection.close()
    data = path.read_bytes()
    result = registry.by_name("microsoft").read(data, None)
    assert result.accounts == []
    assert [p.reason for p in result.problems] == ["secret is empty"]
    with _sqlite.open_sqlite(data) as connection, pytest.raises(sqlite3.DataError):
        connection.execute("SELECT oath_secret_key FROM accounts").fetchall()


def test_kdf_bounds() -> None:
    with pytest.raises(ImportFormatError):
        _crypto.pbkdf2(b"pw", b"salt", _crypto.MAX_PBKDF2_ITERATIONS + 1, "sha1")
    with pytest.raises(ImportFormatError):
        _crypto.pbkdf2(b"pw", b"salt", 0, "sha1")
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1 << 21, 8, 1)
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1000, 8, 1)  # not a power of two
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1 << 20, 16, 1)  # 2 GiB
    with pytest.raises(ImportFormatError):
        _crypto.argon2id(b"pw", b"saltsalt", 3, 4, (1 << 20) + 1)


def test_java_strings_by_reference_and_long_strings() -> None:
    data = bytearray(s.java_hashmap({"k": "v" * 70000, "k2": "x"}))
    assert _javaser.parse_string_map(bytes(data)) == {"k": "v" * 70000, "k2": "x"}
    # Replace the last value with a back reference to the first key (handle 2).
    reference = bytes(data[:-5]) + b"\x71" + (0x7E0002).to_bytes(4, "big") + b"\x78"
    assert _javaser.parse_string_map(reference) == {"k": "v" * 70000, "k2": "k"}
    with pytest.raises(ImportFormatError, match="reference is invalid"):
        _javaser.parse_string_map(
            bytes(data[:-5]) + b"\x71" + (0x7E0009).to_bytes(4, "big") + b"\x78"
        )


def test_no_secret_or_password_appears_in_any_error_message() -> None:
    secrets = [x.b32 for x in s.ALL] + [s.PASSWORD]
    messages: list[tuple[str, str]] = []
    for fixture in fixtures():
        data = fixture.data
        for attempt in (data[: len(data) // 2], data[:-7], data.replace(b"1", b"!"), data):
            for password in ("wrong password", None):
                try:
                    registry.by_name(fixture.importer).read(attempt, password)
                except ImportFormatError as error:
                    messages.append((fixture.label, str(error)))
    assert messages
    for label, message in messages:
        assert not any(secret in message for secret in secrets), label
