"""Text files of otpauth:// URIs, one per line: shared by several importers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable

from app.core.account import Account
from app.core.uri import parse_otpauth
from app.formats._common import Entries
from app.formats.view import SourceView

OTPAUTH = "otpauth://"
MIGRATION = "otpauth-migration://"


def is_otpauth(line: str) -> bool:
    return line[: len(OTPAUTH)].lower() == OTPAUTH


def is_migration(line: str) -> bool:
    return line[: len(MIGRATION)].lower() == MIGRATION


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
    lines: Iterable[str],
    entries: Entries,
    adjust: Callable[[Account], Account] = lambda account: account,
) -> None:
    """Each line as an account (through `adjust`), or a problem naming what is wrong."""
    for line in lines:
        if not is_otpauth(line):
            entries.problem(line, "not an otpauth:// URI")
            continue
        entries.convert(line, functools.partial(_account, line, adjust))


def _account(line: str, adjust: Callable[[Account], Account]) -> Account:
    return adjust(parse_otpauth(line))
