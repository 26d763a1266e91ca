"""Formats built on otpauth:// and otpauth-migration:// URIs, made with Keyfob's own writers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from app.core.account import Account
from app.core.migration import build_migration
from app.formats.authenticatorplus import AuthenticatorPlusImporter
from app.formats.bitwarden import BitwardenImporter
from app.formats.ente import EnteImporter
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.googleauth import GoogleAuthImporter
from app.formats.otpauth import OtpauthListImporter
from app.formats.proton import ProtonImporter
from app.formats.view import SourceView
from app.formats.winauth import WinAuthImporter
from tests.formats import samples as s

GOOGLE = GoogleAuthImporter()
ZIP_PLUS = AuthenticatorPlusImporter()


def test_otpauth_list_with_comments_blank_lines_and_a_bad_line() -> None:
    data = s.otpauth_list(s.ALL) + b"\n// note\notpauth://totp/x?secret=A\n"
    importer = OtpauthListImporter()
    assert importer.sniff(SourceView(data, "accounts.txt"))
    result = importer.read(data, None)
    assert s.keys(result.accounts) == s.keys(s.ALL)
    assert [(p.raw, p.reason) for p in result.problems] == [
        ("otpauth://totp/x?secret=A", "secret is not valid base32 (its length is impossible)")
    ]
    with pytest.raises(ImportFormatError):
        importer.read(b"# nothing\n", None)


def test_winauth_moves_the_name_to_the_issuer() -> None:
    data = s.otpauth_list([s.TOTP])
    importer = WinAuthImporter()
    assert importer.sniff(SourceView(data, "winauth-2024-01-01.txt"))
    assert not importer.sniff(SourceView(data, "accounts.txt"))
    (account,) = importer.read(data, None).accounts
    assert (account.issuer, account.name) == ("alice@example.com", "WinAuth")


def test_ente_code_display_and_trash() -> None:
    display = json.dumps({"pinned": True, "trashed": False, "tags": ["Work"], "note": "hi"})
    trashed = json.dumps({"pinned": False, "trashed": True, "tags": []})
    lines = [
        s.uri(s.TOTP) + "&codeDisplay=" + display.replace(" ", "%20"),
        s.uri(s.HOTP) + "&codeDisplay=" + trashed.replace(" ", "%20"),
        "garbage",
    ]
    data = "\n".join(lines).encode()
    importer = EnteImporter()
    assert importer.sniff(SourceView(data, "ente-auth-codes.txt"))
    assert not OtpauthListImporter().sniff(SourceView(data, "x.txt"))
    result = importer.read(data, None)
    (account,) = result.accounts
    assert s.key(account) == s.key(s.TOTP)
    assert (account.favourite, account.groups, account.note) == (True, ("Work",), "hi")
    assert [p.reason for p in result.problems] == [
        "in Ente's trash: restore it in Ente to import it",
        "not an otpauth:// URI",
    ]
    with pytest.raises(ImportFormatError, match="encrypted Ente Auth export"):
        importer.read(b'{"version": 1, "encryptedData": "x"}', None)


@pytest.mark.parametrize("build", [s.bitwarden_json, s.bitwarden_csv])
def test_bitwarden_totps_of_every_kind(build: Callable[..., bytes]) -> None:
    data = build(
        [
            ("ACME", "alice", s.uri(s.TOTP)),
            ("Steam", "", "steam://" + s.STEAM.b32),
            ("Example", "bob", s.TOTP256.b32.lower()),
            ("Bank", "me", None),
            ("Broken", "x", "https://example.com"),
        ]
    )
    importer = BitwardenImporter()
    assert importer.sniff(SourceView(data, "bitwarden_export.json"))
    result = importer.read(data, None)
    steam = s.Sample("steam", "Steam", "Steam account", s.STEAM.secret, "SHA1", 5)
    bare = s.Sample("totp", "Example", "bob", s.TOTP256.secret)
    assert s.keys(result.accounts) == s.keys([s.TOTP, steam, bare])
    assert [p.reason for p in result.problems] == [
        "the TOTP is neither otpauth://, steam:// nor a base32 secret"
    ]


def test_bitwarden_encrypted_export_is_refused_with_advice() -> None:
    data = json.dumps({"encrypted": True, "passwordProtected": True, "data": "2.x|y|z"}).encode()
    assert BitwardenImporter().sniff(SourceView(data, "x.json"))
    with pytest.raises(ImportFormatError, match="export again"):
        BitwardenImporter().read(data, "pw")


def test_proton_name_and_note_and_steam() -> None:
    data = s.proton(
        [(s.uri(s.TOTP), "alice (work)"), ("steam://" + s.STEAM.b32, "dave"), ("mailto:x", "x")]
    )
    importer = ProtonImporter()
    assert importer.sniff(SourceView(data, "proton_authenticator_backup.json"))
    result = importer.read(data, None)
    assert [(a.type.value, a.issuer, a.name) for a in result.accounts] == [
        ("totp", "ACME Co", "alice (work)"),
        ("steam", "Steam", "dave"),
    ]
    assert len(result.problems) == 1


def test_authenticator_plus_zipcrypto_backup() -> None:
    accounts = (s.otpauth_list(s.ALL)).replace(b"\n", b"\r\n")
    data = s.zipcrypto_zip("Accounts.txt", accounts, s.PASSWORD)
    assert ZIP_PLUS.sniff(SourceView(data, "backup.zip"))
    assert ZIP_PLUS.needs_password(data)
    assert s.keys(ZIP_PLUS.read(data, s.PASSWORD).accounts) == s.keys(s.ALL)
    with pytest.raises(PasswordRequiredError):
        ZIP_PLUS.read(data, None)
    for attempt in range(300):  # ZipCrypto's check byte lets 1 in 256 through: still wrong
        with pytest.raises(WrongPasswordError):
            ZIP_PLUS.read(data, f"wrong {attempt}")
    plain = s.zipcrypto_zip("Accounts.txt", accounts, None)
    assert not ZIP_PLUS.needs_password(plain)
    assert s.keys(ZIP_PLUS.read(plain, None).accounts) == s.keys(s.ALL)
    assert not ZIP_PLUS.sniff(
        SourceView(s.zipcrypto_zip("Other.txt", accounts, None), "backup.zip")
    )


def _accounts(samples: list[s.Sample]) -> list[Account]:
    return [x.account() for x in samples]


def test_google_migration_batches_in_any_order_with_comments() -> None:
    many = [s.Sample("totp", f"Site {i}", f"user{i}", bytes([i]) * 10) for i in range(25)]
    uris = build_migration(_accounts(many), per_batch=10)
    assert len(uris) == 3
    data = ("# scanned with my camera\n" + "\n".join(reversed(uris)) + "\n").encode()
    assert GOOGLE.sniff(SourceView(data, "qr.txt"))
    assert not OtpauthListImporter().sniff(SourceView(data, "qr.txt"))
    result = GOOGLE.read(data, None)
    assert sorted(s.keys(result.accounts)) == sorted(s.keys(many))
    assert result.problems == []


def test_google_missing_and_repeated_qr_codes() -> None:
    many = [s.Sample("totp", f"Site {i}", f"user{i}", bytes([i + 1]) * 10) for i in range(25)]
    first, _second, third = build_migration(_accounts(many), per_batch=10)
    result = GOOGLE.read("\n".join([first, third, first]).encode(), None)
    assert len(result.accounts) == 15  # the repeated QR code is not imported twice
    assert [p.reason for p in result.problems] == [
        "QR 2 of 3 missing: scan it too, or the accounts it holds are not imported"
    ]


def test_google_damaged_line_and_plain_uri_line() -> None:
    (good,) = build_migration(_accounts([s.TOTP]))
    data = "\n".join(
        [good, "otpauth-migration://offline?data=AAAA%%", s.uri(s.HOTP), "hello"]
    ).encode()
    result = GOOGLE.read(data, None)
    assert s.keys(result.accounts) == s.keys([s.TOTP, s.HOTP])
    assert len(result.problems) == 2
    assert result.problems[1].reason == "not an otpauth-migration:// or otpauth:// URI"


def test_google_authenticator_database(tmp_path: Path) -> None:
    data = s.googleauth_db(tmp_path / "databases", [s.TOTP, s.HOTP])
    assert GOOGLE.sniff(SourceView(data, "databases"))
    result = GOOGLE.read(data, None)
    sha1 = [
        s.Sample("totp", "ACME Co", "alice@example.com", s.TOTP.secret),
        s.Sample("hotp", "Hotp Inc", "carol", s.HOTP.secret, counter=42),
    ]
    assert s.keys(result.accounts) == s.keys(sha1)
