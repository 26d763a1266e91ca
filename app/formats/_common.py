"""Helpers the importers share: typed access to parsed fields, secrets and icons decoded.

Each raises EntryError naming the field, never its value (it could be a secret): converting
an entry, that makes the entry a problem; about the file's structure, a damaged file (see
`base.FileImporter`).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Iterable
from typing import TypedDict, TypeVar

from app.core.account import Algorithm, OtpType
from app.core.errors import AccountError
from app.core.secret import decode_base32
from app.formats.base import EntryError
from app.formats.errors import ImportFormatError
from app.formats.view import json_from_text, looks_like_json, parse_json, text_or_none

_DECIMAL = re.compile(r"[+-]?[0-9]{1,30}")
JsonObject = dict[str, object]
_V = TypeVar("_V", str, bool)


def json_list(text: str, what: str) -> list[object]:
    """A JSON list the file holds as text (in a preference, say); the file is damaged when
    it is not one."""
    try:
        value = parse_json(text)
    except ValueError:
        raise ImportFormatError(f"the file is damaged: {what} is not JSON") from None
    if not isinstance(value, list):
        raise ImportFormatError(f"the file is damaged: {what} is not a list")
    return value


def json_or_none(data: bytes) -> object | None:
    """Decrypted bytes parsed as JSON, or None when they are not JSON at all."""
    if not looks_like_json(data):
        return None
    return json_from_text(data, text_or_none(data))


# Typed access to parsed JSON. Each raises EntryError naming the field, never its value.


def as_object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise EntryError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise EntryError(f"{what} is not a list")
    return value


def _optional(obj: JsonObject, key: str, kind: type[_V], default: _V | None) -> _V:
    """obj[key] when it is a `kind`; `default` when absent (None: required)."""
    value = obj.get(key)
    if value is None:
        if default is None:
            raise EntryError(f"'{key}' is missing")
        return default
    if not isinstance(value, kind):
        raise EntryError(f"'{key}' is {'not text' if kind is str else 'not true or false'}")
    return value


def req_str(obj: JsonObject, key: str) -> str:
    return _optional(obj, key, str, None)


def opt_str(obj: JsonObject, key: str, default: str = "") -> str:
    """The text under `key`, or `default`. Also for database rows (column -> value)."""
    return _optional(obj, key, str, default)


def to_int(value: object, what: str) -> int:
    """An integer from JSON: a number without fraction, or a decimal string ("30")."""
    if isinstance(value, bool):
        raise EntryError(f"{what} is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value.strip()):
        return int(value.strip())
    raise EntryError(f"{what} is not a whole number")


def req_int(obj: JsonObject, key: str) -> int:
    if obj.get(key) is None:
        raise EntryError(f"'{key}' is missing")
    return to_int(obj[key], f"'{key}'")


def opt_int(obj: JsonObject, key: str, default: int) -> int:
    value = obj.get(key)
    return default if value is None else to_int(value, f"'{key}'")


def opt_bool(obj: JsonObject, key: str, default: bool = False) -> bool:
    return _optional(obj, key, bool, default)


def signed_bytes(value: object, what: str) -> bytes:
    """A Java byte[] as JSON: a list of numbers from -128 to 255."""
    items = as_list(value, what)
    out = bytearray()
    for item in items:
        if isinstance(item, bool) or not isinstance(item, int) or not -128 <= item <= 255:
            raise EntryError(f"{what} is not a list of bytes")
        out.append(item & 0xFF)
    return bytes(out)


def algorithm(text: str) -> Algorithm:
    """An algorithm name as apps write it ("SHA1", "sha256", "HmacSHA512", "SHA-1")."""
    name = text.strip().upper().replace("-", "")
    name = name.removeprefix("HMAC")
    try:
        return Algorithm(name)
    except ValueError:
        raise EntryError(
            "unsupported algorithm (Keyfob supports SHA1, SHA256 and SHA512)"
        ) from None


class OtpSettings(TypedDict):
    """How an account makes its codes, as keyword arguments of Account."""

    type: OtpType
    algorithm: Algorithm
    digits: int
    period: int
    counter: int


def otp_settings(
    obj: JsonObject,
    kind: OtpType,
    *,
    algorithm_key: str = "algorithm",
    counter_default: int | None = None,
) -> OtpSettings:
    """The code settings most exports keep alike: an algorithm name, digits, and a period
    (TOTP, Steam) or a counter (HOTP; required unless `counter_default` is given)."""
    hotp = kind is OtpType.HOTP
    settings = OtpSettings(
        type=kind,
        algorithm=algorithm(opt_str(obj, algorithm_key, "SHA1")),
        digits=opt_int(obj, "digits", 6),
        period=30 if hotp else opt_int(obj, "period", 30),
        counter=0,
    )
    if hotp:
        settings["counter"] = (
            req_int(obj, "counter")
            if counter_default is None
            else opt_int(obj, "counter", counter_default)
        )
    return settings


def secret_from_base32(text: str) -> bytes:
    try:
        return decode_base32(text)
    except AccountError as error:
        raise EntryError(str(error)) from None


def b64decode(text: str | bytes, what: str, *, urlsafe: bool = False) -> bytes:
    """Strict base64 (padding optional); EntryError naming `what` when it is not."""
    try:
        raw = text.encode("ascii") if isinstance(text, str) else bytes(text)
    except UnicodeEncodeError:
        raise EntryError(f"{what} is not base64") from None
    raw = b"".join(raw.split())
    if urlsafe:
        raw = raw.replace(b"-", b"+").replace(b"_", b"/")
    raw = raw.rstrip(b"=")
    try:
        return base64.b64decode(raw + b"=" * (-len(raw) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise EntryError(f"{what} is not base64") from None


def hex_decode(text: str, what: str) -> bytes:
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise EntryError(f"{what} is not hexadecimal") from None


_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
MAX_ICON_BYTES = 1024 * 1024


def icon_uri(image: bytes, mime: str | None = None) -> str | None:
    """A data: URI for an icon, or None when it is not an image Keyfob can show.

    The type comes from the bytes themselves (PNG, JPEG, GIF, WebP, SVG), not from what the
    file claims, so a hostile file cannot smuggle another kind of content into a data: URI.
    """
    if not image or len(image) > MAX_ICON_BYTES:
        return None
    kind: str | None = None
    for magic, name in _IMAGE_MAGIC:
        if image.startswith(magic):
            kind = name
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        kind = "image/webp"
    head = image[:512].lstrip().lower()
    if mime == "image/svg+xml" and (head.startswith((b"<svg", b"<?xml"))):
        kind = "image/svg+xml"
    if kind is None:
        return None
    return f"data:{kind};base64,{base64.b64encode(image).decode('ascii')}"


def names_by_id(items: Iterable[object], id_key: str, name_key: str = "name") -> dict[str, str]:
    """Group (category, tag) names by their id, from a list of objects; others are ignored."""
    names: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            item_id, name = item.get(id_key), item.get(name_key)
            if isinstance(item_id, str) and isinstance(name, str) and name:
                names[item_id] = name
    return names
