"""`keyfob quick-unlock enable|disable|status`: the system keyring opens the vault for some days.

After `enable` (which asks for the password), the commands open the vault with a key kept in
the system keyring (app.vault.quick_unlock) until `security/quick_unlock_days` days after the
password was last entered; `export` and `passwd` still ask for it, and `passwd` ends quick
unlock. This module stays light at import (main.py builds its parser for every command): the
vault code loads when a quick-unlock command runs.
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.cli.errors import CliError
from app.cli.output import note, print_json, printable

if TYPE_CHECKING:
    from app.cli.context import Context
    from app.vault.quick_unlock import QuickUnlockStatus


def add_quick_unlock_parser(
    parser: argparse.ArgumentParser, common: argparse.ArgumentParser
) -> None:
    """The `quick-unlock` actions, under the parser main.py made."""
    actions = parser.add_subparsers(dest="quick_unlock_action", metavar="ACTION", required=True)

    def action(name: str, help_text: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, help=help_text, description=help_text, parents=[common])

    action("enable", "turn quick unlock on (asks for the password; again: the days start anew)")
    action("disable", "turn quick unlock off and delete its key from the system keyring")
    status = action("status", "say whether quick unlock is on, until when, and if its key is there")
    status.add_argument("--json", action="store_true", help="print a JSON object")


def run_quick_unlock(ctx: Context, args: argparse.Namespace) -> int:
    action: str = args.quick_unlock_action
    if action == "enable":
        return cmd_enable(ctx)
    if action == "disable":
        return cmd_disable(ctx)
    return cmd_status(ctx, args.json)


def cmd_enable(ctx: Context) -> int:
    from app.vault.quick_unlock import QuickUnlockUnavailable, enable

    # The password, whatever the keyring holds: turning it on is a password entry.
    vault = ctx.open_vault(password_required=True, renew_quick_unlock=False)
    try:
        state = enable(vault)
    except QuickUnlockUnavailable as error:
        raise CliError(f"quick unlock was not turned on: {error}") from None
    assert state.expires is not None
    print(f"Quick unlock is on until {_local(state.expires)}: commands need no password till then.")
    note(
        f"The password is asked again after {state.days} days, and always by export and "
        "passwd; `keyfob quick-unlock disable` turns quick unlock off."
    )
    return 0


def cmd_disable(ctx: Context) -> int:
    from app.vault.quick_unlock import QuickUnlockUnavailable, disable

    if not quick_unlock_was_on(ctx.vault_path):
        try:  # a key left behind (its vault restored from before, say) goes all the same
            removed = disable(ctx.vault_path)
        except QuickUnlockUnavailable:
            removed = False
        print("Quick unlock was not on." + (" Its old key left the keyring." if removed else ""))
        return 0
    vault = ctx.open_vault(renew_quick_unlock=False)  # the keyring may open it, one last time
    try:
        disable(vault)
    except QuickUnlockUnavailable as error:
        print("Quick unlock is off.")
        note(f"keyfob: warning: {error}")
        return 0
    print("Quick unlock is off: its key left the system keyring.")
    return 0


def cmd_status(ctx: Context, as_json: bool) -> int:
    from app.vault.quick_unlock import QuickUnlockUnavailable, status

    path = ctx.vault_path
    problem = ""
    try:
        state = status(path, probe=True)
    except QuickUnlockUnavailable as error:  # the keyring could not say: the rest still can
        state, problem = status(path), str(error)
    if as_json:
        print_json(_json(state, problem))
        return 0
    if not state.enabled:
        print(f"Quick unlock is off for {printable(str(path))}.")
        return 0
    assert state.created is not None
    assert state.expires is not None
    print(f"Quick unlock is on for {printable(str(path))}.")
    entered = f"The password was last entered {_local(state.created)}"
    if state.expired:
        print(f"{entered}; quick unlock expired {_local(state.expires)}: the password is asked.")
    else:
        print(f"{entered}; quick unlock ends {_local(state.expires)} ({state.days} days after).")
    if problem:
        print(f"Whether its key is in the system keyring is unknown: {problem}.")
    elif state.in_keyring:
        print("Its key is in the system keyring.")
    else:
        print("Its key is not in the system keyring: the password is asked.")
    return 0


def _json(state: QuickUnlockStatus, problem: str) -> dict[str, Any]:
    return {
        "enabled": state.enabled,
        "days": state.days,
        "password_entered": state.created,
        "expires": state.expires,
        "expired": state.expired,
        "in_keyring": state.in_keyring,
        "keyring_problem": problem or None,
    }


# --- for `keyfob passwd` -------------------------------------------------------------------


def quick_unlock_was_on(path: Path) -> bool:
    """Whether the vault has a keyring slot (a damaged one counts: its key may be stored)."""
    from app.vault.quick_unlock import QuickUnlockUnavailable, status

    try:
        return status(path).enabled
    except QuickUnlockUnavailable:
        return True


def end_quick_unlock(vault_id: str) -> None:
    """After a password change (which dropped the keyring slot): delete the keyring's key."""
    from app.vault.quick_unlock import QuickUnlockUnavailable, forget_key

    try:
        forget_key(vault_id)
    except QuickUnlockUnavailable as error:
        note(
            f"keyfob: warning: {error}: Keyfob's old quick unlock key for this vault is still "
            f"in it (service Keyfob, user {vault_id}): delete it there"
        )
        return
    note("Quick unlock is off with the old password: `keyfob quick-unlock enable` turns it on.")


def _local(seconds: int) -> str:
    return datetime.fromtimestamp(seconds).astimezone().strftime("%Y-%m-%d %H:%M")
