"""Base32 secrets at the edges: what people type and URIs carry, to and from raw bytes."""

from __future__ import annotations

import base64
import binascii
import re

from app.core.errors import AccountError

_SEPARATORS = re.compile(r"[\s\-]+")
_BASE32 = re.compile(r"[A-Z2-7]*=*")


def decode_base32(text: str) -> bytes:
    """Decode a base32 secret as people meet it: any case, spaces or dashes, padded or not.

    Raises AccountError ("secret is not valid base32") without echoing the text back.
    """
    cleaned = _SEPARATORS.sub("", text)
    # Checked before upper(): some non-ASCII letters upper-case into ASCII ("\u00df" gives
    # "SS"), which would turn text that is not base32 at all into a valid-looking secret.
    if not cleaned.isascii() or not _BASE32.fullmatch(cleaned.upper()):
        raise AccountError("secret is not valid base32 (letters A-Z and digits 2-7)")
    cleaned = cleaned.upper().rstrip("=")
    if not cleaned:
        raise AccountError("secret is empty")
    if len(cleaned) % 8 in (1, 3, 6):  # lengths no whole number of bytes encodes to
        raise AccountError("secret is not valid base32 (its length is impossible)")
    try:
        return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))
    except binascii.Error:
        raise AccountError("secret is not valid base32") from None


def encode_base32(secret: bytes) -> str:
    """Upper-case base32 without padding, the form otpauth:// URIs and most apps use."""
    return base64.b32encode(secret).decode("ascii").rstrip("=")
