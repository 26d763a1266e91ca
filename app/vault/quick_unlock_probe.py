"""Whether a vault file has quick unlock on, without the crypto or the keyring.

The desktop app asks this before its first window: for the many vaults without a keyring
slot, the answer must not cost the imports of app.vault.quick_unlock (cryptography, the
vault store, D-Bus). Reading the header takes about a millisecond even for a big vault (the
JSON parser skims the one long "data" string).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

KEYRING_SLOT = "keyring"  # the slot type (app.vault.keyring_slot, FORMAT.md "Keyring slot")
SECONDS_PER_DAY = 86_400


@dataclass(frozen=True, slots=True)
class KeyringSlotHint:
    """What the header says of its keyring slot, unchecked: enough to decide whether asking
    the keyring is worth it. app.vault.quick_unlock checks the slot before using it."""

    vault_id: str
    created: int  # unix seconds; the slot expires `days` days after

    def expired(self, days: int, now: float) -> bool:
        return now >= self.created + days * SECONDS_PER_DAY


def has_keyring_slot(path: Path) -> bool:
    """True if the vault file at `path` has a keyring slot; False for anything else (no
    file, not a vault, damaged): opening it with the password then says what is wrong."""
    return _keyring_slots(path) is not None


def keyring_slot_hint(path: Path) -> KeyringSlotHint | None:
    """The vault's id and its keyring slot's creation time, if it has exactly one slot with
    both well formed; None otherwise (quick unlock then says what is wrong, if anything)."""
    found = _keyring_slots(path)
    if found is None or len(found[1]) != 1:
        return None
    vault_id, (slot,) = found
    created = slot.get("created")
    if not isinstance(vault_id, str) or type(created) is not int:
        return None
    return KeyringSlotHint(vault_id, created)


def _keyring_slots(path: Path) -> tuple[object, list[dict[str, object]]] | None:
    """The header's vault id and keyring slots, or None if it has none (or is unreadable)."""
    try:
        document = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    header = document.get("header") if isinstance(document, dict) else None
    if not isinstance(header, dict) or not isinstance(header.get("slots"), list):
        return None
    found = [
        slot
        for slot in header["slots"]
        if isinstance(slot, dict) and slot.get("type") == KEYRING_SLOT
    ]
    return (header.get("vault_id"), found) if found else None
