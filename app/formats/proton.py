"""Proton Authenticator exports: {"version": 1, "entries": [{"content": {"uri", "name"}}]}.

Everything comes from the otpauth:// URI except the name (`content.name`) and the note.
Steam entries carry steam://<base32 secret>.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from app.core.account import Account, OtpType
from app.core.uri import parse_otpauth
from app.formats._common import (
    Entries,
    EntryError,
    JsonObject,
    as_list,
    as_object,
    check_size,
    file_damaged,
    json_or_none,
    opt_str,
    raw_json,
    req_str,
    secret_from_base32,
)
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView

WHAT = "a Proton Authenticator export"
STEAM = "steam://"


def _export(value: object) -> JsonObject | None:
    """`value` (the file as JSON) when it is a Proton Authenticator export."""
    if not isinstance(value, dict) or "version" not in value:
        return None
    entries = value.get("entries")
    if isinstance(entries, list) and all(
        isinstance(entry, dict) and isinstance(entry.get("content"), dict) for entry in entries
    ):
        return value
    return None


def _convert(value: object) -> Account:
    entry = as_object(value, "the entry")
    content = as_object(entry.get("content"), "'content'")
    uri = req_str(content, "uri")
    name = opt_str(content, "name")
    if uri[: len(STEAM)].lower() == STEAM:
        account = Account(
            secret=secret_from_base32(uri[len(STEAM) :]),
            type=OtpType.STEAM,
            issuer="Steam",
            name=name,
        )
    elif uri.lower().startswith("otpauth://"):
        account = parse_otpauth(uri)
    else:
        raise EntryError("the entry's URI is neither otpauth:// nor steam://")
    return dataclasses.replace(account, name=name or account.name, note=opt_str(entry, "note"))


class ProtonImporter:
    name: ClassVar[str] = "proton"
    title: ClassVar[str] = "Proton Authenticator"

    def sniff(self, source: SourceView) -> bool:
        return _export(source.json) is not None

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        export = _export(json_or_none(data))
        if export is None:
            raise ImportFormatError(f"not {WHAT}: no version and entries")
        try:
            items = as_list(export.get("entries"), "the entry list")
        except EntryError as error:
            raise file_damaged(error) from None
        entries = Entries()
        entries.convert_all(items, _convert, raw_json)
        return entries.result()
