"""The extra backup folder set in the desktop app's Settings, kept up to date by the CLI too.

After a command changes the vault, the vault is copied into that folder exactly as the desktop
app copies it after each change: app.vault.extra_backup.copy_vault, with the folder and the
number of copies kept read from the preferences file both faces share. The change stands
whatever happens to the copy: a copy that fails is one warning line on stderr, in the words
the desktop app's banner uses, and the command still succeeds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from app.cli.output import note, printable
from app.core.errors import KeyfobError
from app.vault.preferences import Preferences


def extra_folder() -> Path | None:
    """The extra backup folder set in Settings; None if there is none (or the preferences
    cannot be read: `copy_into_extra_folder` says so)."""
    return Preferences.default().extra_backup_folder


@contextmanager
def copied_after_changes(vault_path: Path) -> Iterator[None]:
    """Run a command; if the vault file changed meanwhile, copy it into the extra folder.

    Whether it changed is read from the file itself (its SHA-256 before and after), so no
    command that writes the vault can forget the copy, and one that writes nothing copies
    nothing. A command that fails after writing (a password changed, its old backups then not
    re-encrypted) still leaves the folder holding the vault as it is. An interrupted command
    (Ctrl-C) is left to stop at once.
    """
    before = _fingerprint(vault_path)
    try:
        yield
    except Exception:
        _copy_if_changed(vault_path, before)
        raise
    _copy_if_changed(vault_path, before)


def _fingerprint(vault_path: Path) -> bytes | None:
    """The SHA-256 of the vault file; None if there is none, or it cannot be read."""
    try:
        with open(vault_path, "rb") as file:
            return hashlib.file_digest(file, "sha256").digest()
    except (OSError, ValueError):  # ValueError: a path the system refuses (a NUL byte)
        return None


def _copy_if_changed(vault_path: Path, before: bytes | None) -> None:
    after = _fingerprint(vault_path)
    if after is not None and after != before:
        copy_into_extra_folder(vault_path)


def copy_into_extra_folder(vault_path: Path) -> None:
    """Copy the vault into the extra folder set in Settings, if one is; warn if that fails."""
    preferences = Preferences.default()
    if preferences.problem:
        # Its folder, if any, is unknown: say so rather than leave a stale copy unnoticed.
        note(
            f"Warning: {printable(preferences.problem, 4096)}; no copy was made in an extra "
            "backup folder"
        )
        return
    folder = preferences.extra_backup_folder
    if folder is None:
        return
    from app.vault.extra_backup import copy_vault  # only when there is a folder to copy to

    try:
        copy_vault(vault_path, folder, preferences.extra_backup_copies)
    except KeyfobError as error:  # it names the folder and the reason, never a secret
        note(f"Warning: the extra backup copy was not made: {printable(str(error), 4096)}")
