"""Ente Auth plain exports: otpauth:// URIs, one per line, with Ente's `codeDisplay`.

`codeDisplay` is JSON in the query: `pinned` becomes favourite, `tags` groups, `note` the
note. Codes in Ente's trash (`trashed`) are reported as problems rather than imported.
Ente's encrypted export is not read: export again with "plain text".
"""

from __future__ import annotations

import dataclasses
import functools
from typing import ClassVar
from urllib.parse import unquote_plus

from app.core.account import Account
from app.core.uri import parse_otpauth
from app.formats._common import (
    Entries,
    EntryError,
    check_size,
    json_or_none,
    require_text,
)
from app.formats._uris import is_otpauth, mostly_otpauth
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.otpauth import is_ente
from app.formats.view import SourceView, content_lines, parse_json


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


class EnteImporter:
    name: ClassVar[str] = "ente"
    title: ClassVar[str] = "Ente Auth"

    def sniff(self, source: SourceView) -> bool:
        return mostly_otpauth(source) and is_ente(source)

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        encrypted = json_or_none(data)
        if isinstance(encrypted, dict) and "encryptedData" in encrypted:
            raise ImportFormatError(
                "this is an encrypted Ente Auth export, which Keyfob cannot read: export "
                "again from Ente Auth as plain text"
            )
        text = require_text(data, "an Ente Auth export")
        lines = content_lines(text)
        if not lines:
            raise ImportFormatError("not an Ente Auth export: the file has no lines")
        entries = Entries()
        for line in lines:
            if not is_otpauth(line):
                entries.problem(line, "not an otpauth:// URI")
            else:
                entries.convert(line, functools.partial(_account, line))
        return entries.result()
