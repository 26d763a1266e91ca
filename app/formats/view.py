"""One import file as every sniffer sees it: the bytes, parsed lazily and at most once.

Detection asks twenty importers whether a file is theirs, and a dozen of them want it as
JSON, several as text lines, as Android preferences XML or as an SQLite database. Parsing
a 60 MiB file once per importer took 38 s to refuse it; a `SourceView` parses each way the
first time one sniffer asks and hands the same result to the others.

The parsed values are shared: a sniffer must not change them.
"""

from __future__ import annotations

import functools
import json
import re

from app.formats._prefs import parse_prefs
from app.formats._sqlite import schema_or_none

# What JSON may start with once whitespace is skipped: an object, a list, or a BOM (the
# documents sniffers look for are objects and lists, so a bare string or number is no export).
_JSON_STARTS = (b"{", b"[", b"\xef")
_LEADING_SPACE = re.compile(rb"[ \t\n\r\x0b\x0c]*")


def text_or_none(data: bytes) -> str | None:
    """The file as UTF-8 text (a leading BOM dropped), or None when it is not."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def parse_json(text: str | bytes) -> object:
    """json.loads that raises only ValueError (deep nesting and huge numbers included)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None


def looks_like_json(data: bytes) -> bool:
    """Whether `data` starts like a JSON object or list (without copying it)."""
    match = _LEADING_SPACE.match(data)
    start = match.end() if match else 0
    return data[start : start + 1] in _JSON_STARTS


def json_from_text(data: bytes, text: str | None) -> object | None:
    """The JSON document in `data` (already decoded as `text`), or None when it is none."""
    if text is None or not looks_like_json(data):
        return None
    try:
        return parse_json(text)
    except ValueError:
        return None


def content_lines(text: str) -> list[str]:
    """Non-empty lines that are not comments (# or //), stripped."""
    lines = []
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith(("#", "//")):
            lines.append(stripped)
    return lines


class SourceView:
    """The bytes of one import file and, computed on first use, what they parse as.

    `filename` is only a hint (two formats' bytes say nothing of what they are).
    """

    def __init__(self, data: bytes, filename: str = "") -> None:
        self.data = data
        self.filename = filename

    @functools.cached_property
    def text(self) -> str | None:
        """The file as UTF-8 text, or None when it is not text."""
        return text_or_none(self.data)

    @functools.cached_property
    def json(self) -> object | None:
        """The file's JSON object or list, or None when it is not one."""
        return json_from_text(self.data, self.text)

    @functools.cached_property
    def folded(self) -> str | None:
        """The text in lower case, for case-blind searches (URI schemes); None if no text."""
        return None if self.text is None else self.text.lower()

    @functools.cached_property
    def lines(self) -> list[str]:
        """The text's content lines (no blanks, no comments); empty when it is not text."""
        return [] if self.text is None else content_lines(self.text)

    @functools.cached_property
    def prefs(self) -> dict[str, str] | None:
        """The file as an Android shared_prefs map, or None when it is not one."""
        return parse_prefs(self.data)

    def pref(self, key: str) -> str | None:
        """One value of the shared_prefs map; None when absent or the file is not one."""
        prefs = self.prefs
        return None if prefs is None else prefs.get(key)

    @functools.cached_property
    def sqlite_schema(self) -> dict[str, set[str]] | None:
        """Tables and columns when the file is an SQLite database, else None."""
        return schema_or_none(self.data)
