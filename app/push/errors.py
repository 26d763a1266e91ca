"""Errors of the push protocol code (device side and message checks)."""

from __future__ import annotations

from app.core.errors import KeyfobError


class PushError(KeyfobError):
    """Something about push approvals went wrong."""


class PushUriError(PushError, ValueError):
    """A keyfob://enroll URI could not be read."""


class ProtocolError(PushError):
    """A protocol message is malformed, badly signed or out of place."""


class EnrollmentError(PushError, ValueError):
    """A push enrollment could not be completed or read back."""
