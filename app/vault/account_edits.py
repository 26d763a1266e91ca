"""Every change the desktop app and the CLI make to the accounts, written once.

Each function changes a `VaultContent` in place and is meant to run inside `Vault.modify`,
which hands it the latest content under the OS lock: a change made meanwhile by another
Keyfob is kept, and both faces update the same fields the same way (a HOTP code taken sets
`updated` and `last_used` whichever face took it). `app.vault.editor.AccountEditor` strings
them together for a window that keeps last-use times in memory until its next write.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.core.account import Account, OtpType, new_uuid, now_seconds
from app.core.errors import AccountError
from app.vault.errors import AccountNotInVaultError

if TYPE_CHECKING:
    from app.vault.content import VaultContent

# What a person may change about an account. The secret and the code parameters are not among
# them: a wrong one is a new enrollment, not an edit.
EDITABLE_FIELDS = frozenset({"issuer", "name", "groups", "favourite", "note", "icon"})


# --- adding ----------------------------------------------------------------------------------


class Disposition(StrEnum):
    NEW = "new"
    DUPLICATE = "duplicate"  # same secret, issuer and name as an account in the vault
    REPEATED = "repeated"  # the same account came earlier in what is being added


@dataclass(frozen=True, slots=True)
class Planned:
    """One account offered for adding, and what adding it would do.

    `account` is as it would be stored: one whose uuid is already taken gets a new uuid.
    """

    account: Account
    disposition: Disposition


@dataclass(frozen=True, slots=True)
class AddResult:
    """What adding did: the accounts as stored, and those skipped as duplicates."""

    added: list[Account]
    duplicates: list[Account]


class AdditionPlanner:
    """Sorts accounts offered for adding into new ones and duplicates of the vault's or of
    those offered before through this planner (several files of one import share one)."""

    def __init__(self, existing: Iterable[Account]) -> None:
        """`existing`: the vault's accounts (`content.accounts`)."""
        accounts = list(existing)
        self._in_vault = {account.identity() for account in accounts}
        self._offered: set[tuple[bytes, str, str]] = set()
        self._uuids = {account.uuid for account in accounts}

    def plan(self, accounts: Iterable[Account]) -> list[Planned]:
        planned = []
        for account in accounts:
            identity = account.identity()
            if identity in self._in_vault:
                planned.append(Planned(account, Disposition.DUPLICATE))
                continue
            if identity in self._offered:
                planned.append(Planned(account, Disposition.REPEATED))
                continue
            stored = replace(account, uuid=new_uuid()) if account.uuid in self._uuids else account
            self._offered.add(identity)
            self._uuids.add(stored.uuid)
            planned.append(Planned(stored, Disposition.NEW))
        return planned

    def sort(self, accounts: Iterable[Account]) -> AddResult:
        """The accounts that would be added (as stored) and the duplicates (as given)."""
        planned = self.plan(accounts)
        return AddResult(
            [p.account for p in planned if p.disposition is Disposition.NEW],
            [p.account for p in planned if p.disposition is not Disposition.NEW],
        )


def store_new(content: VaultContent, added: Sequence[Account]) -> None:
    """Append accounts a planner found new (on this very content), with their group names."""
    content.accounts.extend(added)
    add_group_names(content, added)


def add_accounts(content: VaultContent, accounts: Iterable[Account]) -> AddResult:
    """Add accounts, skipping duplicates (same `identity()` as one already in the vault or
    earlier among `accounts`); a taken uuid is renewed; new group names join the list."""
    result = AdditionPlanner(content.accounts).sort(accounts)
    store_new(content, result.added)
    return result


def add_group_names(content: VaultContent, accounts: Iterable[Account]) -> None:
    """Append the group names the accounts use that the vault's group list lacks."""
    known = set(content.groups)
    for account in accounts:
        for name in account.groups:
            if name not in known:
                known.add(name)
                content.groups.append(name)


# --- changing one account --------------------------------------------------------------------


def advance_hotp(content: VaultContent, uuid: str, *, when: int | None = None) -> Account | None:
    """Count a HOTP code as used: the counter goes up by one and the account records when
    (`updated` and `last_used`). The new account, or None if it is gone or not HOTP."""
    position = content.index_of(uuid)
    if position is None:
        return None
    stored = content.accounts[position]
    if stored.type is not OtpType.HOTP:
        return None
    moment = now_seconds() if when is None else when
    advanced = replace(stored, counter=stored.counter + 1, updated=moment, last_used=moment)
    content.accounts[position] = advanced
    return advanced


def edit_account(
    content: VaultContent, uuid: str, changes: Mapping[str, Any], *, when: int | None = None
) -> Account | None:
    """Change what a person keeps with an account (`EDITABLE_FIELDS`); `updated` records when.
    New group names join the list. The new account, or None if it is gone."""
    refused = set(changes) - EDITABLE_FIELDS
    if refused:
        raise AccountError(f"{', '.join(sorted(refused))} cannot be edited")
    position = content.index_of(uuid)
    if position is None:
        return None
    moment = now_seconds() if when is None else when
    edited = replace(content.accounts[position], **changes, updated=moment)
    content.accounts[position] = edited
    add_group_names(content, [edited])
    return edited


def replace_account(content: VaultContent, account: Account) -> None:
    """Put `account` in place of the one with its uuid. AccountNotInVaultError if gone."""
    position = content.index_of(account.uuid)
    if position is None:
        raise AccountNotInVaultError(
            f"the account {account.label!r} is no longer in the vault "
            "(removed in another window?): nothing was changed"
        )
    content.accounts[position] = account
    add_group_names(content, [account])


def remove_account(content: VaultContent, uuid: str) -> Account | None:
    """Take the account out of the vault (the backups keep it). The account, or None."""
    position = content.index_of(uuid)
    if position is None:
        return None
    return content.accounts.pop(position)


# --- many accounts ---------------------------------------------------------------------------


def set_sort_positions(content: VaultContent, positions: Mapping[str, int]) -> None:
    """The manual order: each listed account gets its position (the others keep theirs)."""
    for index, account in enumerate(content.accounts):
        position = positions.get(account.uuid)
        if position is not None and position != account.sort_position:
            content.accounts[index] = replace(account, sort_position=position)


def record_last_use(content: VaultContent, times: Mapping[str, int]) -> None:
    """When codes were last used, by uuid; a time never goes back (another window's later
    use stands)."""
    if not times:
        return
    for index, account in enumerate(content.accounts):
        when = times.get(account.uuid)
        if when is not None and (account.last_used or 0) < when:
            content.accounts[index] = replace(account, last_used=when)
