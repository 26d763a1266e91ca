"""otpauth-migration:// URIs: Google Authenticator's export, to and from accounts.

`otpauth-migration://offline?data=<D>`, where D is standard base64 (usually percent-encoded,
padding optional) of a protobuf `MigrationPayload` (schema in ../shared/interop/README.md).
Large exports come in batches sharing `batch_id`; the caller says "QR 2 of 3 read".

Reading:
* A literal `+` in D is a base64 character, never a space; a space (a `+` some tool turned
  into one) is read back as `+`; the URL-safe alphabet (`-`, `_`) is accepted too.
* UNSPECIFIED enums are the defaults (SHA1, 6 digits, TOTP). MD5, unknown enum values and
  an empty secret make the whole payload an error: importing part of a QR code silently
  would lose accounts. There is no period field: TOTP is always 30 s.
* Google writes `name` as the label it scanned, so it often repeats the issuer
  ("ACME:alice" with issuer "ACME"). When the issuer is set and the name starts with it
  and a colon, that prefix is removed. With no issuer the name is kept whole: a colon there
  may be part of the name ("encoding: ...", as in extract_otp_secrets' sample), and nothing
  is lost by keeping it. Issuer and name lose surrounding spaces.
* `batch_id` is an int32 that real exports write as a 10-byte negative varint.

Writing gives what Google Authenticator itself writes (byte for byte, for its own samples):
version 1, every batch field set, the name without the issuer prefix (unless the name
itself starts with one, which then gets a second so reading gives it back).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote, unquote_plus

from app.core.account import Account, Algorithm, OtpType
from app.core.errors import AccountError, UriError
from app.core.protobuf import (
    LEN,
    VARINT,
    Field,
    as_int32,
    as_int64,
    bytes_field,
    iter_fields,
    varint_field,
)

SCHEME = "otpauth-migration://"
PREFIX = f"{SCHEME}offline?data="
GOOGLE_PERIOD = 30
MAX_GOOGLE_COUNTER = 2**63 - 1  # counter is an int64 in the payload
# Batches stop growing past this URI length, so each QR code stays easy to scan.
BATCH_URI_CHARS = 1400
# What one QR code (version 40, low error correction, byte mode) can hold at all.
MAX_URI_CHARS = 2953
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_ALGORITHMS = {0: Algorithm.SHA1, 1: Algorithm.SHA1, 2: Algorithm.SHA256, 3: Algorithm.SHA512}
_ALGORITHM_CODES = {Algorithm.SHA1: 1, Algorithm.SHA256: 2, Algorithm.SHA512: 3}
_MD5 = 4
_DIGITS = {0: 6, 1: 6, 2: 8}
_DIGIT_CODES = {6: 1, 8: 2}
_TYPES = {0: OtpType.TOTP, 1: OtpType.HOTP, 2: OtpType.TOTP}
_TYPE_CODES = {OtpType.HOTP: 1, OtpType.TOTP: 2}
_BASE64 = re.compile(r"[A-Za-z0-9+/]*")


@dataclass(frozen=True)
class MigrationBatch:
    """One payload (one QR code) of an export: `batch_index` (0-based) of `batch_size`."""

    accounts: list[Account]
    batch_index: int
    batch_size: int
    batch_id: int
    version: int


def _data_parameter(query: str) -> str:
    data: str | None = None
    for piece in query.split("&"):
        raw_key, _, raw_value = piece.partition("=")
        if unquote_plus(raw_key).strip().lower() != "data":
            continue
        if data is not None:
            raise UriError("the parameter data appears more than once")
        data = unquote(raw_value)  # not unquote_plus: '+' is a base64 character here
    if not data:
        raise UriError("data is missing from the otpauth-migration:// URI")
    return data


def _decode_base64(text: str) -> bytes:
    cleaned = text.strip().replace(" ", "+").replace("-", "+").replace("_", "/").rstrip("=")
    if not _BASE64.fullmatch(cleaned) or len(cleaned) % 4 == 1:
        raise UriError("data is not valid base64; scan or copy the QR code again")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except binascii.Error:
        raise UriError("data is not valid base64; scan or copy the QR code again") from None


def _varint(field: Field, what: str) -> int:
    field.expect(VARINT, what)
    assert isinstance(field.value, int)
    return field.value


def _bytes(field: Field, what: str) -> bytes:
    field.expect(LEN, what)
    assert isinstance(field.value, bytes)
    return field.value


def _issuer_prefix(issuer: str) -> re.Pattern[str]:
    return re.compile(rf"\s*{re.escape(issuer)}\s*:", re.IGNORECASE)


def _clean_name(name: str, issuer: str) -> str:
    if issuer:
        prefix = _issuer_prefix(issuer).match(name)
        if prefix:
            return name[prefix.end() :].strip()
    return name


@dataclass
class _RawParameters:
    """OtpParameters as the wire has them, before any meaning is given to the numbers."""

    secret: bytes = b""
    name: str = ""
    issuer: str = ""
    algorithm: int = 0
    digits: int = 0
    type: int = 0
    counter: int = 0


def _read_parameters(data: bytes) -> _RawParameters:
    raw = _RawParameters()
    for field in iter_fields(data):
        if field.number == 1:
            raw.secret = _bytes(field, "the secret")
        elif field.number == 2:
            raw.name = _bytes(field, "the name").decode("utf-8", errors="replace")
        elif field.number == 3:
            raw.issuer = _bytes(field, "the issuer").decode("utf-8", errors="replace")
        elif field.number == 4:
            raw.algorithm = as_int32(_varint(field, "the algorithm"))
        elif field.number == 5:
            raw.digits = as_int32(_varint(field, "the digits"))
        elif field.number == 6:
            raw.type = as_int32(_varint(field, "the type"))
        elif field.number == 7:
            raw.counter = as_int64(_varint(field, "the counter"))
    return raw


def _parse_account(data: bytes) -> Account:
    raw = _read_parameters(data)
    if not raw.secret:
        raise UriError("secret is missing")
    if raw.algorithm == _MD5:
        raise UriError("unknown algorithm MD5 (Keyfob supports SHA1, SHA256 and SHA512)")
    if raw.algorithm not in _ALGORITHMS:
        raise UriError(f"unknown algorithm value {raw.algorithm}")
    if raw.digits not in _DIGITS:
        raise UriError(f"unknown digits value {raw.digits} (6 or 8 digits)")
    if raw.type not in _TYPES:
        raise UriError(f"unknown OTP type value {raw.type}")
    otp_type = _TYPES[raw.type]
    if otp_type is OtpType.HOTP and raw.counter < 0:
        raise UriError("counter must be a whole number from 0 to 2^64-1")
    issuer = raw.issuer.strip()
    try:
        return Account(
            secret=raw.secret,
            type=otp_type,
            issuer=issuer,
            name=_clean_name(raw.name.strip(), issuer),
            algorithm=_ALGORITHMS[raw.algorithm],
            digits=_DIGITS[raw.digits],
            counter=raw.counter if otp_type is OtpType.HOTP else 0,
        )
    except AccountError as error:
        raise UriError(str(error)) from None


def parse_migration(uri: str) -> MigrationBatch:
    """The accounts and batch position of one otpauth-migration:// URI; raises UriError."""
    text = uri.strip()
    if text[: len(SCHEME)].lower() != SCHEME:
        raise UriError("not an otpauth-migration:// URI")
    host, _, query = text[len(SCHEME) :].partition("?")
    if host.rstrip("/").lower() != "offline":
        raise UriError("not an otpauth-migration://offline URI")
    payload = _decode_base64(_data_parameter(query))

    raw_accounts: list[bytes] = []
    version = batch_size = batch_index = batch_id = 0
    for field in iter_fields(payload):
        if field.number == 1:
            raw_accounts.append(_bytes(field, "an account"))
        elif field.number == 2:
            version = as_int32(_varint(field, "the version"))
        elif field.number == 3:
            batch_size = as_int32(_varint(field, "the batch size"))
        elif field.number == 4:
            batch_index = as_int32(_varint(field, "the batch index"))
        elif field.number == 5:
            batch_id = as_int32(_varint(field, "the batch id"))
    batch_size = batch_size or 1  # proto3: 0 is "not set"
    if batch_size < 0 or not 0 <= batch_index < batch_size:
        raise UriError(f"the batch position is impossible (QR {batch_index + 1} of {batch_size})")

    accounts = []
    for number, raw in enumerate(raw_accounts, start=1):
        try:
            accounts.append(_parse_account(raw))
        except UriError as error:
            raise UriError(f"account {number} of {len(raw_accounts)}: {error}") from None
    return MigrationBatch(accounts, batch_index, batch_size, batch_id, version)


def _encode_account(account: Account) -> bytes:
    name = account.name
    if account.issuer.strip() and _issuer_prefix(account.issuer.strip()).match(name):
        # The reader strips one "issuer:" prefix, so a name that itself begins with one
        # gets another in front to survive the round trip.
        name = f"{account.issuer}:{name}"
    fields = [
        bytes_field(1, account.secret),
        bytes_field(2, name.encode("utf-8", errors="replace")),
    ]
    if account.issuer:
        fields.append(bytes_field(3, account.issuer.encode("utf-8", errors="replace")))
    fields += [
        varint_field(4, _ALGORITHM_CODES[account.algorithm]),
        varint_field(5, _DIGIT_CODES[account.digits]),
        varint_field(6, _TYPE_CODES[account.type]),
    ]
    if account.type is OtpType.HOTP:
        fields.append(varint_field(7, account.counter))
    return b"".join(fields)


def _uri(entries: Sequence[bytes], batch_index: int, batch_size: int, batch_id: int) -> str:
    payload = b"".join(bytes_field(1, entry) for entry in entries) + b"".join(
        (
            varint_field(2, 1),
            varint_field(3, batch_size),
            varint_field(4, batch_index),
            varint_field(5, batch_id),
        )
    )
    return PREFIX + quote(base64.b64encode(payload).decode("ascii"), safe="")


def _longest_uri(entries: Sequence[bytes]) -> int:
    """The URI length of a batch with the widest header fields it could get."""
    return len(_uri(entries, INT32_MAX, INT32_MAX, INT32_MIN))


def migration_problem(account: Account) -> str | None:
    """Why `account` cannot go into a Google Authenticator export, or None if it can."""
    if account.type is OtpType.STEAM:
        return "Google Authenticator has no Steam codes"
    if account.type is OtpType.TOTP and account.period != GOOGLE_PERIOD:
        return f"Google Authenticator only has 30-second codes (this one: {account.period} s)"
    if account.digits not in _DIGIT_CODES:
        return f"Google Authenticator only has 6 or 8 digits (this one: {account.digits})"
    if account.type is OtpType.HOTP and account.counter > MAX_GOOGLE_COUNTER:
        return "the counter is too large for Google Authenticator (at most 2^63-1)"
    if _longest_uri([_encode_account(account)]) > MAX_URI_CHARS:
        return "the secret, issuer and name are too long for one QR code"
    return None


def build_migration(
    accounts: Sequence[Account], *, batch_id: int | None = None, per_batch: int = 10
) -> list[str]:
    """otpauth-migration:// URIs (one per QR code) Google Authenticator imports.

    Each batch holds at most `per_batch` accounts and stays under BATCH_URI_CHARS (a batch
    of one may be longer). No accounts give no URIs. Raises UriError naming the first
    account that cannot be exported (see `migration_problem`).
    """
    if per_batch < 1:
        raise ValueError("per_batch must be at least 1")
    if batch_id is None:
        batch_id = secrets.randbelow(2**32) + INT32_MIN
    elif not INT32_MIN <= batch_id <= INT32_MAX:
        raise ValueError("batch_id must be a signed 32-bit number")
    for account in accounts:
        problem = migration_problem(account)
        if problem is not None:
            label = account.label if len(account.label) <= 40 else account.label[:39] + "…"
            raise UriError(f"{label} cannot be exported to Google Authenticator: {problem}")

    batches: list[list[bytes]] = []
    current: list[bytes] = []
    for entry in map(_encode_account, accounts):
        if current and (
            len(current) >= per_batch or _longest_uri([*current, entry]) > BATCH_URI_CHARS
        ):
            batches.append(current)
            current = []
        current.append(entry)
    if current:
        batches.append(current)
    return [_uri(entries, index, len(batches), batch_id) for index, entries in enumerate(batches)]
