"""What an open vault does with its password: change it, check it, find the files it opens.

A part of `Vault` (app.vault.store) kept apart so that module stays about opening, following
and saving; the methods use the vault's own state, declared below for the type checker.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from app.vault.envelope import (
    MASTER_KEY_BYTES,
    parse,
    password_slot,
    unwrap_with_password,
    wipe_key,
)
from app.vault.errors import VaultAuthError, VaultError
from app.vault.fileio import read_existing, write_lock
from app.vault.kdf import KdfParams
from app.vault.rekey import RetiredKey, backups_under
from app.vault.vault_parts import VaultParts

if TYPE_CHECKING:
    pass


def check_new_password(password: str) -> None:
    if not isinstance(password, str) or not password:
        raise VaultError("the password is empty: choose a password to protect the vault")


class PasswordOperations(VaultParts):
    """Password change and checks: mixed into `Vault`."""

    def change_password(self, new_password: str, *, kdf: KdfParams | None = None) -> RetiredKey:
        """Make a new master key, wrapped under `new_password`, and re-encrypt the content.

        A new key, not just a new wrap: whoever knows the old password and holds an old copy
        (a backup, a synced folder's copy) must not be able to decrypt any later version.
        Slots of other kinds are dropped (they wrap the old key). The previous file becomes a
        backup as on every save; it and the older backups still open with the old password.
        The returned RetiredKey finds them and re-encrypts or deletes them: call its
        `forget()` when done. Other processes with the vault open get VaultConflictError and
        must open it again.
        """
        check_new_password(new_password)
        params = (kdf or KdfParams.default()).with_fresh_salt()
        with self._mutex:
            self._header()
            new_key = bytearray(os.urandom(MASTER_KEY_BYTES))
            try:
                new_slot = password_slot(new_key, new_password, params)  # the KDF: not locked
                with write_lock(self._file):
                    self._reload_if_changed(saving=True)
                    document = copy.deepcopy(self._document)
                    assert document is not None
                    document["header"]["slots"] = [new_slot]
                    self._save(self.content.copy(), document, new_key)
            except BaseException:
                wipe_key(new_key)
                raise
            old_key, self._key = self._key, new_key
            return RetiredKey(self._file, self.vault_id, old_key, bytearray(new_key), [new_slot])

    def backups_under_current_key(self, extra: Iterable[Path] = ()) -> list[Path]:
        """The backups (and `extra` files) that the current password opens: those a password
        change would leave opening with the old one."""
        with self._mutex:
            return backups_under(self._file, self.vault_id, self._key, extra)

    def check_password(self, password: str) -> bool:
        """Whether `password` opens the vault as it is on disk (for "current password" checks)."""
        self._header()
        raw = read_existing(self._file)
        try:
            key = unwrap_with_password(parse(raw), password)
        except VaultAuthError:
            return False
        matches = key == self._key
        wipe_key(key)
        return matches
