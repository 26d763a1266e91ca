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


def slot_expires(created: int, days: int) -> int:
    """When a keyring slot made at `created` stops opening the vault, for a limit of `days`."""
    return created + days * SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class KeyringSlotHint:
    """What the header says of its keyring slot, unchecked: enough to decide whether asking
    the keyring is worth it. app.vault.quick_unlock checks the slot before using it."""

    vault_id: str | None  # None: the header's is malformed
    created: int | None  # unix seconds; None: malformed, or several keyring slots

    def worth_asking(self, days: int, now: float) -> bool:
        """Whether the keyring could open the vault now (a well-formed slot, not expired)."""
        if self.vault_id is None or self.created is None:
            return False
        return now < slot_expires(self.created, days)


def has_keyring_slot(path: Path) -> bool:
    """True if the vault file at `path` has a keyring slot; False for anything else (no
    file, not a vault, damaged): opening it with the password then says what is wrong."""
    return keyring_slot_hint(path) is not None


def keyring_slot_hint(path: Path) -> KeyringSlotHint | None:
    """The header's keyring slot, or None if it has none (no file, not a vault, damaged:
    opening it with the password then says what is wrong)."""
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
    if not found:
        return None
    vault_id = header.get("vault_id")
    created = found[0].get("created") if len(found) == 1 else None
    return KeyringSlotHint(
        vault_id if isinstance(vault_id, str) else None,
        created if type(created) is int else None,
    )
