"""The encrypted vault file: format, KDF + AEAD, atomic save, backups, locking.

Use `Vault.create` / `Vault.open`, read `vault.content`, and change it through
`vault.modify(...)` (or the add/update/remove helpers). The format is in FORMAT.md.
"""

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
from app.vault.store import AddResult, Vault

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
