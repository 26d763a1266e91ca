"""`keyfob merge FILE`: merge a Keyfob vault file, conflict copy or export into the vault.

The rules are those of the conflict copies merged automatically (app.vault.conflict_copies):
a copy of this vault loses no edit either side made; another vault's accounts (an export, a
second vault) are combined in, those this vault has already (same secret, issuer and name)
skipped. The file is read under the vault's own key, else under its password: from
--source-password-file, else asked on a terminal. A conflict copy beside the vault is moved
into the backups once merged. A wrong password or a bad file is one line, and the vault is
left as it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from app.cli.context import Context
from app.cli.errors import CliError
from app.cli.output import printable, shown_path
from app.cli.passwords import prompt, read_password_file
from app.vault.merge_files import FileMerged, SourcePasswordNeeded

NOTHING_MERGED = "nothing was merged"


def cmd_merge(ctx: Context, file: str, source_password_file: str | None) -> int:
    shown = shown_path(file)
    if not os.path.lexists(file):  # before the vault's password is asked for nothing
        raise CliError(f"no file at {shown}: {NOTHING_MERGED}")
    password = read_password_file(source_password_file) if source_password_file else None
    path = Path(file)
    # FILE first: were it a conflict copy the vault's key opens, taking in the copies on
    # opening would move it away before the command got to it.
    vault = ctx.open_vault(take_in_copies=False)
    try:
        merged = vault.merge_file(path, password)
    except SourcePasswordNeeded:
        merged = vault.merge_file(path, _ask_password(shown))
    print(describe(merged))
    ctx.take_in_copies(vault)  # and the others beside the vault, as every command does
    return 0


def _ask_password(shown: str) -> str:
    try:
        return prompt(f"Password of {shown}")
    except CliError:
        raise CliError(
            f"{shown} is under another password than the vault's: give it with "
            f"--source-password-file FILE; {NOTHING_MERGED}"
        ) from None


def describe(merged: FileMerged) -> str:
    """One line: what the file brought, what was skipped, where the file went."""
    name = printable(merged.path.name)
    what = merged.report.summary()
    if merged.same_vault:
        line = f'Merged "{name}" into the vault: {what}'
    else:
        line = f'Combined the accounts of "{name}" (another vault) into this one: {what}'
    if merged.duplicates:
        count = merged.duplicates
        line += f"; {count} account{'' if count == 1 else 's'} the vault has already skipped"
    if merged.moved_to is not None:
        line += f"; the file is kept in {printable(str(merged.moved_to))}"
    elif merged.not_moved:
        line += f"; the file stays where it is ({printable(merged.not_moved)})"
    return line
