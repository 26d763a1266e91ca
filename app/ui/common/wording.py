"""Small helpers for the sentences the windows build."""

from __future__ import annotations


def plural(count: int, one: str, many: str) -> str:
    """`one` for a count of 1, else `many` with %n replaced by the count."""
    return (one if count == 1 else many).replace("%n", str(count))
