"""Vault commands: init, passwd, backups, restore."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from app.cli.context import Context, revision_log
from app.cli.errors import CliError
from app.cli.extra_copy import extra_folder
from app.cli.output import note, print_table, printable
from app.cli.passwords import PASSWORD_FILE_ENV, current_password, new_password
from app.cli.quick_unlock import end_quick_unlock, quick_unlock_was_on
from app.vault.backups import list_backups, restore_backup
from app.vault.extra_backup import copies_of_vault
from app.vault.rekey import OldBackup, RetiredKey
from app.vault.store import Vault

SHORT_PASSWORD = 10
REENCRYPT, DELETE, KEEP = "reencrypt", "delete", "keep"
OLD_BACKUP_CHOICES = (REENCRYPT, DELETE, KEEP)


def cmd_init(ctx: Context) -> int:
    path = ctx.vault_path
    if path.exists():
        raise CliError(f"a vault already exists at {path}: nothing was changed")
    source = ctx.password_file or os.environ.get(PASSWORD_FILE_ENV)
    password = new_password(source, label="Password")
    if len(password) < SHORT_PASSWORD:
        note(f"Warning: a password shorter than {SHORT_PASSWORD} characters is easy to guess.")
    Vault.create(path, password).track_revisions(revision_log())
    print(f"Created a new vault at {printable(str(path))}")
    note(
        "Keep the password safe: without it, and without a backup, "
        "the accounts in this vault cannot be recovered."
    )
    return 0


def cmd_passwd(ctx: Context, new_password_file: str | None, old_backups: str | None = None) -> int:
    """Change the password (and with it the master key), then deal with the backups the old
    password still opens: `old_backups` says how; else a terminal is asked, else they stay.

    The copies in the extra backup folder set in the desktop app's Settings are backups too,
    dealt with alike (as the app's dialog does); a copy under the new key follows, as after
    every change (app.cli.extra_copy)."""
    # Always the password (never quick unlock), and quick unlock is not renewed: it ends here.
    vault = ctx.open_vault(password_required=True, renew_quick_unlock=False)
    password = new_password(new_password_file)
    extra = copies_of_vault(extra_folder(), vault.path, vault.vault_id)
    choice = old_backups
    if choice is None:
        # Asked before the change, so an answer that never comes leaves everything as it was.
        affected = vault.backups_under_current_key(extra)
        if affected:
            choice = _ask_about_backups(_Found(affected, frozenset(extra)))
    quick_unlock = quick_unlock_was_on(vault.path)
    retired = vault.change_password(password)
    try:
        print("Password changed.")
        if quick_unlock:
            end_quick_unlock(vault.vault_id)
        _deal_with_old_backups(retired, choice, extra)
    finally:
        retired.forget()
    return 0


@dataclass(frozen=True)
class _Found:
    """Backups the old password opens, some of them maybe in the extra backup folder."""

    paths: Sequence[Path]
    extra: Set[Path]

    def __str__(self) -> str:
        count = len(self.paths)
        in_extra = sum(1 for path in self.paths if path in self.extra)
        text = _backups(count)
        if in_extra and in_extra == count:
            return f"{text} in the extra backup folder"
        if in_extra:
            return f"{text} ({in_extra} of them in the extra backup folder)"
        return text

    def places(self) -> str:
        """The folders they are in, for the user to look into."""
        folders = list(dict.fromkeys(path.parent for path in self.paths))
        return " and ".join(str(folder) for folder in folders)


def _deal_with_old_backups(retired: RetiredKey, choice: str | None, extra: list[Path]) -> None:
    old = retired.old_backups(extra)
    if not old:
        return

    def found(backups: Iterable[OldBackup]) -> _Found:
        return _Found([b.path for b in backups], frozenset(extra))

    # One at a time, so that the notes can say how many of them were in the extra folder.
    if choice == DELETE:
        deleted = [b for b in old if retired.delete([b])]
        note(f"Deleted {found(deleted)} that opened with an old password.")
        return
    if choice == REENCRYPT:
        renewed = [b for b in old if retired.reencrypt([b])]
        note(f"Re-encrypted {found(renewed)} under the new password.")
        left = found(b for b in old if b not in renewed)
        if left.paths:
            note(
                f"{left} from before an earlier password change still open with the password "
                f"of that time: delete them from {left.places()} if someone may know it."
            )
        return
    everything = found(old)
    if choice == KEEP:
        note(f"Kept {everything} made before now: they still open with the old password.")
        return
    note(
        f"{everything} made before now still open with the old password (in "
        f"{everything.places()}). If someone may know it, delete them there; "
        "next time choose with --old-backups reencrypt, delete or keep."
    )


def _backups(count: int) -> str:
    return f"{count} backup" if count == 1 else f"{count} backups"


def _ask_about_backups(found: _Found) -> str | None:
    """Ask on the terminal what to do with the backups `found`; None without a terminal."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    answers = {"": REENCRYPT, "r": REENCRYPT, "d": DELETE, "k": KEEP}
    try:
        _say(
            terminal,
            f"{found} open with the current password, and would still open with it after "
            "the change.\n",
        )
        for _ in range(3):
            _say(
                terminal,
                "Re-encrypt them under the new password [r], delete them [d], "
                "or keep them [k]? [r] ",
            )
            line = _read_line(terminal)
            if line is None:
                return None  # end of input: they are kept, and the message says so
            answer = answers.get(line.strip().lower()[:1])
            if answer is not None:
                return answer
        return None
    finally:
        os.close(terminal)


def _say(terminal: int, text: str) -> None:
    os.write(terminal, text.encode("utf-8", "replace"))


def _read_line(terminal: int) -> str | None:
    """One line typed on the terminal (it hands over whole lines), or None at end of input."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = os.read(terminal, 1024)
        if not chunk:
            return None if not data else data.decode("utf-8", "replace")
        data += chunk
    return data.decode("utf-8", "replace")


def cmd_backups(ctx: Context) -> int:
    backups = list_backups(ctx.vault_path)
    if not backups:
        note(f"No backups yet for {ctx.vault_path}: one is kept after every change.")
        return 0
    rows = [[b.path.name, _local(b.created), f"{b.size / 1024:.1f} KiB"] for b in backups]
    print_table(rows, ["BACKUP", "MADE", "SIZE"])
    return 0


def _local(moment: datetime) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def cmd_restore(ctx: Context, backup: str) -> int:
    path = ctx.vault_path
    if not path.exists() and not list_backups(path):
        raise CliError(f"no vault and no backups at {path}")
    restore_backup(path, backup, current_password(ctx.password_file), revisions=revision_log())
    print(f"Restored {printable(backup)}.")
    note("The vault as it was before is kept among the backups.")
    return 0
