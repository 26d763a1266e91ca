"""What every vault command needs: where the vault is, and opening it.

The vault opens with the system keyring when quick unlock is on and has not expired
(app.vault.quick_unlock), else with the password; when the keyring was meant to open it and
did not, one line on stderr says why before the password is asked. Commands that show a
secret, export, or change the password always ask for the password (`password_required`).

Opening also takes in the conflict copies a sync tool left beside the vault, and the
command's saves take in any that appear meanwhile (app.vault.conflict_copies): one line on
stderr for each, after opening and, for the saves, when the command ends
(`say_conflict_news`, called by the dispatcher).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from app.cli.conflict_notes import ConflictNotes
from app.cli.errors import CliError
from app.cli.output import note
from app.cli.passwords import PASSWORD_FILE_ENV, current_password, has_terminal
from app.vault.errors import VaultError, VaultNotFoundError
from app.vault.paths import resolve_vault_path
from app.vault.quick_unlock import QuickUnlockUnavailable, Reason, open_with_keyring, renew
from app.vault.revisions import RevisionLog, Rollback
from app.vault.store import Vault


@dataclass(frozen=True)
class Context:
    vault_option: str | None
    password_file: str | None
    _opened: list[Vault] = field(default_factory=list, compare=False, repr=False)
    _notes: ConflictNotes = field(default_factory=ConflictNotes, compare=False, repr=False)

    @property
    def vault_path(self) -> Path:
        # --vault, else $KEYFOB_VAULT, else the per-user data folder (one rule, shared with the UI)
        return resolve_vault_path(self.vault_option)

    def open_vault(
        self,
        *,
        password_required: bool = False,
        renew_quick_unlock: bool = True,
        take_in_copies: bool = True,
    ) -> Vault:
        """Open the vault, warning on stderr if it is older than a version seen before, and
        take in the conflict copies beside it.

        With the system keyring when quick unlock is on, unless `password_required`; after
        a password, quick unlock's days count again from now (unless `renew_quick_unlock` is
        False: a password change is about to drop it).
        """
        path = self.vault_path
        if not path.exists():
            # Say so before asking for a password that could not be used anyway.
            raise VaultNotFoundError(f"no vault at {path}: create one with `keyfob init`")
        vault: Vault | None = None
        why: QuickUnlockUnavailable | None = None
        quick_unlock_on = True  # unless the keyring's try found it off
        if not password_required:
            try:
                vault = open_with_keyring(path)
            except QuickUnlockUnavailable as error:
                quick_unlock_on = error.reason is not Reason.OFF
                why = error if quick_unlock_on else None
        if vault is None:
            vault = Vault.open(path, self._password(why))
            if renew_quick_unlock and quick_unlock_on:
                _renew(vault, quiet=why is not None)
        rollback = vault.track_revisions(revision_log())
        if rollback is not None:
            warn_rollback(path, rollback)
        if take_in_copies:
            self.take_in_copies(vault)
        self._opened.append(vault)
        return vault

    def take_in_copies(self, vault: Vault) -> None:
        """Merge the conflict copies beside the vault, one line on stderr for each."""
        try:
            self._notes.say([vault.take_in_conflict_copies()])
        except VaultError as error:
            # The command still runs on the vault as it is (`keyfob code` in a read-only
            # folder, say); the copies stay where they are for the next time.
            note(f"Warning: the conflict copies beside the vault were not merged: {error}")

    def say_conflict_news(self) -> None:
        """Say what the command's saves did with conflict copies that appeared meanwhile."""
        for vault in self._opened:
            self._notes.say(vault.conflict_news())

    def _password(self, why: QuickUnlockUnavailable | None) -> str:
        """The password; when the keyring was to open the vault and did not, first one line
        saying why (or, if no password can be had, one error line saying both)."""
        if why is not None:
            if not (self.password_file or os.environ.get(PASSWORD_FILE_ENV) or has_terminal()):
                raise CliError(
                    f"{why}, and there is no terminal to ask for the password: "
                    f"use --password-file FILE or set {PASSWORD_FILE_ENV}"
                )
            note(f"keyfob: {why}: the vault's password is needed")
        return current_password(self.password_file)


def _renew(vault: Vault, *, quiet: bool) -> None:
    """Quick unlock's days count from this password entry. A keyring that cannot take the
    new key leaves quick unlock as it was: a note, unless one line already said why."""
    try:
        renew(vault)
    except QuickUnlockUnavailable as error:
        if not quiet:
            note(f"keyfob: quick unlock was not renewed: {error}")


def revision_log() -> RevisionLog:
    """The revisions seen of each vault: $KEYFOB_STATE_DIR, else the user's state folder."""
    return RevisionLog.default()


def warn_rollback(path: Path, rollback: Rollback) -> None:
    note(
        f"Warning: the vault {path} is older than a version Keyfob has seen (revision "
        f"{rollback.revision}, seen {rollback.highest}): accounts deleted since may be back and "
        "HOTP counters may have gone back. If you did not put an older copy back yourself, "
        "someone replaced the file; `keyfob backups` lists the newer versions kept."
    )
