"""Errors the command line raises itself (usage of the CLI, not of the vault)."""

from __future__ import annotations

from app.core.errors import KeyfobError


class CliError(KeyfobError):
    """A user error found by the CLI: no match, no password source, refused confirmation."""
