"""The keyring slot: the master key wrapped under a random key kept in the system's keyring.

Quick unlock (app.vault.quick_unlock) stores a random 256-bit key in the platform's keyring
and a slot in the vault header that wraps the master key with it, so the vault opens without
the password until the slot expires. This module is the slot's format alone: make, read and
unwrap, and the text of the keyring item. It never talks to a keyring.

    {"type": "keyring", "id": uuid, "created": unix seconds, "nonce": b64, "wrapped_key": b64}

`created` is when the password was last entered; the slot expires `days` later (a preference
read when the vault is opened, not stored in the slot). Like every slot, its description is
the associated data of its wrap (app.vault.envelope.slot_aad), so `created` cannot be moved
forward without the master key. FORMAT.md has the section "Keyring slot".
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.vault.encoding import b64decode, b64encode, require_int
from app.vault.envelope import MASTER_KEY_BYTES, NONCE_BYTES, TAG_BYTES, Envelope, slot_aad
from app.vault.errors import VaultFormatError

# The slot type lives in the probe, which the app reads before its first window (light).
from app.vault.quick_unlock_probe import KEYRING_SLOT, slot_expires

KEYRING_KEY_BYTES = 32  # the key in the keyring: random, AES-256
_ITEM_CHARS = 44  # 32 bytes in padded base64


@dataclass(frozen=True, slots=True)
class KeyringSlot:
    """A keyring slot as read from a vault header, checked for shape."""

    id: str
    created: int  # unix seconds: the last time the password was entered
    nonce: bytes
    wrapped_key: bytes
    aad: bytes

    def expires(self, days: int) -> int:
        """When the slot stops opening the vault, for a limit of `days` days."""
        return slot_expires(self.created, days)


def make_keyring_slot(master_key: bytearray, keyring_key: bytes, created: int) -> dict[str, Any]:
    """A new keyring slot wrapping `master_key` under `keyring_key`, dated `created`."""
    if len(keyring_key) != KEYRING_KEY_BYTES:
        raise ValueError("a keyring key is 32 bytes")
    slot: dict[str, Any] = {
        "type": KEYRING_SLOT,
        "id": str(uuid.uuid4()),
        "created": int(created),
    }
    nonce = os.urandom(NONCE_BYTES)
    wrapped = AESGCM(keyring_key).encrypt(nonce, bytes(master_key), slot_aad(slot))
    slot["nonce"] = b64encode(nonce)
    slot["wrapped_key"] = b64encode(wrapped)
    return slot


def read_keyring_slot(slot: object) -> KeyringSlot:
    """Check one keyring slot's fields. VaultFormatError naming what is wrong."""
    if not isinstance(slot, dict) or slot.get("type") != KEYRING_SLOT:
        raise VaultFormatError("the vault's keyring slot is not a keyring slot")
    slot_id = slot.get("id")
    if not isinstance(slot_id, str) or not slot_id:
        raise VaultFormatError("the vault's keyring slot has no id")
    created = require_int(slot.get("created"), "the keyring slot's creation time")
    nonce = b64decode(slot.get("nonce"), "the keyring slot's nonce", NONCE_BYTES)
    wrapped = b64decode(
        slot.get("wrapped_key"), "the keyring slot's wrapped key", MASTER_KEY_BYTES + TAG_BYTES
    )
    return KeyringSlot(slot_id, created, nonce, wrapped, slot_aad(slot))


def find_keyring_slot(envelope: Envelope) -> KeyringSlot | None:
    """The vault's keyring slot, or None if it has none. VaultFormatError if it is malformed
    or there are several (Keyfob writes at most one)."""
    found = [s for s in envelope.header["slots"] if s["type"] == KEYRING_SLOT]
    if not found:
        return None
    if len(found) > 1:
        raise VaultFormatError("the vault has more than one keyring slot")
    return read_keyring_slot(found[0])


def unwrap_with_keyring_key(slot: KeyringSlot, keyring_key: bytes) -> bytearray | None:
    """The master key, or None if `keyring_key` is not the key this slot was made with."""
    if len(keyring_key) != KEYRING_KEY_BYTES:
        return None
    try:
        return bytearray(AESGCM(keyring_key).decrypt(slot.nonce, slot.wrapped_key, slot.aad))
    except InvalidTag:
        return None


def without_keyring_slots(slots: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [slot for slot in slots if slot.get("type") != KEYRING_SLOT]


# --- the keyring item ----------------------------------------------------------------------


def encode_item(keyring_key: bytes) -> str:
    """The text stored in the keyring: the key in base64, and nothing else."""
    return b64encode(keyring_key)


def decode_item(text: object) -> bytes:
    """The key in a keyring item's text. VaultFormatError if it is not one Keyfob wrote
    (the message never quotes the text: it may be someone's secret)."""
    # The length first, so that a long text is never decoded (and never quoted).
    if not isinstance(text, str) or len(text) != _ITEM_CHARS:
        raise VaultFormatError("the keyring's item for this vault is not a Keyfob key")
    return b64decode(text, "the keyring's key for this vault", KEYRING_KEY_BYTES)
