"""Whether a vault file has quick unlock on, without the crypto or the keyring.

The desktop app asks this before its first window: for the many vaults without a keyring
slot, the answer must not cost the imports of app.vault.quick_unlock (cryptography, the
vault store, D-Bus). Reading the header takes about a millisecond even for a big vault (the
JSON parser skims the one long "data" string).
"""

from __future__ import annotations

import json
from pathlib import Path

KEYRING_SLOT = "keyring"  # the slot type (app.vault.keyring_slot, FORMAT.md "Keyring slot")


def has_keyring_slot(path: Path) -> bool:
    """True if the vault file at `path` has a keyring slot; False for anything else (no
    file, not a vault, damaged): opening it with the password then says what is wrong."""
    try:
        document = json.loads(Path(path).read_bytes())
    except (OSError, ValueError, RecursionError):
        return False
    header = document.get("header") if isinstance(document, dict) else None
    slots = header.get("slots") if isinstance(header, dict) else None
    if not isinstance(slots, list):
        return False
    return any(isinstance(slot, dict) and slot.get("type") == KEYRING_SLOT for slot in slots)
