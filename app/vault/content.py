"""The vault's plaintext: accounts, groups, push enrollments, and whatever a newer app added.

The top level is a JSON object; the accounts are a table (see account_table.py) under
"accounts". See FORMAT.md for the layout.
"""

from __future__ import annotations

import copy
import gc
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.core.account import Account
from app.vault.account_table import decode_table, encode_table
from app.vault.encoding import loads_strict
from app.vault.errors import VaultError, VaultFormatError
from app.vault.sync_state import SyncState, decode_sync, encode_sync

RESERVED_KEYS = frozenset({"accounts", "groups", "push", "sync"})


@dataclass(eq=True)
class VaultContent:
    """The decrypted vault. Mutable; change it only inside `Vault.modify`.

    `extra` holds top-level keys this version does not know, `account_extra` the values of
    account columns it does not know (by account uuid), and `unreadable_accounts` the rows
    it cannot turn into an Account (say, a kind of code a newer Keyfob added), as
    {column: value}. All three are written back unchanged, so a newer app's data survives a
    save by this one.
    """

    accounts: list[Account] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    push: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    account_extra: dict[str, dict[str, Any]] = field(default_factory=dict)
    unreadable_accounts: list[dict[str, Any]] = field(default_factory=list)
    # When each thing last changed, for merging copies (app.vault.sync_state). Set by the
    # save that changes the content (app.vault.stamping) or by a merge, not by edits.
    sync: SyncState = field(default_factory=SyncState)

    def __repr__(self) -> str:
        # Push enrollments hold device keys and unreadable rows hold secrets: never print them.
        return (
            f"VaultContent({len(self.accounts)} accounts, {len(self.groups)} groups, "
            f"{len(self.push)} push enrollments, {len(self.unreadable_accounts)} unreadable)"
        )

    def copy(self) -> VaultContent:
        """A copy that `modify` may change freely: accounts are immutable, the rest is copied."""
        return VaultContent(
            accounts=list(self.accounts),
            groups=list(self.groups),
            push=copy.deepcopy(self.push),
            extra=copy.deepcopy(self.extra),
            account_extra=copy.deepcopy(self.account_extra),
            unreadable_accounts=copy.deepcopy(self.unreadable_accounts),
            sync=self.sync.copy(),
        )

    def index_of(self, uuid: str) -> int | None:
        for index, account in enumerate(self.accounts):
            if account.uuid == uuid:
                return index
        return None


# --- writing -------------------------------------------------------------------------------


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while tens of thousands of acyclic objects are made or dropped.

    Otherwise it runs dozens of collections that find nothing: a fifth of the time of
    loading 10,000 accounts. Only re-enabled if it was enabled.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def encode_content(content: VaultContent) -> bytes:
    """The plaintext JSON (UTF-8) of `content`; VaultError if it holds something unstorable."""
    check_storable(content)
    with _gc_paused():
        document: dict[str, Any] = {
            "accounts": encode_table(
                content.accounts, content.account_extra, content.unreadable_accounts
            ),
            "groups": content.groups,
            "push": content.push,
            "sync": encode_sync(content.sync),
        }
        document.update(content.extra)
        try:
            text = json.dumps(document, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as error:
            raise VaultError(f"the vault cannot store this: {type(error).__name__}") from None
    return text.encode("ascii")


def check_storable(content: VaultContent) -> None:
    if not all(isinstance(a, Account) for a in content.accounts):
        raise VaultError("the vault can only store Account objects in accounts")
    if not all(isinstance(g, str) and g for g in content.groups):
        raise VaultError("group names must be non-empty text")
    if not all(isinstance(p, dict) for p in content.push):
        raise VaultError("each push enrollment must be a JSON object (dict)")
    if not all(isinstance(k, str) and k not in RESERVED_KEYS for k in content.extra):
        raise VaultError("extra keys must be text other than accounts, groups, push and sync")
    kept = [*content.unreadable_accounts, *content.account_extra.values()]
    if not all(isinstance(raw, dict) and all(isinstance(k, str) for k in raw) for raw in kept):
        raise VaultError("kept account data must be dicts with text keys")


# --- reading -------------------------------------------------------------------------------


def decode_content(plaintext: bytes) -> VaultContent:
    """Parse decrypted plaintext. Raises VaultFormatError only (never another exception).

    A whole account that does not pass the checks is kept in `unreadable_accounts` rather
    than failing the vault: one odd row must not lock anyone out of all their accounts.
    """
    with _gc_paused():
        return _decode(plaintext)


def _decode(plaintext: bytes) -> VaultContent:
    try:
        document = loads_strict(plaintext.decode("utf-8"))
    except (ValueError, RecursionError):
        raise VaultFormatError("the vault's decrypted contents are not valid JSON") from None
    if not isinstance(document, dict):
        raise VaultFormatError("the vault's contents are not a JSON object")
    groups = document.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups):
        raise VaultFormatError("the vault's groups are not a list of names")
    push = document.get("push", [])
    if not isinstance(push, list) or not all(isinstance(p, dict) for p in push):
        raise VaultFormatError("the vault's push enrollments are not a list of objects")
    # Popped, not read: the table's rows can go as soon as they are columns (decode_table).
    accounts, account_extra, unreadable = decode_table(document.pop("accounts", None))
    sync = decode_sync(document.get("sync"))
    return VaultContent(
        accounts=accounts,
        groups=groups,
        push=push,
        extra={k: v for k, v in document.items() if k not in RESERVED_KEYS},
        account_extra=account_extra,
        unreadable_accounts=unreadable,
        sync=sync,
    )
