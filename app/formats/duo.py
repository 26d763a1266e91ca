"""Duo Mobile: `files/duokit/accounts.json`, a list of accounts.

Third-party accounts carry `otpGenerator.otpSecret` (base32); a `counter` there means HOTP.
Duo stores no issuer, only the name the user sees. Duo's own push accounts have no code
secret Keyfob could use and are reported as problems.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.account import Account, OtpType
from app.formats._common import (
    Entries,
    EntryError,
    as_object,
    check_size,
    json_or_none,
    opt_int,
    opt_str,
    raw_json,
    req_str,
    secret_from_base32,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

WHAT = "a Duo Mobile accounts file"


def _accounts(value: object) -> list[object] | None:
    """The accounts when `value` (the file as JSON) is a Duo Mobile accounts file."""
    if (
        isinstance(value, list)
        and value
        and all(isinstance(item, dict) for item in value)
        and any(isinstance(item, dict) and "otpGenerator" in item for item in value)
        and all(
            isinstance(item, dict) and ("pkey" in item or "otpGenerator" in item) for item in value
        )
    ):
        return value
    return None


def _convert(value: object) -> Account:
    account = as_object(value, "the account")
    if not isinstance(account.get("otpGenerator"), dict):
        raise EntryError("a Duo push account: it has no code secret to import")
    generator = as_object(account["otpGenerator"], "'otpGenerator'")
    hotp = generator.get("counter") is not None
    return Account(
        secret=secret_from_base32(req_str(generator, "otpSecret")),
        type=OtpType.HOTP if hotp else OtpType.TOTP,
        counter=opt_int(generator, "counter", 0) if hotp else 0,
        name=opt_str(account, "name"),
    )


class DuoImporter:
    name: ClassVar[str] = "duo"
    title: ClassVar[str] = "Duo Mobile"

    def sniff(self, source: SourceView) -> bool:
        return _accounts(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        accounts = _accounts(json_or_none(data))
        if accounts is None:
            raise ImportFormatError(f"not {WHAT}: no accounts with code generators")
        entries = Entries()
        entries.convert_all(accounts, _convert, raw_json)
        return entries.result()
