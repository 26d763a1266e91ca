"""Errors of the importers. Messages say what was wrong and never carry a secret."""

from __future__ import annotations

from app.core.errors import KeyfobError


class ImportFormatError(KeyfobError):
    """The file cannot be imported: not this format, damaged, or an unsupported version."""


class WrongPasswordError(ImportFormatError):
    """The password does not open the file (or the encrypted part is damaged)."""


class PasswordRequiredError(ImportFormatError):
    """The file is encrypted and no password was given."""
