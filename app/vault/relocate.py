"""Changing which vault file Keyfob opens: an existing one chosen (the second computer of a
synced folder), or the open vault moved into another folder.

Both end in the `vault/path` preference (app.vault.preferences), which the desktop app and
the CLI read after --vault and $KEYFOB_VAULT (app.vault.paths.resolve_vault_path).

A move never risks the only copy: the file is copied (its rotating backups too, so Restore
still finds them), the copy is read back and decrypted with the master key the open vault
holds, the preference is switched, and only then are the old files removed. Any failure
before the switch removes what was copied and leaves everything as it was. The old file goes
under its write lock, so no other Keyfob saves into it meanwhile; a Keyfob that has the old
path open learns at its next save that the file is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.files import atomic_write, fsync_dir
from app.vault.backups import backups_dir, list_backups
from app.vault.content import decode_content
from app.vault.envelope import Envelope, decrypt, parse, wipe_key
from app.vault.errors import VaultError, VaultExistsError, VaultFormatError
from app.vault.fileio import (
    io_error,
    lock_path,
    make_private_dir,
    read_existing,
    real_path,
    write_lock,
)
from app.vault.paths import resolve_vault_path

if TYPE_CHECKING:
    from app.vault.preferences import Preferences
    from app.vault.store import Vault


def check_vault_file(path: Path) -> Envelope:
    """The outer layer of the Keyfob vault at `path` (no password needed to read it).

    VaultNotFoundError if there is no file; VaultFormatError saying why it is not a vault
    (not JSON, another app's file, a newer format) otherwise.
    """
    return parse(read_existing(Path(path)))


def use_existing_vault(path: Path, preferences: Preferences) -> Path:
    """Open the vault at `path` from now on (in the app and the CLI), if it is a Keyfob vault.

    Raises like `check_vault_file`; PreferencesError if the choice cannot be saved. Returns
    the path remembered (absolute).
    """
    path = Path(path).expanduser().absolute()
    check_vault_file(path)
    preferences.set_vault_path(path)
    return path


@dataclass(frozen=True)
class Moved:
    """A move done: the vault open at its new place, and what to tell the user."""

    vault: Vault  # the same vault, opened at the new path with the same master key
    backups: int  # rotating backups moved along
    # Old files that could not be removed (each a sentence): the move stands regardless.
    left_behind: list[str]
    # --vault or $KEYFOB_VAULT named the old path, or $KEYFOB_VAULT names another: a start
    # with them would not find the moved vault.
    named_elsewhere: bool


def move_vault(vault: Vault, folder: Path, preferences: Preferences) -> Moved:
    """Move the open vault's file (and its backups) into `folder`, keeping its file name, and
    remember the new path. `vault` itself stays at the old path: lock it once the caller has
    switched to `Moved.vault`.

    VaultExistsError if `folder` holds a file of that name already (nothing is replaced: open
    that vault instead); VaultError if the vault is there already, is a symbolic link, or a
    file cannot be written; PreferencesError if the new path cannot be remembered. In each
    case nothing has changed.
    """
    old = Path(vault.path)
    folder = Path(folder).expanduser().absolute()
    target = folder / old.name
    _check_move(old, folder, target)
    named_before = real_path(resolve_vault_path()) == real_path(old)
    # Take in what other writers saved and write back what only this vault holds: the file
    # must hold everything before it is copied.
    vault.refresh()
    with write_lock(old), write_lock(target):
        _check_move(old, folder, target)
        backups = _copy_backups(old, target)
        try:
            opened = _copy_vault(vault, old, target)
            try:
                preferences.set_vault_path(target)
            except BaseException:
                opened.lock()
                with contextlib.suppress(OSError):
                    target.unlink()
                raise
        except BaseException:
            for copy in backups.values():
                with contextlib.suppress(OSError):
                    copy.unlink()
            raise
        left_behind = _remove_old(old, list(backups))
    with contextlib.suppress(OSError):  # the old lock file, free now; harmless if it stays
        lock_path(old).unlink()
    named_after = real_path(resolve_vault_path()) == real_path(target)
    return Moved(opened, len(backups), left_behind, not (named_before and named_after))


def _check_move(old: Path, folder: Path, target: Path) -> None:
    if old.is_symlink():
        raise VaultError(
            f"the vault {old} is a link to {real_path(old)}: move that file instead, or the "
            "link would point at nothing"
        )
    if not folder.is_dir():
        raise VaultError(f"there is no folder {folder}: choose an existing folder")
    if real_path(folder) == real_path(old).parent:
        raise VaultError(f"the vault is in {folder} already")
    if os.path.lexists(target):
        raise VaultExistsError(
            f"{folder} holds a file named {target.name} already: Keyfob does not replace it"
        )


def _copy_backups(old: Path, target: Path) -> dict[Path, Path]:
    """Copy the rotating backups of `old` beside `target`: {old backup: its copy}."""
    backups = list_backups(old)
    if not backups:
        return {}
    folder = backups_dir(target)
    try:
        make_private_dir(folder)
    except OSError as error:
        raise io_error("create the backups folder", folder, error) from None
    made: dict[Path, Path] = {}
    try:
        for info in backups:
            copy = folder / info.name
            if os.path.lexists(copy):
                continue  # a file of that name is there (not ours): this backup stays behind
            raw = read_existing(info.path, "backup")
            try:
                atomic_write(copy, raw)
            except OSError as error:
                raise io_error("copy the backup to", copy, error) from None
            made[info.path] = copy
    except BaseException:
        for path in made.values():
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return made


def _copy_vault(vault: Vault, old: Path, target: Path) -> Vault:
    """Copy the vault file to `target`, read the copy back and open it with the vault's key:
    the vault at its new place."""
    raw = read_existing(real_path(old))
    try:
        atomic_write(target, raw)
    except OSError as error:
        raise io_error("write", target, error) from None
    # The open vault's master key (an object of this package): the copy must open with it,
    # and the moved vault goes on without asking for the password again.
    key = bytearray(vault._key)
    try:
        copy = read_existing(target)
        envelope = parse(copy)
        plaintext = decrypt(envelope, key) if copy == raw else None
        if plaintext is None:
            raise VaultFormatError(f"the copy at {target} does not read back as written")
        content = decode_content(plaintext)
    except BaseException:
        wipe_key(key)
        with contextlib.suppress(OSError):
            target.unlink()
        raise
    # The same kind of vault: one opened by quick unlock stays one (it still asks for the
    # password before secrets leave), as no password was entered for the move.
    kind = type(vault)
    return kind(target, key, envelope.document, content, hashlib.sha256(copy).digest())


def _remove_old(old: Path, backups: list[Path]) -> list[str]:
    """Remove the old vault file and the backups copied; what could not be removed."""
    left: list[str] = []
    for path in [real_path(old), *backups]:
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as error:
            left.append(f"{path} could not be removed ({error.strerror or 'error'})")
    for folder in (real_path(old).parent, backups_dir(old)):
        with contextlib.suppress(OSError):
            fsync_dir(folder)
    with contextlib.suppress(OSError):  # only when nothing else is left in it
        backups_dir(old).rmdir()
    return left
