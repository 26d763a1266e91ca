"""Duo integration credentials, and the key that keeps their secret keys sealed at rest.

Duo's signature is an HMAC keyed by the secret key itself, so the server must be able to
read each secret key back: a hash would not do. Each one is stored sealed with AES-256-GCM
(its integration key as associated data, so a sealed key cannot be moved to another row)
under a key kept outside the database: the Duo key file, `duo-key` in the data folder next
to the server key, or `--duo-key FILE`. Every node of a server needs the same file; each
sealed row records which key sealed it (`key_id`), so a node with another file refuses to
start instead of failing every signature. The same key also derives the Duo user ids.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import secrets
import stat
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.server.errors import ServerError
from app.server.keys import create_private_file

log = logging.getLogger("keyfob.server.duo")

DUO_KEY_FILE: Final = "duo-key"
INTEGRATION_KEY_LENGTH: Final = 20
SECRET_KEY_LENGTH: Final = 40
_KEY_SIZE: Final = 32
_NONCE_SIZE: Final = 12
_UPPER_DIGITS: Final = string.ascii_uppercase + string.digits
_SECRET_ALPHABET: Final = string.ascii_letters + string.digits
_B32: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


class DuoKeyError(ServerError):
    """The Duo key file is missing, unreadable, or not the one the database was sealed with."""


def new_integration_key() -> str:
    """Like Duo's: "DI" and 18 upper-case letters and digits."""
    return "DI" + "".join(secrets.choice(_UPPER_DIGITS) for _ in range(18))


def new_secret_key() -> str:
    """40 letters and digits (238 bits), like Duo's."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_KEY_LENGTH))


@dataclass(frozen=True)
class DuoKey:
    """The key of the Duo key file, and what it seals and derives."""

    material: bytes = field(repr=False)

    def _derive(self, label: str) -> bytes:
        mac = hmac.HMAC(self.material, hashes.SHA256())
        mac.update(b"keyfob-duo-v1 " + label.encode("ascii"))
        return mac.finalize()

    @property
    def key_id(self) -> str:
        """A public name for this key (which sealed a row): not the key."""
        return base64.b32encode(self._derive("key id")).decode("ascii")[:12]

    def seal(self, label: str, plaintext: str) -> bytes:
        """`plaintext` sealed, bound to `label` (the row it belongs to)."""
        nonce = os.urandom(_NONCE_SIZE)
        box = AESGCM(self._derive("seal"))
        return nonce + box.encrypt(nonce, plaintext.encode("utf-8"), label.encode("utf-8"))

    def open(self, label: str, sealed: bytes) -> str:
        box = AESGCM(self._derive("seal"))
        try:
            plain = box.decrypt(sealed[:_NONCE_SIZE], sealed[_NONCE_SIZE:], label.encode("utf-8"))
        except (InvalidTag, ValueError) as exc:
            raise DuoKeyError("a sealed Duo secret does not open with this Duo key") from exc
        return plain.decode("utf-8")

    def user_id(self, rp: str, user: str) -> str:
        """The Duo user id of a site's user: stable, opaque, "DU" and 18 characters."""
        mac = hmac.HMAC(self._derive("user id"), hashes.SHA256())
        mac.update(rp.encode("utf-8", "surrogatepass") + b"\x00")
        mac.update(user.encode("utf-8", "surrogatepass"))
        digest = int.from_bytes(mac.finalize()[:12], "big")
        return "DU" + "".join(_B32[(digest >> (5 * i)) & 31] for i in range(18))


def load_duo_key(path: Path) -> DuoKey | None:
    """The key in `path`, None when there is no such file."""
    try:
        mode = path.stat().st_mode
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DuoKeyError(f"cannot read the Duo key {path}: {_reason(exc)}") from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the Duo key %s is readable by others; chmod 600 it", path)
    try:
        material = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        material = b""
    if len(material) != _KEY_SIZE:
        raise DuoKeyError(f"the Duo key {path} is damaged; restore it from a backup")
    return DuoKey(material)


def load_or_create_duo_key(path: Path) -> DuoKey:
    """The key in `path`, made there (mode 0600) when the file does not exist. Written whole
    to a private temporary file, then linked into place (which fails if another process made
    it meanwhile: then that one is used)."""
    found = load_duo_key(path)
    if found is not None:
        return found
    key = DuoKey(secrets.token_bytes(_KEY_SIZE))
    try:
        create_private_file(path, base64.b64encode(key.material) + b"\n")
    except FileExistsError:
        again = load_duo_key(path)
        assert again is not None
        return again
    except OSError as exc:
        raise DuoKeyError(f"cannot write the Duo key {path}: {_reason(exc)}") from exc
    log.info("made a new Duo key in %s", path)
    return key


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__


class DuoKeyring:
    """The Duo key file of this node, read when first needed and read again when a row names
    another key (the file was put in place, or replaced, while the server ran)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._key: DuoKey | None = None

    def current(self) -> DuoKey | None:
        if self._key is None:
            self._key = load_duo_key(self.path)
        return self._key

    def require(self) -> DuoKey:
        key = self.current()
        if key is None:
            raise DuoKeyError(f"there is no Duo key at {self.path}")
        return key

    def for_id(self, key_id: str) -> DuoKey:
        """The key that sealed a row (`key_id`); DuoKeyError when this node's file is not it."""
        key = self.current()
        if key is None or key.key_id != key_id:
            self._key = None
            key = self.current()
        if key is None or key.key_id != key_id:
            raise DuoKeyError(
                f"the Duo key {self.path} is not the one the Duo integrations were sealed "
                f"with (key id {key_id}); every node needs the same Duo key file"
            )
        return key

    def check(self, key_ids: set[str]) -> None:
        """At start: this node can open every integration in use, or says why not."""
        if not key_ids:
            return
        if len(key_ids) > 1:
            raise DuoKeyError(
                "the Duo integrations in this database were sealed with different Duo keys "
                f"({', '.join(sorted(key_ids))}); revoke the ones this node cannot open"
            )
        (key_id,) = key_ids
        if self.current() is None:
            raise DuoKeyError(
                f"there is no Duo key at {self.path}, and this database has Duo integrations "
                f"sealed with key id {key_id}: copy the Duo key file from the node or folder "
                "where `keyfob-server duo create` ran (or give it with --duo-key)"
            )
        self.for_id(key_id)
