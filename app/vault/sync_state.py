"""What a merge of two copies of one vault needs to know: when each thing last changed.

Kept in the plaintext under "sync" (FORMAT.md, "Sync"). Every time is a stamp in
milliseconds from a hybrid clock: a vault never issues a stamp at or below one it already
holds (`next_stamp`), so an edit made after a copy was seen is later than everything in that
copy even when the computers' clocks disagree. A delete made after seeing an account's last
change therefore always wins over it, and an edit made after a delete wins over the delete.

The per-account times are keyed by the "parts" of an account that merge on their own
(`PARTS`); an account has an entry only for the parts changed since it was created: the rest
date from its creation (`created`, in seconds). The inner dicts are never changed in place
(they are replaced), so copies of a state may share them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from app.core.account import Account
from app.vault.errors import VaultFormatError

# The parts of an account that merge on their own, newest change wins (but see "counter"),
# and the fields each covers. The code parameters are one part: a secret with another side's
# digits is no code.
PARTS: dict[str, tuple[str, ...]] = {
    "code": ("type", "secret", "algorithm", "digits", "period"),
    "issuer": ("issuer",),
    "name": ("name",),
    "groups": ("groups",),
    "favourite": ("favourite",),
    "note": ("note",),
    "icon": ("icon",),
    "sort_position": ("sort_position",),
    # Stamped like the others (a code shown is a change a delete must be later than), but
    # merged as the larger value whatever the stamps: a counter going back reuses codes.
    "counter": ("counter",),
}
# Tombstones are kept this long at least: a computer that stays away longer may bring a
# deleted account back (never loses one).
TOMBSTONE_MS = 90 * 24 * 3600 * 1000
# A push enrollment's list of sign-in requests, merged entry by entry, and how many are kept:
# the names app.push.history writes (the vault cannot import push; a test holds them equal).
PUSH_HISTORY = "history"
PUSH_HISTORY_KEPT = 50
_MAX_STAMP = 2**53  # JSON-safe integers; far beyond any clock


def wall_ms() -> int:
    return int(time.time() * 1000)


@dataclass(eq=True)
class SyncState:
    """When each part of the vault last changed; see the module docstring."""

    clock: int = 0  # the highest stamp this vault has issued or taken in by a merge
    accounts: dict[str, dict[str, int]] = field(default_factory=dict)  # uuid -> part -> stamp
    deleted: dict[str, int] = field(default_factory=dict)  # uuid -> when deleted
    push: dict[str, int] = field(default_factory=dict)  # push key -> last change
    push_deleted: dict[str, int] = field(default_factory=dict)  # push key -> when removed
    order: int = 0  # the accounts' order in the list
    groups: int = 0  # the group list

    def copy(self) -> SyncState:
        # Inner per-account dicts are replaced, never changed, so sharing them is safe.
        return SyncState(
            self.clock,
            dict(self.accounts),
            dict(self.deleted),
            dict(self.push),
            dict(self.push_deleted),
            self.order,
            self.groups,
        )

    def next_stamp(self, now_ms: int | None = None) -> int:
        """A stamp later than any this vault holds, and not before the wall clock."""
        return max(wall_ms() if now_ms is None else now_ms, self.clock + 1)

    def part_time(self, account: Account, part: str) -> int:
        return self.accounts.get(account.uuid, {}).get(part, account.created * 1000)

    def last_change(self, account: Account) -> int:
        """When anything of the account last changed (its creation if nothing did)."""
        times = self.accounts.get(account.uuid)
        base = account.created * 1000
        return max(base, *times.values()) if times else base

    def prune(self, now_ms: int) -> None:
        """Forget tombstones older than TOMBSTONE_MS."""
        horizon = now_ms - TOMBSTONE_MS
        self.deleted = {u: t for u, t in self.deleted.items() if t >= horizon}
        self.push_deleted = {k: t for k, t in self.push_deleted.items() if t >= horizon}


def push_key(enrollment: dict[str, Any]) -> str:
    """Which enrollment a push entry is: its server and device id (stable across edits)."""
    return f"{enrollment.get('url', '')}\n{enrollment.get('device_id', '')}"


# --- the JSON form ---------------------------------------------------------------------------


def encode_sync(state: SyncState) -> dict[str, Any]:
    return {
        "clock": state.clock,
        "accounts": state.accounts,
        "deleted": state.deleted,
        "push": state.push,
        "push_deleted": state.push_deleted,
        "order": state.order,
        "groups": state.groups,
    }


def _stamp(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_STAMP:
        raise VaultFormatError(f"the vault's sync data has a bad time in {what}")
    return value


def _stamps(value: object, what: str) -> dict[str, int]:
    if not isinstance(value, dict):
        raise VaultFormatError(f"the vault's sync data has no object for {what}")
    for stamp in value.values():
        _stamp(stamp, what)
    return value


def decode_sync(value: object) -> SyncState:
    """The state in a vault's "sync" object (missing: a vault from before sync, all empty)."""
    if value is None:
        return SyncState()
    if not isinstance(value, dict):
        raise VaultFormatError("the vault's sync data is not an object")
    accounts = value.get("accounts", {})
    if not isinstance(accounts, dict):
        raise VaultFormatError("the vault's sync data has no object for accounts")
    for times in accounts.values():
        _stamps(times, "accounts")
        if not set(times) <= PARTS.keys():
            raise VaultFormatError("the vault's sync data names an unknown part of an account")
    state = SyncState(
        clock=_stamp(value.get("clock", 0), "clock"),
        accounts=accounts,
        deleted=_stamps(value.get("deleted", {}), "deleted"),
        push=_stamps(value.get("push", {}), "push"),
        push_deleted=_stamps(value.get("push_deleted", {}), "push_deleted"),
        order=_stamp(value.get("order", 0), "order"),
        groups=_stamp(value.get("groups", 0), "groups"),
    )
    # The clock must cover every stamp, or an edit could be stamped below an older one.
    state.clock = max(
        state.clock,
        state.order,
        state.groups,
        *(max(times.values(), default=0) for times in accounts.values()),
        *state.deleted.values(),
        *state.push.values(),
        *state.push_deleted.values(),
    )
    return state
