"""FreeOTP 1.x tokens.xml, FreeOTP 2.x encrypted backups and FreeOTP+ exports, made here."""

from __future__ import annotations

import json

import pytest

from app.formats import _javaser
from app.formats.errors import ImportFormatError, PasswordRequiredError, WrongPasswordError
from app.formats.freeotp import FreeOtpImporter
from app.formats.freeotpplus import FreeOtpPlusImporter
from app.formats.view import SourceView
from tests.formats import samples as s

FREEOTP = FreeOtpImporter()
PLUS = FreeOtpPlusImporter()


def test_v1_tokens_in_token_order_with_counters_as_stored() -> None:
    tokens = [s.freeotp_token(x) for x in s.NO_STEAM]
    data = s.freeotp_v1(list(reversed(tokens)))
    assert FREEOTP.sniff(SourceView(data, "tokens.xml"))
    assert not FREEOTP.needs_password(data)
    result = FREEOTP.read(data, None)
    assert s.keys(result.accounts) == s.keys(list(reversed(s.NO_STEAM)))
    assert result.accounts[0].counter == s.HOTP.counter


def test_v1_steam_issuer_makes_a_steam_account() -> None:
    token = s.freeotp_token(s.TOTP)
    token["issuerExt"] = "Steam"
    (account,) = FREEOTP.read(s.freeotp_v1([token]), None).accounts
    assert (account.type.value, account.digits) == ("steam", 5)


def test_v1_bad_tokens_are_problems() -> None:
    good = s.freeotp_token(s.TOTP)
    bad_type = {**s.freeotp_token(s.TOTP256), "type": "PUSH"}
    bad_secret = {**s.freeotp_token(s.HOTP), "secret": [1, 2, 999]}
    data = s.shared_prefs(
        {
            "a": json.dumps(good),
            "b": json.dumps(bad_type),
            "c": json.dumps(bad_secret),
            "d": "{not json",
        }
    )
    result = FREEOTP.read(data, None)
    assert s.keys(result.accounts) == s.keys([s.TOTP])
    assert [p.reason for p in result.problems] == [
        "unsupported type",
        "'secret' is not a list of bytes",
        "the token is not a JSON object",
    ]
    assert result.problems[2].raw == "{not json"


@pytest.mark.parametrize("algorithm", ["PBKDF2withHmacSHA1", "PBKDF2withHmacSHA512"])
def test_v2_backup_opens_with_the_password(algorithm: str) -> None:
    data = s.freeotp_v2(s.NO_STEAM, algorithm=algorithm)
    assert FREEOTP.sniff(SourceView(data, "externalBackup.xml"))
    assert FREEOTP.needs_password(data)
    assert sorted(s.keys(FREEOTP.read(data, s.PASSWORD).accounts)) == sorted(s.keys(s.NO_STEAM))
    with pytest.raises(WrongPasswordError):
        FREEOTP.read(data, "wrong")
    with pytest.raises(PasswordRequiredError):
        FREEOTP.read(data, None)


def test_v2_token_that_does_not_decrypt_is_a_problem() -> None:
    data = s.freeotp_v2([s.TOTP, s.TOTP256])
    entries = _javaser.parse_string_map(data)
    victim = "00000000-0000-4000-8000-000000000001"
    wrapped = json.loads(json.loads(entries[victim])["key"])
    wrapped["mCipherText"][0] ^= 1
    entries[victim] = json.dumps({"key": json.dumps(wrapped)})
    result = FREEOTP.read(s.java_hashmap(entries), s.PASSWORD)
    assert s.keys(result.accounts) == s.keys([s.TOTP])
    assert [p.reason for p in result.problems] == [
        "the token's secret does not decrypt (the backup is damaged)"
    ]
    assert "secret" not in result.problems[0].raw  # the token metadata, not key material


def test_v2_hostile_iteration_count_and_truncation() -> None:
    data = s.freeotp_v2([s.TOTP])
    entries = _javaser.parse_string_map(data)
    master = json.loads(entries["masterKey"])
    master["mIterations"] = 2_000_000_000
    entries["masterKey"] = json.dumps(master)
    with pytest.raises(ImportFormatError, match="PBKDF2 iterations"):
        FREEOTP.read(s.java_hashmap(entries), s.PASSWORD)
    for cut in (10, 40, len(data) // 2, len(data) - 1):
        with pytest.raises(ImportFormatError):
            FREEOTP.read(data[:cut], s.PASSWORD)


def test_freeotp_plus_export_in_token_order() -> None:
    tokens = [s.freeotp_token(x) for x in s.NO_STEAM]
    export = json.loads(s.freeotp_plus(tokens))
    export["tokenOrder"].reverse()
    data = json.dumps(export).encode()
    assert PLUS.sniff(SourceView(data, "freeotp-backup.json"))
    assert not FREEOTP.sniff(SourceView(data, "x.json"))
    assert s.keys(PLUS.read(data, None).accounts) == s.keys(list(reversed(s.NO_STEAM)))
    with pytest.raises(ImportFormatError):
        PLUS.read(b'{"tokens": 3}', None)
