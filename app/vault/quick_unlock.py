"""Quick unlock: the system keyring opens the vault for a set number of days after the password.

Turning it on puts a random 256-bit key in the platform's keyring (the Secret Service on
Linux: GNOME Keyring, KWallet, KeePassXC; the macOS Keychain; the Windows Credential Manager)
under the service "Keyfob" and the vault's id, and a keyring slot in the vault header that
wraps the master key with it (app.vault.keyring_slot). The keyring never holds the password
or the master key. The slot expires `security/quick_unlock_days` days (a preference) after
the password was last entered: `renew` after each password unlock starts the count again. A
password change drops the slot (it wraps the old master key); `forget_key` then deletes the
keyring item.

Both faces use this module: the CLI (`keyfob quick-unlock`, and every command that opens the
vault) and the desktop app (Settings, start-up). The keyring itself is app.vault.system_keyring,
loaded only when a keyring is needed: `keyfob code` on a vault without the slot never loads it.
A vault opened here is a KeyringOpenedVault: the faces still ask for the password before they
show a secret, export, or change the password.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.vault.content import decode_content
from app.vault.envelope import MAX_SLOTS, PASSWORD_SLOT, Envelope, decrypt, parse, wipe_key
from app.vault.errors import VaultAuthError, VaultError, VaultFormatError
from app.vault.fileio import read_existing, real_path
from app.vault.keyring_prefetch import PrefetchedKey
from app.vault.keyring_slot import (
    KEYRING_KEY_BYTES,
    KeyringSlot,
    decode_item,
    encode_item,
    find_keyring_slot,
    make_keyring_slot,
    unwrap_with_keyring_key,
    without_keyring_slots,
)
from app.vault.preferences import Preferences
from app.vault.quick_unlock_probe import KEYRING_SLOT
from app.vault.store import Vault
from app.vault.system_keyring import (
    SERVICE,
    QuickUnlockUnavailable,
    Reason,
    delete_key,
    read_key,
    store_key,
)

# The faces need only this module: the error and its reasons are named here too.
__all__ = [
    "RENEW_AFTER_SECONDS",
    "KeyringOpenedVault",
    "QuickUnlockStatus",
    "QuickUnlockUnavailable",
    "Reason",
    "disable",
    "enable",
    "forget_key",
    "open_with_keyring",
    "opened_by_keyring",
    "quick_unlock_days",
    "renew",
    "status",
]

# A password unlock within this long of the slot's making does not make it anew: a script
# that exports every minute would otherwise rotate every real backup out (each renewal is a
# save) for an expiry that moves by less than an hour.
RENEW_AFTER_SECONDS = 3600

_log = logging.getLogger(__name__)


class KeyringOpenedVault(Vault):
    """A vault opened by quick unlock rather than by its password.

    It can do everything a vault does (it holds the master key); the faces ask for the
    password before they show a secret, export, or change the password, and never call
    `renew` for it (no password was entered)."""


def opened_by_keyring(vault: Vault) -> bool:
    return isinstance(vault, KeyringOpenedVault)


@dataclass(frozen=True, slots=True)
class QuickUnlockStatus:
    """Quick unlock of one vault, from its header (no key or keyring needed)."""

    enabled: bool  # the vault has a keyring slot
    days: int  # the limit now in force (the preference)
    created: int | None = None  # when the password was last entered (unix seconds)
    expires: int | None = None  # when the slot stops opening the vault
    expired: bool = False
    in_keyring: bool | None = None  # the keyring has the item (None: not asked)


def quick_unlock_days() -> int:
    return Preferences.default().quick_unlock_days


def status(
    path: Path, *, now: float | None = None, days: int | None = None, probe: bool = False
) -> QuickUnlockStatus:
    """Whether quick unlock is on for the vault at `path`, and until when. With `probe`, also
    whether the keyring holds the key (that asks the keyring; QuickUnlockUnavailable if it
    cannot answer). VaultNotFoundError / VaultFormatError for the vault file."""
    envelope = parse(read_existing(real_path(path)))
    limit = days if days is not None else quick_unlock_days()
    slot = _slot(envelope)
    if slot is None:
        return QuickUnlockStatus(enabled=False, days=limit)
    moment = time.time() if now is None else now
    in_keyring = None
    if probe:
        in_keyring = read_key(envelope.vault_id) is not None
    return QuickUnlockStatus(
        enabled=True,
        days=limit,
        created=slot.created,
        expires=slot.expires(limit),
        expired=moment >= slot.expires(limit),
        in_keyring=in_keyring,
    )


def open_with_keyring(
    path: Path,
    *,
    now: float | None = None,
    days: int | None = None,
    allow_prompt: bool = False,
    prefetched: PrefetchedKey | None = None,
) -> KeyringOpenedVault:
    """Open the vault at `path` with the key in the system keyring. Nothing on disk changes.

    QuickUnlockUnavailable (why, in one line) when quick unlock is off or expired, or the
    keyring is locked, missing, refuses, or holds a key that does not fit. `allow_prompt` lets
    the keyring show its own unlock dialog (the desktop app); otherwise a locked keyring is a
    reason to ask for the password. VaultNotFoundError / VaultFormatError for the file itself,
    as opening with the password would give. `prefetched`: the keyring already asked
    (app.vault.keyring_prefetch), with the same `allow_prompt`.
    """
    raw = read_existing(real_path(path))
    envelope = parse(raw)
    slot = _slot(envelope)
    if slot is None:
        raise QuickUnlockUnavailable(Reason.OFF, "quick unlock is not on for this vault")
    limit = days if days is not None else quick_unlock_days()
    if (time.time() if now is None else now) >= slot.expires(limit):
        raise QuickUnlockUnavailable(
            Reason.EXPIRED,
            f"quick unlock has expired: the password is needed every {_days(limit)}",
        )
    if prefetched is not None:
        text = prefetched.result(envelope.vault_id)
    else:
        text = read_key(envelope.vault_id, allow_prompt=allow_prompt)
    if text is None:
        raise QuickUnlockUnavailable(
            Reason.MISSING, "the system keyring no longer holds Keyfob's key for this vault"
        )
    master_key = _unwrap(slot, text)
    try:
        plaintext = decrypt(envelope, master_key)
        if plaintext is None:
            raise VaultFormatError(
                "the vault file is damaged or was tampered with (its contents fail "
                "authentication): restore a backup"
            )
        content = decode_content(plaintext)
    except BaseException:
        wipe_key(master_key)
        raise
    digest = hashlib.sha256(raw).digest()
    return KeyringOpenedVault(Path(path), master_key, envelope.document, content, digest)


def enable(
    vault: Vault,
    password: str | None = None,
    *,
    now: float | None = None,
    allow_prompt: bool = False,
) -> QuickUnlockStatus:
    """Turn quick unlock on (or make it anew): a new key in the keyring, a new keyring slot.

    The vault must have been opened with its password, or `password` given (checked: a
    KDF run). VaultAuthError otherwise; QuickUnlockUnavailable if the keyring cannot keep
    the key (then the vault is unchanged).
    """
    if password is not None:
        if not vault.check_password(password):
            raise VaultAuthError("wrong password: quick unlock was not turned on")
    elif opened_by_keyring(vault):
        raise VaultAuthError("enter the vault's password to turn quick unlock on")
    _install(vault, int(time.time() if now is None else now), allow_prompt)
    return status(vault.path, now=now)


def renew(vault: Vault, *, now: float | None = None) -> bool:
    """After a password unlock: make the keyring slot anew, so its days count from now.

    Nothing to do (False) when quick unlock is off, the vault was opened by the keyring, or
    the slot is under an hour old and the keyring's key opens it; a damaged slot, or one
    whose key is gone, is made anew. QuickUnlockUnavailable if the keyring cannot keep the
    new key (the old slot stays, and expires as it would have).
    """
    if opened_by_keyring(vault):
        return False
    moment = int(time.time() if now is None else now)
    envelope = parse(read_existing(real_path(vault.path)))
    if not any(slot["type"] == KEYRING_SLOT for slot in envelope.header["slots"]):
        return False
    try:
        slot = find_keyring_slot(envelope)
    except VaultFormatError:
        slot = None  # a damaged slot is replaced by a sound one
    recent = slot is not None and 0 <= moment - slot.created < RENEW_AFTER_SECONDS
    if recent and _keyring_opens(slot, envelope.vault_id):
        return False
    _install(vault, moment, allow_prompt=False)
    return True


def disable(vault_or_path: Vault | Path) -> bool:
    """Turn quick unlock off: the keyring slot leaves the vault (an open vault: a save) and
    the key leaves the keyring. Given only a path, the key leaves the keyring and the slot,
    which nothing opens any more, stays until the vault is next opened and this is called
    with it. True if there was a key in the keyring.

    QuickUnlockUnavailable if the keyring cannot delete its key (the slot is removed all the
    same; the message says the key is left, and where).
    """
    if isinstance(vault_or_path, Vault):
        vault = vault_or_path
        vault_id = vault.vault_id
        if _slot(parse(read_existing(real_path(vault.path)))) is not None:
            vault.replace_slots(lambda slots, _key: without_keyring_slots(slots))
    else:
        vault_id = parse(read_existing(real_path(vault_or_path))).vault_id
    try:
        return forget_key(vault_id)
    except QuickUnlockUnavailable as error:
        # Backups made while quick unlock was on still hold the slot this key opens.
        raise QuickUnlockUnavailable(
            error.reason,
            f"{error}: Keyfob's key for this vault is still in it (service {SERVICE}, user "
            f"{vault_id}): delete it there once the keyring can be used",
        ) from None


def forget_key(vault_id: str) -> bool:
    """Delete the vault's key from the keyring (after a password change, which dropped the
    slot). True if there was one. QuickUnlockUnavailable if the keyring cannot."""
    return delete_key(vault_id)


# --- the slot ------------------------------------------------------------------------------


def _slot(envelope: Envelope) -> KeyringSlot | None:
    try:
        return find_keyring_slot(envelope)
    except VaultFormatError as error:
        raise QuickUnlockUnavailable(Reason.DAMAGED, str(error)) from None


def _unwrap(slot: KeyringSlot, text: str) -> bytearray:
    mismatch = QuickUnlockUnavailable(
        Reason.MISMATCH,
        "the key in the system keyring does not open this vault (quick unlock was turned on "
        "again elsewhere, or an older copy of the vault was put back)",
    )
    try:
        key = decode_item(text)
    except VaultFormatError:
        raise mismatch from None
    master_key = unwrap_with_keyring_key(slot, key)
    if master_key is None:
        raise mismatch
    return master_key


def _keyring_opens(slot: KeyringSlot | None, vault_id: str) -> bool:
    """Whether the key in the keyring opens `slot` (QuickUnlockUnavailable if it cannot say)."""
    text = None if slot is None else read_key(vault_id)
    if slot is None or text is None:
        return False
    try:
        wipe_key(_unwrap(slot, text))
    except QuickUnlockUnavailable:
        return False
    return True


def _install(vault: Vault, created: int, allow_prompt: bool) -> None:
    """Store a new key in the keyring and a keyring slot made with it in the vault.

    The key is stored under the vault's write lock, in the same step as the slot, so two
    Keyfobs renewing at once cannot leave one's key beside the other's slot.
    """
    vault_id = vault.vault_id
    if allow_prompt:  # any dialog the keyring shows comes before the vault's lock is taken
        read_key(vault_id, allow_prompt=True)
    keyring_key = os.urandom(KEYRING_KEY_BYTES)
    stored: list[bool] = []

    def transform(slots: list[dict[str, Any]], master_key: bytearray) -> list[dict[str, Any]]:
        kept = without_keyring_slots(slots)
        if not any(slot.get("type") == PASSWORD_SLOT for slot in kept):
            raise VaultError("the vault has no password slot: quick unlock was not turned on")
        if len(kept) >= MAX_SLOTS:
            raise VaultError("the vault has no room for another key slot")
        slot = make_keyring_slot(master_key, keyring_key, created)
        store_key(vault_id, encode_item(keyring_key))  # QuickUnlockUnavailable: nothing saved
        stored.append(True)
        return [*kept, slot]

    try:
        vault.replace_slots(transform)
    except BaseException:
        if stored:  # the new key is in the keyring, its slot not in the vault: take it out
            try:
                delete_key(vault_id)
            except QuickUnlockUnavailable:
                _log.warning("a quick unlock key was left in the keyring after a failed save")
        raise


def _days(days: int) -> str:
    return "day" if days == 1 else f"{days} days"
