"""Text files of otpauth:// URIs, one per line: shared by several importers."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator

from app.core.account import Account
from app.core.uri import parse_otpauth
from app.formats._common import Entries

OTPAUTH = "otpauth://"
MIGRATION = "otpauth-migration://"


def content_lines(text: str) -> Iterator[str]:
    """Non-empty lines that are not comments (# or //), stripped."""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "//")):
            yield stripped


def is_otpauth(line: str) -> bool:
    return line[: len(OTPAUTH)].lower() == OTPAUTH


def is_migration(line: str) -> bool:
    return line[: len(MIGRATION)].lower() == MIGRATION


def mostly_otpauth(text: str) -> bool:
    """At least one otpauth:// line, and most content lines are otpauth:// URIs.

    A few damaged lines keep a file recognisable (they become problems), while a text that
    merely mentions a URI is not taken for a list.
    """
    lines = list(content_lines(text))
    uris = sum(1 for line in lines if is_otpauth(line))
    return uris > 0 and 2 * uris >= len(lines) and not any(is_migration(line) for line in lines)


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
