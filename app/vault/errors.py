"""What can go wrong with a vault file, as errors the CLI and the UI turn into messages.

No message ever carries a password, a key or a secret; paths are fine (they help people).
"""

from __future__ import annotations

from app.core.errors import KeyfobError


class VaultError(KeyfobError):
    """Base of every vault error; also raised for I/O problems (permissions, full disk)."""


class VaultNotFoundError(VaultError):
    """There is no vault (or no backup) at the given path."""


class VaultExistsError(VaultError):
    """`create` would overwrite an existing vault."""


class VaultAuthError(VaultError):
    """The password opens none of the vault's password slots. Nothing was changed.

    A wrong password and a damaged password slot (salt, KDF parameters, wrapped key) look
    the same to the cryptography, so both land here; see FORMAT.md.
    """


class VaultFormatError(VaultError):
    """Not a Keyfob vault, or damaged, tampered with, or from a newer format version."""


class VaultConflictError(VaultError):
    """The file on disk changed in a way this open vault cannot follow (another key)."""


class VaultBusyError(VaultError):
    """Another process held the vault's lock for too long."""


class VaultLockedError(VaultError):
    """The vault object was locked (`Vault.lock`): open the vault again to use it."""


class AccountNotInVaultError(VaultError):
    """An update or removal named an account the vault no longer has."""
