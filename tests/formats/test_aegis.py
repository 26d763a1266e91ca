"""Aegis vaults written by the tests (plain and scrypt-encrypted), including hostile ones."""

from __future__ import annotations

import base64
import json

import pytest

from app.formats.aegis import AegisImporter, _java_legacy_password
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView
from tests.formats import samples as s

AEGIS = AegisImporter()
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def test_plain_vault_gives_every_account_with_groups_note_favourite_and_icon() -> None:
    groups = [{"uuid": "g-1", "name": "Work"}, {"uuid": "g-2", "name": "Games"}]
    entries = [
        s.aegis_entry(
            s.TOTP,
            groups=["g-1"],
            note="backup codes in the safe",
            favorite=True,
            icon=base64.b64encode(PNG).decode(),
            icon_mime="image/png",
        ),
        s.aegis_entry(s.TOTP256),
        s.aegis_entry(s.HOTP, groups=["g-1", "g-2", "unknown"]),
        s.aegis_entry(s.STEAM),
    ]
    data = s.aegis_plain(s.aegis_content(entries, groups))
    assert AEGIS.sniff(SourceView(data, "aegis-export.json"))
    assert not AEGIS.needs_password(data)
    result = AEGIS.read(data, None)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    first, _, third, _ = result.accounts
    assert (first.groups, first.note, first.favourite) == (
        ("Work",),
        "backup codes in the safe",
        True,
    )
    assert first.icon == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert third.groups == ("Work", "Games")
    assert result.problems == []


def test_encrypted_vault_opens_with_its_password_only() -> None:
    data = s.aegis_encrypted(s.aegis_content([s.aegis_entry(x) for x in s.ALL]))
    assert AEGIS.needs_password(data)
    assert s.keys(AEGIS.read(data, s.PASSWORD).accounts) == s.keys(s.ALL)
    with pytest.raises(WrongPasswordError, match="wrong password for this Aegis vault"):
        AEGIS.read(data, "Correct horse")
    with pytest.raises(PasswordRequiredError):
        AEGIS.read(data, None)


def test_unrepaired_slot_with_a_long_password_opens_with_the_old_byte_encoding() -> None:
    password = "a long passphrase that is well over sixty-four bytes in UTF-8, é included"
    content = s.aegis_content([s.aegis_entry(s.TOTP)])
    legacy = _java_legacy_password(password)
    assert len(legacy) > len(password.encode())
    assert legacy.rstrip(b"\0") == password.encode()
    data = s.aegis_encrypted(content, password, password_bytes=legacy, repaired=False)
    assert s.keys(AEGIS.read(data, password).accounts) == s.keys([s.TOTP])


def test_motp_yandex_and_broken_entries_become_problems_and_the_rest_imports() -> None:
    motp = {
        **s.aegis_entry(s.TOTP),
        "type": "motp",
        "info": {"secret": "AAAA", "algo": "MD5", "digits": 6, "period": 10, "pin": "1234"},
    }
    yandex = {**s.aegis_entry(s.TOTP), "type": "yandex"}
    bad_secret = s.aegis_entry(s.TOTP256)
    bad_secret["info"] = {**bad_secret["info"], "secret": "not base32!"}
    bad_digits = s.aegis_entry(s.HOTP)
    bad_digits["info"] = {**bad_digits["info"], "digits": 42}
    data = s.aegis_plain(
        s.aegis_content([motp, yandex, bad_secret, bad_digits, s.aegis_entry(s.STEAM)])
    )
    result = AEGIS.read(data, None)
    assert s.keys(result.accounts) == s.keys([s.STEAM])
    reasons = [problem.reason for problem in result.problems]
    assert reasons[:2] == ["unsupported type: mOTP codes", "unsupported type: Yandex codes"]
    assert "base32" in reasons[2]
    assert "digits" in reasons[3]
    assert json.loads(result.problems[0].raw)["type"] == "motp"
    assert "not base32" not in repr(result.problems)  # raw text stays out of repr


def test_content_versions_1_and_2_are_read_and_4_is_refused() -> None:
    v1 = s.aegis_content([s.aegis_entry(s.TOTP)])
    v1["version"] = 1
    assert len(AEGIS.read(s.aegis_plain(v1), None).accounts) == 1
    v2 = s.aegis_content([{**s.aegis_entry(s.TOTP), "group": "Legacy"}])
    v2["version"] = 2
    assert AEGIS.read(s.aegis_plain(v2), None).accounts[0].groups == ("Legacy",)
    v4 = {**v1, "version": 4}
    with pytest.raises(ImportFormatError, match="unsupported Aegis content version 4"):
        AEGIS.read(s.aegis_plain(v4), None)


def test_hostile_scrypt_parameters_are_refused_before_any_work() -> None:
    data = json.loads(s.aegis_encrypted(s.aegis_content([])))
    data["header"]["slots"][0]["n"] = 1 << 24
    with pytest.raises(ImportFormatError, match="scrypt parameters"):
        AEGIS.read(json.dumps(data).encode(), s.PASSWORD)


def test_damaged_and_truncated_vaults_are_import_errors() -> None:
    data = s.aegis_encrypted(s.aegis_content([s.aegis_entry(s.TOTP)]))
    with pytest.raises(ImportFormatError):
        AEGIS.read(data[: len(data) // 2], s.PASSWORD)
    vault = json.loads(data)
    vault["db"] = base64.b64encode(b"x" * 64).decode()
    with pytest.raises(ImportFormatError, match="content does not decrypt"):
        AEGIS.read(json.dumps(vault).encode(), s.PASSWORD)
    vault["version"] = 2
    with pytest.raises(ImportFormatError, match="unsupported Aegis vault version 2"):
        AEGIS.read(json.dumps(vault).encode(), s.PASSWORD)
    vault = json.loads(data)
    vault["header"]["slots"] = [{"type": 2, "uuid": "x"}]
    with pytest.raises(ImportFormatError, match="no password slot"):
        AEGIS.read(json.dumps(vault).encode(), s.PASSWORD)


@pytest.mark.parametrize("digits", ["²", "+-5", "6.5", 6.5, True, None, [6]])
def test_numbers_that_are_not_whole_numbers_make_a_problem(digits: object) -> None:
    entry = s.aegis_entry(s.TOTP)
    entry["info"] = {**entry["info"], "digits": digits}
    result = AEGIS.read(s.aegis_plain(s.aegis_content([entry, s.aegis_entry(s.TOTP256)])), None)
    if digits is None:  # absent: the default, 6
        assert s.keys(result.accounts) == s.keys([s.TOTP, s.TOTP256])
    else:
        assert s.keys(result.accounts) == s.keys([s.TOTP256])
        assert [p.reason for p in result.problems] == ["'digits' is not a whole number"]
