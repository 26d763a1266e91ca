"""The encrypted vault file: format, KDF + AEAD, atomic save, backups, locking.

Use `Vault.create` / `Vault.open`, read `vault.content`, and change it through
`vault.modify(...)` with the changes in account_edits (or the add/update/remove helpers).
The format is in FORMAT.md.
"""

# Each name is re-exported with `X as X`, the form type checkers read as "public here"
# (PEP 484), so no separate __all__ repeats them. The errors load at once: they are light,
# and they are what callers catch. The rest load on first use (PEP 562): the desktop app
# imports app.vault.paths before its unlock window shows, and must not pay for the crypto
# modules there.
from typing import TYPE_CHECKING, Any

from app.vault.errors import AccountNotInVaultError as AccountNotInVaultError
from app.vault.errors import VaultAuthError as VaultAuthError
from app.vault.errors import VaultBusyError as VaultBusyError
from app.vault.errors import VaultConflictError as VaultConflictError
from app.vault.errors import VaultError as VaultError
from app.vault.errors import VaultExistsError as VaultExistsError
from app.vault.errors import VaultFormatError as VaultFormatError
from app.vault.errors import VaultLockedError as VaultLockedError
from app.vault.errors import VaultNotFoundError as VaultNotFoundError

if TYPE_CHECKING:
    from app.vault.account_edits import AddResult as AddResult
    from app.vault.backups import BACKUPS_KEPT as BACKUPS_KEPT
    from app.vault.backups import BackupInfo as BackupInfo
    from app.vault.backups import backups_dir as backups_dir
    from app.vault.backups import count_accounts as count_accounts
    from app.vault.backups import list_backups as list_backups
    from app.vault.backups import read_backup as read_backup
    from app.vault.backups import restore_backup as restore_backup
    from app.vault.content import VaultContent as VaultContent
    from app.vault.kdf import KdfParams as KdfParams
    from app.vault.kdf import derive_key as derive_key
    from app.vault.paths import default_vault_path as default_vault_path
    from app.vault.paths import resolve_vault_path as resolve_vault_path
    from app.vault.store import Vault as Vault

_HOMES = {
    "app.vault.account_edits": ["AddResult"],
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
    "app.vault.kdf": ["KdfParams", "derive_key"],
    "app.vault.paths": ["default_vault_path", "resolve_vault_path"],
    "app.vault.store": ["Vault"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _HOME_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'app.vault' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
