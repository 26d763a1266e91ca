"""Finding the importer: by name, by looking at the file, and reading through the registry."""

from __future__ import annotations

import pytest

from app.formats import registry
from app.formats._common import MAX_FILE_BYTES
from app.formats.errors import ImportFormatError
from tests.formats.fixtures_table import Fixture, fixtures


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
def test_exactly_the_right_importer_claims_each_file(fixture: Fixture) -> None:
    assert [i.name for i in registry.claimants(fixture.data, fixture.filename)] == [
        fixture.importer
    ]
    importer, result = registry.read_file(fixture.data, fixture.filename, fixture.password)
    assert importer.name == fixture.importer
    assert result.accounts
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
