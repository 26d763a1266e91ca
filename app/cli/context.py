"""What every vault command needs: where the vault is, and opening it with a password."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from app.cli.output import note
from app.cli.passwords import current_password
from app.vault.errors import VaultNotFoundError
from app.vault.paths import resolve_vault_path
from app.vault.revisions import RevisionLog, Rollback
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
        """Open the vault, warning on stderr if it is older than a version seen before."""
        path = self.vault_path
        if not path.exists():
            # Say so before asking for a password that could not be used anyway.
            raise VaultNotFoundError(f"no vault at {path}: create one with `keyfob init`")
        vault = Vault.open(path, current_password(self.password_file))
        rollback = vault.track_revisions(revision_log())
        if rollback is not None:
            warn_rollback(path, rollback)
        return vault


def revision_log() -> RevisionLog:
    """The revisions seen of each vault: $KEYFOB_STATE_DIR, else the user's state folder."""
    return RevisionLog.default()


def warn_rollback(path: Path, rollback: Rollback) -> None:
    note(
        f"Warning: the vault {path} is older than a version Keyfob has seen (revision "
        f"{rollback.revision}, seen {rollback.highest}): accounts deleted since may be back and "
        "HOTP counters may have gone back. If you did not put an older copy back yourself, "
        "someone replaced the file; `keyfob backups` lists the newer versions kept."
    )
