"""WinAuth exports: a text file of otpauth:// URIs, one per line.

The bytes are an ordinary URI list; what differs is the meaning. WinAuth's label is the
name the user gave the authenticator, so, as Aegis does, it becomes the issuer and the
account name becomes "WinAuth". Detected only when the file name says WinAuth; otherwise
pick it by name (--from winauth).
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from app.core.account import Account
from app.formats._common import Entries, check_size, require_text
from app.formats._uris import mostly_otpauth, read_otpauth_lines
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.otpauth import is_winauth_name
from app.formats.view import SourceView, content_lines


def _from_winauth(account: Account) -> Account:
    return dataclasses.replace(account, issuer=account.name, name="WinAuth")


class WinAuthImporter:
    name: ClassVar[str] = "winauth"
    title: ClassVar[str] = "WinAuth"

    def sniff(self, source: SourceView) -> bool:
        return is_winauth_name(source.filename) and mostly_otpauth(source)

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        text = require_text(data, "a WinAuth export")
        lines = content_lines(text)
        if not lines:
            raise ImportFormatError("not a WinAuth export: the file has no lines")
        entries = Entries()
        read_otpauth_lines(lines, entries, _from_winauth)
        return entries.result()
