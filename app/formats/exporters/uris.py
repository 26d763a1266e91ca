"""A plain text list of otpauth:// URIs, one a line: what most apps import as "text".

Every kind of account fits (Steam as otpauth://steam/). Groups, notes, favourites and icons
have no place in a URI and are left behind.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.core.account import Account
from app.core.uri import build_otpauth
from app.formats.exporters.base import Exporter, Output


def uri_lines(accounts: Sequence[Account]) -> str:
    return "".join(build_otpauth(account) + "\n" for account in accounts)


class UriListExporter(Exporter):
    name = "otpauth"
    title = "otpauth:// URI list (unencrypted)"
    plaintext = True

    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        notes: tuple[str, ...] = ()
        if any(a.groups or a.note or a.favourite or a.icon for a in accounts):
            notes = ("groups, notes, favourites and icons are not part of otpauth:// URIs",)
        # build_otpauth percent-encodes everything outside ASCII, so the text is ASCII.
        return Output((("", uri_lines(accounts).encode("ascii")),), len(accounts), notes=notes)
