"""The yes/no question the CLI asks before it removes something (`--yes` skips it)."""

from __future__ import annotations

import sys

from app.cli.errors import CliError


def confirm(question: str) -> bool:
    """Ask `question` on the terminal; True only for "y" or "yes". Without a terminal there
    is nobody to answer, so a script is told to say --yes instead of hanging or guessing."""
    if not sys.stdin.isatty():
        raise CliError("cannot ask for confirmation without a terminal: add --yes")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in {"y", "yes"}
