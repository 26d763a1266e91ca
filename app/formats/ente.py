"""Ente Auth plain exports: otpauth:// URIs, one per line, with Ente's `codeDisplay`.

`codeDisplay` is JSON in the query: `pinned` becomes favourite, `tags` groups, `note` the
note. Codes in Ente's trash (`trashed`) are reported as problems rather than imported.
Ente's encrypted export is not read: export again with "plain text".
"""

from __future__ import annotations

import dataclasses
from urllib.parse import unquote_plus

from app.core.account import Account
from app.core.uri import parse_otpauth
from app.formats._uris import mostly_otpauth, read_otpauth_lines
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.errors import ImportFormatError
from app.formats.otpauth import is_ente
from app.formats.view import SourceView, parse_json


def _code_display(uri: str) -> dict[str, object]:
    query = uri.partition("?")[2]
    for piece in query.split("&"):
        key, _, value = piece.partition("=")
        if key.lower() == "codedisplay":
            try:
                parsed = parse_json(unquote_plus(value))
            except ValueError:
                return {}
            return parsed if isinstance(parsed, dict) else {}
    return {}


def _account(line: str) -> Account:
    account = parse_otpauth(line)
    display = _code_display(line)
    if display.get("trashed") is True:
        raise EntryError("in Ente's trash: restore it in Ente to import it")
    tags = display.get("tags")
    note = display.get("note")
    return dataclasses.replace(
        account,
        favourite=display.get("pinned") is True,
        groups=tuple(t for t in tags if isinstance(t, str) and t) if isinstance(tags, list) else (),
        note=note if isinstance(note, str) else "",
    )


class EnteImporter(FileImporter):
    name = "ente"
    title = "Ente Auth"
    document = "an Ente Auth export"

    def sniff(self, source: SourceView) -> bool:
        return mostly_otpauth(source) and is_ente(source)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        if isinstance(source.json, dict) and "encryptedData" in source.json:
            raise ImportFormatError(
                "this is an encrypted Ente Auth export, which Keyfob cannot read: export "
                "again from Ente Auth as plain text"
            )
        read_otpauth_lines(self.lines_of(source), entries, _account)
