"""Hostile files: entity expansion, runaway SQLite, absurd KDF costs, secrets in messages."""

from __future__ import annotations

import base64
import json
import os
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
    budget = _crypto.KdfBudget()
    with pytest.raises(ImportFormatError):
        _crypto.pbkdf2(b"pw", b"salt", _crypto.MAX_PBKDF2_ITERATIONS + 1, "sha1", budget=budget)
    with pytest.raises(ImportFormatError):
        _crypto.pbkdf2(b"pw", b"salt", 0, "sha1", budget=budget)
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1 << 21, 8, 1, budget=budget)
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1000, 8, 1, budget=budget)  # not a power of two
    with pytest.raises(ImportFormatError):
        _crypto.scrypt(b"pw", b"salt", 1 << 20, 16, 1, budget=budget)  # 2 GiB
    with pytest.raises(ImportFormatError):
        _crypto.argon2id(b"pw", b"saltsalt", 3, 4, (1 << 20) + 1, budget=budget)


def test_one_budget_bounds_the_sum_of_derivations_of_every_kind() -> None:
    # Each call is within its own bounds; together they go over what the budget allows.
    budget = _crypto.KdfBudget(limit=5000)
    _crypto.pbkdf2(b"pw", b"salt", 1000, "sha1", budget=budget)  # 2000 units
    _crypto.scrypt(b"pw", b"salt", 256, 8, 1, budget=budget)  # 2048 units
    with pytest.raises(ImportFormatError, match="more key-derivation work than Keyfob does"):
        _crypto.argon2id(b"pw", b"saltsalt", 1, 1, 400, budget=budget)  # 1200 more: 5248
    with pytest.raises(ImportFormatError, match="more key-derivation work"):
        _crypto.pbkdf2(b"pw", b"salt", 1000, "sha256", budget=budget)
    _crypto.pbkdf2(b"pw", b"salt", 950, "sha256", budget=budget)  # the 952 left still run


def _aegis_with_decoy_slots(decoys: int, *, n: int, r: int, p: int) -> bytes:
    """A genuine encrypted Aegis vault whose real slot comes after `decoys` password slots
    (random keys: no password opens them) with the given scrypt parameters."""
    document = json.loads(s.aegis_encrypted(s.aegis_content([s.aegis_entry(s.TOTP)])))
    real = document["header"]["slots"][0]
    decoy = dict(real, key=os.urandom(32).hex(), n=n, r=r, p=p, salt=os.urandom(32).hex())
    document["header"]["slots"] = [decoy] * decoys + [real]
    return json.dumps(document).encode()


def test_an_aegis_vault_with_a_thousand_password_slots_is_refused_before_any_scrypt() -> None:
    data = _aegis_with_decoy_slots(999, n=1024, r=8, p=1)
    aegis = registry.by_name("aegis")
    for password in (s.PASSWORD, "a wrong password"):
        with pytest.raises(ImportFormatError) as refused:
            aegis.read(data, password)
        # Not "wrong password" after 1,000 scrypt runs, nor the vault opened by slot 1,000.
        assert type(refused.value) is ImportFormatError
        assert "lists 1000 password slots" in str(refused.value)
        assert "at most 4" in str(refused.value)
    # As many slots as a Keyfob vault may have still open (the real one last).
    few = _aegis_with_decoy_slots(3, n=1024, r=8, p=1)
    assert [a.issuer for a in aegis.read(few, s.PASSWORD).accounts] == [s.TOTP.issuer]


def test_aegis_slots_asking_for_too_much_scrypt_in_total_are_refused_unstarted() -> None:
    # Each slot is within the bounds of one derivation (128 MiB, p=16, ~5 s here), but three
    # of them are more work than one import may do: refused before the first runs.
    data = _aegis_with_decoy_slots(2, n=1 << 17, r=8, p=16)
    started = time.monotonic()
    with pytest.raises(ImportFormatError, match="more key-derivation work") as refused:
        registry.by_name("aegis").read(data, "a wrong password")
    assert type(refused.value) is ImportFormatError
    assert time.monotonic() - started < 60  # a hang guard only; the refusal costs no scrypt


def test_an_authy_file_of_too_many_encrypted_tokens_is_refused_unstarted() -> None:
    # Each encrypted token is one PBKDF2 run: 20,000 of them are more than one import does.
    token = {
        "accountType": "authenticator",
        "name": "x",
        "salt": "c2FsdA",
        "encryptedSecret": base64.b64encode(bytes(32)).decode(),
    }
    data = s.authy_prefs([token] * 20_000)
    with pytest.raises(ImportFormatError, match="more key-derivation work") as refused:
        registry.by_name("authy").read(data, "a password")
    assert type(refused.value) is ImportFormatError
    # A real-sized file (a few hundred tokens) still imports.
    few = s.authy_prefs([s.authy_token(s.TOTP, s.PASSWORD)] * 300)
    assert len(registry.by_name("authy").read(few, s.PASSWORD).accounts) == 300


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
