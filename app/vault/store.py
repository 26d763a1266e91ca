"""The open vault: unlock, change through `modify`, save atomically with a backup, lock.

Several processes (the desktop app, the CLI) may have the same vault open. A write never
overwrites a save it has not seen: `modify` takes the OS lock, re-reads the file, and if it
changed since this object last read or wrote it, decrypts the new file with the master key
it already holds and applies the change to that ("reload and reapply"). The file's identity
is the SHA-256 of its bytes; every save has a fresh random nonce, so no two saves produce
the same bytes.
"""

from __future__ import annotations

import copy
import hashlib
import os
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any, TypeVar

from app.core.files import atomic_write
from app.vault.backups import prune_backups, replace_keeping_backup
from app.vault.conflict_copies import ConflictCopyOperations, ConflictState
from app.vault.content import VaultContent, check_storable, decode_content, encode_content
from app.vault.envelope import (
    MASTER_KEY_BYTES,
    Envelope,
    decrypt,
    key_id,
    new_document,
    parse,
    password_slot,
    seal,
    unwrap_with_password,
    wipe_key,
)
from app.vault.errors import (
    VaultConflictError,
    VaultError,
    VaultExistsError,
    VaultFormatError,
    VaultLockedError,
    VaultNotFoundError,
)
from app.vault.fileio import (
    io_error,
    make_vault_dir,
    read_existing,
    read_file,
    real_path,
    write_lock,
)
from app.vault.kdf import KdfParams
from app.vault.merge import MergeReport, merge_contents, report
from app.vault.revisions import RevisionLog, Rollback
from app.vault.stamping import stamp_changes
from app.vault.store_accounts import AccountConveniences
from app.vault.store_password import PasswordOperations, check_new_password

T = TypeVar("T")

_DAMAGED = (
    "the vault file is damaged or was tampered with (its contents fail authentication): "
    "restore a backup"
)


def _digest(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


def _refuse_existing(file: Path, path: Path) -> None:
    if os.path.lexists(file):
        raise VaultExistsError(f"a vault already exists at {path}: open it, or choose another path")


class Vault(PasswordOperations, AccountConveniences, ConflictCopyOperations):
    """An unlocked vault file. Create with `Vault.create` or `Vault.open`."""

    def __init__(
        self,
        path: Path,
        master_key: bytearray,
        document: dict[str, Any],
        content: VaultContent,
        digest: bytes,
    ) -> None:
        self.path = Path(path)
        self._file = real_path(path)
        self._key = master_key
        self._document: dict[str, Any] | None = document
        self._content: VaultContent | None = content
        self._digest = digest
        self._mutex = threading.RLock()
        self._revisions: RevisionLog | None = None
        # What the last reload took in from a file another Keyfob (or a sync tool) wrote,
        # and whether the merge holds something that file lacks (saved by `refresh`).
        self.last_reload: MergeReport | None = None
        self._ahead_of_file = False
        self._conflicts = ConflictState()  # the sync tools' copies beside it (conflict_copies)

    def __repr__(self) -> str:
        if self._content is None:
            return f"Vault({str(self.path)!r}, locked)"
        return f"Vault({str(self.path)!r}, {len(self._content.accounts)} accounts)"

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, password: str, *, kdf: KdfParams | None = None) -> Vault:
        """Make a new, empty vault at `path` (and its folders). VaultExistsError if one exists.

        `kdf` chooses the cost (the salt is always fresh); the default is `KdfParams.default()`.
        """
        check_new_password(password)
        file = real_path(path)
        _refuse_existing(file, path)  # before spending a KDF run; checked again locked
        params = (kdf or KdfParams.default()).with_fresh_salt()
        make_vault_dir(file)
        master_key = bytearray(os.urandom(MASTER_KEY_BYTES))
        document = new_document(password_slot(master_key, password, params))
        content = VaultContent()
        with write_lock(file):
            _refuse_existing(file, path)
            raw = seal(document, master_key, encode_content(content))
            try:
                atomic_write(file, raw)
            except OSError as error:
                raise io_error("write", file, error) from None
        return cls(Path(path), master_key, document, content, _digest(raw))

    @classmethod
    def open(cls, path: Path, password: str) -> Vault:
        """Unlock the vault at `path`. Nothing on disk changes, whatever happens.

        Raises VaultNotFoundError, VaultAuthError (wrong password) or VaultFormatError.
        """
        raw = read_existing(real_path(path))
        envelope = parse(raw)
        master_key = unwrap_with_password(envelope, password)
        try:
            content = _decrypt(envelope, master_key, VaultFormatError(_DAMAGED))
        except BaseException:
            wipe_key(master_key)
            raise
        return cls(Path(path), master_key, envelope.document, content, _digest(raw))

    # --- state -----------------------------------------------------------------------------

    @property
    def content(self) -> VaultContent:
        """The decrypted vault, as of the last read or write. Change it only via `modify`."""
        if self._content is None:
            raise VaultLockedError("the vault is locked: open it again with its password")
        return self._content

    @property
    def revision(self) -> int:
        """The save counter in the authenticated header: +1 on every save."""
        revision: int = self._header()["revision"]
        return revision

    @property
    def vault_id(self) -> str:
        """A random id given at creation and kept by every save, backup and password change."""
        vault_id: str = self._header()["vault_id"]
        return vault_id

    @property
    def is_locked(self) -> bool:
        return self._content is None

    def track_revisions(self, log: RevisionLog) -> Rollback | None:
        """Compare the revision with the highest `log` has seen of this vault, and from now
        on record every revision this object reads or writes there.

        Returns a Rollback if the file is older than one seen before (someone put an older
        copy back); the next save then goes above the highest revision seen.
        """
        with self._mutex:
            self._revisions = log
            return log.observe(self.vault_id, self.revision)

    def _header(self) -> dict[str, Any]:
        if self._document is None:
            raise VaultLockedError("the vault is locked: open it again with its password")
        header: dict[str, Any] = self._document["header"]
        return header

    def lock(self) -> None:
        """Forget the master key and the content (the key's bytes are overwritten)."""
        with self._mutex:
            wipe_key(self._key)
            self._content = None
            self._document = None

    # --- following other writers -----------------------------------------------------------

    def refresh(self) -> bool:
        """Reload if another process saved the file since we last read or wrote it.

        True if it did. Raises VaultConflictError if the new file has another master key
        (for example a backup of a different vault was restored): open it again.
        """
        with self._mutex:
            self._header()
            changed = self._reload_if_changed(saving=False)
            if self._ahead_of_file:
                self.modify(lambda content: None)  # write back what only we held
            return changed

    def _load(self, raw: bytes, digest: bytes) -> None:
        envelope = parse(raw)
        content = _decrypt(envelope, self._key, self._conflict(envelope))
        held = self._content
        merged = content
        if held is not None and envelope.vault_id == self.vault_id:
            # The file may have been replaced by a copy that lacks our last save (a sync
            # tool that overwrites rather than keeping a conflict copy): merge, lose nothing.
            merged = merge_contents(held, content)
            self.last_reload = report(held, merged)
        self._ahead_of_file = merged != content
        self._document = envelope.document
        self._content = merged
        self._digest = digest
        if self._revisions is not None:
            self._revisions.observe(envelope.vault_id, envelope.revision)

    def _conflict(self, envelope: Envelope) -> VaultConflictError:
        if envelope.vault_id == self.vault_id and envelope.key_id not in (None, key_id(self._key)):
            return VaultConflictError(
                f"the password of the vault {self.path} was changed in another Keyfob window "
                "or command: open it again with the new password"
            )
        return VaultConflictError(
            f"the vault file {self.path} was replaced by one with a different key (or was "
            "damaged): open it again with its password"
        )

    # --- writing ---------------------------------------------------------------------------

    def modify(
        self,
        change: Callable[[VaultContent], T],
        *,
        save_if: Callable[[T], bool] | None = None,
    ) -> T:
        """Apply `change` to the latest content and save it; return what `change` returned.

        Under the OS lock: re-read the file, reload it if another process saved, call
        `change` on a copy of the content, save atomically with a backup of the previous
        file. If `change` raises, nothing is written and `content` stays as it is on disk;
        if `save_if` is given and says no for the result, nothing is written either (a
        change that turned out to change nothing makes no save and no backup).
        """
        with self._mutex:
            self._header()
            with write_lock(self._file):
                self._reload_if_changed(saving=True)
                # Conflict copies beside the file are merged first, moved after the save.
                intake = self._take_in_copies(self.content)
                base = intake.content
                working = base.copy()
                result = change(working)
                if save_if is None or save_if(result):
                    check_storable(working)  # before diffing what may not be accounts at all
                    stamp_changes(base, working)
                    self._save(working, copy.deepcopy(self._document))
                elif intake.changed:
                    self._save(base, copy.deepcopy(self._document))
                self._finish_intake(intake, queue=True)
                return result

    def merge_in(self, other: VaultContent) -> MergeReport:
        """Merge another copy of this vault into it (app.vault.merge) and save if that
        changed anything; what the merge brought in."""
        with self._mutex:
            self._header()
            with write_lock(self._file):
                self._reload_if_changed(saving=True)
                base = self.content
                merged = merge_contents(base, other)
                if merged != base:
                    self._save(merged, copy.deepcopy(self._document))
                return report(base, merged)

    def replace_slots(
        self, transform: Callable[[list[dict[str, Any]], bytearray], list[dict[str, Any]]]
    ) -> None:
        """Save the vault with the key slots `transform` makes from a copy of the latest ones
        and the master key (to wrap in a new slot), the content and the key unchanged: quick
        unlock's keyring slot (app.vault.quick_unlock). The slots are in the authenticated
        header, so this is a save, under the lock. If `transform` raises, nothing is written."""
        with self._mutex:
            self._header()
            with write_lock(self._file):
                self._reload_if_changed(saving=True)
                document = copy.deepcopy(self._document)
                assert document is not None
                header = document["header"]
                header["slots"] = transform(header["slots"], self._key)
                self._save(self.content.copy(), document)

    def _reload_if_changed(self, *, saving: bool) -> bool:
        """Reload if the file changed since we last read or wrote it; True if it did."""
        raw = read_file(self._file)
        if raw is None:
            if saving:
                raise VaultNotFoundError(
                    f"the vault file {self.path} was removed while open: nothing was saved; "
                    "restore a backup or create a new vault"
                )
            raise VaultNotFoundError(
                f"the vault file {self.path} was removed: restore a backup or create a vault"
            )
        digest = _digest(raw)
        if digest == self._digest:
            return False
        self._load(raw, digest)
        return True

    def _save(
        self,
        content: VaultContent,
        document: dict[str, Any] | None,
        key: bytearray | None = None,
    ) -> None:
        """Seal and write `content` (the write lock is held); the old file becomes a backup.

        `key` is the master key to seal with when it changes (a password change).
        """
        assert document is not None
        header = document["header"]
        if self._revisions is not None:
            # After a rollback, go above every revision seen: the older file's numbers were
            # used once already, and the notice should end with the first change.
            highest = self._revisions.highest(header["vault_id"])
            if highest is not None and highest > header["revision"]:
                header["revision"] = highest
        raw = seal(document, key if key is not None else self._key, encode_content(content))
        replace_keeping_backup(self._file, raw, "save")
        self._document = document
        self._content = content
        self._digest = _digest(raw)
        self._ahead_of_file = False
        if self._revisions is not None:
            self._revisions.remember(header["vault_id"], header["revision"])
        # The save stands; an old backup that could not be deleted goes on the next save.
        with suppress(VaultError):
            prune_backups(self._file)


def _decrypt(envelope: Envelope, master_key: bytearray, failure: VaultError) -> VaultContent:
    plaintext = decrypt(envelope, master_key)
    if plaintext is None:
        raise failure
    return decode_content(plaintext)
