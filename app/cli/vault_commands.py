"""Vault commands: init, passwd, backups, restore."""

from __future__ import annotations

import os
from datetime import datetime

from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import note, print_table
from app.cli.passwords import PASSWORD_FILE_ENV, current_password, new_password
from app.vault.backups import list_backups, restore_backup
from app.vault.store import Vault

SHORT_PASSWORD = 10


def cmd_init(ctx: Context) -> int:
    path = ctx.vault_path
    if path.exists():
        raise CliError(f"a vault already exists at {path}: nothing was changed")
    source = ctx.password_file or os.environ.get(PASSWORD_FILE_ENV)
    password = new_password(source, label="Password")
    if len(password) < SHORT_PASSWORD:
        note(f"Warning: a password shorter than {SHORT_PASSWORD} characters is easy to guess.")
    Vault.create(path, password)
    print(f"Created a new vault at {path}")
    note(
        "Keep the password safe: without it, and without a backup, "
        "the accounts in this vault cannot be recovered."
    )
    return 0


def cmd_passwd(ctx: Context, new_password_file: str | None) -> int:
    vault = ctx.open_vault()
    vault.change_password(new_password(new_password_file))
    print("Password changed.")
    note("Backups made before now still open with the old password.")
    return 0


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
    restore_backup(path, backup, current_password(ctx.password_file))
    print(f"Restored {backup}.")
    note("The vault as it was before is kept among the backups.")
    return 0
