"""TOTP Authenticator (Binary Boxes): the encrypted backup and the app's preferences file.

The backup is base64 of AES-256-CBC (key = SHA-256 of the password, zero IV, PKCS#7). The
plaintext is a JSON object whose first key is itself the JSON list of accounts. A backup made
without a password uses the app's built-in one, which Keyfob tries when none is given.
Like Aegis, only the secret, issuer and name are read: codes are TOTP SHA1, 6 digits, 30 s.
"""

from __future__ import annotations

import base64
import binascii
import re

from app.core.account import Account
from app.formats import _crypto
from app.formats._common import (
    as_object,
    b64decode,
    hex_decode,
    json_list,
    json_or_none,
    opt_str,
    req_int,
    req_str,
    secret_from_base32,
)
from app.formats.base import Entries, EntryError, FileImporter, raw_json
from app.formats.errors import ImportFormatError, PasswordRequiredError
from app.formats.view import SourceView, parse_json

DEFAULT_PASSWORD = "TotpAuthenticator"  # noqa: S105  # the app's own, published by Aegis
PREF_KEY = "STATIC_TOTP_CODES_LIST"
_BASE64_TEXT = re.compile(rb"[A-Za-z0-9+/=\s]+")


def _ciphertext(data: bytes) -> bytes | None:
    if not data or not _BASE64_TEXT.fullmatch(data):
        return None
    try:
        raw = base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if raw and len(raw) % 16 == 0 else None


def _decrypt(ciphertext: bytes, password: str) -> object | None:
    key = _crypto.sha256(password.encode("utf-8"))
    plaintext = _crypto.aes_cbc_open(key, bytes(16), ciphertext)
    return None if plaintext is None else json_or_none(plaintext)


def _account_list(value: object) -> list[object]:
    """The accounts from the decrypted object: its first key is the JSON list."""
    if not isinstance(value, dict):
        raise ImportFormatError("the file is damaged: the decrypted backup is not an object")
    return json_list(next(iter(value)), "the account list") if value else []


def _convert(value: object) -> Account:
    if isinstance(value, str):  # some versions store each account as a JSON string
        try:
            value = parse_json(value)
        except ValueError:
            raise EntryError("the entry is not valid JSON") from None
    entry = as_object(value, "the entry")
    base, key = req_int(entry, "base"), req_str(entry, "key")
    if base == 16:
        secret = hex_decode(key, "'key'")
    elif base == 32:
        secret = secret_from_base32(key)
    elif base == 64:
        secret = b64decode(key, "'key'")
    else:
        raise EntryError("unsupported secret encoding")
    return Account(secret=secret, issuer=opt_str(entry, "issuer"), name=opt_str(entry, "name"))


class TotpAuthenticatorImporter(FileImporter):
    name = "totpauthenticator"
    title = "TOTP Authenticator"
    document = "a TOTP Authenticator backup"

    def sniff(self, source: SourceView) -> bool:
        return _ciphertext(source.data) is not None or source.pref(PREF_KEY) is not None

    def needs_password(self, data: bytes) -> bool:
        ciphertext = _ciphertext(data)
        return ciphertext is not None and _decrypt(ciphertext, DEFAULT_PASSWORD) is None

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        ciphertext = _ciphertext(source.data)
        if ciphertext is not None:
            plaintext = _decrypt(ciphertext, password or DEFAULT_PASSWORD)
            if plaintext is None and password is None:
                raise PasswordRequiredError(f"{self.this} has a password: give it")
            if plaintext is None:
                raise self.wrong_password()
            accounts = _account_list(plaintext)
        else:
            settings = source.pref(PREF_KEY)
            if settings is None:
                raise self.not_this("neither a backup nor the app's settings")
            accounts = json_list(settings, "the account list")
        # Some versions store each account as a JSON string: shown as it is.
        entries.convert_all(accounts, _convert, lambda v: v if isinstance(v, str) else raw_json(v))
