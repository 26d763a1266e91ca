"""Apps' internal files, made here: Authy, Battle.net, Duo, Steam, Microsoft, TOTP Authenticator."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from app.formats.authy import AuthyImporter
from app.formats.battlenet import BattleNetImporter
from app.formats.duo import DuoImporter
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.microsoft import MicrosoftImporter
from app.formats.steam import SteamImporter
from app.formats.totpauthenticator import TotpAuthenticatorImporter
from app.formats.view import SourceView
from tests.formats import samples as s

AUTHY = AuthyImporter()
TOTPAUTH = TotpAuthenticatorImporter()


def _totp(sample: s.Sample, digits: int | None = None) -> s.Sample:
    """What apps without algorithm/period give: SHA1, 30 s."""
    return s.Sample("totp", sample.issuer, sample.name, sample.secret, "SHA1", digits or 6)


def test_authy_plain_and_encrypted_secrets() -> None:
    plain = s.authy_prefs([s.authy_token(s.TOTP), s.authy_token(s.TOTP256)])
    assert AUTHY.sniff(SourceView(plain, "com.authy.storage.tokens.authenticator.xml"))
    assert not AUTHY.needs_password(plain)
    wanted = s.keys([_totp(s.TOTP), _totp(s.TOTP256, 8)])
    assert s.keys(AUTHY.read(plain, None).accounts) == wanted

    encrypted = s.authy_prefs(
        [s.authy_token(s.TOTP, s.PASSWORD), s.authy_token(s.TOTP256, s.PASSWORD)]
    )
    assert AUTHY.needs_password(encrypted)
    assert s.keys(AUTHY.read(encrypted, s.PASSWORD).accounts) == wanted
    with pytest.raises(WrongPasswordError):
        AUTHY.read(encrypted, "wrong")
    with pytest.raises(PasswordRequiredError):
        AUTHY.read(encrypted, None)


def test_authy_token_that_does_not_decrypt_among_good_ones_is_a_problem() -> None:
    odd = s.authy_token(s.TOTP, "another password")
    data = s.authy_prefs([odd, s.authy_token(s.TOTP256, s.PASSWORD), {"digits": 6}])
    result = AUTHY.read(data, s.PASSWORD)
    assert s.keys(result.accounts) == s.keys([_totp(s.TOTP256, 8)])
    assert [p.reason for p in result.problems] == [
        "the secret does not decrypt with this password",
        "'decryptedSecret' is missing",
    ]


def test_authy_issuer_comes_from_the_name_when_missing() -> None:
    token = s.authy_token(s.TOTP)
    del token["originalIssuer"]
    token["originalName"] = ""
    token["name"] = "ACME Co - alice"
    (account,) = AUTHY.read(s.authy_prefs([token]), None).accounts
    assert (account.issuer, account.name) == ("ACME Co", "alice")


def test_battlenet() -> None:
    secret = bytes(range(20))
    data = s.battlenet_prefs(secret, "EU-1234-5678-9012")
    importer = BattleNetImporter()
    assert importer.sniff(SourceView(data, "com.blizzard.messenger.authenticator_preferences.xml"))
    (account,) = importer.read(data, None).accounts
    assert (account.secret, account.issuer, account.name, account.digits) == (
        secret,
        "Battle.net",
        "EU-1234-5678-9012",
        8,
    )
    broken = s.shared_prefs({"com.blizzard.messenger.AUTHENTICATOR_DEVICE_SECRET": "zz"})
    assert [p.reason for p in importer.read(broken, None).problems] == [
        "the device secret is not hexadecimal"
    ]


def test_duo() -> None:
    accounts = [
        {
            "name": "alice",
            "otpGenerator": {"otpSecret": s.TOTP.b32},
            "pkey": "1",
            "accountType": "OtpAccount",
        },
        {"name": "carol", "otpGenerator": {"otpSecret": s.HOTP.b32, "counter": 9}, "pkey": "2"},
        {"name": "Duo Push", "pkey": "3", "accountType": "DuoAccount"},
    ]
    importer = DuoImporter()
    data = json.dumps(accounts).encode()
    assert importer.sniff(SourceView(data, "accounts.json"))
    result = importer.read(data, None)
    assert [(a.type.value, a.name, a.secret, a.counter) for a in result.accounts] == [
        ("totp", "alice", s.TOTP.secret, 0),
        ("hotp", "carol", s.HOTP.secret, 9),
    ]
    assert [p.reason for p in result.problems] == [
        "a Duo push account: it has no code secret to import"
    ]


def test_steam_files_new_and_old() -> None:
    account = {"shared_secret": base64.b64encode(s.STEAM.secret).decode(), "account_name": "dave"}
    importer = SteamImporter()
    for data in (
        json.dumps({"accounts": {"7656": account}}).encode(),
        json.dumps(account).encode(),
    ):
        assert importer.sniff(SourceView(data, "Steamguard-7656"))
        (imported,) = importer.read(data, None).accounts
        assert (imported.type.value, imported.issuer, imported.name, imported.secret) == (
            "steam",
            "Steam",
            "dave",
            s.STEAM.secret,
        )
    bad = importer.read(json.dumps({**account, "shared_secret": "%%%"}).encode(), None)
    assert [p.reason for p in bad.problems] == ["'shared_secret' is not base64"]
    with pytest.raises(ImportFormatError, match="shared_secret"):
        importer.read(b'{"accounts": {}}', None)


def test_microsoft_database_in_wal_mode(tmp_path: Path) -> None:
    rows = [
        ("ACME Co", "alice", s.TOTP.b32, 0),
        ("Microsoft", "me@outlook.com", base64.b64encode(s.TOTP256.secret).decode(), 1),
        ("Contoso", "work@contoso.com", "", 2),
    ]
    data = s.microsoft_db(tmp_path / "PhoneFactor", rows)
    assert data[18:20] == b"\x02\x02"  # what Android writes
    importer = MicrosoftImporter()
    assert importer.sniff(SourceView(data, "PhoneFactor"))
    result = importer.read(data, None)
    assert [(a.issuer, a.name, a.secret, a.digits) for a in result.accounts] == [
        ("ACME Co", "alice", s.TOTP.secret, 6),
        ("Microsoft", "me@outlook.com", s.TOTP256.secret, 8),
    ]
    assert [p.reason for p in result.problems] == [
        "a push-only Microsoft account: it has no code secret to import"
    ]
    with pytest.raises(ImportFormatError, match="damaged"):
        importer.read(data[:2048], None)


@pytest.mark.parametrize("base", [16, 32, 64])
def test_totp_authenticator_backup_with_default_and_own_password(base: int) -> None:
    entries = [s.totpauth_entry(s.TOTP, base), json.dumps(s.totpauth_entry(s.TOTP256, base))]
    wanted = s.keys([_totp(s.TOTP), _totp(s.TOTP256)])
    default = s.totpauth_backup(entries)
    assert TOTPAUTH.sniff(SourceView(default, "backup.encrypt"))
    assert not TOTPAUTH.needs_password(default)
    assert s.keys(TOTPAUTH.read(default, None).accounts) == wanted
    own = s.totpauth_backup(entries, s.PASSWORD)
    assert TOTPAUTH.needs_password(own)
    assert s.keys(TOTPAUTH.read(own, s.PASSWORD).accounts) == wanted
    with pytest.raises(PasswordRequiredError):
        TOTPAUTH.read(own, None)
    with pytest.raises(WrongPasswordError):
        TOTPAUTH.read(own, "wrong")


def test_totp_authenticator_preferences_and_bad_entries() -> None:
    data = s.totpauth_prefs(
        [s.totpauth_entry(s.TOTP), {"base": 8, "key": "1"}, {"base": 16, "key": "xyz"}]
    )
    assert TOTPAUTH.sniff(SourceView(data, "TOTP_Authenticator_Preferences.xml"))
    result = TOTPAUTH.read(data, None)
    assert s.keys(result.accounts) == s.keys([_totp(s.TOTP)])
    assert [p.reason for p in result.problems] == [
        "unsupported secret encoding",
        "'key' is not hexadecimal",
    ]
