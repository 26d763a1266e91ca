"""Canonical JSON, strict base64url and Ed25519 signatures over purpose-tagged bytes.

Every signed message of the protocol is `tag + "\\n" + canonical(message without "sig")`;
the tag names the purpose, so a signature made for one kind of message never verifies as
another. Canonical JSON is what PUSH-PROTOCOL.md spells out: UTF-8, sorted keys, no
whitespace, no floats.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from typing import Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from app.push.errors import ProtocolError

# The key classes are re-exported so the server needs no cryptography import of its own.
__all__ = [
    "KEY_SIZE",
    "SIGNATURE_SIZE",
    "TAGS",
    "TAG_CHALLENGE",
    "TAG_HELLO",
    "TAG_REGISTER",
    "TAG_REGISTERED",
    "TAG_RESPONSE",
    "TAG_WS_AUTH",
    "Ed25519PrivateKey",
    "Ed25519PublicKey",
    "JsonObject",
    "b64u_decode",
    "b64u_encode",
    "canonical",
    "digest",
    "load_private_key",
    "load_public_key",
    "loads_object",
    "new_private_key",
    "private_key_bytes",
    "private_key_from_pem",
    "private_key_to_pem",
    "public_key_bytes",
    "sign",
    "signed_bytes",
    "verify",
]

TAG_REGISTER: Final = "keyfob-register-v1"
TAG_REGISTERED: Final = "keyfob-registered-v1"
TAG_HELLO: Final = "keyfob-hello-v1"
TAG_WS_AUTH: Final = "keyfob-ws-auth-v1"
TAG_CHALLENGE: Final = "keyfob-challenge-v1"
TAG_RESPONSE: Final = "keyfob-response-v1"
TAGS: Final = (TAG_REGISTER, TAG_REGISTERED, TAG_HELLO, TAG_WS_AUTH, TAG_CHALLENGE, TAG_RESPONSE)

KEY_SIZE: Final = 32
SIGNATURE_SIZE: Final = 64
MAX_DEPTH: Final = 8

_B64U = re.compile(r"[A-Za-z0-9_-]*")

JsonObject = dict[str, object]


def b64u_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: object, size: int | None = None) -> bytes:
    """Decode unpadded base64url, refusing anything but its one canonical spelling.

    Padding, whitespace, the standard alphabet's `+/`, and stray low bits in the last
    character are all refused, so two different strings never decode to the same bytes.
    """
    if not isinstance(text, str) or _B64U.fullmatch(text) is None or len(text) % 4 == 1:
        raise ProtocolError("expected unpadded base64url text")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ProtocolError("expected unpadded base64url text") from exc
    if b64u_encode(data) != text:
        raise ProtocolError("base64url text is not in its canonical form")
    if size is not None and len(data) != size:
        raise ProtocolError(f"expected {size} bytes of base64url data, got {len(data)}")
    return data


def _check(value: object, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ProtocolError("JSON nested too deeply")
    if value is None or isinstance(value, bool | int):
        return
    if isinstance(value, str):
        _check_text(value)
        return
    if isinstance(value, list):
        for item in value:
            _check(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ProtocolError("JSON object keys must be strings")
            _check_text(key)
            _check(item, depth + 1)
        return
    if isinstance(value, float):
        raise ProtocolError("floats are not allowed in protocol JSON; use integers")
    raise ProtocolError(f"{type(value).__name__} cannot be written as protocol JSON")


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ProtocolError("text contains an unpaired surrogate") from exc


def canonical(obj: Mapping[str, object]) -> bytes:
    """The one byte string a JSON object is signed as."""
    _check(dict(obj), 0)
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def signed_bytes(tag: str, obj: Mapping[str, object]) -> bytes:
    if tag not in TAGS:
        raise ValueError(f"unknown signature tag {tag!r}")
    return tag.encode("ascii") + b"\n" + canonical({k: v for k, v in obj.items() if k != "sig"})


def digest(tag: str, obj: Mapping[str, object]) -> bytes:
    """SHA-256 of what a message was signed as: how a response names its challenge."""
    return hashlib.sha256(signed_bytes(tag, obj)).digest()


def sign(key: Ed25519PrivateKey, tag: str, obj: Mapping[str, object]) -> JsonObject:
    """A copy of `obj` with its `sig` field set."""
    body: dict[str, object] = {k: v for k, v in obj.items() if k != "sig"}
    body["sig"] = b64u_encode(key.sign(signed_bytes(tag, body)))
    return body


def verify(key: Ed25519PublicKey, tag: str, obj: Mapping[str, object]) -> bool:
    """Whether `obj["sig"]` is the key's signature of `obj` under `tag`; never raises."""
    try:
        sig = b64u_decode(obj.get("sig"), SIGNATURE_SIZE)
        key.verify(sig, signed_bytes(tag, obj))
    except (ProtocolError, InvalidSignature):
        return False
    return True


def _reject_constant(name: str) -> object:
    raise ProtocolError(f"{name} is not allowed in protocol JSON")


def _reject_float(text: str) -> object:
    raise ProtocolError("floats are not allowed in protocol JSON; use integers")


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ProtocolError(f"duplicate JSON key {key!r}")
        result[key] = value
    return result


def loads_object(raw: str | bytes) -> JsonObject:
    """Parse one JSON object strictly: no floats, NaN, duplicate keys or deep nesting.

    Raises ProtocolError for anything else, whatever the input.
    """
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("message is not UTF-8 text") from exc
    try:
        value = json.loads(
            raw,
            parse_float=_reject_float,
            parse_constant=_reject_constant,
            object_pairs_hook=_no_duplicates,
        )
    except ProtocolError:
        raise
    except RecursionError as exc:
        raise ProtocolError("JSON nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError, and ints longer than Python converts
        raise ProtocolError("message is not valid JSON") from exc
    if not isinstance(value, dict):
        raise ProtocolError("expected a JSON object")
    _check(value, 0)
    return value


def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_bytes(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )


def public_key_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_private_key(data: bytes) -> Ed25519PrivateKey:
    if len(data) != KEY_SIZE:
        raise ProtocolError(f"an Ed25519 private key is {KEY_SIZE} bytes")
    return Ed25519PrivateKey.from_private_bytes(data)


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """PKCS#8 PEM, unencrypted: how the server keeps its key in a 0600 file."""
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def private_key_from_pem(data: bytes) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise ProtocolError("not a PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise ProtocolError("not an Ed25519 private key")
    return key


def load_public_key(data: bytes) -> Ed25519PublicKey:
    if len(data) != KEY_SIZE:
        raise ProtocolError(f"an Ed25519 public key is {KEY_SIZE} bytes")
    try:
        return Ed25519PublicKey.from_public_bytes(data)
    except ValueError as exc:
        raise ProtocolError("not a valid Ed25519 public key") from exc
