"""Plain text lists of otpauth:// URIs, one per line (many apps' "export as text").

Blank lines and lines starting with # or // are skipped; any other line that is not a usable
otpauth:// URI becomes a problem. The file is plain text: whoever holds it holds the secrets.
"""

from __future__ import annotations

from typing import ClassVar

from app.formats._common import Entries, check_size, require_text
from app.formats._uris import mostly_otpauth, read_otpauth_lines
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView, content_lines

ENTE_MARKER = "codedisplay="


def is_ente(source: SourceView) -> bool:
    """Whether the text holds Ente's codeDisplay parameter."""
    return source.folded is not None and ENTE_MARKER in source.folded


def is_winauth_name(filename: str) -> bool:
    return "winauth" in filename.lower()


class OtpauthListImporter:
    name: ClassVar[str] = "otpauth"
    title: ClassVar[str] = "otpauth:// URI list"

    def sniff(self, source: SourceView) -> bool:
        return (
            mostly_otpauth(source) and not is_ente(source) and not is_winauth_name(source.filename)
        )

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        text = require_text(data, "a list of otpauth:// URIs")
        lines = content_lines(text)
        if not lines:
            raise ImportFormatError("not a list of otpauth:// URIs: the file has no lines")
        entries = Entries()
        read_otpauth_lines(lines, entries)
        return entries.result()
