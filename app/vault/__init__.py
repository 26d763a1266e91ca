"""The encrypted vault file: format, KDF + AEAD, atomic save, backups, locking.

Use `Vault.create` / `Vault.open`, read `vault.content`, and change it through
`vault.modify(...)` with the changes in account_edits (or the add/update/remove helpers).
The format is in FORMAT.md.
"""

# The names below load on first use (PEP 562): the desktop app imports app.vault.paths before
# its unlock window shows, and must not pay for the crypto modules there.
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.vault.account_edits import AddResult
    from app.vault.backups import (
        BACKUPS_KEPT,
        BackupInfo,
        backups_dir,
        count_accounts,
        list_backups,
        read_backup,
        restore_backup,
    )
    from app.vault.content import VaultContent
    from app.vault.errors import (
        AccountNotInVaultError,
        VaultAuthError,
        VaultBusyError,
        VaultConflictError,
        VaultError,
        VaultExistsError,
        VaultFormatError,
        VaultLockedError,
        VaultNotFoundError,
    )
    from app.vault.kdf import KdfParams, derive_key
    from app.vault.paths import default_vault_path, resolve_vault_path
    from app.vault.store import Vault

_HOMES = {
    "app.vault.backups": [
        "BACKUPS_KEPT",
        "BackupInfo",
        "backups_dir",
        "count_accounts",
        "list_backups",
        "read_backup",
        "restore_backup",
    ],
    "app.vault.content": ["VaultContent"],
    "app.vault.errors": [
        "AccountNotInVaultError",
        "VaultAuthError",
        "VaultBusyError",
        "VaultConflictError",
        "VaultError",
        "VaultExistsError",
        "VaultFormatError",
        "VaultLockedError",
        "VaultNotFoundError",
    ],
    "app.vault.kdf": ["KdfParams", "derive_key"],
    "app.vault.paths": ["default_vault_path", "resolve_vault_path"],
    "app.vault.account_edits": ["AddResult"],
    "app.vault.store": ["Vault"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'app.vault' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "BACKUPS_KEPT",
    "AccountNotInVaultError",
    "AddResult",
    "BackupInfo",
    "KdfParams",
    "Vault",
    "VaultAuthError",
    "VaultBusyError",
    "VaultConflictError",
    "VaultContent",
    "VaultError",
    "VaultExistsError",
    "VaultFormatError",
    "VaultLockedError",
    "VaultNotFoundError",
    "backups_dir",
    "count_accounts",
    "default_vault_path",
    "derive_key",
    "list_backups",
    "read_backup",
    "resolve_vault_path",
    "restore_backup",
]
