"""How many accounts each backup holds, for a list of backups to choose one to restore from.

The count is inside the encryption, so it takes the password. Backups made between two
password changes carry the same key slot: a slot opened (or refused) once is not derived
again, so counting twenty backups costs one KDF run, not twenty. A backup the password
does not open, or that fails to decrypt, is said to be so instead of counted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from app.vault.content import decode_content
from app.vault.envelope import PASSWORD_SLOT, Envelope, decrypt, parse, unwrap_with_password
from app.vault.errors import VaultAuthError, VaultError
from app.vault.fileio import read_existing


class Uncounted(StrEnum):
    OTHER_PASSWORD = "other password"  # noqa: S105 - why a backup was not counted
    DAMAGED = "damaged"


def _slot_key(envelope: Envelope) -> str:
    """What identifies the password slots of a file: equal for files of one password."""
    slots = [s for s in envelope.header["slots"] if s.get("type") == PASSWORD_SLOT]
    return json.dumps(slots, sort_keys=True, default=str)


def count_backups(paths: Sequence[Path], password: str) -> list[int | Uncounted]:
    """Per file (a backup, or the vault itself), its number of accounts, readable or not;
    or why it was not counted."""
    keys: dict[str, bytearray | None] = {}
    counts: list[int | Uncounted] = []
    try:
        for path in paths:
            try:
                envelope = parse(read_existing(path, "backup"))
                slot = _slot_key(envelope)
                if slot not in keys:
                    try:
                        keys[slot] = unwrap_with_password(envelope, password)
                    except VaultAuthError:
                        keys[slot] = None
                key = keys[slot]
                if key is None:
                    counts.append(Uncounted.OTHER_PASSWORD)
                    continue
                plaintext = decrypt(envelope, key)
                if plaintext is None:
                    counts.append(Uncounted.DAMAGED)
                    continue
                content = decode_content(plaintext)
                counts.append(len(content.accounts) + len(content.unreadable_accounts))
            except VaultError:
                counts.append(Uncounted.DAMAGED)
    finally:
        for key in keys.values():
            if key is not None:
                key[:] = bytes(len(key))  # the master keys go with the count
    return counts
