"""andOTP backups written by the tests: plain, current encrypted format, old format."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from app.formats.andotp import AndOtpImporter
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.view import SourceView
from tests.formats import samples as s

ANDOTP = AndOtpImporter()
ENTRIES = [s.andotp_entry(x) for x in s.ALL]


def test_plain_backup_with_tags_as_groups() -> None:
    entries = [s.andotp_entry(s.TOTP, tags=["Work", "", 3]), *ENTRIES[1:]]
    data = s.andotp_plain(entries)
    assert ANDOTP.sniff(SourceView(data, "otp_accounts.json"))
    assert not ANDOTP.needs_password(data)
    result = ANDOTP.read(data, None)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    assert result.accounts[0].groups == ("Work",)


@pytest.mark.parametrize("build", [s.andotp_encrypted, s.andotp_encrypted_old])
def test_both_encrypted_formats_open_with_the_password(build: Callable[..., bytes]) -> None:
    data = build(ENTRIES)
    assert ANDOTP.sniff(SourceView(data, "otp_accounts_2024-01-01.json.aes"))
    assert ANDOTP.needs_password(data)
    assert s.keys(ANDOTP.read(data, s.PASSWORD).accounts) == s.keys(s.ALL)
    with pytest.raises(WrongPasswordError):
        ANDOTP.read(data, "wrong")
    with pytest.raises(PasswordRequiredError):
        ANDOTP.read(data, None)


def test_current_format_is_recognised_by_its_header_whatever_the_name() -> None:
    assert ANDOTP.sniff(SourceView(s.andotp_encrypted(ENTRIES), "backup.bin"))


def test_old_label_format_splits_issuer() -> None:
    entry = s.andotp_entry(s.TOTP)
    del entry["issuer"]
    entry["label"] = "ACME Co - alice@example.com"
    no_issuer = s.andotp_entry(s.TOTP256)
    del no_issuer["issuer"]
    result = ANDOTP.read(s.andotp_plain([entry, no_issuer]), None)
    assert [(a.issuer, a.name) for a in result.accounts] == [
        ("ACME Co", "alice@example.com"),
        ("", "bob"),
    ]


def test_bad_entries_become_problems() -> None:
    entries = [
        s.andotp_entry(s.TOTP, type="MOTP"),
        s.andotp_entry(s.TOTP, secret="!!!"),
        s.andotp_entry(s.HOTP, counter="many"),
        "not an object",
        s.andotp_entry(s.STEAM),
    ]
    result = ANDOTP.read(s.andotp_plain(entries), None)
    assert s.keys(result.accounts) == s.keys([s.STEAM])
    assert [p.reason for p in result.problems] == [
        "unsupported type",
        "secret is not valid base32 (letters A-Z and digits 2-7)",
        "'counter' is not a whole number",
        "the entry is not a JSON object",
    ]


def test_damaged_files_are_import_errors() -> None:
    with pytest.raises(ImportFormatError, match="not valid JSON"):
        ANDOTP.read(b'[{"secret": ', None)
    with pytest.raises(ImportFormatError, match="not a list"):
        ANDOTP.read(b'{"secret": "x"}', None)
    data = s.andotp_encrypted(ENTRIES)
    with pytest.raises(WrongPasswordError):  # a cut file fails the GCM tag like a wrong key
        ANDOTP.read(data[:-5], s.PASSWORD)
    with pytest.raises(WrongPasswordError):
        ANDOTP.read(b"\xff\x01", s.PASSWORD)


def test_absurd_iteration_count_is_not_attempted() -> None:
    data = s.andotp_encrypted(ENTRIES)
    hostile = struct.pack(">I", 2_000_000_000) + data[4:]
    with pytest.raises(WrongPasswordError):  # only the cheap old-format attempt runs
        ANDOTP.read(hostile, s.PASSWORD)
