"""Plain text lists of otpauth:// URIs, one per line (many apps' "export as text").

Blank lines and lines starting with # or // are skipped; any other line that is not a usable
otpauth:// URI becomes a problem. The file is plain text: whoever holds it holds the secrets.
"""

from __future__ import annotations

from app.formats._uris import mostly_otpauth, read_otpauth_lines
from app.formats.base import Entries, FileImporter
from app.formats.view import SourceView

ENTE_MARKER = "codedisplay="


def is_ente(source: SourceView) -> bool:
    """Whether the text holds Ente's codeDisplay parameter."""
    return source.folded is not None and ENTE_MARKER in source.folded


def is_winauth_name(filename: str) -> bool:
    return "winauth" in filename.lower()


class OtpauthListImporter(FileImporter):
    name = "otpauth"
    title = "otpauth:// URI list"
    document = "a list of otpauth:// URIs"

    def sniff(self, source: SourceView) -> bool:
        return (
            mostly_otpauth(source) and not is_ente(source) and not is_winauth_name(source.filename)
        )

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        read_otpauth_lines(self.lines_of(source), entries)
