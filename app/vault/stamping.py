"""Recording what a save changed, so that a later merge knows which side is newer.

`Vault.modify` calls `stamp_changes(before, after)` with the content as it was read and as
the change left it: every part of an account that differs, every account or push enrollment
that came or went, and a changed order or group list gets one stamp (the save's moment, see
SyncState.next_stamp). Diffing at the one place every save passes through means no editing
function has to remember to record anything. Merges do not pass here: they carry the stamps
of the side each value came from.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from app.vault.sync_state import PARTS, PUSH_HISTORY, SyncState, push_key

if TYPE_CHECKING:
    from app.core.account import Account
    from app.vault.content import VaultContent


def _changed_parts(old: Account, new: Account) -> list[str]:
    return [
        part
        for part, names in PARTS.items()
        if any(getattr(old, name) != getattr(new, name) for name in names)
    ]


def _without_history(enrollment: dict[str, Any]) -> dict[str, Any]:
    # The history merges entry by entry; the rest of an enrollment by its stamp.
    return {k: v for k, v in enrollment.items() if k != PUSH_HISTORY}


def stamp_changes(before: VaultContent, after: VaultContent, now_ms: int | None = None) -> None:
    """Set `after.sync` to `before.sync` plus a stamp on everything that differs."""
    state = before.sync.copy()
    stamp = state.next_stamp(now_ms)
    touched = False
    old_accounts = {account.uuid: account for account in before.accounts}
    for account in after.accounts:
        old = old_accounts.pop(account.uuid, None)
        if old is account:  # accounts are immutable: the same object is unchanged
            continue
        if old is None:
            if account.uuid in state.deleted:
                # Back after a delete (an undo, a restore): newer than the delete in every part.
                del state.deleted[account.uuid]
                state.accounts[account.uuid] = dict.fromkeys(PARTS, stamp)
                touched = True
            else:
                state.clock = max(state.clock, account.created * 1000)
            continue
        parts = _changed_parts(old, account)
        if parts:
            state.accounts[account.uuid] = {
                **state.accounts.get(account.uuid, {}),
                **dict.fromkeys(parts, stamp),
            }
            touched = True
    for uuid in old_accounts:  # gone
        state.accounts.pop(uuid, None)
        state.deleted[uuid] = stamp
        touched = True
    if _common_order(before, after):
        state.order = stamp
        touched = True
    if before.groups != after.groups:
        state.groups = stamp
        touched = True
    touched = _stamp_push(before, after, state, stamp) or touched
    if touched:
        state.clock = max(state.clock, stamp)
        state.prune(stamp)
    after.sync = state


def _common_order(before: VaultContent, after: VaultContent) -> bool:
    """Whether the accounts both hold are in another order (adds and removes do not count)."""
    old = [a.uuid for a in before.accounts]
    new = [a.uuid for a in after.accounts]
    if old == new:
        return False
    old_set, new_set = set(old), set(new)
    return [u for u in old if u in new_set] != [u for u in new if u in old_set]


def _stamp_push(before: VaultContent, after: VaultContent, state: SyncState, stamp: int) -> bool:
    if before.push == after.push:
        return False
    old = {push_key(p): _without_history(p) for p in before.push}
    touched = False
    for enrollment in after.push:
        key = push_key(enrollment)
        previous = old.pop(key, None)
        if previous is None or previous != _without_history(enrollment):
            state.push[key] = stamp
            state.push_deleted.pop(key, None)
            touched = True
    for key in old:
        state.push.pop(key, None)
        state.push_deleted[key] = stamp
        touched = True
    return touched
