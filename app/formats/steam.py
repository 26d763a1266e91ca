"""Steam Guard files: the Steam app's `Steamguard-<id>` and Steam Desktop Authenticator maFiles.

The new file is {"accounts": {<id>: {...}}}, the old one (and a maFile) a single account
object. `shared_secret` is the base64 of the raw secret; `account_name` names the account.
"""

from __future__ import annotations

from typing import ClassVar

from app.core.account import Account, OtpType
from app.formats._common import (
    Entries,
    JsonObject,
    as_object,
    b64decode,
    check_size,
    json_or_none,
    opt_str,
    raw_json,
    req_str,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

WHAT = "a Steam Guard file"


def _accounts(value: object) -> list[object] | None:
    """The accounts when `value` (the file as JSON) is a Steam Guard file."""
    if not isinstance(value, dict):
        return None
    if "shared_secret" in value:
        return [value]
    accounts = value.get("accounts")
    if (
        isinstance(accounts, dict)
        and accounts
        and all(isinstance(item, dict) and "shared_secret" in item for item in accounts.values())
    ):
        return list(accounts.values())
    return None


def _convert(value: object) -> Account:
    account: JsonObject = as_object(value, "the account")
    return Account(
        secret=b64decode(req_str(account, "shared_secret"), "'shared_secret'"),
        type=OtpType.STEAM,
        issuer="Steam",
        name=opt_str(account, "account_name"),
    )


class SteamImporter:
    name: ClassVar[str] = "steam"
    title: ClassVar[str] = "Steam Guard"

    def sniff(self, source: SourceView) -> bool:
        return _accounts(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        accounts = _accounts(json_or_none(data))
        if accounts is None:
            raise ImportFormatError(
                f"not {WHAT}: no shared_secret (an encrypted Steam Desktop Authenticator "
                "maFile must be decrypted in SDA first)"
            )
        entries = Entries()
        entries.convert_all(accounts, _convert, raw_json)
        return entries.result()
