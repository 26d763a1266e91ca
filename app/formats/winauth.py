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
from app.formats._common import Entries, check_size, require_text, text_or_none
from app.formats._uris import content_lines, mostly_otpauth, read_otpauth_lines
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.otpauth import is_winauth_name


def _from_winauth(account: Account) -> Account:
    return dataclasses.replace(account, issuer=account.name, name="WinAuth")


class WinAuthImporter:
    name: ClassVar[str] = "winauth"
    title: ClassVar[str] = "WinAuth"

    def sniff(self, data: bytes, filename: str) -> bool:
        text = text_or_none(data)
        return text is not None and is_winauth_name(filename) and mostly_otpauth(text)

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        text = require_text(data, "a WinAuth export")
        lines = list(content_lines(text))
        if not lines:
            raise ImportFormatError("not a WinAuth export: the file has no lines")
        entries = Entries()
        read_otpauth_lines(lines, entries, _from_winauth)
        return entries.result()
