"""Printing for the CLI: JSON for scripts, aligned columns for people, and the one sanitiser
every name goes through on its way to the terminal.

Names come from QR codes, other apps' files, push servers and the command line, so they may
hold terminal escape sequences: OSC 52 writes the clipboard, others set the window title or
clear the screen, and bidi overrides make text read differently from what it is. `printable`
turns every such character into "?"; JSON output keeps the exact text, with those characters
written as JSON escapes.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from typing import Any

# C0 controls (ESC, BEL, CR, newline...), DEL and C1 controls (CSI and OSC are single bytes
# there), the bidi marks, embeddings, overrides and isolates, the Unicode line and paragraph
# separators, and lone surrogates (undecodable bytes of a file name, which no terminal
# encoding can write).
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
# In JSON text, C0 controls are already escaped by the encoder; the rest can only stand
# inside strings, where a \\uXXXX escape means the same character.
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")


def printable(text: str, limit: int | None = None) -> str:
    """`text` safe for one line of a terminal: every control, bidi and undecodable character
    becomes "?", and text longer than `limit` is cut with "…"."""
    clean = _UNSAFE.sub("?", text)
    if limit is not None and len(clean) > limit:
        clean = clean[: limit - 1] + "…"
    return clean


def shown_path(path: str) -> str:
    """A path as given, safe for one line (paths are not cut: people need them whole)."""
    return printable(path, 4096)


def has_unsafe(text: str) -> bool:
    """Whether `printable` would change `text` (besides cutting it)."""
    return _UNSAFE.search(text) is not None


def json_text(value: Any) -> str:
    """`value` as indented JSON that shows the exact text yet is safe in a terminal."""
    text = json.dumps(value, ensure_ascii=False, indent=2)
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def print_json(value: Any) -> None:
    sys.stdout.write(json_text(value) + "\n")


def print_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> None:
    """Aligned columns; every cell goes through `printable`."""
    table = [[printable(cell) for cell in headers]] if headers else []
    table += [[printable(cell) for cell in row] for row in rows]
    if not table:
        return
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())


def note(message: str) -> None:
    """A remark for the person at the terminal, kept off stdout so pipes get clean data.

    Each line goes through `printable`, as remarks often quote a name or a path."""
    print("\n".join(printable(line) for line in message.split("\n")), file=sys.stderr)
