"""Proton Authenticator exports: {"version": 1, "entries": [{"content": {"uri", "name"}}]}.

Everything comes from the otpauth:// URI except the name (`content.name`) and the note.
Steam entries carry steam://<base32 secret>.
"""

from __future__ import annotations

import dataclasses

from app.core.account import Account
from app.formats._common import JsonObject, as_list, as_object, opt_str, req_str
from app.formats._uris import uri_account
from app.formats.base import Entries, EntryError, JsonImporter


def _convert(value: object) -> Account:
    entry = as_object(value, "the entry")
    content = as_object(entry.get("content"), "'content'")
    uri = req_str(content, "uri")
    name = opt_str(content, "name")
    account = uri_account(uri, name)
    if account is None:
        raise EntryError("the entry's URI is neither otpauth:// nor steam://")
    return dataclasses.replace(account, name=name or account.name, note=opt_str(entry, "note"))


class ProtonImporter(JsonImporter[JsonObject]):
    name = "proton"
    title = "Proton Authenticator"
    document = "a Proton Authenticator export"
    missing = "no version and entries"

    def recognise(self, value: object) -> JsonObject | None:
        if not isinstance(value, dict) or "version" not in value:
            return None
        entries = value.get("entries")
        if isinstance(entries, list) and all(
            isinstance(entry, dict) and isinstance(entry.get("content"), dict) for entry in entries
        ):
            return value
        return None

    def collect_document(
        self, document: JsonObject, password: str | None, entries: Entries
    ) -> None:
        entries.convert_all(as_list(document.get("entries"), "the entry list"), _convert)
