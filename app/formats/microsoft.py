"""Microsoft Authenticator: the app's database `databases/PhoneFactor` (table `accounts`).

`account_type` 0 is a plain TOTP account (base32 secret, 6 digits); 1 a Microsoft personal
account (base64 secret, 8 digits). Other types are push-only sign-ins with nothing to import.
Microsoft Authenticator keeps no algorithm or period: codes are SHA1, 30 s.
"""

from __future__ import annotations

from app.core.account import Account
from app.formats import _sqlite
from app.formats._common import b64decode, opt_str, secret_from_base32, to_int
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.view import SourceView

TABLE = "accounts"
COLUMNS = ["name", "username", "oath_secret_key", "account_type"]


def _convert(row: dict[str, object]) -> Account:
    kind = to_int(row.get("account_type"), "'account_type'")
    secret_text = opt_str(row, "oath_secret_key")
    if kind == 0:
        secret, digits = secret_from_base32(secret_text), 6
    elif kind == 1:
        secret, digits = b64decode(secret_text, "the secret"), 8
    else:
        raise EntryError("a push-only Microsoft account: it has no code secret to import")
    return Account(
        secret=secret, digits=digits, issuer=opt_str(row, "name"), name=opt_str(row, "username")
    )


class MicrosoftImporter(FileImporter):
    name = "microsoft"
    title = "Microsoft Authenticator"
    document = "a Microsoft Authenticator database"

    def sniff(self, source: SourceView) -> bool:
        schema = source.sqlite_schema
        return schema is not None and "oath_secret_key" in schema.get(TABLE, set())

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        entries.convert_all(
            _sqlite.read_rows(source.data, TABLE, COLUMNS), _convert, _sqlite.raw_row
        )
