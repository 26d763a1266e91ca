"""Stratum / Authenticator Pro: plain, Argon2id-encrypted, legacy-encrypted and its database."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.stratum import StratumImporter
from app.formats.view import SourceView
from tests.formats import samples as s

STRATUM = StratumImporter()
PNG = b"\x89PNG\r\n\x1a\n" + bytes(16)


def _plain() -> bytes:
    return s.stratum_plain(
        [s.stratum_entry(s.TOTP, Icon="@icon1"), *(s.stratum_entry(x) for x in s.ALL[1:])],
        Categories=[{"Id": "c1", "Name": "Work", "Ranking": 0}],
        AuthenticatorCategories=[
            {"CategoryId": "c1", "AuthenticatorSecret": s.TOTP.b32, "Ranking": 0}
        ],
        CustomIcons=[{"Id": "icon1", "Data": base64.b64encode(PNG).decode()}],
    )


def test_plain_backup_with_categories_and_custom_icon() -> None:
    data = _plain()
    assert STRATUM.sniff(SourceView(data, "stratum-backup.json"))
    assert not STRATUM.needs_password(data)
    result = STRATUM.read(data, None)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    assert result.accounts[0].groups == ("Work",)
    assert result.accounts[0].icon == "data:image/png;base64," + base64.b64encode(PNG).decode()


@pytest.mark.parametrize("build", [s.stratum_encrypted, s.stratum_legacy])
def test_encrypted_backups(build: Callable[..., bytes]) -> None:
    data = build(_plain())
    assert STRATUM.sniff(SourceView(data, "backup.authpro"))
    assert STRATUM.needs_password(data)
    assert s.keys(STRATUM.read(data, s.PASSWORD).accounts) == s.keys(s.ALL)
    with pytest.raises(WrongPasswordError):
        STRATUM.read(data, "wrong")
    with pytest.raises(PasswordRequiredError):
        STRATUM.read(data, None)
    with pytest.raises(ImportFormatError):
        STRATUM.read(data[:40], s.PASSWORD)


def test_internal_database(tmp_path: Path) -> None:
    data = s.stratum_db(tmp_path / "authenticator.db3", s.ALL)
    assert STRATUM.sniff(SourceView(data, "authenticator.db3"))
    result = STRATUM.read(data, None)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    assert result.accounts[0].groups == ("Work",)


def test_unsupported_and_bad_entries_are_problems() -> None:
    entries = [
        s.stratum_entry(s.TOTP, Type=3),
        s.stratum_entry(s.TOTP, Algorithm=7),
        s.stratum_entry(s.TOTP, Digits="six"),
        s.stratum_entry(s.TOTP256),
    ]
    result = STRATUM.read(s.stratum_plain(entries), None)
    assert s.keys(result.accounts) == s.keys([s.TOTP256])
    assert [p.reason for p in result.problems] == [
        "unsupported type: mOTP codes",
        "unsupported algorithm",
        "'Digits' is not a whole number",
    ]


def test_damaged_files() -> None:
    with pytest.raises(ImportFormatError):
        STRATUM.read(json.dumps({"Authenticators": {}}).encode(), None)
    with pytest.raises(ImportFormatError):
        STRATUM.read(b"SQLite format 3\x00" + bytes(200), None)
