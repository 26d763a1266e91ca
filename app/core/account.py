"""The account: one OTP credential and what the user keeps with it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum

from app.core.errors import AccountError

MIN_DIGITS = 6
MAX_DIGITS = 10
STEAM_DIGITS = 5
MAX_SECRET_BYTES = 1024
MAX_PERIOD = 24 * 3600
MAX_COUNTER = 2**64 - 1  # the HOTP counter is an 8-byte big-endian integer


class OtpType(StrEnum):
    TOTP = "totp"
    HOTP = "hotp"
    STEAM = "steam"


class Algorithm(StrEnum):
    SHA1 = "SHA1"
    SHA256 = "SHA256"
    SHA512 = "SHA512"


def new_uuid() -> str:
    import uuid  # here: the module loads `platform`, and the desktop's first window needs none

    return str(uuid.uuid4())


def now_seconds() -> int:
    return int(time.time())


@dataclass(frozen=True, slots=True, kw_only=True)
class Account:
    """An OTP account. Immutable: edits make a new one with `dataclasses.replace`.

    `secret` is raw bytes (base32 only at the edges) and is kept out of `repr`, so an account
    printed in a log or a traceback never shows it. For Steam the digits are always 5 and the
    algorithm SHA1, whatever the caller passed.
    """

    secret: bytes = field(repr=False)
    type: OtpType = OtpType.TOTP
    issuer: str = ""
    name: str = ""
    algorithm: Algorithm = Algorithm.SHA1
    digits: int = 6
    period: int = 30
    counter: int = 0
    groups: tuple[str, ...] = ()
    favourite: bool = False
    note: str = ""
    icon: str | None = None  # a data: URI of an image the user chose; None: letter avatar
    sort_position: int = 0
    uuid: str = field(default_factory=new_uuid)
    created: int = field(default_factory=now_seconds)
    updated: int = field(default_factory=now_seconds)
    last_used: int | None = None

    def __post_init__(self) -> None:
        # Coerce plain strings ("totp", "SHA256") so callers and readers need not.
        try:
            object.__setattr__(self, "type", OtpType(self.type))
        except ValueError:
            raise AccountError(
                f"type must be one of {', '.join(t.value for t in OtpType)}"
            ) from None
        try:
            object.__setattr__(self, "algorithm", Algorithm(str(self.algorithm).upper()))
        except ValueError:
            raise AccountError("algorithm must be SHA1, SHA256 or SHA512") from None
        if self.type is OtpType.STEAM:
            object.__setattr__(self, "digits", STEAM_DIGITS)
            object.__setattr__(self, "algorithm", Algorithm.SHA1)
        object.__setattr__(self, "groups", tuple(self.groups))
        _validate(self)

    @property
    def label(self) -> str:
        """What people call the account: "Issuer (name)", or whichever part exists."""
        if self.issuer and self.name:
            return f"{self.issuer} ({self.name})"
        return self.issuer or self.name or "(unnamed)"

    def identity(self) -> tuple[bytes, str, str]:
        """Two accounts with the same identity are duplicates (same secret, issuer and name)."""
        return (self.secret, self.issuer, self.name)


def _whole(value: object) -> bool:
    # A float (6.0 from a JSON file) or a bool would pass the range checks and break codes.
    return isinstance(value, int) and not isinstance(value, bool)


def _validate(account: Account) -> None:
    if not isinstance(account.secret, bytes) or not account.secret:
        raise AccountError("secret is empty")
    if len(account.secret) > MAX_SECRET_BYTES:
        raise AccountError(f"secret is longer than {MAX_SECRET_BYTES} bytes")
    if account.type is not OtpType.STEAM and not (
        _whole(account.digits) and MIN_DIGITS <= account.digits <= MAX_DIGITS
    ):
        raise AccountError(f"digits must be {MIN_DIGITS}-{MAX_DIGITS}")
    if not (_whole(account.period) and 1 <= account.period <= MAX_PERIOD):
        raise AccountError(f"period must be 1-{MAX_PERIOD} seconds")
    if not (_whole(account.counter) and 0 <= account.counter <= MAX_COUNTER):
        raise AccountError("counter must be a whole number from 0 to 2^64-1")
    for text, what in ((account.issuer, "issuer"), (account.name, "name"), (account.note, "note")):
        if not isinstance(text, str):
            raise AccountError(f"{what} must be text")
    if not all(isinstance(g, str) and g for g in account.groups):
        raise AccountError("group names must be non-empty text")
