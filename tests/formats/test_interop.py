"""Every real export in ../shared/interop: detected, read, and equal to expected.json.

The data is other projects' files (see its README). A fresh clone has none, so these tests
skip there; CI always has it, so there its absence fails (see interop_dir in tests/conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from app.core.secret import encode_base32
from app.formats import registry
from app.formats.errors import PasswordRequiredError, WrongPasswordError
from tests.conftest import INTEROP_MISSING, interop_dir, interop_expected, interop_fields

CASES: dict[str, dict[str, Any]] = interop_expected()
NAMES = sorted(CASES) or [INTEROP_MISSING]
ENCRYPTED = sorted(name for name, case in CASES.items() if case["password"] is not None) or [
    INTEROP_MISSING
]

# Which importer must claim each file. FreeOTP+'s internal file has FreeOTP 1.x's layout
# (the same bytes an app would write), so the FreeOTP importer reads it.
IMPORTER_BY_FOLDER = {
    "aegis_plain": "aegis",
    "aegis_encrypted": "aegis",
    "andotp_plain": "andotp",
    "andotp_encrypted": "andotp",
    "authenticatorplus": "authenticatorplus",
    "authy": "authy",
    "battlenet": "battlenet",
    "bitwarden": "bitwarden",
    "duo": "duo",
    "ente": "ente",
    "freeotp": "freeotp",
    "freeotpplus": "freeotpplus",
    "googleauth": "googleauth",
    "microsoft": "microsoft",
    "otpauth_uri": "otpauth",
    "proton": "proton",
    "steam": "steam",
    "stratum": "stratum",
    "totpauthenticator": "totpauthenticator",
    "twofas": "twofas",
    "winauth": "winauth",
}
IMPORTER_BY_FILE = {"freeotpplus/freeotp_plus_internal.xml": "freeotp"}
FIELDS = ("type", "issuer", "name", "secret", "algorithm", "digits", "period", "counter")


def _case(name: str) -> tuple[bytes, dict[str, Any]]:
    return (interop_dir() / name).read_bytes(), CASES[name]


def _wanted(entry: dict[str, Any]) -> dict[str, object]:
    wanted = {field: entry[field] for field in FIELDS}
    if "migration_line" in entry and entry["issuer"]:
        # app/core/migration.py drops a repeated "Issuer:" prefix from the name.
        wanted["name"] = entry.get("name_without_issuer_prefix", entry["name"])
    return wanted


def _same(wanted: dict[str, object], actual: dict[str, object], unchecked: set[str]) -> bool:
    """Equal in every field the expectation checks (`unchecked_by_aegis_test`: any value)."""
    return all(actual[field] == wanted[field] for field in FIELDS if field not in unchecked)


@pytest.mark.parametrize("name", NAMES)
def test_detected_read_and_equal_to_expected(name: str) -> None:
    data, case = _case(name)
    folder = name.split("/", maxsplit=1)[0]
    claimed = [importer.name for importer in registry.claimants(data, name)]
    assert claimed == [IMPORTER_BY_FILE.get(name, IMPORTER_BY_FOLDER[folder])]

    importer, result = registry.read_file(data, name, case["password"])
    assert importer.name == claimed[0]
    assert result.problems == []
    actual = [interop_fields(account) for account in result.accounts]
    entries: list[dict[str, Any]] = case["entries"]
    assert len(actual) == len(entries)
    unmatched = list(actual)
    for entry in entries:
        unchecked = set(entry.get("unchecked_by_aegis_test", []))
        wanted = _wanted(entry)
        found = next((a for a in unmatched if _same(wanted, a, unchecked)), None)
        assert found is not None, f"no imported account matches {entry['issuer']}/{entry['name']}"
        unmatched.remove(found)
    # Nothing a user would see beyond the codes is invented either.
    for account in result.accounts:
        if name != "aegis_plain/aegis_plain_grouped_v2.json":
            assert account.groups == ()
        assert (account.note, account.icon, account.favourite) == ("", None, False)


def test_aegis_v2_groups_become_group_names() -> None:
    data, case = _case("aegis_plain/aegis_plain_grouped_v2.json")
    _, result = registry.read_file(data, "aegis_plain_grouped_v2.json", None)
    by_secret = {encode_base32(a.secret): a.groups for a in result.accounts}
    entries: list[dict[str, Any]] = case["entries"]
    for entry in entries:
        legacy = entry["legacy_group_name"]
        assert by_secret[entry["secret"]] == ((legacy,) if legacy else ())
    members: dict[str, int] = {}
    for account in result.accounts:
        for group in account.groups:
            members[group] = members.get(group, 0) + 1
    assert members == {"group1": 2, "group2": 1}
    assert sum(1 for account in result.accounts if not account.groups) == 4


@pytest.mark.parametrize("name", ENCRYPTED)
def test_encrypted_files_need_the_right_password(name: str) -> None:
    data, _ = _case(name)
    importer = registry.detect(data, name)
    assert importer.needs_password(data)
    with pytest.raises(WrongPasswordError):
        importer.read(data, "not the password")
    with pytest.raises(PasswordRequiredError):
        importer.read(data, None)


@pytest.mark.parametrize("name", NAMES)
def test_plain_files_need_no_password(name: str) -> None:
    data, case = _case(name)
    if case["password"] is None:
        assert not registry.detect(data, name).needs_password(data)


def test_every_interop_file_has_an_expectation() -> None:
    folder = interop_dir()
    files = {
        str(path.relative_to(folder))
        for path in folder.rglob("*")
        if path.is_file() and path.name not in ("README.md", "expected.json")
    }
    assert files == set(CASES)
