"""Plain text lists of otpauth:// URIs, one per line (many apps' "export as text").

Blank lines and lines starting with # or // are skipped; any other line that is not a usable
otpauth:// URI becomes a problem. The file is plain text: whoever holds it holds the secrets.
"""

from __future__ import annotations

from typing import ClassVar

from app.formats._common import Entries, check_size, require_text, text_or_none
from app.formats._uris import content_lines, mostly_otpauth, read_otpauth_lines
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError

ENTE_MARKER = "codedisplay="


def is_ente(text: str) -> bool:
    return ENTE_MARKER in text.lower()


def is_winauth_name(filename: str) -> bool:
    return "winauth" in filename.lower()


class OtpauthListImporter:
    name: ClassVar[str] = "otpauth"
    title: ClassVar[str] = "otpauth:// URI list"

    def sniff(self, data: bytes, filename: str) -> bool:
        text = text_or_none(data)
        return (
            text is not None
            and mostly_otpauth(text)
            and not is_ente(text)
            and not is_winauth_name(filename)
        )

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        text = require_text(data, "a list of otpauth:// URIs")
        lines = list(content_lines(text))
        if not lines:
            raise ImportFormatError("not a list of otpauth:// URIs: the file has no lines")
        entries = Entries()
        read_otpauth_lines(lines, entries)
        return entries.result()
