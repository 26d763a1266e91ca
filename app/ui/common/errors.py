"""Errors of the desktop app's own work (not the vault's or the QR decoder's)."""

from __future__ import annotations

from app.core.errors import KeyfobError


class UiError(KeyfobError):
    """Base of the desktop app's errors."""


class ClockCheckError(UiError):
    """Checking the clock against a web server failed: unreachable, or no Date header."""
