"""Vault commands: init, passwd, backups, restore."""

from __future__ import annotations

import os
from datetime import datetime

from app.cli.context import Context, revision_log
from app.cli.errors import CliError
from app.cli.output import note, print_table, printable
from app.cli.passwords import PASSWORD_FILE_ENV, current_password, new_password
from app.vault.backups import backups_dir, list_backups, restore_backup
from app.vault.rekey import RetiredKey
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
    password still opens: `old_backups` says how; else a terminal is asked, else they stay."""
    vault = ctx.open_vault()
    password = new_password(new_password_file)
    choice = old_backups
    if choice is None:
        # Asked before the change, so an answer that never comes leaves everything as it was.
        affected = vault.backups_under_current_key()
        if affected:
            choice = _ask_about_backups(len(affected))
    retired = vault.change_password(password)
    try:
        print("Password changed.")
        _deal_with_old_backups(ctx, retired, choice)
    finally:
        retired.forget()
    return 0


def _deal_with_old_backups(ctx: Context, retired: RetiredKey, choice: str | None) -> None:
    old = retired.old_backups()
    if not old:
        return
    folder = backups_dir(ctx.vault_path)
    if choice == DELETE:
        done = retired.delete(old)
        note(f"Deleted {_backups(done)} that opened with an old password.")
        return
    if choice == REENCRYPT:
        done = retired.reencrypt(old)
        note(f"Re-encrypted {_backups(done)} under the new password.")
        left = len(old) - done
        if left:
            note(
                f"{_backups(left)} from before an earlier password change still open with the "
                f"password of that time: delete them from {folder} if someone may know it."
            )
        return
    if choice == KEEP:
        note(f"Kept {_backups(len(old))} made before now: they still open with the old password.")
        return
    note(
        f"{_backups(len(old))} made before now still open with the old password (in {folder}). "
        "If someone may know it, delete them there; "
        "next time choose with --old-backups reencrypt, delete or keep."
    )


def _backups(count: int) -> str:
    return f"{count} backup" if count == 1 else f"{count} backups"


def _ask_about_backups(count: int) -> str | None:
    """Ask on the terminal what to do with `count` backups; None without a terminal."""
    try:
        terminal = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return None
    answers = {"": REENCRYPT, "r": REENCRYPT, "d": DELETE, "k": KEEP}
    try:
        _say(
            terminal,
            f"{_backups(count)} open with the current password, and would still open with it "
            "after the change.\n",
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
