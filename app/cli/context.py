"""What every vault command needs: where the vault is, and opening it with a password."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.cli.passwords import current_password
from app.vault.errors import VaultNotFoundError
from app.vault.paths import resolve_vault_path
from app.vault.store import Vault


@dataclass(frozen=True)
class Context:
    vault_option: str | None
    password_file: str | None

    @property
    def vault_path(self) -> Path:
        # --vault, else $KEYFOB_VAULT, else the per-user data folder (one rule, shared with the UI)
        return resolve_vault_path(self.vault_option)

    def open_vault(self) -> Vault:
        path = self.vault_path
        if not path.exists():
            # Say so before asking for a password that could not be used anyway.
            raise VaultNotFoundError(f"no vault at {path}: create one with `keyfob init`")
        return Vault.open(path, current_password(self.password_file))
