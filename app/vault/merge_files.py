"""Merging a Keyfob file by hand (`keyfob merge FILE`): reading it under the right key, and
combining another vault's accounts into this one.

A copy of this vault (the same vault id) merges as it is (app.vault.merge). A file of another
vault - an export, which gets a vault id of its own, or a second vault - is combined: its
accounts join, those this vault has already (same secret, issuer and name under another
uuid) are skipped rather than doubled; the rest of it is left behind (see
`combine_other_vault`). The vault side is `ConflictCopyOperations.merge_file`
(app.vault.conflict_copies).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.vault.content import VaultContent
from app.vault.envelope import Envelope, decrypt, unwrap_with_password, wipe_key
from app.vault.errors import VaultAuthError, VaultFormatError
from app.vault.merge import MergeReport
from app.vault.sync_state import SyncState


@dataclass(frozen=True)
class FileMerged:
    """What `merge_file` did with one file."""

    path: Path
    report: MergeReport
    same_vault: bool  # a copy of this vault; else another vault's accounts were combined in
    duplicates: int  # accounts of another vault skipped: this vault has them already
    moved_to: Path | None  # a conflict copy beside the vault is moved into the backups
    not_moved: str = ""  # why such a copy could not be moved (the merge stands)


class SourcePasswordNeeded(VaultAuthError):
    """The file is under another password than this vault's: give that password."""


def open_file(envelope: Envelope, key: bytearray, password: str | None, path: Path) -> bytes:
    """The plaintext of a file: under the vault's own key, else under `password`'s."""
    plaintext = decrypt(envelope, key)
    if plaintext is not None:
        return plaintext
    if password is None:
        raise SourcePasswordNeeded(f"{path} is under another password than this vault's")
    try:
        other = unwrap_with_password(envelope, password)
    except VaultAuthError:
        raise VaultAuthError(f"wrong password for {path}: nothing was changed") from None
    try:
        plaintext = decrypt(envelope, other)
    finally:
        wipe_key(other)
    if plaintext is None:
        raise VaultFormatError(f"{path} is damaged (its contents fail authentication)")
    return plaintext


def combine_other_vault(ours: VaultContent, theirs: VaultContent) -> tuple[VaultContent, int]:
    """Another vault's content made ready to merge into ours, and how many of its accounts
    were left out as ones ours has (same `identity()`, another uuid).

    An account with a uuid ours has is the same account (an export of this vault): it merges
    by its stamps. Push enrollments stay behind (a device key answers for one device, as the
    Keyfob export knows), and so do tombstones (combining adds; it never deletes) and the
    order and group-list stamps (this vault's order comes first).
    """
    held = {account.uuid for account in ours.accounts}
    known = {account.identity() for account in ours.accounts}
    kept = []
    skipped = 0
    for account in theirs.accounts:
        identity = account.identity()
        if account.uuid not in held and identity in known:
            skipped += 1
            continue
        known.add(identity)
        kept.append(account)
    uuids = {account.uuid for account in kept}
    state = SyncState(
        clock=theirs.sync.clock,
        accounts={u: t for u, t in theirs.sync.accounts.items() if u in uuids},
    )
    extra = {u: columns for u, columns in theirs.account_extra.items() if u in uuids}
    return VaultContent(
        accounts=kept, groups=list(theirs.groups), account_extra=extra, sync=state
    ), (skipped)
