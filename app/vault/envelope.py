"""The vault file's outer layer: the JSON envelope, key slots, and AES-256-GCM with its AAD.

The file is `{"format", "version", "header", "data"}`. Everything but "data" is bound to the
ciphertext as associated data (canonical JSON), so no header field can be changed unnoticed.
FORMAT.md describes the layout for people; this module is the reference implementation.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.vault.encoding import b64decode, b64encode, canonical_json, loads_strict, require_int
from app.vault.errors import VaultAuthError, VaultFormatError
from app.vault.kdf import KdfParams, derive_key

FORMAT = "keyfob-vault"
# 2: the content carries "sync" (when each thing changed, for merging copies). A version 1
# file opens as before and is written as version 2 by its next save.
VERSION = 2
READABLE_VERSIONS = (1, 2)
CIPHER = "AES-256-GCM"
PASSWORD_SLOT = "password"  # noqa: S105 - a slot type, not a password
MASTER_KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_SLOTS = 16
MAX_PASSWORD_SLOTS = 4  # each costs a KDF run on a wrong password: bound the work of "open"
KEY_ID_BYTES = 16
# The HMAC message that names a master key; a constant so every writer derives the same id.
_KEY_ID_LABEL = b"keyfob-vault key id v1"
# Icons are data: URIs inside the vault, so a big vault is possible; this is far beyond any
# real one and only stops a hostile file from eating memory.
MAX_FILE_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Envelope:
    """A parsed vault file. `document` is the file's object without "data": the AAD."""

    document: dict[str, Any]
    nonce: bytes
    ciphertext: bytes  # AES-GCM output: ciphertext followed by the 16-byte tag
    aad: bytes

    @property
    def header(self) -> dict[str, Any]:
        header: dict[str, Any] = self.document["header"]
        return header

    @property
    def revision(self) -> int:
        revision: int = self.header["revision"]
        return revision

    @property
    def vault_id(self) -> str:
        vault_id: str = self.header["vault_id"]
        return vault_id

    @property
    def key_id(self) -> str | None:
        """Which master key encrypted the file (`key_id`); None if written before key ids."""
        key: str | None = self.header.get("key_id")
        return key


def key_id(master_key: bytearray | bytes) -> str:
    """A public name for a master key: HMAC-SHA256(master key, a fixed label), 16 bytes, base64.

    It tells which key a file (a backup, a copy) was made under without any password, so a
    password change can find the files the old password still opens. HMAC is a pseudo-random
    function of the key: the id reveals nothing about the key and cannot decrypt anything.
    """
    digest = hmac.new(bytes(master_key), _KEY_ID_LABEL, hashlib.sha256).digest()
    return b64encode(digest[:KEY_ID_BYTES])


def parse(raw: bytes) -> Envelope:
    """Check the outer layer of a vault file. Raises VaultFormatError, nothing else."""
    if len(raw) > MAX_FILE_BYTES:
        raise VaultFormatError("the file is far too large to be a Keyfob vault")
    try:
        document = loads_strict(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise VaultFormatError("not a Keyfob vault (the file is not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise VaultFormatError('not a Keyfob vault (no "format": "keyfob-vault")')
    version = document.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise VaultFormatError(
            f"the vault was written by a newer Keyfob (format version {version}): update Keyfob"
        )
    if version not in READABLE_VERSIONS or isinstance(version, bool):
        raise VaultFormatError("the vault's format version is not one this Keyfob knows")
    header = document.get("header")
    if not isinstance(header, dict):
        raise VaultFormatError("the vault has no header")
    if header.get("cipher") != CIPHER:
        raise VaultFormatError("the vault uses a cipher this Keyfob does not know")
    nonce = b64decode(header.get("nonce"), "the vault's nonce", NONCE_BYTES)
    require_int(header.get("revision"), "the vault's revision")
    if not isinstance(header.get("vault_id"), str):
        raise VaultFormatError("the vault has no vault_id")
    if "key_id" in header:
        b64decode(header["key_id"], "the vault's key id", KEY_ID_BYTES)
    slots = header.get("slots")
    if not isinstance(slots, list) or not 1 <= len(slots) <= MAX_SLOTS:
        raise VaultFormatError("the vault has no usable list of key slots")
    if not all(isinstance(s, dict) and isinstance(s.get("type"), str) for s in slots):
        raise VaultFormatError("a key slot of the vault is not an object with a type")
    ciphertext = b64decode(document.pop("data", None), "the vault's encrypted data")
    if len(ciphertext) < TAG_BYTES:
        raise VaultFormatError("the vault's encrypted data is truncated")
    return Envelope(document, nonce, ciphertext, canonical_json(document))


def new_document(slot: dict[str, Any]) -> dict[str, Any]:
    """The envelope of a new vault (revision 0: the first save makes it 1)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "header": {
            "cipher": CIPHER,
            "vault_id": str(uuid.uuid4()),
            "revision": 0,
            "nonce": "",
            "slots": [slot],
        },
    }


def seal(
    document: dict[str, Any], master_key: bytearray, plaintext: bytes, *, bump: bool = True
) -> bytes:
    """Encrypt `plaintext` under a fresh nonce into a complete file, bumping the revision.

    `document` (the previous envelope without "data") is updated in place: new nonce, the
    key id of `master_key`, and revision + 1 (unless `bump` is False: a backup re-encrypted
    under a new key stays the version it was). The whole of it is the AAD.
    """
    header = document["header"]
    document["version"] = VERSION  # an older file is upgraded by its first save
    nonce = os.urandom(NONCE_BYTES)
    header["nonce"] = b64encode(nonce)
    header["key_id"] = key_id(master_key)
    if bump:
        header["revision"] = header["revision"] + 1
    aad = canonical_json(document)
    data = AESGCM(bytes(master_key)).encrypt(nonce, plaintext, aad)
    # The header is pretty-printed for people; "data" is appended by hand so json.dumps does
    # not have to scan megabytes of base64 (which never needs escaping).
    head = json.dumps(document, indent=2, ensure_ascii=True)
    return f'{head[:-2]},\n  "data": "{b64encode(data)}"\n}}\n'.encode("ascii")


def decrypt(envelope: Envelope, master_key: bytearray) -> bytes | None:
    """The plaintext, or None if the key does not fit or anything authenticated changed.

    A file naming another key id than `master_key`'s is refused without trying: the id is
    authenticated, so it can only disagree with the key that decrypts the file if a writer
    went wrong, and a quick "no" keeps scanning backups for one key cheap.
    """
    named = envelope.key_id
    if named is not None and named != key_id(master_key):
        return None
    try:
        return AESGCM(bytes(master_key)).decrypt(envelope.nonce, envelope.ciphertext, envelope.aad)
    except InvalidTag:
        return None


def wipe_key(key: bytearray) -> None:
    """Overwrite a key's bytes once it is no longer needed, so no copy lingers in memory."""
    key[:] = bytes(len(key))


# --- key slots -----------------------------------------------------------------------------


def slot_aad(slot: dict[str, Any]) -> bytes:
    # The slot's own description (type, id, KDF settings, and any field a newer version adds)
    # is authenticated by its wrap, so a slot cannot be relabelled even on its own.
    return canonical_json({k: v for k, v in slot.items() if k not in ("nonce", "wrapped_key")})


def password_slot(master_key: bytearray, password: str, params: KdfParams) -> dict[str, Any]:
    """A new password slot wrapping `master_key` under a key derived from `password`."""
    slot: dict[str, Any] = {
        "type": PASSWORD_SLOT,
        "id": str(uuid.uuid4()),
        "kdf": params.to_json(),
    }
    nonce = os.urandom(NONCE_BYTES)
    kek = derive_key(password, params)
    wrapped = AESGCM(kek).encrypt(nonce, bytes(master_key), slot_aad(slot))
    slot["nonce"] = b64encode(nonce)
    slot["wrapped_key"] = b64encode(wrapped)
    return slot


@dataclass(frozen=True, slots=True)
class _PasswordSlot:
    params: KdfParams
    nonce: bytes
    wrapped_key: bytes
    aad: bytes


def _read_password_slot(slot: dict[str, Any]) -> _PasswordSlot:
    if not isinstance(slot.get("id"), str):
        raise VaultFormatError("a password slot of the vault has no id")
    params = KdfParams.from_json(slot.get("kdf"))
    nonce = b64decode(slot.get("nonce"), "a password slot's nonce", NONCE_BYTES)
    wrapped = b64decode(
        slot.get("wrapped_key"), "a password slot's wrapped key", MASTER_KEY_BYTES + TAG_BYTES
    )
    return _PasswordSlot(params, nonce, wrapped, slot_aad(slot))


def unwrap_with_password(envelope: Envelope, password: str) -> bytearray:
    """The master key from the first password slot `password` opens.

    Every slot is checked for shape before any KDF runs, so a malformed file costs nothing.
    Raises VaultFormatError (no usable password slot) or VaultAuthError (none opens).
    """
    slots = [_read_password_slot(s) for s in envelope.header["slots"] if s["type"] == PASSWORD_SLOT]
    if not slots:
        raise VaultFormatError("the vault has no password slot this Keyfob can open")
    if len(slots) > MAX_PASSWORD_SLOTS:
        raise VaultFormatError("the vault has more password slots than any Keyfob writes")
    for slot in slots:
        kek = derive_key(password, slot.params)
        try:
            return bytearray(AESGCM(kek).decrypt(slot.nonce, slot.wrapped_key, slot.aad))
        except InvalidTag:
            continue
    raise VaultAuthError("wrong password: nothing was changed; try again")
