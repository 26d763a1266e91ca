"""Helpers every importer shares: text and JSON decoding, typed field access, entry collection.

The rule they enforce: a problem with the whole file is an ImportFormatError; a problem with
one entry is an EntryError, which `Entries` turns into an EntryProblem so the rest of the file
still imports. No message ever quotes a value from the file (it could be a secret).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import math
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from app.core.account import Account, Algorithm
from app.core.errors import AccountError, UriError
from app.core.secret import decode_base32
from app.formats.base import EntryProblem, ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import json_from_text, looks_like_json, parse_json, text_or_none

MAX_FILE_BYTES = 64 * 1024 * 1024  # far above any real export; refused before any parsing
MAX_ENTRIES = 100_000

_DECIMAL = re.compile(r"[+-]?[0-9]{1,30}")
T = TypeVar("T")
JsonObject = dict[str, object]


class EntryError(Exception):
    """One entry cannot be used. The message says why, in words safe to show."""


def check_size(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ImportFormatError(
            f"the file is too large ({len(data) // (1024 * 1024)} MiB) to be an "
            "authenticator export"
        )


def require_text(data: bytes, what: str) -> str:
    text = text_or_none(data)
    if text is None:
        raise ImportFormatError(f"not {what}: the file is not UTF-8 text")
    return text


def json_or_none(data: bytes) -> object | None:
    """The file parsed as JSON, or None when it is not JSON at all.

    For `read` and `needs_password`; sniffers use the shared SourceView, which parses once.
    """
    if not looks_like_json(data):
        return None
    return json_from_text(data, text_or_none(data))


def load_json(data: bytes | str, what: str) -> object:
    """Parse JSON from the file, or say the file is damaged / not `what`."""
    text = data if isinstance(data, str) else require_text(data, what)
    try:
        return parse_json(text)
    except ValueError:
        raise ImportFormatError(f"not {what}: the file is not valid JSON") from None


def raw_json(value: object) -> str:
    """An entry as text for the preview."""
    try:
        return json.dumps(value, ensure_ascii=False)
    except (ValueError, RecursionError):
        return "(an entry nested too deeply to show)"


# Typed access to parsed JSON. Each raises EntryError naming the field, never its value.


def as_object(value: object, what: str) -> JsonObject:
    if not isinstance(value, dict):
        raise EntryError(f"{what} is not a JSON object")
    return value


def as_list(value: object, what: str) -> list[object]:
    if not isinstance(value, list):
        raise EntryError(f"{what} is not a list")
    return value


def req_str(obj: JsonObject, key: str) -> str:
    value = obj.get(key)
    if value is None:
        raise EntryError(f"'{key}' is missing")
    if not isinstance(value, str):
        raise EntryError(f"'{key}' is not text")
    return value


def opt_str(obj: JsonObject, key: str, default: str = "") -> str:
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, str):
        raise EntryError(f"'{key}' is not text")
    return value


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
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise EntryError(f"'{key}' is not true or false")
    return value


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


def file_damaged(error: EntryError) -> ImportFormatError:
    """A structural EntryError (about the file, not one entry) as the file-level error."""
    return ImportFormatError(f"the file is damaged: {error}")


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


class Entries:
    """Collects accounts and problems; one bad entry never stops the import."""

    def __init__(self) -> None:
        self.accounts: list[Account] = []
        self.problems: list[EntryProblem] = []

    def problem(self, raw: str, reason: str) -> None:
        self._check_count()
        self.problems.append(EntryProblem(raw=raw, reason=reason))

    def _check_count(self) -> None:
        if len(self.accounts) + len(self.problems) >= MAX_ENTRIES:
            raise ImportFormatError(f"the file holds more than {MAX_ENTRIES} entries")

    def add(self, account: Account) -> None:
        self._check_count()
        self.accounts.append(account)

    def convert(self, raw: str, build: Callable[[], Account | None]) -> None:
        """Run `build`; a bad entry becomes a problem with `raw`. None means: skip quietly."""
        self._check_count()
        try:
            account = build()
        except (EntryError, AccountError, UriError) as error:
            self.problem(raw, str(error) or "the entry cannot be read")
            return
        if account is not None:
            self.accounts.append(account)

    def convert_all(
        self, items: Iterable[T], build: Callable[[T], Account | None], raw: Callable[[T], str]
    ) -> None:
        for item in items:
            self.convert(raw(item), functools.partial(build, item))

    def result(self) -> ImportResult:
        return ImportResult(accounts=self.accounts, problems=self.problems)
