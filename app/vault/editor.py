"""The account changes of an open vault, for a window that stays open a while.

The changes themselves are in account_edits; this adds what a long-lived window needs on top:
last-use times kept in memory and saved with the next write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from app.core.account import Account, now_seconds
from app.vault.account_edits import (
    AddResult,
    add_accounts,
    advance_hotp,
    edit_account,
    record_last_use,
    remove_account,
    set_sort_positions,
)
from app.vault.content import VaultContent
from app.vault.store import Vault

T = TypeVar("T")


class AccountEditor:
    """The account changes of one open vault, for a window that lives a while.

    Copying a code is a use, but writing the vault on every copy would churn its backups:
    last-use times wait here and go with the next write (or `save_pending`). Every method
    raises the vault's KeyfobError as it comes; the waiting times then wait for the next try.
    """

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self._last_use: dict[str, int] = {}

    def note_use(self, uuid: str, when: int | None = None) -> None:
        self._last_use[uuid] = now_seconds() if when is None else when

    @property
    def has_pending(self) -> bool:
        return bool(self._last_use)

    def shown(self, accounts: Sequence[Account]) -> list[Account]:
        """`accounts` with the last-use times not saved yet."""
        times = self._last_use
        if not times:
            return list(accounts)
        return [replace(a, last_used=times[a.uuid]) if a.uuid in times else a for a in accounts]

    def write(
        self,
        change: Callable[[VaultContent], T],
        *,
        save_if: Callable[[T], bool] | None = None,
    ) -> T:
        """Apply `change` to the latest content, with the waiting last-use times, and save
        (unless `save_if` says the result changed nothing and no time was waiting)."""
        times, self._last_use = self._last_use, {}

        def apply(content: VaultContent) -> T:
            record_last_use(content, times)
            return change(content)

        worth = None if save_if is None or times else save_if
        try:
            return self.vault.modify(apply, save_if=worth)
        except BaseException:
            self._last_use = {**times, **self._last_use}
            raise

    def save_pending(self) -> None:
        if self._last_use and not self.vault.is_locked:
            self.write(lambda content: None)

    def add(self, accounts: Iterable[Account]) -> AddResult:
        batch = list(accounts)
        return self.write(
            lambda content: add_accounts(content, batch), save_if=lambda result: bool(result.added)
        )

    def next_hotp(self, uuid: str) -> Account | None:
        return self.write(lambda content: advance_hotp(content, uuid))

    def edit(self, uuid: str, changes: Mapping[str, Any]) -> Account | None:
        return self.write(lambda content: edit_account(content, uuid, changes))

    def remove(self, uuid: str) -> Account | None:
        return self.write(lambda content: remove_account(content, uuid))

    def reorder(self, positions: Mapping[str, int]) -> None:
        self.write(lambda content: set_sort_positions(content, positions))
