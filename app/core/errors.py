"""The root of Keyfob's error hierarchy.

Every package subclasses `KeyfobError`; the edges (CLI, UI, server) turn these into messages.
A message says what was wrong and, where it helps, what to do - and never carries a secret.
"""


class KeyfobError(Exception):
    """Base of every error Keyfob raises on purpose."""


class AccountError(KeyfobError, ValueError):
    """An account's parameters are not usable (digits out of range, empty secret, ...)."""


class UriError(KeyfobError, ValueError):
    """An otpauth:// or otpauth-migration:// URI could not be read."""
