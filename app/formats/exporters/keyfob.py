"""Keyfob's own export: a complete vault file (app/vault/FORMAT.md) with its own password.

The copy has a new master key and vault id, so it is a vault of its own: `Vault.open` opens
it, `keyfob import` reads it, and `standalone_decrypt.py` decrypts it without Keyfob. It
holds the accounts and the group list; push enrollments stay behind, since a copy of a
device key would let two vaults answer for one device.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from app.core.account import Account
from app.formats.exporters.base import Exporter, ExportError, Output, group_order
from app.vault.content import VaultContent, encode_content
from app.vault.envelope import MASTER_KEY_BYTES, new_document, password_slot, seal, wipe_key
from app.vault.errors import VaultError
from app.vault.kdf import KdfParams


def keyfob_file(
    accounts: Sequence[Account],
    groups: Sequence[str],
    password: str,
    kdf: KdfParams | None = None,
) -> bytes:
    """The bytes of a new vault file holding `accounts`, sealed under `password`."""
    content = VaultContent(accounts=list(accounts), groups=group_order(accounts, groups))
    try:
        plaintext = encode_content(content)
    except VaultError as error:
        raise ExportError(f"the accounts cannot be exported: {error}") from None
    params = (kdf or KdfParams.default()).with_fresh_salt()
    master_key = bytearray(os.urandom(MASTER_KEY_BYTES))
    try:
        document = new_document(password_slot(master_key, password, params))
        return seal(document, master_key, plaintext)
    finally:
        wipe_key(master_key)


class KeyfobExporter(Exporter):
    """`keyfob`. `kdf` chooses the Argon2id cost (tests use the cheapest); default: a vault's."""

    name = "keyfob"
    title = "Keyfob vault"
    plaintext = False

    def __init__(self, *, kdf: KdfParams | None = None) -> None:
        self.kdf = kdf

    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        assert key is not None  # an encrypted format: Exporter.write made sure of it
        return Output((("", keyfob_file(accounts, groups, key, self.kdf)),), len(accounts))
