"""Google Authenticator: "Transfer accounts" QR codes as text, and the app's old database.

Text: the otpauth-migration:// URIs read from the export's QR codes, one per line (comment
lines with # and plain otpauth:// lines are accepted too). An export of many accounts spans
several QR codes of one batch; each one missing is reported ("QR 2 of 3 missing"), so no
account is lost without a word.

Database: `databases/databases`, table `accounts` (email, secret base32, counter, type 0 TOTP
/ 1 HOTP, issuer); Google Authenticator 5 and older only had SHA1, 6 digits, 30 s.
"""

from __future__ import annotations

from app.core.account import Account, OtpType
from app.core.errors import UriError
from app.core.migration import parse_migration
from app.core.migration_progress import MigrationProgress
from app.formats import _sqlite
from app.formats._common import opt_str, secret_from_base32, to_int
from app.formats._uris import has_migration_line, is_migration, is_otpauth, read_otpauth_lines
from app.formats.base import Entries, EntryError, FileImporter
from app.formats.view import SourceView

TABLE = "accounts"
COLUMNS = ["email", "secret", "counter", "type", "issuer", "original_name"]


def _read_lines(lines: list[str], entries: Entries) -> None:
    progress = MigrationProgress()
    for line in lines:
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
        if progress.add(batch):
            for account in batch.accounts:
                entries.add(account)
    for export in progress.incomplete():
        for number in export.missing():
            entries.problem(
                "",
                f"QR {number} of {export.size} missing: scan it too, or the accounts it "
                "holds are not imported",
            )


def _convert_row(row: dict[str, object]) -> Account:
    kind = to_int(row.get("type") if row.get("type") is not None else 0, "'type'")
    if kind not in (0, 1):
        raise EntryError("unsupported type")
    issuer = opt_str(row, "issuer").strip()
    name = opt_str(row, "email").strip()
    if issuer and name.lower().startswith(issuer.lower() + ":"):
        name = name[len(issuer) + 1 :].strip()
    elif not issuer and ":" in name:
        issuer, name = (part.strip() for part in name.split(":", 1))
    hotp = kind == 1
    counter = row.get("counter")
    return Account(
        secret=secret_from_base32(opt_str(row, "secret")),
        type=OtpType.HOTP if hotp else OtpType.TOTP,
        counter=to_int(counter, "'counter'") if hotp and counter is not None else 0,
        issuer=issuer,
        name=name,
    )


def _is_database(schema: dict[str, set[str]] | None) -> bool:
    return schema is not None and {"email", "secret"} <= schema.get(TABLE, set())


class GoogleAuthImporter(FileImporter):
    name = "googleauth"
    title = "Google Authenticator"
    document = "a Google Authenticator export"

    def sniff(self, source: SourceView) -> bool:
        if _sqlite.is_sqlite(source.data):
            return _is_database(source.sqlite_schema)
        return has_migration_line(source)

    def collect(self, source: SourceView, password: str | None, entries: Entries) -> None:
        if _sqlite.is_sqlite(source.data):
            rows = _sqlite.read_rows(source.data, TABLE, COLUMNS)
            entries.convert_all(rows, _convert_row, _sqlite.raw_row)
            return
        if source.text is None:
            raise self.not_this("the file is neither text nor a database")
        if not any(is_migration(line) for line in source.lines):
            raise self.not_this("no otpauth-migration:// URI in the file")
        _read_lines(source.lines, entries)
