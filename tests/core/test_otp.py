"""RFC 4226 / RFC 6238 test vectors and Steam Guard codes."""

from __future__ import annotations

import pytest

from app.core.account import Account, Algorithm, OtpType
from app.core.otp import code_at, group_code, hotp, steam

RFC_SECRET_SHA1 = b"12345678901234567890"
RFC_SECRET_SHA256 = b"12345678901234567890123456789012"
RFC_SECRET_SHA512 = b"1234567890123456789012345678901234567890123456789012345678901234"

RFC4226 = ["755224", "287082", "359152", "969429", "338314",
           "254676", "287922", "162583", "399871", "520489"]  # fmt: skip


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_rfc4226_vectors(counter: int, expected: str) -> None:
    assert hotp(RFC_SECRET_SHA1, counter) == expected


RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for secret, algorithm, expected in (
        (RFC_SECRET_SHA1, Algorithm.SHA1, sha1),
        (RFC_SECRET_SHA256, Algorithm.SHA256, sha256),
        (RFC_SECRET_SHA512, Algorithm.SHA512, sha512),
    ):
        account = Account(secret=secret, algorithm=algorithm, digits=8)
        code = code_at(account, at)
        assert code.text == expected
        assert code.valid_from is not None
        assert code.valid_until is not None
        assert code.valid_from <= at < code.valid_until


def test_80_bit_secret_is_accepted() -> None:
    account = Account(secret=bytes(range(10)))  # 16 base32 characters, what most sites issue
    assert len(code_at(account, 0).text) == 6


def test_steam_code_uses_its_alphabet_and_five_characters() -> None:
    account = Account(secret=b"12345678901234567890", type=OtpType.STEAM, digits=8)
    assert account.digits == 5
    code = code_at(account, 1_700_000_000).text
    assert len(code) == 5
    assert set(code) <= set("23456789BCDFGHJKMNPQRTVWXY")
    assert steam(b"12345678901234567890", 1_700_000_000 // 30) == code


def test_hotp_code_has_no_timer() -> None:
    account = Account(secret=RFC_SECRET_SHA1, type=OtpType.HOTP, counter=3)
    code = code_at(account, 12345)
    assert code.text == "969429"
    assert code.valid_until is None


@pytest.mark.parametrize(
    ("text", "grouped"),
    [("123456", "123 456"), ("1234567", "1234 567"), ("12345678", "1234 5678"), ("2BCDF", "2BCDF")],
)
def test_group_code(text: str, grouped: str) -> None:
    assert group_code(text) == grouped
