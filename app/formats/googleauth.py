"""Google Authenticator: "Transfer accounts" QR codes as text, and the app's old database.

Text: the otpauth-migration:// URIs read from the export's QR codes, one per line (comment
lines with # and plain otpauth:// lines are accepted too). An export of many accounts spans
several QR codes of one batch; each one missing is reported ("QR 2 of 3 missing"), so no
account is lost without a word.

Database: `databases/databases`, table `accounts` (email, secret base32, counter, type 0 TOTP
/ 1 HOTP, issuer); Google Authenticator 5 and older only had SHA1, 6 digits, 30 s.
"""

from __future__ import annotations

import sqlite3
from typing import ClassVar

from app.core.account import Account, OtpType
from app.core.errors import UriError
from app.core.migration import MigrationBatch, parse_migration
from app.formats import _sqlite
from app.formats._common import Entries, EntryError, check_size, secret_from_base32, to_int
from app.formats._uris import has_migration_line, is_migration, is_otpauth, read_otpauth_lines
from app.formats.base import ImportResult
from app.formats.errors import ImportFormatError
from app.formats.view import SourceView, content_lines

TABLE = "accounts"
COLUMNS = ["email", "secret", "counter", "type", "issuer", "original_name"]


class _Batches:
    """Which QR codes of each export batch were read."""

    def __init__(self) -> None:
        self.seen: dict[int, set[int]] = {}
        self.sizes: dict[int, int] = {}

    def add(self, batch: MigrationBatch) -> bool:
        """Record `batch`; False when this very QR code was already read (a repeat)."""
        if batch.batch_size <= 1:
            return True
        seen = self.seen.setdefault(batch.batch_id, set())
        if batch.batch_index in seen:
            return False
        seen.add(batch.batch_index)
        self.sizes[batch.batch_id] = max(self.sizes.get(batch.batch_id, 0), batch.batch_size)
        return True

    def missing(self) -> list[str]:
        reasons = []
        for batch_id, size in self.sizes.items():
            for index in range(size):
                if index not in self.seen[batch_id]:
                    reasons.append(
                        f"QR {index + 1} of {size} missing: scan it too, or the accounts it "
                        "holds are not imported"
                    )
        return reasons


def _read_text(text: str) -> ImportResult:
    entries = Entries()
    batches = _Batches()
    for line in content_lines(text):
        if is_otpauth(line):
            read_otpauth_lines([line], entries)
            continue
        if not is_migration(line):
            entries.problem(line, "not an otpauth-migration:// or otpauth:// URI")
            continue
        try:
            batch = parse_migration(line)
        except UriError as error:
            entries.problem(line, str(error))
            continue
        if batches.add(batch):
            for account in batch.accounts:
                entries.add(account)
    for reason in batches.missing():
        entries.problem("", reason)
    return entries.result()


def _text(row: dict[str, object], key: str) -> str:
    value = row.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise EntryError(f"'{key}' is not text")
    return value


def _convert_row(row: dict[str, object]) -> Account:
    kind = to_int(row.get("type") if row.get("type") is not None else 0, "'type'")
    if kind not in (0, 1):
        raise EntryError("unsupported type")
    issuer = _text(row, "issuer").strip()
    name = _text(row, "email").strip()
    if issuer and name.lower().startswith(issuer.lower() + ":"):
        name = name[len(issuer) + 1 :].strip()
    elif not issuer and ":" in name:
        issuer, name = (part.strip() for part in name.split(":", 1))
    hotp = kind == 1
    counter = row.get("counter")
    return Account(
        secret=secret_from_base32(_text(row, "secret")),
        type=OtpType.HOTP if hotp else OtpType.TOTP,
        counter=to_int(counter, "'counter'") if hotp and counter is not None else 0,
        issuer=issuer,
        name=name,
    )


def _read_database(data: bytes) -> ImportResult:
    try:
        with _sqlite.open_sqlite(data) as connection:
            rows = _sqlite.rows(connection, TABLE, COLUMNS)
    except sqlite3.Error as error:
        raise _sqlite.damaged(error) from None
    entries = Entries()
    entries.convert_all(
        rows,
        _convert_row,
        lambda row: " | ".join("" if v is None else str(v) for v in row.values()),
    )
    return entries.result()


def _is_database(schema: dict[str, set[str]] | None) -> bool:
    return schema is not None and {"email", "secret"} <= schema.get(TABLE, set())


class GoogleAuthImporter:
    name: ClassVar[str] = "googleauth"
    title: ClassVar[str] = "Google Authenticator"

    def sniff(self, source: SourceView) -> bool:
        if _sqlite.is_sqlite(source.data):
            return _is_database(source.sqlite_schema)
        return has_migration_line(source)

    def needs_password(self, data: bytes) -> bool:
        return False

    def read(self, data: bytes, password: str | None) -> ImportResult:
        check_size(data)
        if _sqlite.is_sqlite(data):
            return _read_database(data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFormatError(
                "not a Google Authenticator export: the file is neither text nor a database"
            ) from None
        if not any(is_migration(line) for line in content_lines(text)):
            raise ImportFormatError(
                "not a Google Authenticator export: no otpauth-migration:// URI in the file"
            )
        return _read_text(text)
