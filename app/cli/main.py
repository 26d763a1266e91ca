"""The command line (stub until the CLI lands)."""

from __future__ import annotations


def run(argv: list[str]) -> int:
    print("usage: keyfob [--vault PATH] [--password-file FILE] COMMAND ...")
    return 0
