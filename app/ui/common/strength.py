"""A rough password strength estimate, for the hint shown while choosing the vault password.

It estimates the bits an attacker must guess: length times the alphabet the characters come
from, less for repeats, runs ("abcd", "1234"), keyboard rows and the passwords everyone
tries first. It is a hint, not a policy: the vault's KDF does the real protecting.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

_COMMON = frozenset(
    {
        "password",
        "passw0rd",
        "123456",
        "12345678",
        "123456789",
        "1234567890",
        "qwerty",
        "qwertyuiop",
        "azerty",
        "letmein",
        "welcome",
        "iloveyou",
        "admin",
        "monkey",
        "dragon",
        "football",
        "baseball",
        "sunshine",
        "princess",
        "trustno1",
        "keyfob",
        "secret",
        "changeme",
    }
)
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm", "azertyuiop", "qwertzuiop", "1234567890")

# Thresholds in estimated bits: below 28 very weak, below 36 weak, below 60 fair, below 80
# good, else strong (the usual zxcvbn-like bands).
_BANDS = (28.0, 36.0, 60.0, 80.0)


@dataclass(frozen=True, slots=True)
class Strength:
    score: int  # 0 (very weak) .. 4 (strong)
    bits: float


def _alphabet(password: str) -> int:
    size = 0
    if any(c.islower() for c in password):
        size += 26
    if any(c.isupper() for c in password):
        size += 26
    if any(c.isdigit() for c in password):
        size += 10
    if any(not c.isalnum() and c.isascii() for c in password):
        size += 33
    if any(not c.isascii() for c in password):
        size += 100
    return max(size, 1)


def _effective_length(password: str) -> float:
    """Length, with repeated characters and sequential or keyboard runs counting little."""
    lowered = password.lower()
    length = 0.0
    for i, char in enumerate(lowered):
        if i == 0:
            length += 1
            continue
        previous = lowered[i - 1]
        if char == previous:
            length += 0.2
        elif abs(ord(char) - ord(previous)) == 1 or any(
            previous + char in row or char + previous in row for row in _ROWS
        ):
            length += 0.4
        else:
            length += 1
    return length


def estimate(password: str) -> Strength:
    if not password:
        return Strength(0, 0.0)
    lowered = password.lower()
    stripped = lowered.rstrip("0123456789!?.")
    if lowered in _COMMON or stripped in _COMMON:
        return Strength(0, 10.0)
    bits = _effective_length(password) * math.log2(_alphabet(password))
    score = sum(1 for band in _BANDS if bits >= band)
    return Strength(score, bits)
