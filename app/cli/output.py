"""Printing for the CLI: JSON for scripts, aligned columns for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def print_table(rows: Sequence[Sequence[str]], headers: Sequence[str] | None = None) -> None:
    table = [list(headers)] if headers else []
    table += [list(r) for r in rows]
    if not table:
        return
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        print("  ".join(cells).rstrip())


def note(message: str) -> None:
    """A remark for the person at the terminal, kept off stdout so pipes get clean data."""
    print(message, file=sys.stderr)
