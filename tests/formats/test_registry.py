"""Finding the importer: by name, by looking at the file, and reading through the registry."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.parsers import expat

import pytest

from app.formats import registry
from app.formats.base import MAX_FILE_BYTES
from app.formats.errors import ImportFormatError
from tests.formats.fixtures_table import Fixture, fixtures, seen


def test_every_importer_has_a_unique_name_and_a_title() -> None:
    importers = registry.importers()
    names = [importer.name for importer in importers]
    assert len(set(names)) == len(names) == 20
    assert all(importer.title and importer.name.isalnum() for importer in importers)


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Aegis", "aegis"),
        ("2FAS", "twofas"),
        ("authenticator-pro", "stratum"),
        ("FreeOTP+", "freeotpplus"),
        ("Google", "googleauth"),
        ("google-qr", "googleauth"),  # the exporter's old name
        ("uris", "otpauth"),  # the exporter's old name
        ("vault", "keyfob"),  # the exporter's alias
    ],
)
def test_by_name_forgives_case_dashes_and_common_names(typed: str, name: str) -> None:
    assert registry.by_name(typed).name == name


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(ImportFormatError) as error:
        registry.by_name("lastpass")
    assert "unknown import format 'lastpass'" in str(error.value)
    assert all(name in str(error.value) for name in registry.names())


@pytest.mark.parametrize("fixture", fixtures(), ids=lambda f: f.label)
def test_exactly_the_right_importer_claims_each_file_and_reads_every_account(
    fixture: Fixture,
) -> None:
    assert [i.name for i in registry.claimants(fixture.data, fixture.filename)] == [
        fixture.importer
    ]
    importer, result = registry.read_file(fixture.data, fixture.filename, fixture.password)
    assert importer.name == fixture.importer
    assert [seen(account) for account in result.accounts] == list(fixture.expected)
    assert not result.problems


def test_nothing_claims_unknown_files() -> None:
    for data in (b"", b"hello world\n", b"{}", b"[]", b"<map></map>", b"\x00" * 100, b"PK\x03\x04"):
        with pytest.raises(ImportFormatError, match="not a format Keyfob knows"):
            registry.detect(data, "file.bin")


def test_format_name_overrides_detection() -> None:
    data = next(f for f in fixtures() if f.label == "otpauth list").data
    importer, result = registry.read_file(data, "x.txt", None, format_name="winauth")
    assert importer.name == "winauth"
    assert result.accounts[0].name == "WinAuth"


def test_huge_files_are_refused_before_parsing() -> None:
    with pytest.raises(ImportFormatError, match="too large"):
        registry.read_file(b" " * (MAX_FILE_BYTES + 1), "x.json", None)


class _Calls:
    """Counts the calls of a library function while passing them on."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        return self.function(*args, **kwargs)


def _big_json_that_is_no_export(size: int) -> bytes:
    item = json.dumps({"id": 12345, "name": "an ordinary record", "tags": ["a", "b"], "v": 1.5})
    return ("[" + ",\n".join([item] * (size // (len(item) + 2))) + "]").encode()


def test_a_large_json_file_that_is_no_export_is_refused_after_one_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A dozen importers read JSON: each once parsed the whole file again (a 60 MiB file took
    # 38 s to be refused). They share one parsed view now.
    data = _big_json_that_is_no_export(20 * 1024 * 1024)
    assert len(data) > 19 * 1024 * 1024
    loads = _Calls(json.loads)
    monkeypatch.setattr(json, "loads", loads)
    with pytest.raises(ImportFormatError, match="not a format Keyfob knows"):
        registry.detect(data, "records.json")
    assert loads.count == 1


def test_a_preferences_file_of_another_app_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    entries = "".join(f'<string name="key{i}">value {i}</string>' for i in range(20_000))
    data = f"<?xml version='1.0' encoding='utf-8'?><map>{entries}</map>".encode()
    parsers = _Calls(expat.ParserCreate)
    monkeypatch.setattr(expat, "ParserCreate", parsers)
    with pytest.raises(ImportFormatError, match="not a format Keyfob knows"):
        registry.detect(data, "settings.xml")
    assert parsers.count == 1  # four importers read shared_prefs files


def test_a_database_of_another_app_is_opened_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "other.db") as connection:
        connection.execute("CREATE TABLE notes (id INTEGER, body TEXT)")
        connection.executemany(
            "INSERT INTO notes VALUES (?, ?)", [(i, "x" * 50) for i in range(500)]
        )
    connection.close()
    data = (tmp_path / "other.db").read_bytes()
    connects = _Calls(sqlite3.connect)
    monkeypatch.setattr(sqlite3, "connect", connects)
    with pytest.raises(ImportFormatError, match="not a format Keyfob knows"):
        registry.detect(data, "other.db")
    assert connects.count == 1  # three importers read SQLite databases
