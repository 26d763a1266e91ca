"""Bitwarden unencrypted vault exports, JSON and CSV: the TOTP of each login.

A login's TOTP is an otpauth:// URI, steam://<base32 secret>, or a bare base32 secret (then
the item's name is the issuer and the login's username the name). Items without a TOTP are
passwords only and are skipped quietly. Encrypted exports are not read.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io

from app.core.account import Account
from app.formats._common import JsonObject, secret_from_base32
from app.formats._uris import uri_account
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

CSV_COLUMN = "login_totp"


def _json_export(value: object) -> JsonObject | None:
    """`value` (the file as JSON) when it is a Bitwarden JSON export."""
    if (
        isinstance(value, dict)
        and "items" in value
        and ("encrypted" in value or "folders" in value or "collections" in value)
    ):
        return value
    if isinstance(value, dict) and value.get("encrypted") is True and "data" in value:
        return value  # a password-protected export: recognised, refused with a message
    return None


def _csv_header(text: str) -> list[str] | None:
    first = text.lstrip().split("\n", 1)[0]
    if CSV_COLUMN not in first:
        return None
    try:
        header = next(csv.reader([first]))
    except (csv.Error, StopIteration):
        return None
    return header if CSV_COLUMN in header else None


def _account(totp: str, item_name: str, username: str) -> Account:
    value = totp.strip()
    account = uri_account(value, "Steam account")
    if account is not None:
        # Fill in what the URI left out from the login it belongs to.
        return dataclasses.replace(
            account, issuer=account.issuer or item_name, name=account.name or username
        )
    if "://" in value:
        raise EntryError("the TOTP is neither otpauth://, steam:// nor a base32 secret")
    return Account(secret=secret_from_base32(value), issuer=item_name, name=username)


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _read_json(export: JsonObject, entries: Entries) -> None:
    if export.get("encrypted") is True:
        raise ImportFormatError(
            "this Bitwarden export is encrypted, which Keyfob cannot read: export again from "
            'Bitwarden as "JSON" (not encrypted), import it, then delete that file'
        )
    items = export.get("items")
    if not isinstance(items, list):
        raise ImportFormatError("the file is damaged: 'items' is not a list")
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("login"), dict):
            continue
        login = item["login"]
        totp = login.get("totp")
        if not isinstance(totp, str) or not totp.strip():
            continue
        name, username = _text(item.get("name")), _text(login.get("username"))
        entries.convert(totp, functools.partial(_account, totp, name, username))


def _read_csv(text: str, entries: Entries) -> None:
    try:
        for row in csv.DictReader(io.StringIO(text)):
            totp = row.get(CSV_COLUMN)
            if not isinstance(totp, str) or not totp.strip():
                continue
            name, username = _text(row.get("name")), _text(row.get("login_username"))
            entries.convert(totp, functools.partial(_account, totp, name, username))
    except csv.Error:
        raise ImportFormatError("the file is damaged: it is not valid CSV") from None


class BitwardenImporter(FileImporter):
    name = "bitwarden"
    title = "Bitwarden"
    document = "a Bitwarden export"

    def sniff(self, source: SourceView) -> bool:
        if _json_export(source.json) is not None:
            return True
        return source.text is not None and _csv_header(source.text) is not None

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        export = _json_export(source.json)
        if export is not None:
            _read_json(export, entries)
            return
        text = self.text_of(source)
        if _csv_header(text) is None:
            raise self.not_this("neither Bitwarden JSON nor CSV with login_totp")
        _read_csv(text, entries)
