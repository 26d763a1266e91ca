"""Keyfob's own vault files: an export (`keyfob export --format keyfob`), a backup, a vault.

The file is described in app/vault/FORMAT.md and read with the vault's own code, which bounds
the KDF cost before running it. Accounts keep everything they had (groups, note, favourite,
icon, uuid, times); rows this Keyfob cannot read (from a newer one) become problems.
"""

from __future__ import annotations

import json

from app.formats.base import Entries, FileImporter
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView
from app.vault.content import decode_content
from app.vault.envelope import FORMAT, decrypt, parse, unwrap_with_password, wipe_key
from app.vault.errors import VaultAuthError, VaultFormatError

_NEWER_ROW = "an account this Keyfob cannot read (made by a newer Keyfob?): update Keyfob"


def _row_text(row: dict[str, object]) -> str:
    try:
        return json.dumps(row, ensure_ascii=False, default=str)
    except (TypeError, ValueError, RecursionError):
        return "(an entry that cannot be shown)"


class KeyfobImporter(FileImporter):
    name = "keyfob"
    title = "Keyfob vault or export"
    document = "a Keyfob file"

    def sniff(self, source: SourceView) -> bool:
        if FORMAT.encode("ascii") not in source.data:
            return False  # cheap test first: most files need not be parsed for this
        value = source.json
        return isinstance(value, dict) and value.get("format") == FORMAT

    def needs_password(self, data: bytes) -> bool:
        return True  # a Keyfob vault is always encrypted

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        try:
            envelope = parse(source.data)
        except VaultFormatError as error:
            raise ImportFormatError(str(error)) from None
        password = self.password_given(password)
        try:
            password.encode("utf-8")
            key = unwrap_with_password(envelope, password)
        except (UnicodeEncodeError, VaultAuthError):
            raise self.wrong_password() from None
        except VaultFormatError as error:
            raise ImportFormatError(str(error)) from None
        try:
            plaintext = decrypt(envelope, key)
        finally:
            wipe_key(key)
        if plaintext is None:
            raise ImportFormatError(
                "the file is damaged: the password is right but its content fails "
                "authentication (use an earlier backup)"
            )
        try:
            content = decode_content(plaintext)
        except VaultFormatError as error:
            raise ImportFormatError(f"the file is damaged: {error}") from None
        for account in content.accounts:
            entries.add(account)
        for row in content.unreadable_accounts:
            entries.problem(_row_text(row), _NEWER_ROW)
