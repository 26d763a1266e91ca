"""WinAuth exports: a text file of otpauth:// URIs, one per line.

The bytes are an ordinary URI list; what differs is the meaning. WinAuth's label is the
name the user gave the authenticator, so, as Aegis does, it becomes the issuer and the
account name becomes "WinAuth". Detected only when the file name says WinAuth; otherwise
pick it by name (--from winauth).
"""

from __future__ import annotations

import dataclasses

from app.core.account import Account
from app.core.uri import parse_otpauth
from app.formats._uris import mostly_otpauth, read_otpauth_lines
from app.formats.base import Entries, FileImporter
from app.formats.otpauth import is_winauth_name
from app.formats.view import SourceView


def _from_winauth(line: str) -> Account:
    account = parse_otpauth(line)
    return dataclasses.replace(account, issuer=account.name, name="WinAuth")


class WinAuthImporter(FileImporter):
    name = "winauth"
    title = "WinAuth"
    document = "a WinAuth export"

    def sniff(self, source: SourceView) -> bool:
        return is_winauth_name(source.filename) and mostly_otpauth(source)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        read_otpauth_lines(self.lines_of(source), entries, _from_winauth)
