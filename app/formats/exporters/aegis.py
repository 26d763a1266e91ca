"""Aegis Authenticator vault files, encrypted (a scrypt password slot) and plain.

What Aegis 3.x itself writes (docs/vault.md in beemdevelopment/Aegis): the outer file
`{"version": 1, "header": {"slots", "params"}, "db"}`; content version 3 with groups as
`{"uuid", "name"}` objects that entries list by uuid. Encrypted: a random 256-bit master key
encrypts the content (AES-256-GCM, nonce and tag in hex in `header.params`, `db` base64 of
the ciphertext without the tag); one password slot wraps the master key under
scrypt(UTF-8 password, 32-byte salt, N=2^15, r=8, p=1), the parameters Aegis uses on phones.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from app.core.account import Account, OtpType
from app.core.secret import encode_base32
from app.formats.exporters.base import Exporter, LeftOut, Output, group_order, label_of

FILE_VERSION = 1
CONTENT_VERSION = 3
PASSWORD_SLOT = 1
SCRYPT_N = 1 << 15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 32
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
MAX_AEGIS_COUNTER = 2**63 - 1  # a Java long
AEGIS_STEAM_PERIOD = 30
# The icon types Aegis shows (its IconType: JPEG, PNG, SVG).
AEGIS_ICON_TYPES = frozenset({"image/png", "image/jpeg", "image/svg+xml"})


def aegis_problem(account: Account) -> str | None:
    """Why Aegis cannot hold `account`, or None when it can."""
    if account.type is OtpType.HOTP and account.counter > MAX_AEGIS_COUNTER:
        return "the counter is too large for Aegis (at most 2^63-1)"
    if account.type is OtpType.STEAM and account.period != AEGIS_STEAM_PERIOD:
        return f"Aegis's Steam codes are always 30 s (this one: {account.period} s)"
    return None


def _icon(data_uri: str | None) -> tuple[str, bytes] | None:
    """(mime, image bytes) of a data: URI Aegis can show, else None."""
    if not data_uri or not data_uri.startswith("data:"):
        return None
    head, _, payload = data_uri[5:].partition(",")
    mime, _, encoding = head.partition(";")
    if encoding != "base64" or mime not in AEGIS_ICON_TYPES:
        return None
    try:
        return mime, base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        return None


def _info(account: Account) -> dict[str, Any]:
    info: dict[str, Any] = {
        "secret": encode_base32(account.secret),
        "algo": account.algorithm.value,
        "digits": account.digits,
    }
    if account.type is OtpType.HOTP:
        info["counter"] = account.counter
    else:
        info["period"] = account.period
    return info


def _entry_uuid(candidate: str, taken: set[str]) -> str:
    # Aegis parses entry uuids with UUID.fromString and keys its map by them: a uuid that
    # is not one (an account imported from elsewhere) or repeats gets a fresh one.
    try:
        value = str(uuid.UUID(candidate))
    except ValueError:
        value = ""
    if not value or value in taken:
        value = str(uuid.uuid4())
    taken.add(value)
    return value


def aegis_content(
    accounts: Sequence[Account], groups: Sequence[str] = ()
) -> tuple[dict[str, Any], list[LeftOut], list[str]]:
    """The content object (version 3), the accounts left out, and notes on what was lost."""
    names = group_order(accounts, groups)
    group_uuids = {name: str(uuid.uuid4()) for name in names}
    entries: list[dict[str, Any]] = []
    left_out: list[LeftOut] = []
    icons_dropped = 0
    taken: set[str] = set()
    for account in accounts:
        problem = aegis_problem(account)
        if problem is not None:
            left_out.append(LeftOut(label_of(account), problem))
            continue
        entry: dict[str, Any] = {
            "type": account.type.value,
            "uuid": _entry_uuid(account.uuid, taken),
            "name": account.name,
            "issuer": account.issuer,
            "note": account.note,
            "favorite": account.favourite,
            "icon": None,
        }
        icon = _icon(account.icon)
        if icon is not None:
            mime, image = icon
            entry["icon"] = base64.b64encode(image).decode("ascii")
            entry["icon_mime"] = mime
            entry["icon_hash"] = hashlib.sha256(mime.encode("utf-8") + image).hexdigest()
        elif account.icon:
            icons_dropped += 1
        entry["info"] = _info(account)
        entry["groups"] = [group_uuids[name] for name in account.groups]
        entries.append(entry)
    content = {
        "version": CONTENT_VERSION,
        "entries": entries,
        "groups": [{"uuid": group_uuids[name], "name": name} for name in names],
        "icons_optimized": True,
    }
    notes = []
    if icons_dropped:
        notes.append(
            f"{icons_dropped} icon(s) left out: Aegis shows only PNG, JPEG and SVG icons "
            "(the accounts themselves were exported)"
        )
    return content, left_out, notes


def _json_bytes(value: object) -> bytes:
    # Aegis writes UTF-8 with an indent of 4. A lone surrogate (possible in a name read
    # from a JSON escape) cannot be UTF-8: then every non-ASCII character is escaped.
    try:
        return json.dumps(value, indent=4, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=4, ensure_ascii=True).encode("ascii")


def _seal(key: bytes, plaintext: bytes) -> tuple[bytes, dict[str, str]]:
    """AES-256-GCM as Aegis stores it: ciphertext, and {nonce, tag} in hex."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext, None)
    return sealed[:-TAG_BYTES], {"nonce": nonce.hex(), "tag": sealed[-TAG_BYTES:].hex()}


def password_slot(master_key: bytes, password: str, n: int = SCRYPT_N) -> dict[str, Any]:
    salt = os.urandom(SALT_BYTES)
    kek = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=SCRYPT_R, p=SCRYPT_P).derive(
        password.encode("utf-8")
    )
    wrapped, key_params = _seal(kek, master_key)
    return {
        "type": PASSWORD_SLOT,
        "uuid": str(uuid.uuid4()),
        "key": wrapped.hex(),
        "key_params": key_params,
        "n": n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        # Slots Aegis writes today: the password as UTF-8 (not the pre-fix Java encoding),
        # and not a backup-only password.
        "repaired": True,
        "is_backup": False,
    }


def aegis_file(content: dict[str, Any], password: str | None, *, scrypt_n: int = SCRYPT_N) -> bytes:
    """The whole vault file: encrypted under `password`, or plain when it is None."""
    if password is None:
        outer: dict[str, Any] = {
            "version": FILE_VERSION,
            "header": {"slots": None, "params": None},
            "db": content,
        }
        return _json_bytes(outer)
    master_key = os.urandom(KEY_BYTES)
    ciphertext, params = _seal(master_key, _json_bytes(content))
    outer = {
        "version": FILE_VERSION,
        "header": {"slots": [password_slot(master_key, password, scrypt_n)], "params": params},
        "db": base64.b64encode(ciphertext).decode("ascii"),
    }
    return _json_bytes(outer)


class AegisExporter(Exporter):
    """`aegis` (encrypted) or `aegis-plain`. `scrypt_n` is for tests only: Aegis uses 2^15."""

    def __init__(self, *, encrypted: bool, scrypt_n: int = SCRYPT_N) -> None:
        self.encrypted = encrypted
        self.scrypt_n = scrypt_n
        self.name = "aegis" if encrypted else "aegis-plain"
        self.title = "Aegis Authenticator" + ("" if encrypted else " (unencrypted)")
        self.plaintext = not encrypted

    def render(self, accounts: Sequence[Account], groups: Sequence[str], key: str | None) -> Output:
        content, left_out, notes = aegis_content(accounts, groups)
        return Output(
            (("", aegis_file(content, key, scrypt_n=self.scrypt_n)),),
            exported=len(content["entries"]),
            left_out=tuple(left_out),
            notes=tuple(notes),
        )
