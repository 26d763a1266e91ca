"""The account changes an open vault offers directly (the changes themselves: account_edits).

A part of `Vault` (app.vault.store): each is one `modify` with a function of account_edits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from app.core.account import Account
from app.vault.account_edits import AddResult, add_accounts, remove_account, replace_account
from app.vault.errors import AccountNotInVaultError

if TYPE_CHECKING:
    from app.vault.content import VaultContent

T = TypeVar("T")


class AccountConveniences:
    """Add, update and remove accounts: mixed into `Vault`."""

    if TYPE_CHECKING:

        def modify(
            self,
            change: Callable[[VaultContent], T],
            *,
            save_if: Callable[[T], bool] | None = None,
        ) -> T: ...

    def add_accounts(self, accounts: Iterable[Account]) -> AddResult:
        """Add accounts, skipping duplicates (same `identity()` as one already in the vault
        or earlier in the batch). An added account whose uuid is taken gets a new uuid. New
        group names are appended to the group list. Nothing is written if nothing is new.
        """
        batch = list(accounts)
        return self.modify(
            lambda content: add_accounts(content, batch),
            save_if=lambda result: bool(result.added),
        )

    def update_account(self, account: Account) -> None:
        """Replace the account with the same uuid. AccountNotInVaultError if it is gone."""
        self.modify(lambda content: replace_account(content, account))

    def remove_account(self, uuid: str) -> Account:
        """Remove the account with this uuid and return it. AccountNotInVaultError if gone."""

        def change(content: VaultContent) -> Account:
            removed = remove_account(content, uuid)
            if removed is None:
                raise AccountNotInVaultError(
                    "that account is no longer in the vault (removed in another window?)"
                )
            return removed

        return self.modify(change)
