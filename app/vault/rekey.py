"""After a password change: the backups the old password still opens, re-encrypted or deleted.

A password change makes a new master key, so an old password and an old copy of the vault
cannot open any later version. The files made before (the rotating backups, the copies in an
extra backup folder) are still encrypted under the old key and open with the old password.
`RetiredKey` holds the old key just long enough to find them and, as the user chooses,
re-encrypt them under the new key and password, or delete them.

Which key a file was made under is read from its header's `key_id` (see FORMAT.md), so no
password is needed to sort the files; files written before key ids existed are tried with the
old key instead (an AES-GCM check, no KDF).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.core.files import atomic_write
from app.vault.backups import delete_backup, list_backups
from app.vault.envelope import Envelope, decrypt, key_id, parse, seal, wipe_key
from app.vault.errors import VaultError, VaultLockedError
from app.vault.fileio import io_error, read_file, write_lock


@dataclass(frozen=True, slots=True)
class OldBackup:
    """A file of this vault that the new password does not open.

    `renewable`: it was made under the key the password change replaced, so it can be
    re-encrypted under the new one. If not, it was made under an even older key (a password
    changed before, its backups kept then): it can only be kept or deleted.
    """

    path: Path
    revision: int
    renewable: bool


def made_under(envelope: Envelope, key: bytearray) -> bool:
    """Whether `key` is the master key of this file: by its key id, or by trying it."""
    named = envelope.key_id
    if named is not None:
        return named == key_id(key)
    return decrypt(envelope, key) is not None


def backups_under(
    vault_path: Path, vault_id: str, key: bytearray, extra: Iterable[Path] = ()
) -> list[Path]:
    """This vault's backups (and `extra` files) made under `key`: those its password opens."""
    found = []
    for path, envelope in _files_of(vault_path, vault_id, extra):
        if made_under(envelope, key):
            found.append(path)
    return found


def _files_of(
    vault_path: Path, vault_id: str, extra: Iterable[Path]
) -> list[tuple[Path, Envelope]]:
    """The backups and `extra` files that are versions of the vault `vault_id`."""
    paths = [info.path for info in list_backups(vault_path)] + list(extra)
    found = []
    for path in paths:
        try:
            raw = read_file(path, "backup")
            envelope = parse(raw) if raw is not None else None
        except VaultError:
            continue  # unreadable or not a vault: not a backup this can do anything with
        if envelope is not None and envelope.vault_id == vault_id:
            found.append((path, envelope))
    return found


class RetiredKey:
    """The master key a password change replaced, with what the files made under it need.

    Call `forget()` when done: it overwrites both keys it holds, after waiting for a
    re-encryption running in another thread (a half-forgotten key must never seal a file).
    """

    def __init__(
        self,
        vault_path: Path,
        vault_id: str,
        old_key: bytearray,
        new_key: bytearray,
        new_slots: list[dict[str, Any]],
    ) -> None:
        self.vault_path = vault_path
        self.vault_id = vault_id
        self._old = old_key
        self._new = new_key
        self._slots = copy.deepcopy(new_slots)
        self._mutex = threading.Lock()
        self._forgotten = False

    def __repr__(self) -> str:
        return f"RetiredKey({str(self.vault_path)!r})"

    def old_backups(self, extra: Iterable[Path] = ()) -> list[OldBackup]:
        """The backups (and `extra` files: an extra backup folder's copies) of this vault that
        the new password does not open, newest backup first."""
        found = []
        with self._mutex:
            self._check()
            for path, envelope in _files_of(self.vault_path, self.vault_id, extra):
                if made_under(envelope, self._new):
                    continue
                renewable = made_under(envelope, self._old)
                found.append(OldBackup(path, envelope.revision, renewable))
        return found

    def reencrypt(self, backups: Iterable[OldBackup]) -> int:
        """Re-encrypt the renewable ones under the new key and password; how many were.

        Each keeps its name, content and revision, and is replaced atomically. A file that
        changed or went meanwhile is skipped. Raises VaultError if one cannot be written.
        """
        done = 0
        # The vault's lock too: its backup rotation must not prune a file mid-rewrite.
        with self._mutex, write_lock(self.vault_path):
            self._check()
            for backup in backups:
                if backup.renewable and self._reencrypt(backup.path):
                    done += 1
        return done

    def _reencrypt(self, path: Path) -> bool:
        try:
            raw = read_file(path, "backup")
            if raw is None:
                return False
            envelope = parse(raw)
        except VaultError:
            return False
        plaintext = decrypt(envelope, self._old)
        if plaintext is None:
            return False
        document = copy.deepcopy(envelope.document)
        # Other kinds of slot wrapped the old key: useless now, and a way back into the file.
        document["header"]["slots"] = copy.deepcopy(self._slots)
        sealed = seal(document, self._new, plaintext, bump=False)
        try:
            atomic_write(path, sealed)
        except OSError as error:
            raise io_error("re-encrypt the backup", path, error) from None
        return True

    def delete(self, backups: Iterable[OldBackup]) -> int:
        """Delete these files; how many were. Raises VaultError if one cannot be deleted."""
        done = 0
        with self._mutex, write_lock(self.vault_path):
            self._check()
            for backup in backups:
                if delete_backup(backup.path):
                    done += 1
        return done

    def forget(self) -> None:
        """Overwrite the keys held; the object is of no use afterwards."""
        with self._mutex:
            self._forgotten = True
            for key in (self._old, self._new):
                wipe_key(key)

    def _check(self) -> None:
        if self._forgotten:
            raise VaultLockedError(
                "the old key is forgotten: the backups it opened can no longer be re-encrypted"
            )
