"""One-time codes: HOTP (RFC 4226), TOTP (RFC 6238) and Steam Guard.

A few lines over `hmac` rather than pyotp: pyotp refuses the 80-bit secrets most real
enrollments use, has no Steam alphabet, and the hot path (codes for 10,000 accounts each
period) wants no per-call object construction.
"""

from __future__ import annotations

import hmac
import struct
from dataclasses import dataclass

from app.core.account import Account, Algorithm, OtpType

STEAM_ALPHABET = "23456789BCDFGHJKMNPQRTVWXY"
_DIGEST = {Algorithm.SHA1: "sha1", Algorithm.SHA256: "sha256", Algorithm.SHA512: "sha512"}


@dataclass(frozen=True, slots=True)
class Code:
    """A code and the seconds (Unix) of its validity; HOTP codes have no time bounds."""

    text: str
    valid_from: int | None
    valid_until: int | None


def _truncate(secret: bytes, counter: int, algorithm: Algorithm) -> int:
    mac = hmac.digest(secret, struct.pack(">Q", counter), _DIGEST[algorithm])
    offset = mac[-1] & 0x0F
    return int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF


def hotp(
    secret: bytes, counter: int, algorithm: Algorithm = Algorithm.SHA1, digits: int = 6
) -> str:
    return str(_truncate(secret, counter, algorithm) % 10**digits).zfill(digits)


def steam(secret: bytes, counter: int) -> str:
    value = _truncate(secret, counter, Algorithm.SHA1)
    chars = []
    for _ in range(5):
        value, index = divmod(value, len(STEAM_ALPHABET))
        chars.append(STEAM_ALPHABET[index])
    return "".join(chars)


def time_step(now: float, period: int) -> int:
    return int(now) // period


def code_at(account: Account, now: float) -> Code:
    """The code `account` shows at Unix time `now` (for HOTP: at its current counter)."""
    if account.type is OtpType.HOTP:
        return Code(
            hotp(account.secret, account.counter, account.algorithm, account.digits), None, None
        )
    step = time_step(now, account.period)
    start = step * account.period
    if account.type is OtpType.STEAM:
        text = steam(account.secret, step)
    else:
        text = hotp(account.secret, step, account.algorithm, account.digits)
    return Code(text, start, start + account.period)


def group_code(text: str) -> str:
    """Split a code for reading aloud: "123 456", "1234 567", "1234 5678"; Steam stays whole."""
    if len(text) < 6:
        return text
    half = (len(text) + 1) // 2
    return f"{text[:half]} {text[half:]}"
