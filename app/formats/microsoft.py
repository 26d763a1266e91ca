"""Microsoft Authenticator: the app's database `databases/PhoneFactor` (table `accounts`).

`account_type` 0 is a plain TOTP account (base32 secret, 6 digits); 1 a Microsoft personal
account (base64 secret, 8 digits). Other types are push-only sign-ins with nothing to import.
Microsoft Authenticator keeps no algorithm or period: codes are SHA1, 30 s.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from app.core.account import Account
from app.formats import _sqlite
from app.formats._common import (
    Entries,
    EntryError,
    b64decode,
    check_size,
    secret_from_base32,
    to_int,
)
from app.formats.base import ImportResult
from app.formats.view import SourceView

TABLE = "accounts"
COLUMNS = ["name", "username", "oath_secret_key", "account_type"]


def _text(row: dict[str, object], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EntryError(f"'{key}' is not text")
    return value


def _convert(row: dict[str, object]) -> Account:
    kind = to_int(row.get("account_type"), "'account_type'")
    secret_text = _text(row, "oath_secret_key")
    if kind == 0:
        secret, digits = secret_from_base32(secret_text), 6
    elif kind == 1:
        secret, digits = b64decode(secret_text, "the secret"), 8
    else:
        raise EntryError("a push-only Microsoft account: it has no code secret to import")
    return Account(
        secret=secret, digits=digits, issuer=_text(row, "name"), name=_text(row, "username")
    )


def _raw(row: dict[str, object]) -> str:
    return " | ".join("" if value is None else str(value) for value in row.values())


class MicrosoftImporter:
    name: ClassVar[str] = "microsoft"
    title: ClassVar[str] = "Microsoft Authenticator"

    def sniff(self, source: SourceView) -> bool:
        schema = source.sqlite_schema
        return schema is not None and "oath_secret_key" in schema.get(TABLE, set())

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        try:
            with _sqlite.open_sqlite(data) as connection:
                rows = _sqlite.rows(connection, TABLE, COLUMNS)
        except sqlite3.Error as error:
            raise _sqlite.damaged(error) from None
        entries = Entries()
        entries.convert_all(rows, _convert, _raw)
        return entries.result()
