"""The server's long-term Ed25519 key and the relying parties' API keys."""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from app.push.canonical import (
    Ed25519PrivateKey,
    new_private_key,
    private_key_from_pem,
    private_key_to_pem,
)
from app.push.errors import ProtocolError
from app.server.errors import ServerError

log = logging.getLogger("keyfob.server")

SERVER_KEY_FILE: Final = "server-key.pem"
API_KEY_PREFIX: Final = "kf_"


def ensure_data_dir(data_dir: Path) -> Path:
    try:
        data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise ServerError(f"cannot create the data folder {data_dir}: {exc.strerror}") from exc
    if not data_dir.is_dir():
        raise ServerError(f"the data folder {data_dir} is not a folder")
    return data_dir


def load_or_create_key_file(path: Path) -> Ed25519PrivateKey:
    """The server key in `path`, made there (mode 0600) if the file does not exist.

    The key is written whole to a private temporary file first and then linked into place,
    which fails if the file exists: two servers starting together on one folder never read
    each other's half-written key, and the one that comes second uses the first one's."""
    if path.exists():
        return _load(path)
    key = new_private_key()
    try:
        create_private_file(path, private_key_to_pem(key))
    except FileExistsError:
        return _load(path)
    except OSError as exc:
        raise ServerError(f"cannot write the server key {path}: {exc.strerror}") from exc
    log.info("made a new server key in %s", path)
    return key


def create_private_file(path: Path, data: bytes) -> None:
    """Write `data` as a new file only this user can read (mode 0600), whole or not at all.

    It is written to a private temporary file first and then linked into place, which fails
    with FileExistsError if `path` exists: two processes making the same key file never read
    each other's half-written one, and the second uses the first one's. OSError otherwise."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_key_file(path: Path) -> Ed25519PrivateKey:
    """The server key in `path`, which must exist."""
    return _load(path)


def _load(path: Path) -> Ed25519PrivateKey:
    try:
        mode = path.stat().st_mode
        data = path.read_bytes()
    except OSError as exc:
        raise ServerError(f"cannot read the server key {path}: {exc.strerror}") from exc
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("the server key %s is readable by others; chmod 600 it", path)
    try:
        return private_key_from_pem(data)
    except ProtocolError as exc:
        raise ServerError(
            f"the server key {path} is damaged ({exc}); restore it from a backup "
            "(a new key would strand every enrolled device)"
        ) from exc


def hash_api_key(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


def key_id_for(key_hash: bytes) -> str:
    """A short public name for a key (a prefix of its hash): what `apikey list` shows."""
    return key_hash.hex()[:12]


@dataclass(frozen=True)
class NewApiKey:
    key: str = field(repr=False)
    key_id: str
    key_hash: bytes = field(repr=False)


def new_api_key() -> NewApiKey:
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key_hash = hash_api_key(key)
    return NewApiKey(key=key, key_id=key_id_for(key_hash), key_hash=key_hash)
