"""Text files of otpauth:// URIs, one per line: shared by several importers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from app.core.account import Account, OtpType
from app.core.uri import parse_otpauth
from app.formats._common import secret_from_base32
from app.formats.base import Entries
from app.formats.view import SourceView

OTPAUTH = "otpauth://"
MIGRATION = "otpauth-migration://"
STEAM = "steam://"


def is_otpauth(line: str) -> bool:
    return line[: len(OTPAUTH)].lower() == OTPAUTH


def is_migration(line: str) -> bool:
    return line[: len(MIGRATION)].lower() == MIGRATION


def uri_account(uri: str, steam_name: str) -> Account | None:
    """An otpauth:// URI, or steam://<base32 secret> (a Steam account named `steam_name`),
    as an account; None when `uri` is neither."""
    if uri[: len(STEAM)].lower() == STEAM:
        return Account(
            secret=secret_from_base32(uri[len(STEAM) :]),
            type=OtpType.STEAM,
            issuer="Steam",
            name=steam_name,
        )
    return parse_otpauth(uri) if is_otpauth(uri) else None


def mostly_otpauth(source: SourceView) -> bool:
    """At least one otpauth:// line, and most content lines are otpauth:// URIs.

    A few damaged lines keep a file recognisable (they become problems), while a text that
    merely mentions a URI is not taken for a list.
    """
    if source.folded is None or OTPAUTH not in source.folded:
        return False  # a whole-text search first: no need to look at each line of most files
    lines = source.lines
    uris = sum(1 for line in lines if is_otpauth(line))
    return uris > 0 and 2 * uris >= len(lines) and not any(is_migration(line) for line in lines)


def has_migration_line(source: SourceView) -> bool:
    """Whether a content line of the file is an otpauth-migration:// URI."""
    if source.folded is None or MIGRATION not in source.folded:
        return False
    return any(is_migration(line) for line in source.lines)


def read_otpauth_lines(
    lines: Iterable[str], entries: Entries, build: Callable[[str], Account] = parse_otpauth
) -> None:
    """Each line as the account `build` makes of it, or a problem naming what is wrong."""
    for line in lines:
        if not is_otpauth(line):
            entries.problem(line, "not an otpauth:// URI")
        else:
            entries.convert(line, functools.partial(build, line))
