"""The Account: validation, coercion, what repr shows, identity."""

from __future__ import annotations

import dataclasses

import pytest

from app.core.account import (
    MAX_COUNTER,
    MAX_PERIOD,
    MAX_SECRET_BYTES,
    Account,
    Algorithm,
    OtpType,
)
from app.core.errors import AccountError, KeyfobError

SECRET = b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a"


def test_defaults() -> None:
    account = Account(secret=SECRET)
    assert account.type is OtpType.TOTP
    assert (account.algorithm, account.digits, account.period, account.counter) == (
        Algorithm.SHA1,
        6,
        30,
        0,
    )
    assert (account.issuer, account.name, account.groups, account.icon) == ("", "", (), None)
    assert account.uuid != Account(secret=SECRET).uuid


def test_strings_are_coerced_to_enums() -> None:
    account = Account(secret=SECRET, type="hotp", algorithm="sha256")  # type: ignore[arg-type]
    assert account.type is OtpType.HOTP
    assert account.algorithm is Algorithm.SHA256


def test_groups_become_a_tuple() -> None:
    assert Account(secret=SECRET, groups=["Work", "Home"]).groups == ("Work", "Home")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"secret": b""}, "secret is empty"),
        ({"secret": "JBSWY3DPEHPK3PXP"}, "secret is empty"),  # base32 text is not a secret
        ({"secret": bytes(MAX_SECRET_BYTES + 1)}, "secret is longer than"),
        ({"digits": 5}, "digits must be 6-10"),
        ({"digits": 11}, "digits must be 6-10"),
        ({"digits": 6.0}, "digits must be 6-10"),
        ({"digits": True}, "digits must be 6-10"),
        ({"digits": "6"}, "digits must be 6-10"),
        ({"period": 0}, "period must be 1-86400 seconds"),
        ({"period": MAX_PERIOD + 1}, "period must be"),
        ({"period": 30.5}, "period must be"),
        ({"period": True}, "period must be"),
        ({"counter": -1}, "counter must be"),
        ({"counter": MAX_COUNTER + 1}, "counter must be"),
        ({"counter": 1.0}, "counter must be"),
        ({"type": "motp"}, "type must be one of totp, hotp, steam"),
        ({"algorithm": "MD5"}, "algorithm must be SHA1, SHA256 or SHA512"),
        ({"issuer": None}, "issuer must be text"),
        ({"name": 5}, "name must be text"),
        ({"note": b"x"}, "note must be text"),
        ({"groups": ("Work", "")}, "group names must be non-empty text"),
        ({"groups": ("Work", 3)}, "group names must be non-empty text"),
    ],
)
def test_invalid_accounts(changes: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"secret": SECRET, **changes}
    with pytest.raises(AccountError, match=message):
        Account(**arguments)  # type: ignore[arg-type]


def test_account_error_is_a_keyfob_value_error() -> None:
    with pytest.raises(KeyfobError):
        Account(secret=SECRET, digits=4)
    with pytest.raises(ValueError, match="digits"):
        Account(secret=SECRET, digits=4)


@pytest.mark.parametrize("digits", [6, 7, 8, 9, 10])
def test_valid_digits(digits: int) -> None:
    assert Account(secret=SECRET, digits=digits).digits == digits


def test_edges_of_the_ranges_are_valid() -> None:
    assert Account(secret=bytes(MAX_SECRET_BYTES)).secret == bytes(MAX_SECRET_BYTES)
    assert Account(secret=SECRET, period=1).period == 1
    assert Account(secret=SECRET, period=MAX_PERIOD).period == MAX_PERIOD
    assert Account(secret=SECRET, type=OtpType.HOTP, counter=MAX_COUNTER).counter == MAX_COUNTER


def test_steam_forces_five_characters_and_sha1() -> None:
    account = Account(secret=SECRET, type=OtpType.STEAM, digits=8, algorithm=Algorithm.SHA512)
    assert (account.digits, account.algorithm) == (5, Algorithm.SHA1)
    # Digits out of the 6-10 range do not matter for Steam either.
    assert Account(secret=SECRET, type=OtpType.STEAM, digits=2).digits == 5


def test_edits_make_a_new_validated_account() -> None:
    account = Account(secret=SECRET, name="alice")
    edited = dataclasses.replace(account, name="bob")
    assert (account.name, edited.name, edited.uuid) == ("alice", "bob", account.uuid)
    with pytest.raises(AccountError, match="digits"):
        dataclasses.replace(account, digits=12)
    with pytest.raises(dataclasses.FrozenInstanceError):
        account.name = "eve"  # type: ignore[misc]


def test_repr_hides_the_secret() -> None:
    secret = b"very-secret-bytes!"
    account = Account(secret=secret, issuer="ACME", name="alice")
    shown = repr(account) + str(account)
    assert "secret" not in shown
    assert repr(secret) not in shown
    assert secret.hex() not in shown
    assert "ACME" in shown


def test_label() -> None:
    assert Account(secret=SECRET, issuer="ACME", name="alice").label == "ACME (alice)"
    assert Account(secret=SECRET, issuer="ACME").label == "ACME"
    assert Account(secret=SECRET, name="alice").label == "alice"
    assert Account(secret=SECRET).label == "(unnamed)"


def test_identity_is_secret_issuer_and_name() -> None:
    one = Account(secret=SECRET, issuer="ACME", name="alice", note="a", digits=8)
    two = Account(secret=SECRET, issuer="ACME", name="alice", favourite=True)
    assert one.identity() == two.identity()
    assert one.identity() != Account(secret=SECRET, issuer="ACME", name="bob").identity()
