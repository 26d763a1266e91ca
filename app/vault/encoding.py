"""Small, strict codecs shared by the vault modules: base64, integers, canonical JSON."""

from __future__ import annotations

import binascii
import json
from typing import Any

from app.vault.errors import VaultFormatError


def b64encode(data: bytes) -> str:
    """Standard base64 (RFC 4648 section 4) with padding and no line breaks."""
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def b64decode(value: object, what: str, length: int | None = None) -> bytes:
    """Decode standard padded base64, strictly; VaultFormatError naming `what` otherwise."""
    if not isinstance(value, str):
        raise VaultFormatError(f"{what} is missing or not text")
    try:
        data = binascii.a2b_base64(value.encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise VaultFormatError(f"{what} is not valid base64") from None
    if length is not None and len(data) != length:
        raise VaultFormatError(f"{what} has the wrong length")
    return data


def require_int(value: object, what: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise VaultFormatError(f"{what} must be a whole number of at least {minimum}")
    return value


def canonical_json(obj: Any) -> bytes:
    """The bytes an object is authenticated as: sorted keys, no spaces, ASCII escapes.

    Readers rebuild these bytes from what they parsed, so whitespace or key order in the file
    does not matter, while any change of a value does.
    """
    try:
        text = json.dumps(
            obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
        )
    except (TypeError, ValueError, RecursionError):
        raise VaultFormatError("the vault header holds values JSON cannot represent") from None
    return text.encode("ascii")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_strict(data: bytes | str) -> Any:
    """json.loads without NaN/Infinity; raises ValueError, RecursionError or UnicodeError."""
    return json.loads(data, parse_constant=_reject_constant)
