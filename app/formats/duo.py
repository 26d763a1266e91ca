"""Duo Mobile: `files/duokit/accounts.json`, a list of accounts.

Third-party accounts carry `otpGenerator.otpSecret` (base32); a `counter` there means HOTP.
Duo stores no issuer, only the name the user sees. Duo's own push accounts have no code
secret Keyfob could use and are reported as problems.
"""

from __future__ import annotations

from app.core.account import Account, OtpType
from app.formats._common import as_object, opt_int, opt_str, req_str, secret_from_base32
from app.formats.base import Entries, EntryError, JsonImporter


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


class DuoImporter(JsonImporter[list[object]]):
    name = "duo"
    title = "Duo Mobile"
    document = "a Duo Mobile accounts file"
    missing = "no accounts with code generators"

    def recognise(self, value: object) -> list[object] | None:
        if (
            isinstance(value, list)
            and value
            and all(isinstance(item, dict) for item in value)
            and any(isinstance(item, dict) and "otpGenerator" in item for item in value)
            and all(
                isinstance(item, dict) and ("pkey" in item or "otpGenerator" in item)
                for item in value
            )
        ):
            return value
        return None

    def collect_document(
        self, document: list[object], password: str | None, entries: Entries
    ) -> None:
        entries.convert_all(document, _convert)
