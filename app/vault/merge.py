"""Merging two copies of one vault so that no edit made on either is lost.

The rules (FORMAT.md, "Merging"), with the stamps of app.vault.sync_state:
- an account on either side is kept unless the other side deleted it after its last change;
- on both sides: each part (PARTS) comes from the side that changed it last; the HOTP counter
  is the larger (a counter going back would reuse codes), `last_used` and `updated` the
  later, `created` the earlier;
- groups are the union, in the order of the side that changed its list last; the accounts'
  order comes from the side that changed it last;
- push enrollments merge like accounts (whole), their histories entry by entry.
Equal stamps with different values are settled by comparing the values, so the result does
not depend on which side is "ours": merge(a, b) == merge(b, a).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from app.core.account import Account
from app.vault.content import VaultContent
from app.vault.sync_state import PARTS, PUSH_HISTORY, PUSH_HISTORY_KEPT, SyncState, push_key

T = TypeVar("T")


def _rank(value: object) -> str:
    """A total order on values, only to settle equal stamps the same way on every computer."""
    if isinstance(value, bytes):
        return value.hex()
    return json.dumps(value, sort_keys=True, default=str)


def _newer(a: T, a_time: int, b: T, b_time: int) -> T:
    if a_time != b_time:
        return a if a_time > b_time else b
    return a if _rank(a) >= _rank(b) else b


@dataclass(frozen=True, slots=True)
class MergeReport:
    """What a merge brought into "ours": labels of accounts added, changed and removed."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    other_changes: bool  # groups, order, push enrollments or other data

    @property
    def anything(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.other_changes)

    def summary(self) -> str:
        """One short line: "2 accounts added, 1 changed"."""
        parts = []
        if self.added:
            parts.append(f"{_count(len(self.added), 'account')} added")
        if self.changed:
            parts.append(f"{_count(len(self.changed), 'account')} changed")
        if self.removed:
            parts.append(f"{_count(len(self.removed), 'account')} removed")
        if not parts:
            return "other changes" if self.other_changes else "nothing new"
        return ", ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def merge_contents(ours: VaultContent, theirs: VaultContent) -> VaultContent:
    """The merge of two copies of one vault (see the module docstring)."""
    a_state, b_state = ours.sync, theirs.sync
    state = SyncState(clock=max(a_state.clock, b_state.clock))
    a_by = {acc.uuid: acc for acc in ours.accounts}
    b_by = {acc.uuid: acc for acc in theirs.accounts}
    merged: dict[str, Account] = {}
    for uuid in a_by.keys() | b_by.keys():
        account = _merge_account(a_by.get(uuid), a_state, b_by.get(uuid), b_state, state)
        if account is not None:
            merged[uuid] = account
    for uuid in (a_state.deleted.keys() | b_state.deleted.keys()) - merged.keys():
        state.deleted[uuid] = max(a_state.deleted.get(uuid, 0), b_state.deleted.get(uuid, 0))

    a_order, b_order = [a.uuid for a in ours.accounts], [a.uuid for a in theirs.accounts]
    state.order = max(a_state.order, b_state.order)
    if a_state.order == b_state.order:
        order = _interleave(a_order, b_order, prefer_first=None)
    else:
        newer_first = a_state.order > b_state.order
        first, second = (a_order, b_order) if newer_first else (b_order, a_order)
        order = _interleave(first, second, prefer_first=True)
    accounts = [merged[uuid] for uuid in order if uuid in merged]

    state.groups = max(a_state.groups, b_state.groups)
    first_groups = _newer(ours.groups, a_state.groups, theirs.groups, b_state.groups)
    groups = _ordered_union(
        first_groups,
        theirs.groups if first_groups is ours.groups else ours.groups,
        (g for account in accounts for g in account.groups),
    )
    push = _merge_push(ours, theirs, state)
    unreadable = _merge_kept_rows(ours, theirs, state, merged)
    extra = _merge_extra(ours, theirs)
    account_extra = _merge_account_extra(ours, theirs, merged)
    state.prune(state.clock)
    return VaultContent(
        accounts=accounts,
        groups=groups,
        push=push,
        extra=extra,
        account_extra=account_extra,
        unreadable_accounts=unreadable,
        sync=state,
    )


def _interleave(first: list[str], second: list[str], *, prefer_first: bool | None) -> list[str]:
    """Both sequences in one, each keeping its relative order: an account only one side has
    stays where that side put it (not at the end), so a copy that only added or removed
    accounts merges into exactly its own order. Where the two disagree about accounts both
    hold, `first` wins if preferred (it reordered last), else the smaller uuid goes first;
    two accounts each only one side has, at the same place, go smaller uuid first. Every
    rule is symmetric, so the result does not depend on which side is "ours"."""
    in_first, in_second = set(first), set(second)
    out: list[str] = []
    seen: set[str] = set()
    i = j = 0
    while i < len(first) or j < len(second):
        if i < len(first) and first[i] in seen:
            i += 1
            continue
        if j < len(second) and second[j] in seen:
            j += 1
            continue
        if i >= len(first):
            pick = second[j]
        elif j >= len(second) or first[i] == second[j]:
            pick = first[i]
        else:
            only_first, only_second = first[i] not in in_second, second[j] not in in_first
            if only_first != only_second:
                pick = first[i] if only_first else second[j]
            elif not only_first and prefer_first:
                pick = first[i]
            else:
                pick = min(first[i], second[j])
        out.append(pick)
        seen.add(pick)
    return out


def _ordered_union(first: Iterable[str], *more: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*first, *(item for items in more for item in items)]))


def _merge_account(
    a: Account | None,
    a_state: SyncState,
    b: Account | None,
    b_state: SyncState,
    state: SyncState,
) -> Account | None:
    """The merged account (recording its stamps in `state`), or None if a delete wins."""
    if a is None or b is None:
        present, present_state = (a, a_state) if a is not None else (b, b_state)
        assert present is not None
        times = present_state.accounts.get(present.uuid)
        merged = present
    else:
        merged, times = _merge_both(a, a_state, b, b_state)
    uuid = merged.uuid
    deleted = max(a_state.deleted.get(uuid, 0), b_state.deleted.get(uuid, 0))
    last = max(merged.created * 1000, *(times or {}).values()) if times else merged.created * 1000
    if deleted > last:
        return None
    if times:
        state.accounts[uuid] = times
    return merged


def _merge_both(
    a: Account, a_state: SyncState, b: Account, b_state: SyncState
) -> tuple[Account, dict[str, int] | None]:
    if a == b and a_state.accounts.get(a.uuid) == b_state.accounts.get(b.uuid):
        return a, a_state.accounts.get(a.uuid)
    changes: dict[str, Any] = {}
    times: dict[str, int] = {}
    a_times, b_times = a_state.accounts.get(a.uuid, {}), b_state.accounts.get(b.uuid, {})
    for part, names in PARTS.items():
        a_time = a_state.part_time(a, part)
        b_time = b_state.part_time(b, part)
        a_values = tuple(getattr(a, name) for name in names)
        b_values = tuple(getattr(b, name) for name in names)
        winner = _newer(a_values, a_time, b_values, b_time)
        changes.update(zip(names, winner, strict=True))
        if part in a_times or part in b_times:
            times[part] = max(a_time, b_time)
    changes["counter"] = max(a.counter, b.counter)  # whichever stamp is newer
    changes["updated"] = max(a.updated, b.updated)
    changes["created"] = min(a.created, b.created)
    used = [t for t in (a.last_used, b.last_used) if t is not None]
    changes["last_used"] = max(used) if used else None
    return replace(a, **changes), times or None


# --- push enrollments ------------------------------------------------------------------------


def _merge_push(ours: VaultContent, theirs: VaultContent, state: SyncState) -> list[dict[str, Any]]:
    a_state, b_state = ours.sync, theirs.sync
    a_by = {push_key(p): p for p in ours.push}
    b_by = {push_key(p): p for p in theirs.push}
    result = []
    # In enrollment order (then by key), the same whichever side is "ours".
    keys = sorted(
        a_by.keys() | b_by.keys(), key=lambda k: (_enrolled_ms(a_by.get(k) or b_by[k]), k)
    )
    for key in keys:
        a, b = a_by.get(key), b_by.get(key)
        a_time = a_state.push.get(key, _enrolled_ms(a))
        b_time = b_state.push.get(key, _enrolled_ms(b))
        if a is not None and b is not None:
            chosen = dict(_newer(_core(a), a_time, _core(b), b_time))
            history = _merge_history(a.get(PUSH_HISTORY), b.get(PUSH_HISTORY))
            if history is not None:
                chosen[PUSH_HISTORY] = history
            last = max(a_time, b_time)
        else:
            only = a if a is not None else b
            assert only is not None
            chosen, last = only, (a_time if a is not None else b_time)
        deleted = max(a_state.push_deleted.get(key, 0), b_state.push_deleted.get(key, 0))
        if deleted > last:
            continue
        if key in a_state.push or key in b_state.push:
            state.push[key] = max(a_state.push.get(key, 0), b_state.push.get(key, 0))
        result.append(chosen)
    kept = {push_key(p) for p in result}
    for key in (a_state.push_deleted.keys() | b_state.push_deleted.keys()) - kept:
        state.push_deleted[key] = max(
            a_state.push_deleted.get(key, 0), b_state.push_deleted.get(key, 0)
        )
    return result


def _enrolled_ms(enrollment: dict[str, Any] | None) -> int:
    if enrollment is None:
        return 0
    enrolled = enrollment.get("enrolled_at")
    return enrolled * 1000 if isinstance(enrolled, int) and not isinstance(enrolled, bool) else 0


def _core(enrollment: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in enrollment.items() if k != PUSH_HISTORY}


def _merge_history(a: object, b: object) -> list[Any] | None:
    """Both histories, one entry per request (the one that knows more), newest 50 kept."""
    if not isinstance(a, list) or not isinstance(b, list):
        return a if isinstance(a, list) else b if isinstance(b, list) else None
    entries: dict[str, Any] = {}
    for entry in (*a, *b):
        if not isinstance(entry, dict):
            continue
        key = str(entry.get("challenge_id"))
        held = entries.get(key)
        entries[key] = entry if held is None else _more_final(held, entry)
    ordered = sorted(entries.values(), key=lambda e: (_int(e, "received_at"), _rank(e)))
    return ordered[-PUSH_HISTORY_KEPT:]


def _int(entry: dict[str, Any], name: str) -> int:
    value = entry.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _more_final(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    # An ended request beats a pending one; a later end beats an earlier one.
    return _newer(a, _int(a, "ended_at"), b, _int(b, "ended_at"))


# --- what this version only carries along ----------------------------------------------------


def _merge_kept_rows(
    ours: VaultContent, theirs: VaultContent, state: SyncState, merged: dict[str, Account]
) -> list[dict[str, Any]]:
    """Rows a newer Keyfob wrote that this one cannot read: union by uuid, newer wins."""
    rows: dict[str, dict[str, Any]] = {}
    for row in (*ours.unreadable_accounts, *theirs.unreadable_accounts):
        uuid = str(row.get("uuid"))
        held = rows.get(uuid)
        rows[uuid] = row if held is None else _newer(held, _row_time(held), row, _row_time(row))
    return [
        row
        for uuid, row in rows.items()
        if uuid not in merged and state.deleted.get(uuid, 0) <= _row_time(row)
    ]


def _row_time(row: dict[str, Any]) -> int:
    return _int(row, "updated") * 1000


def _merge_extra(ours: VaultContent, theirs: VaultContent) -> dict[str, Any]:
    older, newer = _by_clock(ours, theirs, lambda c: c.extra)
    return {**older.extra, **newer.extra}


def _merge_account_extra(
    ours: VaultContent, theirs: VaultContent, merged: dict[str, Account]
) -> dict[str, dict[str, Any]]:
    """Values of columns this version does not know, by account: the newer copy's first."""
    older, newer = _by_clock(ours, theirs, lambda c: c.account_extra)
    result = {**older.account_extra, **newer.account_extra}
    return {uuid: columns for uuid, columns in result.items() if uuid in merged}


def _by_clock(
    a: VaultContent, b: VaultContent, value: Callable[[VaultContent], object]
) -> tuple[VaultContent, VaultContent]:
    """(older, newer) of two copies by their clocks; equal clocks by `value`."""
    if a.sync.clock != b.sync.clock:
        return (b, a) if a.sync.clock > b.sync.clock else (a, b)
    return (b, a) if _rank(value(a)) >= _rank(value(b)) else (a, b)


def report(before: VaultContent, after: VaultContent) -> MergeReport:
    """What changed from `before` to `after`, for a notice."""
    old = {a.uuid: a for a in before.accounts}
    added, changed = [], []
    for account in after.accounts:
        previous = old.pop(account.uuid, None)
        if previous is None:
            added.append(account.label)
        elif previous != account:
            changed.append(account.label)
    removed = [a.label for a in old.values()]
    other = (
        before.groups != after.groups
        or before.push != after.push
        or before.extra != after.extra
        or [a.uuid for a in before.accounts] != [a.uuid for a in after.accounts]
    )
    return MergeReport(added, changed, removed, other)
