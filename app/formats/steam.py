"""Steam Guard files: the Steam app's `Steamguard-<id>` and Steam Desktop Authenticator maFiles.

The new file is {"accounts": {<id>: {...}}}, the old one (and a maFile) a single account
object. `shared_secret` is the base64 of the raw secret; `account_name` names the account.
"""

from __future__ import annotations

from app.core.account import Account, OtpType
from app.formats._common import as_object, b64decode, opt_str, req_str
from app.formats.base import Entries, JsonImporter


def _convert(value: object) -> Account:
    account = as_object(value, "the account")
    return Account(
        secret=b64decode(req_str(account, "shared_secret"), "'shared_secret'"),
        type=OtpType.STEAM,
        issuer="Steam",
        name=opt_str(account, "account_name"),
    )


class SteamImporter(JsonImporter[list[object]]):
    name = "steam"
    title = "Steam Guard"
    document = "a Steam Guard file"
    missing = (
        "no shared_secret (an encrypted Steam Desktop Authenticator maFile must be "
        "decrypted in SDA first)"
    )

    def recognise(self, value: object) -> list[object] | None:
        """The accounts: the new file maps ids to accounts, the old one is one account."""
        if not isinstance(value, dict):
            return None
        if "shared_secret" in value:
            return [value]
        accounts = value.get("accounts")
        if (
            isinstance(accounts, dict)
            and accounts
            and all(
                isinstance(item, dict) and "shared_secret" in item for item in accounts.values()
            )
        ):
            return list(accounts.values())
        return None

    def collect_document(
        self, document: list[object], password: str | None, entries: Entries
    ) -> None:
        entries.convert_all(document, _convert)
