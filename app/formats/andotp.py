"""andOTP backups: the plain JSON list, and both encrypted formats.

Nothing marks a file as encrypted: JSON is plain, anything else is encrypted. The current
format is iterations (4 bytes, big-endian) | salt (12) | nonce (12) | AES-256-GCM ciphertext
| tag (16) with a PBKDF2-HMAC-SHA1 key; the old one is nonce | ciphertext | tag with the
SHA-256 of the password as the key. Both are tried (the cheap old one first).
"""

from __future__ import annotations

import struct

from app.core.account import Account, OtpType
from app.formats import _crypto
from app.formats._common import (
    as_object,
    opt_str,
    otp_settings,
    req_str,
    secret_from_base32,
)
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.errors import WrongPasswordError
from app.formats.view import SourceView

NONCE = 12
SALT = 12
TAG = 16
HEADER = 4 + SALT + NONCE


def _plain_list(value: object) -> list[object] | None:
    """`value` (the file as JSON) when it is a list of andOTP entries."""
    # An empty list is anybody's: only a list of andOTP entries is claimed.
    if (
        isinstance(value, list)
        and value
        and all(
            isinstance(item, dict) and "secret" in item and "type" in item and "label" in item
            for item in value
        )
    ):
        return value
    return None


def _iterations(data: bytes) -> int:
    value: int = struct.unpack(">I", data[:4])[0]
    return value


def _looks_encrypted(source: SourceView) -> bool:
    data, lowered = source.data, source.filename.lower()
    if len(data) < NONCE + TAG + 2 or source.text is not None:
        return False
    if lowered.endswith(".aes") or "andotp" in lowered or "otp_accounts" in lowered:
        return True
    # The current format's header: an iteration count andOTP would choose.
    return len(data) >= HEADER + TAG + 2 and 1_000 <= _iterations(data) <= 10_000_000


def _decrypt(data: bytes, password: str) -> bytes:
    secret = password.encode("utf-8")
    if len(data) >= NONCE + TAG:
        old = _crypto.aes_gcm_open(_crypto.sha256(secret), data[:NONCE], data[NONCE:])
        if old is not None:
            return old
    if len(data) >= HEADER + TAG:
        iterations = _iterations(data)
        if 1 <= iterations <= _crypto.MAX_PBKDF2_ITERATIONS:
            budget = _crypto.KdfBudget()
            key = _crypto.pbkdf2(secret, data[4 : 4 + SALT], iterations, "sha1", budget=budget)
            new = _crypto.aes_gcm_open(key, data[4 + SALT : HEADER], data[HEADER:])
            if new is not None:
                return new
    raise WrongPasswordError(
        "wrong password for this andOTP backup (or the file is not an andOTP backup)"
    )


def _name_issuer(entry: dict[str, object]) -> tuple[str, str]:
    label = req_str(entry, "label")
    if "issuer" in entry:
        return opt_str(entry, "issuer"), label
    # Old andOTP kept the issuer in the label: "Issuer - Name".
    issuer, separator, name = label.partition(" - ")
    return (issuer, name) if separator else ("", label)


def _convert(value: object) -> Account:
    entry = as_object(value, "the entry")
    kind = req_str(entry, "type").lower()
    if kind not in ("totp", "hotp", "steam"):
        raise EntryError("unsupported type")
    issuer, name = _name_issuer(entry)
    tags = entry.get("tags")
    groups = tuple(t for t in tags if isinstance(t, str) and t) if isinstance(tags, list) else ()
    return Account(
        secret=secret_from_base32(req_str(entry, "secret")),
        **otp_settings(entry, OtpType(kind)),
        issuer=issuer,
        name=name,
        groups=groups,
    )


class AndOtpImporter(FileImporter):
    name = "andotp"
    title = "andOTP"
    document = "an andOTP backup"

    def sniff(self, source: SourceView) -> bool:
        return _plain_list(source.json) is not None or _looks_encrypted(source)

    def needs_password(self, data: bytes) -> bool:
        return SourceView(data).text is None

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        if source.text is not None:
            items = self.load_json(source.text)
        else:
            items = self.load_json(
                _decrypt(source.data, self.password_given(password)), part="decrypted"
            )
        if not isinstance(items, list):
            raise self.not_this("the file is not a list of accounts")
        entries.convert_all(items, _convert)
